package theory

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func params() Params {
	return Params{P: 6, Eta: 0.3, Lambda: 0.02, Sigma: 0.7, A: Spectrum{Values: []float64{0.5, 1.5, 4}, Mult: []int{1, 3, 2}}}
}

// TestNormSqODE: NormSq solves eq 11 with M = ‖X‖²,
// dM/dt = −2ληM + η²(p − 1)σ²/M (Itô on ‖X‖² from eq 9), checked by a
// central difference (error h²·M‴/6 ≈ 1e-9 here) and its limits.
func TestNormSqODE(t *testing.T) {
	p := params()
	for _, m0 := range []float64{0.01, 1, 30} {
		if got := p.NormSq(0, m0); math.Abs(got-m0) > 1e-14*m0 {
			t.Errorf("NormSq(0) = %g, want %g", got, m0)
		}
		for _, tt := range []float64{1, 10, 100, 1000} {
			h := 1e-3
			d := (p.NormSq(tt+h, m0) - p.NormSq(tt-h, m0)) / (2 * h)
			m := p.NormSq(tt, m0)
			want := -2*p.Lambda*p.Eta*m + p.Eta*p.Eta*float64(p.P-1)*p.Sigma*p.Sigma/m
			if math.Abs(d-want) > 1e-7*(1+math.Abs(want)) {
				t.Errorf("m0=%g t=%g: dM/dt = %.10g, eq 11 gives %.10g", m0, tt, d, want)
			}
		}
		if got, want := p.NormSq(1e6, m0), p.NormSqLimit(); math.Abs(got-want) > 1e-12*want {
			t.Errorf("NormSq(∞) = %g, want %g", got, want)
		}
	}
	// AU at the limit is √(2λη) (Lemma 1).
	if got, want := p.AU(p.NormSqLimit()), p.AULimit(); math.Abs(got-want) > 1e-15 {
		t.Errorf("AU(M∞) = %.17g, want √(2λη) = %.17g", got, want)
	}
	// λ = 0: ‖X‖⁴ grows linearly.
	q := p
	q.Lambda = 0
	if got, want := q.NormSq(10, 2), math.Sqrt(4+2*q.Eta*q.Eta*float64(q.P-1)*q.Sigma*q.Sigma*10); math.Abs(got-want) > 1e-14 {
		t.Errorf("λ=0: NormSq = %g, want %g", got, want)
	}
}

// TestPathDecay: a decay by k at equilibrium drops Δ² to 2λη/k² without
// rescale and to the new equilibrium 2λη/k with rescale (§3.2), and the
// rescaled norm stays at the new NormSqLimit.
func TestPathDecay(t *testing.T) {
	p := params()
	const k, t0 = 10.0, 1000.0
	for _, rescale := range []bool{false, true} {
		s, err := NewSchedule(p.Eta, p.Lambda, Decay{Step: t0, Divide: k, Rescale: rescale})
		if err != nil {
			t.Fatal(err)
		}
		path, err := p.Path(s, p.NormLimit())
		if err != nil {
			t.Fatal(err)
		}
		before, after := path.AU(t0-1e-9), path.AU(t0)
		if math.Abs(before-p.AULimit()) > 1e-12 {
			t.Errorf("AU before decay %g, want %g", before, p.AULimit())
		}
		want := p.AULimit() / k
		if rescale {
			want = p.AULimit() / math.Sqrt(k)
		}
		if math.Abs(after-want) > 1e-12 {
			t.Errorf("rescale=%v: AU after decay %.15g, want %.15g", rescale, after, want)
		}
		if got := path.AU(t0 + 1e6); math.Abs(got-p.AULimit()/math.Sqrt(k)) > 1e-12 {
			t.Errorf("rescale=%v: AU long after decay %.15g, want √(2λη/k)", rescale, got)
		}
		pk := p
		pk.Eta /= k
		if rescale {
			if got, want := path.NormSq(t0+500), pk.NormSqLimit(); math.Abs(got-want) > 1e-12*want {
				t.Errorf("rescaled norm² %g left the new equilibrium %g", got, want)
			}
		}
	}
}

// TestDiscreteNormSqPath: the mean-field recursion converges to
// DiscreteNormSqLimit(0), which exceeds the SDE limit by √(2/(2 − λη)).
func TestDiscreteNormSqPath(t *testing.T) {
	p := params()
	s, _ := NewSchedule(p.Eta, p.Lambda)
	path, err := p.DiscreteNormSqPath(s, 0.1, 20000)
	if err != nil {
		t.Fatal(err)
	}
	got, want := path[len(path)-1], p.DiscreteNormSqLimit(0)
	if math.Abs(got-want) > 1e-12*want {
		t.Errorf("recursion → %.15g, DiscreteNormSqLimit %.15g", got, want)
	}
	if r, w := want/p.NormSqLimit(), math.Sqrt(2/(2-p.Lambda*p.Eta)); math.Abs(r-w) > 1e-14 {
		t.Errorf("discrete/continuous = %.16g, want %.16g", r, w)
	}
}

