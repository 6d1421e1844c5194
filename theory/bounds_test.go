package theory

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRiskBoundsConstantAU: along a constant AU Δ = √(2λη) the integrated
// bounds of Theorem 1 equal Corollary 1's closed forms (the exponential
// integrator is exact for constant coefficients).
func TestRiskBoundsConstantAU(t *testing.T) {
	p := params()
	const xi, eps, r0 = 0.6, 0.01, 0.9
	n := 201
	ts, au, es := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range ts {
		ts[i] = float64(i) * 5
		au[i] = p.AULimit()
		es[i] = eps
	}
	lo, hi, err := p.RiskBounds(r0, xi, ts, au, es)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range ts {
		l, h := p.EquilibriumRiskBounds(tt, r0, xi, eps)
		if math.Abs(lo[i]-l) > 1e-13 || math.Abs(hi[i]-h) > 1e-13 {
			t.Errorf("t=%g: integrated [%.15g, %.15g], closed form [%.15g, %.15g]", tt, lo[i], hi[i], l, h)
		}
	}
	rl, ru := p.LimitingRiskBounds(xi)
	if math.Abs(lo[n-1]-rl) > 1e-6 || hi[n-1] > ru+eps {
		t.Errorf("t→∞: bounds [%g, %g], limits r̲* = %g, r̄* + ε = %g", lo[n-1], hi[n-1], rl, ru+eps)
	}
}

// TestRiskBoundsSecondOrder: on a varying AU path (a decay without
// rescale) halving the sampling step cuts the error by ~4.
func TestRiskBoundsSecondOrder(t *testing.T) {
	p := params()
	s, _ := NewSchedule(p.Eta, p.Lambda, Decay{Step: 0, Divide: 1}) // constant schedule
	path, _ := p.Path(s, 5*p.NormLimit())
	run := func(h float64) float64 {
		n := int(80/h) + 1
		ts, au, es := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range ts {
			ts[i] = float64(i) * h
			au[i] = path.AU(ts[i])
		}
		lo, _, _ := p.RiskBounds(0.5, 0.5, ts, au, es)
		return lo[n-1]
	}
	ref := run(0.01)
	e1, e2 := math.Abs(run(4)-ref), math.Abs(run(2)-ref)
	if r := e1 / e2; r < 3 || r > 5 {
		t.Errorf("error ratio %g on halving the step, want ≈ 4 (errors %g, %g)", r, e1, e2)
	}
}

// TestCorollary1BracketsExactRisk: Corollary 1 must bracket the exact
// stationary risk of Theorem 2 (a₂ = a_p = a_h): r̲* ≤ r* ≤ R̄(ε*(ξ)) for
// every ξ, and r̲* is asymptotically tight, r̲*/r* = 1 − (p + 1)/(4κ) +
// O(κ⁻²) (from r* = (p−1)/(4κ)(1 + 1/(4κ)) and r̲* = (p−1)/(4κ)/(1 + p/(4κ))). With the
// printed constants the lower "bound" exceeds r* (erratum E9).
func TestCorollary1BracketsExactRisk(t *testing.T) {
	for _, p := range []Params{
		{P: 5, Eta: 0.02, Lambda: 0.05, Sigma: 1, A: TwoLevel(5, 0.5, 2.5)},
		{P: 50, Eta: 0.1, Lambda: 1e-3, Sigma: 0.3, A: TwoLevel(50, 1, 1.2)},
		{P: 3, Eta: 1, Lambda: 0.1, Sigma: 2, A: TwoLevel(3, 0, 0.5)},
	} {
		r, err := p.StationaryRisk()
		if err != nil {
			t.Fatal(err)
		}
		k, _ := p.Kappa()
		for _, xi := range []float64{0.2, 0.5, 0.9} {
			rl, _ := p.LimitingRiskBounds(xi)
			eps, _ := p.StationaryTail(xi)
			_, hi := p.EquilibriumRiskBounds(math.Inf(1), 1, xi, eps)
			if !(rl <= r*(1+1e-12)) || !(r <= hi*(1+1e-12)) {
				t.Errorf("p=%d ξ=%g: r̲* = %g ≤ r* = %g ≤ R̄ = %g violated", p.P, xi, rl, r, hi)
			}
			if k > 10 {
				c := float64(p.P+1) / (4 * k)
				if ratio := rl / r; math.Abs(ratio-(1-c)) > 2*c*c {
					t.Errorf("p=%d κ=%g: r̲*/r* = %g, want 1 − (p+1)/(4κ) = %g", p.P, k, ratio, 1-c)
				}
				if pl, _ := p.PaperLimitingRiskBounds(xi); !(pl > r) {
					t.Errorf("p=%d: printed r̲* = %g expected above r* = %g", p.P, pl, r)
				}
			}
		}
	}
}

