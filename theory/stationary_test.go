package theory

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/mathext"
)

// kummerRisk is an independent evaluation of r* through Kummer's function
// (docs/derivations.md §4): with u = 1 − f, Kummer's integral
// B(a, b−a) M(a, b, z) = ∫₀¹ e^{zt} t^{a−1} (1−t)^{b−a−1} dt and Kummer's
// transformation M(a, b, −z) = e^{−z} M(b − a, b, z) (DLMF 13.4.1, 13.2.39),
//
//	r* = ((p − 1)/p) · M(½, p/2 + 1, 2κ) / M(½, p/2, 2κ).
//
// Both series have positive terms; they are summed with a common running
// rescaling so they do not overflow (each term ratio is O(z/n)).
func kummerRisk(p int, kappa float64) float64 {
	z := 2 * kappa
	b1, b0 := float64(p)/2+1, float64(p)/2
	t1, t0 := 1.0, 1.0
	s1, s0 := 1.0, 1.0
	for n := 0; n < 10_000_000; n++ {
		fn := float64(n)
		t1 *= (0.5 + fn) * z / ((b1 + fn) * (fn + 1))
		t0 *= (0.5 + fn) * z / ((b0 + fn) * (fn + 1))
		s1 += t1
		s0 += t0
		if s0 > 1e250 {
			t1, t0, s1, s0 = t1*1e-250, t0*1e-250, s1*1e-250, s0*1e-250
		}
		if fn > z && t0 < 1e-18*s0 && t1 < 1e-18*s1 {
			break
		}
	}
	return float64(p-1) / float64(p) * s1 / s0
}

// dawsonTail is an independent evaluation of ε* = P(f < ξ) for p = 3: there
// ρ(θ) dθ ∝ e^{−2κ(1 − c²)} dc with c = cos θ uniform-tilted on [0, 1], so
// ε* = E(√(2κξ)) / E(√(2κ)) with E(y) = ∫₀^y e^{t²} dt = Σ y^{2n+1}/(n!(2n+1)).
func dawsonTail(kappa, xi float64) float64 {
	e := func(y float64) float64 {
		s, t := 0.0, y // t = y^{2n+1}/n!
		for n := 0; n < 100000; n++ {
			s += t / float64(2*n+1)
			t *= y * y / float64(n+1)
			if float64(n) > y*y && t < 1e-18*s {
				break
			}
		}
		return s
	}
	return e(math.Sqrt(2*kappa*xi)) / e(math.Sqrt(2*kappa))
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / math.Abs(want)
}

// TestStationaryRiskKummer checks the quadrature against the Kummer series
// over p = 2…10⁴ and κ = 0…5000 (z = 2κ ≤ 10⁴ keeps the series short).
func TestStationaryRiskKummer(t *testing.T) {
	for _, p := range []int{2, 3, 4, 5, 10, 100, 1000, 10000} {
		for _, k := range []float64{0, 1e-6, 0.01, 0.3, 1, 3, 10, 47.5, 100, 1000, 5000} {
			got := StationaryRiskKappa(p, k)
			want := kummerRisk(p, k)
			// 1e-12: the two are double-precision evaluations of the same
			// number; the series accumulates ~√n rounding over n ≈ z terms.
			if e := relErr(got, want); e > 1e-12 {
				t.Errorf("p=%d κ=%g: quadrature r* = %.16g, Kummer %.16g (rel err %.2g)", p, k, got, want, e)
			}
		}
	}
}

// TestStationaryRiskKappaZero: κ = 0 leaves f ~ Beta(½, (p − 1)/2), the
// law of a squared coordinate of a uniform point on S^{p−1}, E f = 1/p.
func TestStationaryRiskKappaZero(t *testing.T) {
	for _, p := range []int{2, 3, 7, 50, 1234, 100000, 10000000} {
		got := StationaryRiskKappa(p, 0)
		want := 1 - 1/float64(p)
		if e := relErr(got, want); e > 1e-14 {
			t.Errorf("p=%d: r*(κ=0) = %.17g, want 1 − 1/p = %.17g", p, got, want)
		}
	}
}

