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
	// exp is the per-step factor of η set by the last LRExp event (0 or
	// 1: none); at is the last step advanced to past the fast path (−1
	// before the first).
	exp float64
	at  int
	// quiet is a step before which nothing changes (NextChange after the
	// last full Advance; 0 before the first), so that Advance is one
	// inlined compare on the steps in between. at may lag behind them: with
	// no per-step factor in force (which makes quiet = at + 1), a full
	// Advance skips to the next event anyway.
	quiet int
}

// NewCursor returns a cursor at the start (before step 0's events) of the
// schedule that starts at (eta, lambda) and applies events, which must be
// in increasing Step order (Config.Validate checks it).
func NewCursor(eta, lambda float64, events []Event) Cursor {
	return Cursor{Eta: eta, Lambda: lambda, events: events, at: -1}
}

// Cursor returns a cursor over c's schedule.
func (c *Config) Cursor() Cursor { return NewCursor(c.Eta, c.Lambda, c.Schedule) }

// Advance applies the events of every step ≤ n not yet applied and returns
// the factor by which X is multiplied before step n's update (1: none) and
// whether η, λ or X changed. Calling it again for the same n is a no-op.
//
// With a per-step factor γ in force (an LRExp event at step s), η at step
// n > s is γ times η at step n − 1: η_n = η_s γ^{n−s}, one multiplication
// per step, so a striding caller gets the same η as one that advances
// every step.
func (c *Cursor) Advance(n int) (scale float64, changed bool) {
	if n < c.quiet { // the hot loops' case, inlined
		return 1, false
	}
	return c.advance(n)
}

func (c *Cursor) advance(n int) (scale float64, changed bool) {
	scale = 1.0
	m := c.at + 1
	for m <= n {
		if c.exp != 0 && c.exp != 1 { // per-step factor: every step changes η
			c.Eta *= c.exp
			changed = true
			if c.next < len(c.events) && c.events[c.next].Step == m {
				scale *= c.apply(m)
			}
			m++
			continue
		}
		if c.next >= len(c.events) || c.events[c.next].Step > n {
			break
		}
		m = max(m, c.events[c.next].Step) // nothing changes before the next event
		scale *= c.apply(m)
		changed = true
		m++
	}
	c.at = max(c.at, n)
	c.quiet = c.NextChange()
	return scale, changed
}

// apply applies the events of steps ≤ n not yet applied.
func (c *Cursor) apply(n int) float64 {
	scale := 1.0
	for c.next < len(c.events) && c.events[c.next].Step <= n {
		ev := c.events[c.next]
		c.next++
		if ev.LRExp > 0 {
			c.exp = ev.LRExp
		}
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
	if c.exp != 0 && c.exp != 1 {
		return c.at + 1
	}
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