// TestEscapeThreshold: at ‖X₀‖² just above EscapeThreshold the upper
// comparison equation of Theorem 1 starts decreasing from r₀ = r̲*, just
// below it starts increasing (the algebra of Corollary 2).
func TestEscapeThreshold(t *testing.T) {
	p := Params{P: 10, Eta: 0.1, Lambda: 0.01, Sigma: 0.5, A: TwoLevel(10, 1, 2)}
	const xi, eps = 0.5, 1e-4
	m, err := p.EscapeThreshold(xi, eps)
	if err != nil {
		t.Fatal(err)
	}
	rl, _ := p.LimitingRiskBounds(xi)
	s, _ := NewSchedule(p.Eta, p.Lambda)
	for _, c := range []struct {
		scale float64
		down  bool
	}{{1.001, true}, {0.999, false}} {
		path, _ := p.Path(s, math.Sqrt(m*c.scale))
		ts := []float64{0, 1e-3}
		au := []float64{path.AU(0), path.AU(1e-3)}
		_, hi, _ := p.RiskBounds(rl, xi, ts, au, []float64{eps, eps})
		if (hi[1] < rl) != c.down {
			t.Errorf("‖X₀‖² = %g·threshold: R̄ went from %.12g to %.12g", c.scale, rl, hi[1])
		}
		esc, _ := p.Escapes(math.Sqrt(m*c.scale), xi, eps)
		if esc != c.down {
			t.Errorf("Escapes at %g·threshold = %v", c.scale, esc)
		}
	}
	if _, err := p.EscapeThreshold(xi, rl); err == nil {
		t.Error("ε = r̲* accepted")
	}
	t.Logf("threshold ‖X₀‖² > %g (printed condition 3: %g); equilibrium ‖X‖² = %g", m, p.PaperEscapeThreshold(xi, eps), p.NormSqLimit())
}

// TestRiskBoundsMC runs the discrete NRQ (two levels, a_h − a_l = 2) from
// f₀ = 0.05 with ‖X₀‖ five times the equilibrium norm (so Δ_t rises from
// Δ_∞/25 to Δ_∞) and checks Theorem 1 along the whole trajectory: the
// simulated risk (mean over independent trials, SE across trials) must lie
// within [lower − z·SE − b, upper + z·SE + b], with ε(t) the simulated
// tail, b = 0.02·r_t the allowance for the SDE's O(η) weak error (the
// r* MC of TestStationaryRiskMC measures 0.7%). The printed lower bound
// (stray η: contraction rate ×η/2) stays near r₀ and is violated.
func TestRiskBoundsMC(t *testing.T) {
	p := twoLevel()
	a := []float64{0.5, 2.5, 2.5, 2.5, 2.5}
	const trials, steps, xi = 300, 1500, 0.5
	norm0 := 5 * p.NormLimit()
	rng := rand.New(rand.NewPCG(31, 32^seedOffset()))
	eps, g := make([]float64, p.P), make([]float64, p.P)
	r := make([][]float64, steps+1) // r[n][k]: 1 − f of trial k at step n
	tail := make([]float64, steps+1)
	for n := range r {
		r[n] = make([]float64, trials)
	}
	x := make([]float64, p.P)
	for k := range trials {
		normal(rng, x)
		x[0] = 0
		s := math.Sqrt(0.95 / norm2(x))
		for i := range x {
			x[i] *= s
		}
		x[0] = math.Sqrt(0.05)
		for i := range x {
			x[i] *= norm0
		}
		for n := 0; n <= steps; n++ {
			u := 1 - x[0]*x[0]/norm2(x)
			r[n][k] = u
			if 1-u < xi {
				tail[n] += 1.0 / trials
			}
			normal(rng, eps)
			nrqStep(x, a, eps, g, p.Eta, p.Lambda, p.Sigma)
		}
	}
	s, _ := NewSchedule(p.Eta, p.Lambda)
	path, _ := p.Path(s, norm0)
	ts, au := make([]float64, steps+1), make([]float64, steps+1)
	for n := range ts {
		ts[n] = float64(n)
		au[n] = path.AU(ts[n])
	}
	lo, hi, err := p.RiskBounds(0.95, xi, ts, au, tail)
	if err != nil {
		t.Fatal(err)
	}
	plo, phi, _ := p.PaperRiskBounds(0.95, xi, ts, au, tail)
	var paperLowerFails int
	for n := 0; n <= steps; n += 10 {
		m, se := meanSE(r[n])
		b := 0.02 * m
		if m < lo[n]-zBudget*se-b || m > hi[n]+zBudget*se+b {
			t.Errorf("step %d: simulated r = %.5f ± %.5f outside Theorem 1 [%.5f, %.5f]", n, m, se, lo[n], hi[n])
		}
		if m < plo[n]-zBudget*se-b {
			paperLowerFails++
		}
	}
	m, se := meanSE(r[steps])
	if m > plo[steps]-zBudget*se-0.02*m {
		t.Errorf("printed lower bound %.5f not violated by r = %.5f ± %.5f", plo[steps], m, se)
	}
	t.Logf("t=%d: simulated r = %.5f ± %.5f; corrected bounds [%.5f, %.5f]; printed [%.5f, %.5f]; printed lower bound violated at %d of %d checked steps",
		steps, m, se, lo[steps], hi[steps], plo[steps], phi[steps], paperLowerFails, steps/10+1)
}