// TestStationaryRiskP2Bessel: for p = 2, ρ(θ) ∝ e^{−2κ sin²θ} = e^{−κ}e^{κ cos 2θ},
// so r* = E sin²θ = (1 − I₁(κ)/I₀(κ))/2 (DLMF 10.32.1); I₁/I₀ by its series.
func TestStationaryRiskP2Bessel(t *testing.T) {
	ratio := func(k float64) float64 { // I₁(k)/I₀(k) = Σ (k/2)^{2m+1}/(m!(m+1)!) / Σ (k/2)^{2m}/(m!)²
		x := k * k / 4
		t0, t1, s0, s1 := 1.0, k/2, 1.0, k/2
		for m := 1; m < 100000; m++ {
			fm := float64(m)
			t0 *= x / (fm * fm)
			t1 *= x / (fm * (fm + 1))
			s0 += t0
			s1 += t1
			if s0 > 1e250 {
				t0, t1, s0, s1 = t0*1e-250, t1*1e-250, s0*1e-250, s1*1e-250
			}
			if fm > k && t0 < 1e-18*s0 {
				break
			}
		}
		return s1 / s0
	}
	for _, k := range []float64{0.1, 1, 5, 20} { // 1 − I₁/I₀ cancels for large κ; Kummer covers those
		got := StationaryRiskKappa(2, k)
		want := (1 - ratio(k)) / 2
		if e := relErr(got, want); e > 1e-12 {
			t.Errorf("κ=%g: r* = %.16g, Bessel %.16g", k, got, want)
		}
	}
}

// TestStationaryRiskAsymptotic checks large κ (up to 10⁸, beyond any
// series) against the Watson expansion, whose truncation error after n
// terms is about the next term, ~ (p/κ)^{n+1}.
func TestStationaryRiskAsymptotic(t *testing.T) {
	for _, p := range []int{2, 3, 10, 100, 1000} {
		for _, k := range []float64{1e5, 1e6, 1e7, 1e8} {
			got := StationaryRiskKappa(p, k)
			want := StationaryRiskAsymptotic(p, k, 8)
			if e := relErr(got, want); e > 1e-13 {
				t.Errorf("p=%d κ=%g: r* = %.16g, asymptotic %.16g (rel err %.2g)", p, k, got, want, e)
			}
			lead := float64(p-1)/(4*k) + float64(p-1)/(16*k*k)
			// The third term is (α²/2 + 3α/4)/z³, (p + 2)/(16κ²) relative to the first.
			if e := relErr(got, lead); e > 2*float64(p+2)/(16*k*k)+1e-15 {
				t.Errorf("p=%d κ=%g: r* = %.16g, two-term %.16g", p, k, got, lead)
			}
		}
	}
	// In the overlap the series and the expansion agree with each other too.
	if e := relErr(kummerRisk(5, 5000), StationaryRiskAsymptotic(5, 5000, 10)); e > 1e-12 {
		t.Errorf("Kummer and asymptotic disagree at p=5 κ=5000: %g", e)
	}
}

// TestStationaryIdentity: the generator of eq 16 (corrected) has mean zero
// under ρ*, E[μ(f)] = 0, which for two levels reads 4κ E[f(1 − f)] =
// p E f − 1 (docs/derivations.md §4). It ties κ's definition to the drift.
func TestStationaryIdentity(t *testing.T) {
	for _, p := range []int{2, 3, 10, 1000} {
		for _, k := range []float64{0.5, 3, 40, 1e4, 1e8} {
			r, q := StationaryMomentsKappa(p, k)
			lhs, rhs := 4*k*q, float64(p)*(1-r)-1
			// p·Ef − 1 cancels to ~p·1e-16 absolute when Ef ≈ 1/p.
			if e := math.Abs(lhs - rhs); e > 1e-13*(1+float64(p)*(1-r)) {
				t.Errorf("p=%d κ=%g: 4κE[f(1−f)] = %.15g, pEf − 1 = %.15g", p, k, lhs, rhs)
			}
		}
	}
}

// TestStationaryTail checks ε* against I_ξ(½, (p−1)/2) at κ = 0, the p = 3
// closed form for κ > 0, its limits, and that it never returns NaN.
func TestStationaryTail(t *testing.T) {
	for _, p := range []int{2, 3, 10, 500} {
		for _, xi := range []float64{1e-6, 0.1, 0.5, 0.9, 0.999} {
			got := StationaryTailKappa(p, 0, xi)
			want := mathext.RegIncBeta(0.5, float64(p-1)/2, xi)
			if e := math.Abs(got - want); e > 1e-13 {
				t.Errorf("p=%d ξ=%g κ=0: ε* = %.16g, I_ξ = %.16g", p, xi, got, want)
			}
		}
	}
	for _, k := range []float64{0.1, 2, 30, 300} {
		for _, xi := range []float64{0.01, 0.5, 0.9, 0.99} {
			got := StationaryTailKappa(3, k, xi)
			want := dawsonTail(k, xi)
			if e := relErr(got, want); e > 1e-12 {
				t.Errorf("p=3 κ=%g ξ=%g: ε* = %.16g, series %.16g", k, xi, got, want)
			}
		}
	}
	if v := StationaryTailKappa(10, 1e8, 0.5); v != 0 {
		t.Errorf("ε*(κ=1e8, ξ=½) = %g, want underflow to 0 (true value ~e^{−10⁸})", v)
	}
	for _, p := range []int{2, 3, 10000} {
		for _, k := range []float64{0, 1, 1e4, 1e8} {
			prev := 0.0
			for _, xi := range []float64{0, 1e-9, 0.3, 0.7, 1 - 1e-9, 1} {
				v := StationaryTailKappa(p, k, xi)
				if math.IsNaN(v) || v < prev || v > 1 {
					t.Errorf("p=%d κ=%g: ε*(%g) = %g not a CDF (prev %g)", p, k, xi, v, prev)
				}
				prev = v
			}
		}
	}
}

