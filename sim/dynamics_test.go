package sim

import (
	"math"
	"testing"

	"github.com/smdlab/smd/nrq"
)

// Li & Arora 2020 (Theorem 2.4's form for plain SGD; docs/derivations.md
// §12): for a scale-invariant loss, SGD with (η, λ) from X₀ and λ = 0 SGD
// with η̃_n = η(1 − ηλ)^{−2n−1} (config: eta η/(1 − ηλ), lr_exp (1 − ηλ)⁻²
// from step 0) from the same X₀ and the same random stream give
// X̃_n = X_n/(1 − ηλ)ⁿ: the directions agree to rounding (risk, angular
// update), the norms by the factor (1 − ηλ)ⁿ. Checked on Full (a spread
// spectrum) and Reduced; a wrong exponent (−2n instead of −2n − 1) must fail.
func TestLiAroraEquivalence(t *testing.T) {
	a := make([]float64, 12)
	for i := range a {
		a[i] = 1 + float64(i)/4
	}
	m := mustDiag(t, nrq.NRQ, a, 0.7)
	const eta, lambda = 0.2, 0.05 // ηλ = 0.01: (1 − ηλ)^{−2n} = e^{40} at n = 2000
	base := func() *Config {
		return &Config{Model: m, Eta: eta, Lambda: lambda, Init: Init{Std: 1}, Steps: 2000, Trials: 5,
			RecordEvery: 100, Seed: 9, Xi: 0.5}
	}
	d := 1 - eta*lambda
	for _, eng := range []Engine{Full{}, Reduced{}} {
		for _, off := range []float64{0, 1} { // off = 1: the wrong schedule η(1 − ηλ)^{−2n}
			ref, err := eng.Run(t.Context(), base())
			if err != nil {
				t.Fatal(err)
			}
			c := base()
			c.Eta, c.Lambda = eta/math.Pow(d, 1-off), 0
			c.Schedule = []Event{{Step: 0, LRExp: 1 / (d * d)}}
			exp, err := eng.Run(t.Context(), c)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for i, r := range ref.Rows {
				e := exp.Rows[i]
				worst = math.Max(worst, math.Abs(e.Risk-r.Risk))
				worst = math.Max(worst, math.Abs(e.AU-r.AU)/r.AU)
				worst = math.Max(worst, math.Abs(e.Norm*math.Pow(d, float64(r.Step))-r.Norm)/r.Norm)
			}
			// Rounding: η̃_n is a product of n factors, relative error ≤ n·2⁻⁵³ ≈ 2e-13.
			if ok := worst < 1e-10; ok != (off == 0) {
				t.Errorf("%T, exponent −2n−%v: worst relative deviation %.3g", eng, 1-off, worst)
			}
		}
	}
}

// The norm identities, trajectory by trajectory, on one trial of the full
// engine replayed step by step. Plain SGD (Kunin et al. 2021, "Neural
// mechanics", the scale-invariance conservation law with weight decay):
//
//	‖X_n‖² = (1 − ηλ)^{2n}‖X₀‖² + η² Σ_{k<n} (1 − ηλ)^{2(n−1−k)} ‖g_k‖²,
//
// and heavy-ball momentum (b ← μb + g + λX, X ← X − ηb), whose exact
// discrete form is the damped oscillator (docs/derivations.md §12)
//
//	N_{n+1} − N_n = μ(N_n − N_{n−1}) − 2ηλN_n + ‖v_n‖² + μ‖v_{n−1}‖²,  v_n = X_{n+1} − X_n.
//
// Both need only g ⟂ X; checked to 1e-12 relative at every step.
func TestKuninNormIdentity(t *testing.T) {
	m := mustDiag(t, nrq.NRQ, []float64{0.5, 1, 1, 2, 3, 5}, 0.8)
	for _, mu := range []float64{0, 0.9} {
		c := &Config{Model: m, Eta: 0.3, Lambda: 0.02, Momentum: mu, Init: Init{Std: 2}, Steps: 3000, Trials: 1, RecordEvery: 1, Seed: 4, Xi: 0.5}
		xs := replay(t, c)
		n2 := func(n int) float64 { return dot(xs[n], xs[n]) }
		d := 1 - c.Eta*c.Lambda
		worst := 0.0
		if mu == 0 {
			g := make([]float64, m.Dim())
			rhs := n2(0)
			for n := 1; n < len(xs); n++ {
				// ηg_{n−1} = (1 − ηλ)X_{n−1} − X_n (eq 3), so ‖g‖ comes from the path.
				for i := range g {
					g[i] = d*xs[n-1][i] - xs[n][i]
				}
				rhs = d*d*rhs + dot(g, g)
				worst = math.Max(worst, math.Abs(rhs-n2(n))/n2(n))
			}
		} else {
			v2 := func(n int) float64 {
				s := 0.0
				for i := range xs[n] {
					s += (xs[n+1][i] - xs[n][i]) * (xs[n+1][i] - xs[n][i])
				}
				return s
			}
			// Step 0: b₀ = 0, so N₁ − N₀ = −2ηλN₀ + ‖v₀‖² (v₋₁ = 0).
			worst = math.Abs(n2(1)-n2(0)-(-2*c.Eta*c.Lambda*n2(0)+v2(0))) / n2(1)
			for n := 1; n+1 < len(xs); n++ {
				lhs := n2(n+1) - n2(n)
				rhs := mu*(n2(n)-n2(n-1)) - 2*c.Eta*c.Lambda*n2(n) + v2(n) + mu*v2(n-1)
				worst = math.Max(worst, math.Abs(lhs-rhs)/n2(n+1))
			}
		}
		if worst > 1e-12 {
			t.Errorf("μ = %v: identity off by %.3g (relative)", mu, worst)
		}
		// The identity is not empty: without the weight-decay term it fails.
		if mu == 0 && math.Abs(n2(len(xs)-1)/n2(0)-1) < 0.01 {
			t.Errorf("μ = 0: the norm barely moved; the test would not see a wrong decay")
		}
	}
}

