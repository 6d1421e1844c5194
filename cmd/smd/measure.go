package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/cmd/smd/internal/progress"
	"github.com/smdlab/smd/experiment"
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
func (m *MeasureCmd) Run(g *Globals) (err error) {
	cfg := measure.Config{Dir: m.Checkpoints, LR: m.LR, WeightDecay: m.WeightDecay, Momentum: m.Momentum,
		Beta1: m.Beta1, Beta2: m.Beta2, Optimizer: m.Optimizer, SITol: m.SITol, PerNeuron: m.PerNeuron, ChannelAxis: m.ChannelAxis}
	if m.SI != "" {
		re, err := regexp.Compile(m.SI)
		if err != nil {
			return badInput(fmt.Errorf("--si: %w", err))
		}
		cfg.SI = re
	}
	if st, err := os.Stat(m.Out); err == nil && !st.IsDir() {
		return badInput(fmt.Errorf("--out: %s exists and is not a directory", m.Out))
	}
	started := time.Now()
	run, err := measure.Scan(cfg)
	if err != nil {
		if errors.Is(err, measure.ErrBadInput) {
			return badInput(err)
		}
		return err
	}
	_, statErr := os.Stat(m.Out)
	if err := os.MkdirAll(m.Out, 0o755); err != nil {
		return err
	}
	if statErr != nil { // created here: leave nothing behind on failure
		defer func() {
			if err != nil {
				os.Remove(m.Out) // only if still empty
			}
		}()
	}
	rep := progress.New(g.Stderr, g.Log, g.Interactive, "measure", int64(len(run.Checkpoints)-1), 5*time.Second)
	opt := measure.Options{Progress: func(done, _ int) { rep.Update(int64(done)) }}
	var res *measure.Result
	do := func() error {
		var err error
		res, err = run.Measure(g.Ctx, opt)
		return err
	}
	if m.PerNeuron {
		err = experiment.WriteAtomic(filepath.Join(m.Out, measure.NeuronsFile), func(w io.Writer) error {
			write, flush := measure.NeuronWriter(w)
			opt.Neuron = write
			if err := do(); err != nil {
				return err
			}
			return flush()
		})
	} else {
		err = do()
	}
	if err != nil {
		if errors.Is(err, measure.ErrBadInput) {
			return badInput(err)
		}
		return err
	}
	rep.Done()
	wall := time.Since(started).Seconds()
	meta := measure.Meta{Version: smd.Version(), Args: os.Args[1:], Started: started.UTC(), Wall: wall}
	if err := measure.WriteOutputs(m.Out, res, meta); err != nil {
		return err
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
