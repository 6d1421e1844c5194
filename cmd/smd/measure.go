package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/cmd/smd/internal/progress"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/outdir"
	"github.com/smdlab/smd/measure"
)

// MeasureCmd is `smd measure`.
type MeasureCmd struct {
	Checkpoints string   `help:"Directory of *.safetensors checkpoints (one per saved step)." required:"" type:"path" placeholder:"DIR"`
	Out         string   `help:"Output directory for layers.csv, tensors.csv, neurons.csv, measure.png/svg and run.json." default:"smd-measure-out" type:"path" placeholder:"DIR"`
	LR          *float64 `name:"lr" help:"Learning rate η (overrides every file's lr metadata; a schedule is read from the files)."`
	WeightDecay *float64 `help:"Weight decay λ (overrides the weight_decay metadata)."`
	Momentum    *float64 `help:"SGD heavy-ball momentum μ (overrides the momentum metadata; default 0)."`
	Optimizer   string   `help:"Optimizer: sgd, adamw or lion (overrides the optimizer metadata; default sgd)." enum:"sgd,adamw,lion," default:""`
	Beta1       *float64 `help:"AdamW/Lion β₁ (default 0.9)."`
	Beta2       *float64 `help:"AdamW/Lion β₂ (default 0.999 AdamW, 0.99 Lion)."`
	SI          string   `name:"si" help:"Regular expression: exactly the tensors whose names match are scale-invariant (overrides the ratio test and the name rule)." placeholder:"REGEX"`
	SITol       float64  `name:"si-tol" help:"ε_SI, the allowance for normalization ε in the scale-invariance ratio test (docs/measure.md §2)." default:"0.1"`
	PerNeuron   bool     `help:"Also write neurons.csv: AU and norm of every output channel of each rank ≥ 2 tensor."`
	ChannelAxis string   `help:"Output-channel axis for --per-neuron: first (PyTorch) or last (JAX/Flax, smd train); default from the channel_axis metadata, else first." enum:"first,last," default:""`
}

// Help is shown by `smd measure --help`.
func (MeasureCmd) Help() string {
	return `Measures the spherical motion dynamics of any training run from its
safetensors checkpoints: for every pair of successive files (steps n, n+k)
and every float tensor in both, the angle between w_n and w_n+k (the
per-step angular update when k = 1; the span column says k), the norm |w_n|
and the effective learning rate eta/|w_n|^2; whether each tensor is
scale-invariant (SGD: the ratio <dw, w>/(-eta*lambda*|w|^2) is 1 on every
step; else --si or the name rule: rank >= 3); and the optimizer's
equilibrium angular update beside the data.

The step of a file is its "step" metadata, else the last integer of its
name. eta and lambda come from --lr/--weight-decay, else from each file's
lr/weight_decay metadata (flags win). Outputs in --out: layers.csv,
tensors.csv, neurons.csv (--per-neuron), measure.png/svg, run.json. Bad
input: one line naming the file, exit code 2, nothing written.`
}

// Run measures.
func (m *MeasureCmd) Run(g *Globals) error {
	cfg := measure.Config{Dir: m.Checkpoints, LR: m.LR, WeightDecay: m.WeightDecay, Momentum: m.Momentum,
		Beta1: m.Beta1, Beta2: m.Beta2, Optimizer: m.Optimizer, SITol: m.SITol, PerNeuron: m.PerNeuron, ChannelAxis: m.ChannelAxis}
	if m.SI != "" {
		re, err := regexp.Compile(m.SI)
		if err != nil {
			return badInput(fmt.Errorf("--si: %w", err))
		}
		cfg.SI = re
	}
	if err := experiment.PrepareOutDir(m.Out); err != nil {
		return badInput(err)
	}
	if in, err := relAbs(m.Out, m.Checkpoints); err == nil && !strings.HasPrefix(in, "..") {
		return badInput(fmt.Errorf("--checkpoints: %s is inside --out %s, which the outputs replace as a whole: choose another --out", m.Checkpoints, m.Out))
	}
	started := time.Now()
	run, err := measure.Scan(cfg)
	if err != nil {
		if errors.Is(err, measure.ErrBadInput) {
			return badInput(err)
		}
		return err
	}
	set, err := outdir.Create(m.Out) // the outputs appear together at the end (issue 12 class 6)
	if err != nil {
		return err
	}
	defer set.Discard()
	rep := progress.New(g.Stderr, g.Log, g.Interactive, "measure", int64(len(run.Checkpoints)-1), 5*time.Second)
	opt := measure.Options{Progress: func(done, _ int) { rep.Update(int64(done)) }}
	var res *measure.Result
	var runErr error
	failed := func() bool { return runErr != nil && (res == nil || interruptedBy(g.Ctx) == nil) }
	if m.PerNeuron {
		err = set.WriteFile(measure.NeuronsFile, func(w io.Writer) error {
			write, flush := measure.NeuronWriter(w)
			// A pair's rows are written once the pair is complete, so that
			// an interrupted run's neurons.csv holds the pairs done only.
			var pending []measure.NeuronRow
			var werr error
			opt.Neuron = func(r measure.NeuronRow) error { pending = append(pending, r); return werr }
			opt.Progress = func(done, _ int) {
				for _, r := range pending {
					if werr == nil {
						werr = write(r)
					}
				}
				pending = pending[:0]
				rep.Update(int64(done))
			}
			res, runErr = run.Measure(g.Ctx, opt)
			if werr != nil {
				return werr
			}
			if failed() {
				return nil // reported below, not as a write error
			}
			return flush()
		})
		if err != nil {
			return err
		}
	} else {
		res, runErr = run.Measure(g.Ctx, opt)
	}
	if failed() {
		if errors.Is(runErr, measure.ErrBadInput) {
			return badInput(runErr)
		}
		return runErr
	}
	if runErr == nil { // else interrupted: the pairs done are written
		rep.Done()
	}
	wall := time.Since(started).Seconds()
	meta := measure.Meta{Version: smd.Version(), Args: os.Args[1:], Started: started.UTC(), Wall: wall}
	if err := measure.WriteOutputs(set.Dir(), res, meta); err != nil {
		return err
	}
	if err := set.Commit(); err != nil {
		return err
	}
	if runErr != nil {
		g.Log.Warn("measure interrupted: the pairs done written", "out", m.Out, "reason", res.Partial)
		return runErr
	}
	for _, n := range res.Notes {
		g.Log.Info("note", "msg", n)
	}
	nSI, nEq := 0, 0
	for _, t := range res.Tensors {
		if t.SI {
			nSI++
			if t.Equilibrium == "true" {
				nEq++
			}
		}
	}
	g.Log.Info("measure done", "out", m.Out, "checkpoints", len(run.Checkpoints), "tensors", len(res.Tensors),
		"scale_invariant", nSI, "at_equilibrium", nEq, "bytes_read", res.BytesRead,
		"gb_per_s", fmt.Sprintf("%.2f", float64(res.BytesRead)/1e9/wall))
	return nil
}

// relAbs is filepath.Rel of the absolute forms of base and target.
func relAbs(base, target string) (string, error) {
	a, err := filepath.Abs(base)
	if err != nil {
		return "", err
	}
	b, err := filepath.Abs(target)
	if err != nil {
		return "", err
	}
	return filepath.Rel(a, b)
}
