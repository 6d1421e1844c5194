package sde

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/smdlab/smd/internal/ensemble"
	"github.com/smdlab/smd/internal/rng"
	"github.com/smdlab/smd/sim"
)

// Reduced integrates the two-variable SDE system of eqs 16–17 for a
// two-valued spectrum (a_l with multiplicity m₁, the target, and a_h with
// m₂ = p − m₁), with the constants corrected (docs/engines.md §3), in the
// angle θ to the target eigenspace, f = cos²θ:
//
//	dθ = [−η(a_h − a_l) sin θ cos θ / M + η²σ²((m₂ − 1) cot θ − (m₁ − 1) tan θ)/(2M²)] dt + (ησ/M) dW,
//	dM = (−2ληM + η²(p − 1)σ²/M) dt,  M = ‖X‖²,
//
// M by its closed form (eq 17), θ by Euler–Maruyama with Substeps steps
// per SGD step. In θ the diffusion ησ/M is constant, so Euler–Maruyama has
// strong order 1, and nothing is clipped: the ends are reflected (θ ↦ −θ,
// θ ↦ π − θ), which is the symmetry X₂ ↦ −X₂ (X₁ ↦ −X₁) of the model —
// the drift repels θ from an end whose block has dimension ≥ 2, and for a
// one-dimensional block the end is a reflecting boundary of the exact
// process. Trials are independent, seeded by (seed, trial); output does not
// depend on the worker count.
type Reduced struct {
	Substeps int // Euler–Maruyama steps per SGD step (0: 4)
}

var _ sim.Engine = Reduced{}

// Run simulates c.Trials independent trials of the (θ, M) system.
func (e Reduced) Run(ctx context.Context, c *sim.Config) (*sim.Result, error) {
	c = c.WithDefaults()
	m, err := twoLevelOf(c, "sde-reduced")
	if err != nil {
		return nil, err
	}
	sub := e.Substeps
	if sub <= 0 {
		sub = 4
	}
	start := time.Now()
	type trial struct {
		th, s float64
		rnd   rng.Rand
		sch   *schedule
		idx   int
		dead  error
		ns    normStepper
	}
	trials := make([]trial, c.Trials)
	for i := range trials {
		t := &trials[i]
		t.rnd.Seed(c.Seed, uint64(i))
		t.sch, t.idx = newSchedule(c), i
		if c.Init.Norm > 0 {
			t.th = math.Acos(math.Sqrt(c.Init.F0))
			t.s = c.Init.Norm * c.Init.Norm
		} else { // uniform direction and χ²_p norm, jointly: u_j² = σ̃²χ²_{m_j}
			u1 := c.Init.Std * math.Sqrt(t.rnd.ChiSquare(float64(m.m1)))
			u2 := c.Init.Std * math.Sqrt(t.rnd.ChiSquare(float64(m.m2)))
			t.th = math.Atan2(u2, u1)
			t.s = u1*u1 + u2*u2
		}
	}
	tr := m.tr()
	da := m.ah - m.al
	c2 := float64(m.m2-1) / 2
	c1 := float64(m.m1-1) / 2
	dt := 1 / float64(sub)
	sq := math.Sqrt(dt)
	// advance applies the events of steps n0 … n1−1, records at n0 and
	// integrates to n1; with n1 = n0 it applies n0's events and records.
	advance := func(t *trial, n0, n1 int, out *ensemble.Sample) {
		for n := n0; n < max(n1, n0+1); n++ {
			if ensemble.Interrupted(ctx, n-n0) {
				return
			}
			if sc := t.sch.at(n); sc != 1 {
				t.s *= sc * sc
			}
			eta, lambda := t.sch.Eta, t.sch.Lambda
			if !(t.s > 0 && t.s <= math.MaxFloat64) {
				t.dead = &sim.DivergenceError{Step: n, Trial: t.idx, Reason: normSqReason(t.s)}
				return
			}
			if n == n0 {
				f := math.Cos(t.th)
				f *= f
				out.Set(f, (m.al*f+m.ah*(1-f))/2, eta*math.Sqrt(tr)/t.s, math.Sqrt(t.s), t.s, c.Xi)
			}
			if n1 == n0 {
				return
			}
			t.ns.set(eta, lambda, tr, dt)
			for range sub {
				s := t.ns.half(t.s)
				d := eta * m.sigma / s
				sn, cs := math.Sincos(t.th)
				var th float64
				switch {
				case d == 0: // σ = 0: the ODE
					th = t.th - eta*da*sn*cs/s*dt
				case sn == 0 && c2 > 0: // at θ = 0 the exact θ is ≈ D·|W| in m₂ dimensions
					th = d * sq * math.Sqrt(t.rnd.ChiSquare(float64(m.m2)))
				case cs == 0 && c1 > 0:
					th = math.Pi/2 - d*sq*math.Sqrt(t.rnd.ChiSquare(float64(m.m1)))
				default:
					drift := -eta*da*sn*cs/s + d*d*(c2*cs/sn-c1*sn/cs)
					th = t.th + drift*dt + d*sq*t.rnd.Norm()
				}
				// Reflect at the ends: the group of θ ↦ −θ, θ ↦ π − θ has
				// period π. Inside (0, π/2] the reflection is the identity
				// (math.Mod, slow, is skipped; the bits are the same).
				if !(th > 0 && th <= math.Pi/2) {
					th = math.Mod(math.Abs(th), math.Pi)
					if th > math.Pi/2 {
						th = math.Pi - th
					}
				}
				if math.IsNaN(th) {
					t.dead = &sim.DivergenceError{Step: n, Trial: t.idx, Reason: "θ became NaN"}
					return
				}
				t.th = th
				t.s = t.ns.full(t.s)
			}
		}
	}
	return lockstep(ctx, c, start, sub, 0,
		func() func(i, n0, n1 int, out *ensemble.Sample) {
			return func(i, n0, n1 int, out *ensemble.Sample) { advance(&trials[i], n0, n1, out) }
		},
		func(i int) error { return trials[i].dead })
}

// normSqReason says how M = ‖X‖² left (0, MaxFloat64].
func normSqReason(s float64) string {
	switch {
	case math.IsNaN(s):
		return "‖X‖² became NaN"
	case s > 0:
		return "‖X‖² overflowed to +Inf"
	default:
		return fmt.Sprintf("‖X‖² = %g underflowed to 0", s)
	}
}
