package theory

import (
	"fmt"
	"math"
	"testing"
)

// The mean-field moments obey the exact identity (12.1) in expectation:
// fed with their own step energies, NormDiscrete reproduces their norms to
// rounding (two derivations, one algebra); the continuous forms do not.
func TestHeavyBallMeanFieldObeysIdentity(t *testing.T) {
	for _, mu := range []float64{0, 0.5, 0.9} {
		const eta, lambda, g2 = 0.1, 0.1, 99.0
		m, k, err := HeavyBallMeanField(eta, lambda, mu, g2, 90, 0, 3000)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := HeavyBallNormPath(NormDiscrete, eta, lambda, mu, 90, k)
		o, _ := HeavyBallNormPath(NormOscillator, eta, lambda, mu, 90, k)
		var worst, gap float64
		for n := range m {
			worst = math.Max(worst, math.Abs(d[n]-m[n])/m[n])
			gap = math.Max(gap, math.Abs(o[n]-m[n])/m[n])
		}
		if worst > 1e-13 {
			t.Errorf("μ = %v: NormDiscrete off the mean field by %.3g (relative)", mu, worst)
		}
		if gap < 1e-4 {
			t.Errorf("μ = %v: the oscillator agrees to %.3g: the check would not see a wrong recursion", mu, gap)
		}
		// At stationarity the balance 2ηλN = (1 + μ)K (both forms) and (10.3).
		ninf, _ := EquilibriumNormSq(Optimizer{Name: SGD, Momentum: mu}, eta, lambda, 100, g2)
		last := m[len(m)-1]
		if r := 2 * eta * lambda * last / ((1 + mu) * k[len(k)-1]); math.Abs(r-1) > 1e-9 {
			t.Errorf("μ = %v: 2ηλN/((1 + μ)K) = %v at the end, want 1", mu, r)
		}
		// (10.3) is leading order in ηλ/(1 − μ); the closure's fixed point differs by that order.
		if rel := math.Abs(last/ninf - 1); rel > 2*eta*lambda/(1-mu) {
			t.Errorf("μ = %v: mean-field N_∞ = %v vs (10.3) %v (relative %.3g)", mu, last, ninf, rel)
		}
	}
}

// The roots: each discrete exponent solves r² − (1 + μ − 2ηλ)r + μ = 0,
// each continuous one ((1 + μ)/2)s² + (1 − μ)s + 2ηλ = 0, and the fast
// rates differ by the artanh series, −2x vs ln μ = −2(x + x³/3 + x⁵/5 + …),
// x = (1 − μ)/(1 + μ).
func TestHeavyBallNormRoots(t *testing.T) {
	for _, c := range []struct{ eta, lambda, mu float64 }{{0.1, 0.1, 0.9}, {0.1, 0.01, 0.9}, {0.1, 0.5, 0.5}, {0.1, 0.1, 0}} {
		d, s, err := HeavyBallNormRoots(c.eta, c.lambda, c.mu)
		if err != nil {
			t.Fatal(err)
		}
		le := c.eta * c.lambda
		// |a·x² + b·x + c| for complex x = (re, im).
		res := func(a, b, c, re, im float64) float64 {
			return math.Hypot(a*(re*re-im*im)+b*re+c, 2*a*re*im+b*im)
		}
		for j := range 2 {
			if !math.IsInf(real(d[j]), -1) {
				m := math.Exp(real(d[j]))
				re, im := m*math.Cos(imag(d[j])), m*math.Sin(imag(d[j]))
				if r := res(1, -(1 + c.mu - 2*le), c.mu, re, im); r > 1e-14 {
					t.Errorf("%+v: discrete root %v: residual %v", c, complex(re, im), r)
				}
			} else if c.mu != 0 {
				t.Errorf("%+v: infinite exponent with μ ≠ 0", c)
			}
			if r := res((1+c.mu)/2, 1-c.mu, 2*le, real(s[j]), imag(s[j])); r > 1e-14 {
				t.Errorf("%+v: continuous root %v: residual %v", c, s[j], r)
			}
		}
		if real(d[0]) < real(d[1]) || real(s[0]) < real(s[1]) {
			t.Errorf("%+v: roots not ordered slow first: %v %v", c, d, s)
		}
	}
	// λ → 0: the fast exponents are ln μ and −2x exactly.
	for _, mu := range []float64{0.5, 0.9, 0.99} {
		d, s, _ := HeavyBallNormRoots(1, 1e-12, mu)
		x := (1 - mu) / (1 + mu)
		if got, want := real(d[1]), math.Log(mu); math.Abs(got-want) > 1e-9 {
			t.Errorf("μ = %v: fast discrete exponent %v, want ln μ = %v", mu, got, want)
		}
		if got := real(s[1]); math.Abs(got+2*x) > 1e-9 {
			t.Errorf("μ = %v: fast continuous exponent %v, want −2x = %v", mu, got, -2*x)
		}
		gap := (real(s[1]) - real(d[1])) / -real(d[1]) // relative, ≈ x²/3
		if want := x * x / 3; math.Abs(gap-want) > x*x*x*x {
			t.Errorf("μ = %v: relative gap of the fast rate %v, want x²/3 = %v ± x⁴", mu, gap, want)
		}
	}
}