// TestStationaryDensityNormalised integrates the density in f with an
// unrelated rule (Gauss–Legendre after f = 1 − v², which removes the
// (1 − f)^{−1/2} singularity; p ≥ 3 so f^{−1/2} is handled by f = w² on
// the other half) and checks ∫ρ = 1 and ∫fρ = 1 − r*.
func TestStationaryDensityNormalised(t *testing.T) {
	for _, p := range []int{3, 4, 12} {
		for _, k := range []float64{0, 1, 8} {
			rho := func(f float64) float64 { return math.Exp(LogStationaryDensityKappa(p, k, f)) }
			// ∫₀^½ ρ df with f = w², ∫_½^1 ρ df with f = 1 − v².
			g := func(h func(float64) float64) float64 {
				a := quad.Fixed(func(w float64) float64 { return h(w*w) * 2 * w }, 0, math.Sqrt(0.5), 200, nil, 0)
				b := quad.Fixed(func(v float64) float64 { return h(1-v*v) * 2 * v }, 0, math.Sqrt(0.5), 200, nil, 0)
				return a + b
			}
			z := g(rho)
			m := g(func(f float64) float64 { return f * rho(f) })
			if math.Abs(z-1) > 1e-10 {
				t.Errorf("p=%d κ=%g: ∫ρ = %.14g", p, k, z)
			}
			if want := 1 - StationaryRiskKappa(p, k); math.Abs(m-want) > 1e-10 {
				t.Errorf("p=%d κ=%g: ∫fρ = %.14g, 1 − r* = %.14g", p, k, m, want)
			}
		}
	}
}

func ExampleParams_StationaryRisk() {
	p := Params{P: 10, Eta: 0.5, Lambda: 0.05, Sigma: 1, A: TwoLevel(10, 1, 3)}
	k, _ := p.Kappa()
	r, _ := p.StationaryRisk()
	lead, _ := p.StationaryRiskLeading()
	fmt.Printf("κ = %.4f (printed %.4f)\n", k, p.PaperKappa())
	fmt.Printf("r* = %.6f, leading (p−1)/(4κ) = %.6f, printed eq 26 = %.6f\n", r, lead, p.PaperStationaryRisk())
	// Output:
	// κ = 13.4164 (printed 6.7082)
	// r* = 0.171822, leading (p−1)/(4κ) = 0.167705, printed eq 26 = 0.664590
}

// TestStationaryExtremes sweeps p = 2…10⁸ and κ = 0…10¹⁵: no NaN, tails
// are probabilities, r* + E f = 1, E f keeps its digits when small
// (E f = 1/p at κ = 0), and the identity 4κE[f(1 − f)] = pE f − 1 holds
// with E f integrated directly.
func TestStationaryExtremes(t *testing.T) {
	for _, p := range []int{2, 3, 5, 20, 1000, 99999, 10_000_000, 100_000_000} {
		if got, want := StationaryMeanFKappa(p, 0), 1/float64(p); relErr(got, want) > 1e-13 {
			t.Errorf("p=%d: E f(κ=0) = %.17g, want 1/p", p, got)
		}
		for _, k := range []float64{1e-300, 1e-12, 0.25, 2.5, 25, 1e3, 1e6, 1e8, 1e12, 1e15} {
			r, q := StationaryMomentsKappa(p, k)
			ef := StationaryMeanFKappa(p, k)
			if math.IsNaN(r) || math.IsNaN(q) || math.IsNaN(ef) || math.Abs(r+ef-1) > 1e-15 {
				t.Errorf("p=%d κ=%g: r* = %v, E f = %v, q = %v", p, k, r, ef, q)
			}
			if lhs, rhs := 4*k*q, float64(p)*ef-1; math.Abs(lhs-rhs) > 1e-11*(1+float64(p)*ef) {
				t.Errorf("p=%d κ=%g: 4κq = %.15g, pEf − 1 = %.15g", p, k, lhs, rhs)
			}
			for _, xi := range []float64{1e-12, 0.5, 1 - 1e-12} {
				if v := StationaryTailKappa(p, k, xi); math.IsNaN(v) || v < 0 || v > 1 {
					t.Errorf("p=%d κ=%g: ε*(%g) = %v", p, k, xi, v)
				}
			}
		}
	}
}
