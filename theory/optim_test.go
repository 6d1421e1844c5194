package theory

import (
	"math"
	"testing"
)

// TestLionDiffusionDirect checks LionDiffusion's closed-form-plus-excess sum
// against a direct term-by-term sum of (2/π) arcsin ρ_k, and D_REQ against
// (2/π)(1 + 2Σρ_k) summed the same way.
func TestLionDiffusionDirect(t *testing.T) {
	for _, b := range [][2]float64{{0.9, 0.99}, {0.95, 0.98}, {0.5, 0.9}, {0, 0.99}, {0.9, 0}} {
		b1, b2 := b[0], b[1]
		s2 := (1-b1)*(1-b1) + b1*b1*(1-b2)/(1+b2)
		sm2 := (1 - b2) / (1 + b2)
		var sr, sa float64
		bk := 1.0
		for k := 1; k < 200000; k++ {
			rho := (b1*b1*b2*bk*sm2 + b1*(1-b1)*(1-b2)*bk) / s2
			sr += rho
			sa += math.Asin(rho)
			bk *= b2
		}
		req, ex := LionDiffusion(b1, b2)
		if w := 2 / math.Pi * (1 + 2*sr); math.Abs(req-w) > 1e-12*w {
			t.Errorf("β=%v: D_REQ = %v, direct %v", b, req, w)
		}
		if w := 1 + 4/math.Pi*sa; math.Abs(ex-w) > 1e-12*w {
			t.Errorf("β=%v: D = %v, direct %v", b, ex, w)
		}
	}
}

// TestEquilibriumKnown checks each formula at a point against a hand
// evaluation, and the SGD limits against Lemma 1 / eq 17 (AULimit,
// NormSqLimit).
func TestEquilibriumKnown(t *testing.T) {
	const eta, lambda = 0.1, 0.01 // 2ηλ = 0.002
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-14*math.Abs(want) {
			t.Errorf("%s = %.17g, want %.17g", name, got, want)
		}
	}
	au := func(o Optimizer) float64 {
		v, err := EquilibriumAU(o, eta, lambda)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	pr := Params{P: 10, Eta: eta, Lambda: lambda, Sigma: 0.3}
	near("sgd AU", au(Optimizer{Name: SGD}), pr.AULimit())
	near("sgdm AU", au(Optimizer{Name: SGD, Momentum: 0.9}), math.Sqrt(0.002/1.9))
	near("adamw AU", au(Optimizer{Name: AdamW, Beta1: 0.9, Beta2: 0.999}), math.Sqrt(0.002*0.1/1.9))
	// Lion at PyTorch's β: s² = 0.01 + 0.81·0.01/1.99.
	near("lion AU", au(Optimizer{Name: Lion, Beta1: 0.9, Beta2: 0.99}), math.Sqrt(math.Pi/2*0.002*(0.01+0.81*0.01/1.99)))
	m, _ := EquilibriumNormSq(Optimizer{Name: SGD}, eta, lambda, 10, 9*0.09)
	near("sgd ‖X‖²", m, pr.NormSqLimit())
	m, _ = EquilibriumNormSq(Optimizer{Name: SGD, Momentum: 0.5}, eta, lambda, 10, 9*0.09)
	near("sgdm ‖X‖²", m, math.Sqrt(0.1*0.81/(0.02*0.5)))
	m, _ = EquilibriumNormSq(Optimizer{Name: AdamW, Beta1: 0.9, Beta2: 0.999}, eta, lambda, 10, 0)
	near("adamw ‖X‖²", m, 0.1*10/0.02)
	// Consistency: for lion and adamw the AU is η‖u‖/‖X‖ with ‖u‖² = C
	// (lion) or C(1 − β₁)/(1 + β₁) (adamw).
	o := Optimizer{Name: Lion, Beta1: 0.9, Beta2: 0.99}
	m, _ = EquilibriumNormSq(o, eta, lambda, 10, 0)
	near("lion η√C/‖X‖", eta*math.Sqrt(10/m), au(o))
	// signSGD (β₁ = 0): u_n are independent, D = 1 exactly.
	if _, d := LionDiffusion(0, 0.99); d != 1 {
		t.Errorf("D(β₁=0) = %v, want 1", d)
	}
	v, _ := LionEquilibriumAUArcsin(0, 0.99, eta, lambda)
	near("signSGD AU", v, math.Sqrt(0.002))
	tau, _ := EquilibriumTime(Optimizer{Name: SGD, Momentum: 0.9}, eta, lambda)
	near("sgdm τ", tau, 0.1/(4*0.001))
	tau, _ = EquilibriumTime(o, eta, lambda)
	near("lion τ", tau, 1/0.002)
	for _, bad := range []Optimizer{{Name: "adam"}, {Name: SGD, Momentum: 1}, {Name: AdamW, Beta1: 0.9, Beta2: 1}, {Name: Lion, Beta1: -0.1}} {
		if _, err := EquilibriumAU(bad, eta, lambda); err == nil {
			t.Errorf("EquilibriumAU(%+v) accepted", bad)
		}
	}
	if _, err := EquilibriumAU(Optimizer{Name: SGD}, eta, 0); err == nil {
		t.Error("λ = 0 accepted: there is no equilibrium")
	}
}

