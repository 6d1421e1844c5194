package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/smdlab/smd/cmd/smd/internal/progress"
	"github.com/smdlab/smd/experiment"
)

// SimulateCmd is `smd simulate`.
type SimulateCmd struct {
	Config  string  `help:"YAML config file (default: the embedded example, printed by --print-example)." placeholder:"FILE"`
	Out     string  `help:"Output directory for series.csv and run.json (default: ${default})." default:"smd-out" placeholder:"DIR"`
	Trials  *int    `help:"Override the config's trials."`
	Steps   *int    `help:"Override the config's steps."`
	Seed    *uint64 `help:"Override the config's seed."`
	Workers int     `help:"Worker goroutines (0: all cores). Never changes the output." default:"0"`
	Method  string  `help:"Override the config's method (engine): ${methods}."`

	PrintExample bool `help:"Print the embedded example config and exit." name:"print-example"`
}

// Help is shown by `smd simulate --help`.
func (SimulateCmd) Help() string {
	return `Simulates SGD with weight decay (eq 3) on NRQ (eq 4) or NQM (eqs 7-8) for many
independent trials and records, every record_every steps, the mean and standard
error over trials of: risk r = 1 - E f, loss, angular update (mean and RMS),
weight norm (and its square) and tail probability P(f < tail_xi).

Config keys (YAML; unknown keys are errors):
  model         nrq | nqm                                    (default nrq)
  spectrum      distinct eigenvalues of A, ascending, e.g. [1, 2]
  multiplicity  how often each occurs, e.g. [1, 99] -> p = 100 (default 1 each)
  diagonal      A's whole diagonal instead of spectrum (any order)
  a_file        CSV file with a dense symmetric PSD A instead (f measured against
                the eigenvector of the smallest eigenvalue)
  sigma         isotropic noise: Sigma~ = sigma^2 I
  noise_var     diagonal noise: Sigma~ = diag(noise_var)
  noise_file    CSV file with a dense positive-definite Sigma~
                (required: exactly one of sigma, noise_var, noise_file)
  eta           learning rate eta > 0                          (required)
  lambda        weight decay lambda >= 0, lambda*eta < 1     (required)
  optimizer     sgd | adamw | lion (PyTorch's SGD, AdamW; Lion)  (default sgd)
  momentum      sgd: b <- mu b + g + lambda X, X <- X - eta b, mu in [0, 1)
                                                               (default 0)
  beta1, beta2  adamw, lion: moment decays in [0, 1)
                (default adamw 0.9, 0.999; lion 0.9, 0.99)
  eps           adamw: epsilon >= 0 in m/(sqrt(v) + eps)       (default 1e-8)
  init          {std: s} for X0 ~ N(0, s^2 I), or {norm: |X0|, f0: f0}
                                                               (required)
  steps         number of steps                                (required)
  trials        independent trials                             (default 100)
  record_every  record every k steps: rows at 0, k, 2k, ... <= steps
                                                (default max(1, steps/200))
  seed          random seed; trial i uses stream (seed, i)     (default 1)
  method        engine: auto | full | reduced | sde | sde-reduced | fokker-planck
                (default auto: reduced when A and noise are diagonal with few
                distinct blocks and the optimizer is sgd, else full; both exact)
  tail_xi       xi of Theorem 1: tail = P(f < xi)              (default 0.9)
  schedule      list of {step, lr_divide, rescale, lambda}: at the start of
                step, divide eta by lr_divide; rescale: true also divides X by
                lr_divide^(1/4) (the paper's rescale); lambda sets a new weight decay;
                lr_exp: g multiplies eta by g at every later step (1 stops it).

Outputs in --out: series.csv (step, eta, lambda, risk, risk_se, loss, loss_se,
au, au_se, au_rms, au_rms_se, norm, norm_se, norm_sq, norm_sq_se, tail, tail_se;
values describe X_n before the update at step n) and run.json (resolved config,
seed, version, wall time, trial-steps per second). Bad input: one line on
stderr, exit code 2, nothing written.`
}

// Run executes the simulation.
func (s *SimulateCmd) Run(g *Globals) error {
	if s.PrintExample {
		_, err := g.Stdout.Write(experiment.ExampleYAML())
		return err
	}
	var (
		c   *experiment.Config
		err error
	)
	name := s.Config
	if s.Config == "" {
		name = "example.yaml"
		c, err = experiment.Parse(experiment.ExampleYAML(), name, "")
	} else {
		c, err = experiment.Load(s.Config)
	}
	if err != nil {
		return badInput(err)
	}
	c.Log = g.Log // a big matrix file's reading progress
	override(&c.Trials, s.Trials)
	if s.Steps != nil {
		c.SetSteps(*s.Steps)
	}
	override(&c.Seed, s.Seed)
	if s.Method != "" {
		c.Method = s.Method
	}
	if s.Workers < 0 {
		return badInput(fmt.Errorf("--workers: must be ≥ 0, got %d", s.Workers))
	}
	if err := c.Validate(); err != nil {
		return badInput(flagName(err))
	}
	if err := experiment.PrepareOutDir(s.Out); err != nil {
		return badInput(err)
	}
	if _, err := c.BuildModel(); err != nil { // reads a_file/noise_file: bad input
		var re *experiment.ResourceError
		if errors.As(err, &re) { // a matrix too big for this machine: exit 1, as for any run
			return err
		}
		return badInput(inFile(err, name))
	}
	rep := progress.New(g.Stderr, g.Log, g.Interactive, "simulate", 1, 5*time.Second)
	res, info, err := experiment.Run(g.Ctx, c, experiment.Options{
		Workers: s.Workers,
		Progress: func(done, total int64) {
			rep.SetTotal(total)
			rep.Update(done)
		},
	})
	if err != nil && info != nil && info.Partial { // interrupted: write the rows completed so far
		if werr := experiment.WriteOutputs(s.Out, res, info); werr != nil {
			return werr
		}
		g.Log.Warn("simulate interrupted: partial outputs written", "out", s.Out, "rows", len(res.Rows), "reason", info.PartialReason)
		return err
	}
	if err != nil {
		var fe *experiment.FieldError
		if errors.As(err, &fe) {
			return badInput(inFile(err, name))
		}
		return err
	}
	rep.Done()
	if err := experiment.WriteOutputs(s.Out, res, info); err != nil {
		return err
	}
	for _, w := range info.Warnings {
		g.Log.Warn(w)
	}
	args := []any{"out", s.Out, "rows", len(res.Rows), "wall", time.Duration(info.WallSec * float64(time.Second)).Round(time.Millisecond),
		"trial_steps_per_s", fmt.Sprintf("%.3g", info.StepsPS)}
	for _, f := range experiment.Summary(res.Rows) {
		args = append(args, f.Key, f.Value)
	}
	g.Log.Info("simulate done", args...)
	return nil
}

// inFile names the config file in a field error that lacks it.
func inFile(err error, name string) error {
	var fe *experiment.FieldError
	if errors.As(err, &fe) && fe.File == "" {
		fe.File = name
	}
	return err
}

// flagName renames config fields overridden by flags in an error message.
func flagName(err error) error {
	var fe *experiment.FieldError
	if errors.As(err, &fe) {
		switch fe.Field {
		case "trials", "steps", "seed", "method":
			fe.Field += " (config or --" + fe.Field + ")"
		}
	}
	return err
}
