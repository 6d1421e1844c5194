package sim

import (
	"math"

	"github.com/smdlab/smd/internal/pmath"
)

// Cursor walks a schedule step by step: the (η, λ) in force for each
// step's update and the factor that multiplies X at the start of the step
// (a rescale). It is the one interpreter of []Event: sim.Full, sim.Reduced,
// the sde engines, Config.ParamsAt and the recorded η, λ columns all read
// the schedule through a Cursor.
//
//	cur := c.Cursor()
//	for n := 0; n < c.Steps; n++ {
//		if scale, changed := cur.Advance(n); changed {
//			// η, λ are cur.Eta, cur.Lambda; multiply X by scale (1: none)
//		}
//		… step n with cur.Eta, cur.Lambda …
//	}
//
// Advance must be called for every step at which something may change:
// engines that stride over many steps at once (fokker-planck) stride at
// most to NextChange.
//
// A per-step schedule fits the same shape: an event that starts a factor γ
// (e.g. an `lr_exp` key: η multiplied by γ every step) sets the cursor's
// per-step factor; Advance then multiplies Eta by γ at every later step and
// reports changed, and NextChange returns n + 1 while γ ≠ 1, so striding
// engines stay exact and the hot loops, which already re-read Eta on
// changed, need no edit.
type Cursor struct {
	// Eta, Lambda are η and λ in force for the current step's update.
	Eta, Lambda float64
	events      []Event
	next        int // index of the next event not yet applied
}

// NewCursor returns a cursor at the start (before step 0's events) of the
// schedule that starts at (eta, lambda) and applies events, which must be
// in increasing Step order (Config.Validate checks it).
func NewCursor(eta, lambda float64, events []Event) Cursor {
	return Cursor{Eta: eta, Lambda: lambda, events: events}
}

// Cursor returns a cursor over c's schedule.
func (c *Config) Cursor() Cursor { return NewCursor(c.Eta, c.Lambda, c.Schedule) }

// Advance applies the events of every step ≤ n not yet applied and returns
// the factor by which X is multiplied before step n's update (1: none) and
// whether η, λ or X changed. Calling it again for the same n is a no-op.
func (c *Cursor) Advance(n int) (scale float64, changed bool) {
	if c.next >= len(c.events) || c.events[c.next].Step > n {
		return 1, false
	}
	return c.apply(n), true
}

func (c *Cursor) apply(n int) float64 {
	scale := 1.0
	for c.next < len(c.events) && c.events[c.next].Step <= n {
		ev := c.events[c.next]
		c.next++
		if ev.LRDivide > 0 {
			c.Eta /= ev.LRDivide
			if ev.Rescale {
				scale *= pmath.Pow(ev.LRDivide, -0.25)
			}
		}
		if ev.SetLambda {
			c.Lambda = ev.Lambda
		}
	}
	return scale
}

// NextChange returns the first step after the last Advance at which η, λ
// or X may change (math.MaxInt: never).
func (c *Cursor) NextChange() int {
	if c.next >= len(c.events) {
		return math.MaxInt
	}
	return c.events[c.next].Step
}

// ParamsAt returns the η and λ in force at step n (after the events at n).
func (c *Config) ParamsAt(n int) (eta, lambda float64) {
	cur := c.Cursor()
	cur.Advance(n)
	return cur.Eta, cur.Lambda
}