// TestNormFromAnglesExact checks the pathwise identity ‖X_n‖cos Δ_n =
// (1 − λη)‖X_n‖... summed over a noisy run with a spread spectrum (exact
// up to rounding: 1e-10 after 2000 steps).
func TestNormFromAnglesExact(t *testing.T) {
	p := params()
	a := []float64{0.5, 1.5, 1.5, 1.5, 4, 4}
	rng := rand.New(rand.NewPCG(1, 2))
	x := []float64{1, 0.3, -0.2, 0.5, 0.1, -1}
	n0 := math.Sqrt(norm2(x))
	eps, g := make([]float64, p.P), make([]float64, p.P)
	var deltas []float64
	for range 2000 {
		prev := append([]float64(nil), x...)
		normal(rng, eps)
		nrqStep(x, a, eps, g, p.Eta, p.Lambda, p.Sigma)
		// Δ = atan2(‖x − proj‖, proj) is accurate for small angles.
		pn := math.Sqrt(norm2(prev))
		along := dotp(x, prev) / pn
		var perp float64
		for i := range x {
			d := x[i] - along*prev[i]/pn
			perp += d * d
		}
		deltas = append(deltas, math.Atan2(math.Sqrt(perp), along))
	}
	got := p.NormFromAngles(deltas)
	want := math.Sqrt(norm2(x)) / n0
	if math.Abs(got/want-1) > 1e-10 {
		t.Errorf("NormFromAngles = %.15g, actual ratio %.15g", got, want)
	}
}

// TestCorollary3Exact: (kX₀, k²η, λ/k²) reproduces kX_n with the same noise
// to rounding (g(kX) = g(X)/k, eq 6), hence the same X̃_n and r_t.
func TestCorollary3Exact(t *testing.T) {
	p := params()
	a := []float64{0.5, 1.5, 1.5, 1.5, 4, 4}
	x := []float64{1, 0.3, -0.2, 0.5, 0.1, -1}
	for _, k := range []float64{0.1, 3, 10} {
		q, y := Corollary3(p, x, k)
		xa := append([]float64(nil), x...)
		r1, r2 := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
		e1, e2, g1, g2 := make([]float64, 6), make([]float64, 6), make([]float64, 6), make([]float64, 6)
		for range 3000 {
			normal(r1, e1)
			normal(r2, e2)
			nrqStep(xa, a, e1, g1, p.Eta, p.Lambda, p.Sigma)
			nrqStep(y, a, e2, g2, q.Eta, q.Lambda, q.Sigma)
		}
		for i := range x {
			if d := math.Abs(y[i] - k*xa[i]); d > 1e-11*k*math.Sqrt(norm2(xa)) {
				t.Errorf("k=%g: X′[%d] = %.15g, kX = %.15g", k, i, y[i], k*xa[i])
			}
		}
		if math.Abs(q.Lambda*q.Eta-p.Lambda*p.Eta) > 1e-15*p.Lambda*p.Eta {
			t.Errorf("λη not invariant")
		}
	}
	// The SDE AU path is invariant too (Lemma 1 with M → k²M, η → k²η).
	s, _ := NewSchedule(p.Eta, p.Lambda, Decay{Step: 500, Divide: 10})
	p1, _ := p.Path(s, 0.3)
	p2, _ := p.Path(Corollary3Schedule(s, 4), 4*0.3)
	for _, tt := range []float64{0, 10, 499, 500, 501, 5000} {
		if a, b := p1.AU(tt), p2.AU(tt); math.Abs(a-b) > 1e-13*a {
			t.Errorf("t=%g: AU %g vs transformed %g", tt, a, b)
		}
	}
}

// TestDiscreteAUTan2 checks eq 14 corrected as a conditional mean at a
// fixed X_n (a z-test over independent noise draws), the exact one-step
// identity tan Δ = η‖g‖/((1 − λη)‖X‖), and that the printed eq 14 misses.
func TestDiscreteAUTan2(t *testing.T) {
	p := params()
	p.Eta = 2 // η ≠ 1 so the printed placement of η² matters
	p.Lambda = 0.05
	a := []float64{0.5, 1.5, 1.5, 1.5, 4, 4}
	x0 := []float64{0.6, 0.3, -0.2, 0.5, 0.1, -0.4}
	m := norm2(x0)
	n := math.Sqrt(m)
	// grad2 = ‖PAX̃‖² = Σa_i²x̃_i² − (Σa_i x̃_i²)².
	var s1, s2 float64
	for i, v := range x0 {
		s1 += a[i] * v * v / m
		s2 += a[i] * a[i] * v * v / m
	}
	grad2 := s2 - s1*s1
	rng := rand.New(rand.NewPCG(7, 8^seedOffset()))
	eps, g := make([]float64, 6), make([]float64, 6)
	const trials = 20000
	vals := make([]float64, trials)
	for k := range vals {
		x := append([]float64(nil), x0...)
		normal(rng, eps)
		nrqStep(x, a, eps, g, p.Eta, p.Lambda, p.Sigma)
		along := dotp(x, x0) / n
		tan := math.Sqrt(math.Max(norm2(x)-along*along, 0)) / along
		exact := p.Eta * math.Sqrt(norm2(g)) / ((1 - p.Lambda*p.Eta) * n)
		if math.Abs(tan-exact) > 1e-12*exact {
			t.Fatalf("tan Δ = %.15g, η‖g‖/((1−λη)‖X‖) = %.15g", tan, exact)
		}
		vals[k] = tan * tan
	}
	mean, se := meanSE(vals)
	want := p.DiscreteAUTan2(m, grad2)
	if math.Abs(mean-want) > zBudget*se {
		t.Errorf("E tan²Δ = %.6g ± %.2g, corrected eq 14 gives %.6g", mean, se, want)
	}
	if printed := p.PaperDiscreteAU2(m, grad2); math.Abs(mean-printed) < zBudget*se {
		t.Errorf("printed eq 14 (%.6g) unexpectedly matches %.6g ± %.2g", printed, mean, se)
	}
	t.Logf("E tan²Δ | X = %.5f ± %.5f; corrected %.5f; printed eq 14 %.5f", mean, se, want, p.PaperDiscreteAU2(m, grad2))
}

