package sim

import (
	"errors"
	"fmt"
	"math"

	"github.com/smdlab/smd/nrq"
)

// Event changes the optimiser at the start of step Step, before that
// step's record and update.
type Event struct {
	Step int
	// LRDivide divides η by this factor (0 or 1: no change).
	LRDivide float64
	// Rescale divides X by LRDivide^{1/4}: the paper's "rescale" strategy
	// (section 3.2), which keeps the angular update at its equilibrium value
	// across a learning-rate decay.
	Rescale bool
	// SetLambda, when true, sets the weight decay to Lambda.
	SetLambda bool
	Lambda    float64
}

// Init is the initialisation of X₀: Gaussian N(0, Std²·I) when Norm is 0
// (the paper's σ̃), else ‖X₀‖ = Norm with alignment f₀ = F0 and the rest of
// the direction uniformly random.
type Init struct {
	Std  float64
	Norm float64
	F0   float64
}

// Config is one ensemble run of the discrete dynamics.
type Config struct {
	Model *nrq.Model
	// Eta (η), Lambda (λ): learning rate and weight decay of eq 3.
	Eta, Lambda float64
	// Momentum μ of heavy-ball SGD (0: plain SGD, as in the paper):
	// b ← μb + g + λX, X ← X − ηb.
	Momentum    float64
	Init        Init
	Steps       int
	Trials      int
	RecordEvery int
	Seed        uint64
	// Xi is ξ of Theorem 1: the tail probability recorded is P(f < ξ).
	Xi       float64
	Schedule []Event
	// Workers is the number of goroutines (≤ 0: GOMAXPROCS). It never
	// changes the output.
	Workers int
	// Progress, if set, is called after each recorded block with the number
	// of trial-steps done and the total.
	Progress func(done, total int64)
	// OnRecord, if set, receives each recorded row as soon as it is
	// aggregated (in step order, on the driver's goroutine), so that a
	// caller can show a run while it runs. It never changes the output.
	OnRecord func(Row)
}

// ErrConfig is returned (wrapped) for an invalid Config.
var ErrConfig = errors.New("invalid simulation config")

// Validate checks c. Fields are named as in the YAML config.
func (c *Config) Validate() error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrConfig, field, fmt.Sprintf(format, a...))
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if c.Model == nil {
		return bad("model", "missing")
	}
	if !finite(c.Eta) || c.Eta <= 0 {
		return bad("eta", "must be a finite number > 0, got %v", c.Eta)
	}
	if !finite(c.Lambda) || c.Lambda < 0 {
		return bad("lambda", "must be a finite number ≥ 0, got %v", c.Lambda)
	}
	if !finite(c.Momentum) || c.Momentum < 0 || c.Momentum >= 1 {
		return bad("momentum", "must be in [0, 1), got %v", c.Momentum)
	}
	if c.Init.Norm == 0 {
		if !finite(c.Init.Std) || c.Init.Std <= 0 {
			return bad("init.std", "must be a finite number > 0, got %v", c.Init.Std)
		}
	} else {
		if !finite(c.Init.Norm) || c.Init.Norm <= 0 {
			return bad("init.norm", "must be a finite number > 0, got %v", c.Init.Norm)
		}
		if !(c.Init.F0 >= 0 && c.Init.F0 <= 1) {
			return bad("init.f0", "must be in [0, 1], got %v", c.Init.F0)
		}
	}
	if c.Steps < 1 {
		return bad("steps", "must be ≥ 1, got %d", c.Steps)
	}
	if c.Trials < 1 {
		return bad("trials", "must be ≥ 1, got %d", c.Trials)
	}
	if c.RecordEvery < 1 {
		return bad("record_every", "must be ≥ 1, got %d", c.RecordEvery)
	}
	if !(c.Xi > 0 && c.Xi < 1) {
		return bad("tail_xi", "must be in (0, 1), got %v", c.Xi)
	}
	eta, lambda := c.Eta, c.Lambda
	if lambda*eta >= 1 {
		return bad("lambda", "λη = %v must be < 1 (weight decay would flip or zero X)", lambda*eta)
	}
	prev := -1
	for i, e := range c.Schedule {
		f := fmt.Sprintf("schedule[%d]", i)
		if e.Step < 0 {
			return bad(f+".step", "must be ≥ 0, got %d", e.Step)
		}
		if e.Step <= prev {
			return bad(f+".step", "steps must increase strictly, got %d after %d", e.Step, prev)
		}
		prev = e.Step
		if !finite(e.LRDivide) || e.LRDivide < 0 {
			return bad(f+".lr_divide", "must be a finite number > 0, got %v", e.LRDivide)
		}
		if e.Rescale && (e.LRDivide == 0 || e.LRDivide == 1) {
			return bad(f+".rescale", "needs lr_divide ≠ 1 (X is divided by lr_divide^(1/4))")
		}
		if e.LRDivide > 0 {
			eta /= e.LRDivide
		}
		if e.SetLambda {
			if !finite(e.Lambda) || e.Lambda < 0 {
				return bad(f+".lambda", "must be a finite number ≥ 0, got %v", e.Lambda)
			}
			lambda = e.Lambda
		}
		if lambda*eta >= 1 {
			return bad(f, "λη = %v after this event must be < 1", lambda*eta)
		}
	}
	return nil
}

// RecordSteps returns the recorded steps 0, k, 2k, … ≤ Steps.
func (c *Config) RecordSteps() []int {
	var s []int
	for n := 0; n <= c.Steps; n += c.RecordEvery {
		s = append(s, n)
	}
	return s
}
