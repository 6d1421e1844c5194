package theory

import "math"

// FDrift returns the drift of f_t = (X̃_t⁽¹⁾)² given f, the loss L = L(X_t)
// of eq 1 and M = ‖X_t‖²,
//
//	μ(f) = 2η(2L − a₁) f / M + η²σ²(1 − p f) / M²,
//
// eq 16 corrected (Itô's lemma on eq 10 with Σ̃ = σ²I, Assumption 1). Note
// 2L = X̃ᵀAX̃. The paper prints η(L − a₁)f/M for the first term, a factor
// 2 (and L versus 2L) off: docs/derivations.md §3, erratum E2.
func (p Params) FDrift(f, l, m float64) float64 {
	e := p.Eta
	return 2*e*(2*l-p.A1())*f/m + e*e*p.Sigma*p.Sigma*(1-float64(p.P)*f)/(m*m)
}

// FDriftTwoLevel returns FDrift for the two-valued spectrum of Theorem 2,
// where 2L − a_l = (a_h − a_l)(1 − f) exactly:
//
//	μ(f) = 2η(a_h − a_l) f(1 − f) / M + η²σ²(1 − p f) / M².
func (p Params) FDriftTwoLevel(f, m float64) float64 {
	e := p.Eta
	return 2*e*(p.AP()-p.A1())*f*(1-f)/m + e*e*p.Sigma*p.Sigma*(1-float64(p.P)*f)/(m*m)
}

// PaperFDrift returns the drift of f_t as printed in eq 16,
//
//	μ(f) = η(L − a₁) f / M + η²σ²(1 − p f) / M²   (as printed),
//
// with L the loss of eq 1. See FDrift for the corrected form.
func (p Params) PaperFDrift(f, l, m float64) float64 {
	e := p.Eta
	return e*(l-p.A1())*f/m + e*e*p.Sigma*p.Sigma*(1-float64(p.P)*f)/(m*m)
}

// FDiffusion returns the diffusion coefficient of f_t (df = μ dt + b dB)
// at M = ‖X_t‖²,
//
//	b(f) = 2ησ √(f(1 − f)) / M,
//
// eq 16 (correct as printed, with M = ‖X‖²).
func (p Params) FDiffusion(f, m float64) float64 {
	return 2 * p.Eta * p.Sigma * math.Sqrt(math.Max(f*(1-f), 0)) / m
}

// ThetaDrift returns the drift of the angle θ_t ∈ [0, π/2] to the
// minimiser, f = cos²θ, given the loss L and M = ‖X‖²,
//
//	dθ = [−η(2L − a₁) cot θ / M + η²σ²(p − 2) cot θ / (2M²)] dt + (ησ/M) dW,
//
// Itô's lemma on FDrift/FDiffusion (docs/derivations.md §3). The
// diffusion ησ/M = Δ_t/√(p − 1) is constant in θ, and the drift is regular
// at θ = π/2 (reflecting there by the symmetry θ ↦ π − θ); at θ = 0 the
// (p − 2)cot θ term repels for p > 2, for p = 2 θ reflects at 0.
// For two levels (2L − a₁)cot θ = (a_h − a_l) sin θ cos θ.
func (p Params) ThetaDrift(theta, l, m float64) float64 {
	e := p.Eta
	s, c := math.Sincos(theta)
	var first float64
	if s != 0 {
		first = -e * (2*l - p.A1()) * c / (s * m)
	}
	var second float64
	if p.P > 2 {
		second = e * e * p.Sigma * p.Sigma * float64(p.P-2) * c / (2 * s * m * m)
	}
	return first + second
}

// ThetaDiffusion returns the (constant in θ) diffusion coefficient of θ_t,
//
//	b_θ = ησ / M = Δ_t / √(p − 1).
func (p Params) ThetaDiffusion(m float64) float64 { return p.Eta * p.Sigma / m }

// LossBounds returns bounds on the loss L of eq 1 (with its ½) through f,
//
//	(a₁ + (a₂ − a₁)(1 − f))/2 ≤ L ≤ (a₁ + (a_p − a₁)(1 − f))/2,
//
// from 2L = X̃ᵀAX̃ = a₁f + Σ_{i≥2} a_i (X̃⁽ⁱ⁾)² (the text after eq 15). The
// paper prints the bounds without the ½, i.e. on X̃ᵀAX̃ = 2L rather than on
// L (erratum E3). Equality holds on both sides for two levels.
func (p Params) LossBounds(f float64) (lo, hi float64) {
	lo, hi = p.PaperLossBounds(f)
	return lo / 2, hi / 2
}

// PaperLossBounds returns the loss bounds as printed after eq 15,
//
//	a₁ + (a₂ − a₁)(1 − f) ≤ L ≤ a₁ + (a_p − a₁)(1 − f)   (as printed),
//
// which bound X̃ᵀAX̃ = 2L, not L of eq 1.
func (p Params) PaperLossBounds(f float64) (lo, hi float64) {
	a1 := p.A1()
	return a1 + (p.A2()-a1)*(1-f), a1 + (p.AP()-a1)*(1-f)
}