// The oscillator integrates its ODE exactly: with a constant step energy K
// from N₀ = N_∞ = (1 + μ)K/(2ηλ), N'(0) = −ηλN₀ the path relaxes to N_∞;
// at λ = 0 (no restoring force) and K = 0 it is N₀ + N'(0)·a/b·(1 − e^{−bn/a}).
func TestHeavyBallOscillatorExact(t *testing.T) {
	const eta, lambda, mu, k = 0.1, 0.1, 0.9, 0.3
	kin := make([]float64, 2000)
	for i := range kin {
		kin[i] = k
	}
	ninf := (1 + mu) * k / (2 * eta * lambda)
	o, _ := HeavyBallNormPath(NormOscillator, eta, lambda, mu, ninf, kin)
	if got := o[len(o)-1]; math.Abs(got-ninf) > 1e-12*ninf {
		t.Errorf("constant K: N(2000) = %v, want N_∞ = %v", got, ninf)
	}
	const le = 1e-3
	z, _ := HeavyBallNormPath(NormOscillator, le, 0, mu, 5, make([]float64, 50))
	a, b := (1+mu)/2, 1-mu
	for n, v := range z {
		want := 5 + (-le*5*0)*(a/b)*(1-math.Exp(-b*float64(n)/a)) // λ = 0: N'(0) = −ηλN₀ = 0
		if math.Abs(v-want) > 1e-13 {
			t.Fatalf("λ = 0, K = 0: N(%d) = %v, want %v", n, v, want)
		}
	}
	// expm2 against a 30-term series, underdamped and overdamped.
	for _, m := range [][2][2]float64{{{0, 1}, {-0.5, -0.1}}, {{0, 1}, {-0.01, -1}}, {{0.3, 0.2}, {0.1, -0.4}}} {
		got := expm2(m)
		want, term := [2][2]float64{{1, 0}, {0, 1}}, [2][2]float64{{1, 0}, {0, 1}}
		for j := 1; j < 30; j++ {
			var next [2][2]float64
			for r := range 2 {
				for c := range 2 {
					next[r][c] = (term[r][0]*m[0][c] + term[r][1]*m[1][c]) / float64(j)
				}
			}
			term = next
			for r := range 2 {
				for c := range 2 {
					want[r][c] += term[r][c]
				}
			}
		}
		for r := range 2 {
			for c := range 2 {
				if math.Abs(got[r][c]-want[r][c]) > 1e-14 {
					t.Errorf("expm2(%v)[%d][%d] = %v, want %v", m, r, c, got[r][c], want[r][c])
				}
			}
		}
	}
}

// Where the continuous form stops holding: the largest error of the
// oscillator (12.3) and of the overdamped form (12.4), driven by the exact
// step energies of the mean field, over the transient from N₀ = 4N_∞,
// relative to N₀ − N_∞. It depends on η and λ only through ηλ (N in
// units of N_∞; docs/derivations.md §12). The oscillator's error is
// (0.25–0.6)·ηλ whatever μ: it stops holding as ηλ grows, not as μ falls
// (at μ = 0 the first-order form is as good). The overdamped form fails as
// soon as the buffer's memory is not short against the norm's time,
// ηλ/(1 − μ)² not small, and completely where the transient is
// underdamped, (1 − μ)² < 4ηλ(1 + μ).
func ExampleHeavyBallNormPath() {
	fmt.Println("ηλ      μ     oscillator  overdamped")
	for _, le := range []float64{1e-4, 1e-3, 1e-2, 5e-2} {
		for _, mu := range []float64{0, 0.5, 0.9, 0.99} {
			const eta, g2 = 0.1, 99.0
			lambda := le / eta
			ninf, _ := EquilibriumNormSq(Optimizer{Name: SGD, Momentum: mu}, eta, lambda, 100, g2)
			d, _, _ := HeavyBallNormRoots(eta, lambda, mu)
			steps := int(10 / -real(d[0]))
			m, k, _ := HeavyBallMeanField(eta, lambda, mu, g2, 4*ninf, 0, steps)
			o, _ := HeavyBallNormPath(NormOscillator, eta, lambda, mu, 4*ninf, k)
			f, _ := HeavyBallNormPath(NormOverdamped, eta, lambda, mu, 4*ninf, k)
			var eo, ef float64
			for n := range m {
				eo = math.Max(eo, math.Abs(o[n]-m[n]))
				ef = math.Max(ef, math.Abs(f[n]-m[n]))
			}
			fmt.Printf("%-7g %-5g %8.3f %%  %8.2f %%\n", le, mu, 100*eo/(3*ninf), 100*ef/(3*ninf))
		}
	}
	// Output:
	// ηλ      μ     oscillator  overdamped
	// 0.0001  0        0.006 %      0.00 %
	// 0.0001  0.5      0.006 %      0.05 %
	// 0.0001  0.9      0.006 %      1.98 %
	// 0.0001  0.99     0.003 %     50.46 %
	// 0.001   0        0.058 %      0.04 %
	// 0.001   0.5      0.059 %      0.46 %
	// 0.001   0.9      0.046 %     12.93 %
	// 0.001   0.99     0.025 %     97.73 %
	// 0.01    0        0.565 %      0.44 %
	// 0.01    0.5      0.529 %      3.52 %
	// 0.01    0.9      0.294 %     44.55 %
	// 0.01    0.99     0.373 %    129.56 %
	// 0.05    0        2.653 %      2.24 %
	// 0.05    0.5      2.191 %      9.57 %
	// 0.05    0.9      1.177 %     79.81 %
	// 0.05    0.99     2.087 %    132.60 %
}