// TestDiscreteEquilibriumMC simulates the exact norm recursion of eq 3 for
// A = aI, ‖X_{n+1}‖² = (1 − λη)²‖X_n‖² + η²σ²χ²_{p−1}/‖X_n‖², over
// independent trials, and checks at stationarity:
//   - E ln(1 + tan²Δ) = −2 ln(1 − λη) (MeanLogCosAU; exact, no bias);
//   - E tan²Δ against DiscreteAUTan2Limit, with the Jensen gap bounded by
//     Var(tan²Δ)/2 ≤ (2.2λη)²/(p − 1) as the documented bias allowance;
//   - ‖X‖⁴ against DiscreteNormSqLimit(0)², allowing the O(λη/p) relative
//     fluctuation bias (bound 4λη/(p − 1)), and that the SDE limit of eq 17
//     is rejected.
func TestDiscreteEquilibriumMC(t *testing.T) {
	p := Params{P: 1000, Eta: 0.5, Lambda: 0.1, Sigma: 1}
	le := p.Lambda * p.Eta
	chi := distuv.ChiSquared{K: float64(p.P - 1), Src: rand.New(rand.NewPCG(11, 12^seedOffset()))}
	const trials, steps = 400, 400 // 4λη·steps = 80 relaxation times
	logs, tans, m2s := make([]float64, trials), make([]float64, trials), make([]float64, trials)
	for k := range trials {
		m := p.NormSqLimit()
		var tan2 float64
		for range steps {
			c := chi.Rand()
			tan2 = p.Eta * p.Eta * p.Sigma * p.Sigma * c / ((1 - le) * (1 - le) * m * m)
			m = (1-le)*(1-le)*m + p.Eta*p.Eta*p.Sigma*p.Sigma*c/m
		}
		logs[k], tans[k], m2s[k] = math.Log1p(tan2), tan2, m*m
	}
	lm, lse := meanSE(logs)
	if want := -2 * p.MeanLogCosAU(); math.Abs(lm-want) > zBudget*lse {
		t.Errorf("E ln(1+tan²Δ) = %.6g ± %.2g, want −2ln(1−λη) = %.6g", lm, lse, want)
	}
	tm, tse := meanSE(tans)
	bias := math.Pow(2.2*le, 2) / float64(p.P-1)
	if want := p.DiscreteAUTan2Limit(); math.Abs(tm-want) > zBudget*tse+bias {
		t.Errorf("E tan²Δ = %.6g ± %.2g, discrete limit %.6g", tm, tse, want)
	}
	if math.Abs(tm-2*le) < zBudget*tse+bias {
		t.Errorf("E tan²Δ = %.6g ± %.2g does not resolve 2λη = %.6g", tm, tse, 2*le)
	}
	mm, mse := meanSE(m2s)
	want := math.Pow(p.DiscreteNormSqLimit(0), 2)
	if math.Abs(mm-want) > zBudget*mse+4*le/float64(p.P-1)*want {
		t.Errorf("E‖X‖⁴ = %.6g ± %.2g, discrete limit %.6g", mm, mse, want)
	}
	cont := math.Pow(p.NormSqLimit(), 2)
	if math.Abs(mm-cont) < zBudget*mse+4*le/float64(p.P-1)*want {
		t.Errorf("E‖X‖⁴ = %.6g ± %.2g does not resolve the SDE limit %.6g", mm, mse, cont)
	}
	t.Logf("λη=%g p=%d: E tan²Δ = %.6f ± %.6f (discrete %.6f, 2λη %.6f); E‖X‖⁴ = %.5f ± %.5f (discrete %.5f, SDE eq 17 %.5f)",
		le, p.P, tm, tse, p.DiscreteAUTan2Limit(), 2*le, mm, mse, want, cont)
}
