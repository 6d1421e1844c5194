package experiment

import (
	"context"
	"fmt"

	"github.com/smdlab/smd/sim"
)

// Fig2Run is one simulated curve of Figure 2 with its theory overlay.
type Fig2Run struct {
	// Curve is the preset's curve; Curve.Config is the resolved config that
	// ran (trials and seed offset applied).
	Curve   Fig2Curve
	Rows    []sim.Row
	Overlay *Overlay
	// Grad2 is Theorem 2's stationary E‖PAX̃‖² at the final (η, λ).
	Grad2 float64
	// Lo, Hi are Theorem 1's bounds on the risk (Config.Theorem1).
	Lo, Hi  []float64
	WallSec float64
}

// Fig2Options sets how RunFig2 runs a group.
type Fig2Options struct {
	Trials  int    // trials per curve (the paper averages 100)
	Workers int    // worker goroutines (0: all cores); never changes the output
	Seed    uint64 // added to every preset's seed
	// Progress, if set, is called with the number of (trial, step) units
	// done so far in this group (total: Fig2Work).
	Progress func(done int64)
}

// Fig2Work returns the number of progress units of running groups at the
// given number of trials: (steps + 1)·trials per curve.
func Fig2Work(groups []Fig2Group, trials int) int64 {
	var total int64
	for _, gr := range groups {
		for _, c := range gr.Curves {
			total += int64(c.Config.Steps+1) * int64(trials)
		}
	}
	return total
}

// RunFig2 simulates every curve of a Figure 2 group and computes its theory
// overlay (Theorem 2's limits, Lemma 1's AU on the eq 17 path, Theorem 1's
// bounds).
func RunFig2(ctx context.Context, gr Fig2Group, opt Fig2Options) ([]Fig2Run, error) {
	var runs []Fig2Run
	var offset int64
	for _, cv := range gr.Curves {
		c := *cv.Config
		c.Trials = opt.Trials
		c.Seed += opt.Seed
		cv.Config = &c
		base := offset
		res, info, err := Run(ctx, &c, Options{Workers: opt.Workers, Progress: func(done, _ int64) {
			if opt.Progress != nil {
				opt.Progress(base + done)
			}
		}})
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", gr.Name, cv.Label, err)
		}
		offset += int64(c.Steps+1) * int64(opt.Trials)
		steps := make([]int, len(res.Rows))
		for i, r := range res.Rows {
			steps[i] = r.Step
		}
		ov, err := c.Theory(steps)
		if err != nil {
			return nil, fmt.Errorf("%s %s: theory: %w", gr.Name, cv.Label, err)
		}
		tp, err := c.TheoryParams(c.Steps)
		if err != nil {
			return nil, err
		}
		g2, err := tp.StationaryGrad2()
		if err != nil {
			return nil, err
		}
		lo, hi, err := c.Theorem1(ov, res.Rows)
		if err != nil {
			return nil, fmt.Errorf("%s %s: Theorem 1: %w", gr.Name, cv.Label, err)
		}
		runs = append(runs, Fig2Run{Curve: cv, Rows: res.Rows, Overlay: ov, Grad2: g2, Lo: lo, Hi: hi, WallSec: info.WallSec})
	}
	return runs, nil
}