// replay runs trial 0 of c through the full engine's stepper one step at a
// time and returns X_0 … X_Steps.
func replay(t *testing.T, c *Config) [][]float64 {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	p := c.Model.Dim()
	var tr trial
	tr.x = make([]float64, p)
	if c.stateVectors() >= 1 {
		tr.b = make([]float64, p)
	}
	if c.stateVectors() >= 2 {
		tr.v = make([]float64, p)
	}
	tr.rnd.Seed(c.Seed, 0)
	sc := newScratch(p)
	initTrial(c.Model, c.Init, &tr, sc)
	tr.sched = c.Cursor()
	tr.eta, tr.lambda = c.Eta, c.Lambda
	eng := stepper{m: c.Model, mu: c.Momentum, xi: c.Xi, opt: c.optName(), b1: c.Beta1, b2: c.Beta2, eps: c.Eps}
	eng.prepare()
	xs := [][]float64{append([]float64(nil), tr.x...)}
	for n := 0; n < c.Steps; n++ {
		eng.advance(&tr, sc, 0, n, n+1, nil)
		if tr.dead != nil {
			t.Fatal(tr.dead)
		}
		xs = append(xs, append([]float64(nil), tr.x...))
	}
	return xs
}

// lr_exp in the Cursor: advancing every step, striding to NextChange and
// one jump (ParamsAt) give the same η bit for bit, events at later steps
// (a decay, a stop) compose with the factor, and η_n = η_s γ^{n−s}.
func TestCursorLRExp(t *testing.T) {
	evs := []Event{{Step: 3, LRExp: 1.5}, {Step: 10, LRDivide: 4}, {Step: 20, LRExp: 1}, {Step: 30, SetLambda: true, Lambda: 0.2}}
	c := &Config{Eta: 0.01, Lambda: 0.1, Schedule: evs}
	every := NewCursor(c.Eta, c.Lambda, evs)
	stride := NewCursor(c.Eta, c.Lambda, evs)
	next := 0
	for n := 0; n <= 40; n++ {
		every.Advance(n)
		if n == next || n == 0 {
			stride.Advance(n)
			next = stride.NextChange()
		}
		eta, lambda := c.ParamsAt(n)
		if every.Eta != eta || every.Lambda != lambda {
			t.Fatalf("n = %d: every-step (%v, %v), ParamsAt (%v, %v)", n, every.Eta, every.Lambda, eta, lambda)
		}
		if n == next-1 || n == 40 { // the striding cursor is exact at the steps it visits
			stride.Advance(n)
			if stride.Eta != eta {
				t.Fatalf("n = %d: striding η %v, want %v", n, stride.Eta, eta)
			}
		}
		// Closed form: ×1.5 from step 4 to 20, ÷4 at 10, then constant.
		k := min(max(n-3, 0), 17)
		want := 0.01 * math.Pow(1.5, float64(k))
		if n >= 10 {
			want /= 4
		}
		if math.Abs(eta-want) > 1e-13*want {
			t.Fatalf("n = %d: η = %v, want %v", n, eta, want)
		}
	}
}