// NQMMoments against a direct Monte-Carlo-free check: for μ = 0 the
// recursion is Zhang et al.'s eq 7–8 with h → h + λ, E x² ←
// (1 − η(h + λ))² E x² + η²σ², whose fixed point is η σ²/((h + λ)(2 − η(h + λ))).
func TestNQMMomentsMomentumFree(t *testing.T) {
	h, v := []float64{0.5, 2}, []float64{1, 0.25}
	const eta, lambda, s0 = 0.1, 0.05, 1.5
	ns, _, err := NQMMoments(h, v, eta, lambda, 0, s0, []int{0, 1, 3, 100000})
	if err != nil {
		t.Fatal(err)
	}
	want := func(n int) float64 {
		s := 0.0
		for i := range h {
			r := 1 - eta*(h[i]+lambda)
			x := s0 * s0
			for range n {
				x = r*r*x + eta*eta*v[i]
			}
			s += x
		}
		return s
	}
	for k, n := range []int{0, 1, 3} {
		if math.Abs(ns[k]-want(n)) > 1e-14*want(n) {
			t.Errorf("n = %d: E‖X‖² = %v, want %v", n, ns[k], want(n))
		}
	}
	fix := 0.0
	for i := range h {
		q := h[i] + lambda
		fix += eta * v[i] / (q * (2 - eta*q))
	}
	if math.Abs(ns[3]-fix) > 1e-12*fix {
		t.Errorf("stationary E‖X‖² = %v, want %v", ns[3], fix)
	}
}

// EntryExitKappa: the integral identity holds at the returned κ₋ (checked
// with an independent midpoint rule), and κ₋ > 2 grows as κ₊ falls.
func TestEntryExitKappa(t *testing.T) {
	mid := func(a, b float64) float64 {
		const n = 200000
		h := (b - a) / n
		s := 0.0
		for i := range n {
			k := a + (float64(i)+0.5)*h
			s += math.Log(math.Abs(1-k)) / k
		}
		return s * h
	}
	prev := 0.0
	for _, kp := range []float64{1.6, 1.3, 1.0, 0.5} {
		km, err := EntryExitKappa(kp)
		if err != nil {
			t.Fatal(err)
		}
		if r := mid(kp, km); math.Abs(r) > 1e-4 {
			t.Errorf("κ₊ = %v: ∫ = %v at κ₋ = %v", kp, r, km)
		}
		if km <= 2 || km <= prev {
			t.Errorf("κ₊ = %v: κ₋ = %v (previous %v)", kp, km, prev)
		}
		prev = km
	}
}
