package theory

import "math"

// AU returns the continuous angular update at squared norm M = ‖X‖²,
//
//	Δ_t² = η² Tr(PΣ̃) / M² = η²(p − 1)σ² / ‖X_t‖⁴,
//
// Lemma 1 (eq 15's definition applied to eq 10). Lemma 1 prints
// Δ² = Tr(PΣ̃)η²/M_t², which is this with M_t = ‖X_t‖² (erratum E1).
func (p Params) AU(m float64) float64 {
	return p.Eta * p.Sigma * math.Sqrt(float64(p.P-1)) / m
}

// AULimit returns the equilibrium angular update of the SDE,
//
//	Δ_∞ = √(2λη),
//
// Lemma 1 (AU at NormSqLimit). It holds for any p, σ > 0 and A.
func (p Params) AULimit() float64 { return math.Sqrt(2 * p.Lambda * p.Eta) }

// DiscreteAUTan2 returns the exact conditional mean of tan²Δ_n for the
// discrete update eq 3, given ‖X_n‖² = m and grad2 = ‖PAX̃_n‖² = ‖∇L(X̃_n)‖²,
//
//	E[tan²Δ_n | X_n] = η²(grad2 + (p − 1)σ²) / ((1 − λη)² ‖X_n‖⁴),
//
// eqs 13–14 corrected: X_{n+1} = (1 − λη)X_n − ηg_n with g_n ⟂ X_n gives
// tan Δ_n = η‖g_n‖/((1 − λη)‖X_n‖) exactly (eq 13 omits the 1 − λη), and
// η² multiplies the gradient term too (eq 14 prints it on the noise term
// only). See docs/derivations.md §5, errata E6–E7. Δ² = tan²Δ(1 + O(Δ²)).
func (p Params) DiscreteAUTan2(m, grad2 float64) float64 {
	d := 1 - p.Lambda*p.Eta
	return p.Eta * p.Eta * (grad2 + p.noiseTrace()) / (d * d * m * m)
}

// PaperDiscreteAU2 returns E Δ_n² as printed in eq 14,
//
//	E Δ_n² = (‖∇L(X̃_n)‖² + Tr(PΣ̃)η²) / ‖X_n‖⁴   (as printed),
//
// with ‖X_n‖⁴ = m². See DiscreteAUTan2 for the corrected form.
func (p Params) PaperDiscreteAU2(m, grad2 float64) float64 {
	return (grad2 + p.noiseTrace()*p.Eta*p.Eta) / (m * m)
}

// DiscreteAUTan2Limit returns the equilibrium tan²Δ of the discrete update
// in the concentrated-norm limit,
//
//	E tan²Δ ≈ λη(2 − λη)/(1 − λη)² = (1 − λη)⁻² − 1 = 2λη + 3λ²η² + …,
//
// which is also an exact lower bound at stationarity for every A and p
// (Jensen applied to MeanLogCosAU; docs/derivations.md §5).
func (p Params) DiscreteAUTan2Limit() float64 {
	le := p.Lambda * p.Eta
	return le * (2 - le) / ((1 - le) * (1 - le))
}

// MeanLogCosAU returns the stationary mean of ln cos Δ_n for eq 3,
//
//	E ln cos Δ_n = ln(1 − λη),
//
// exact for every A, Σ̃ and p whenever E ln‖X_n‖ is stationary: it follows
// from ‖X_{n+1}‖ cos Δ_n = (1 − λη)‖X_n‖ (g ⟂ X), which also gives the
// pathwise identity Σ_{k<n} ln cos Δ_k = n ln(1 − λη) − ln(‖X_n‖/‖X₀‖)
// (docs/derivations.md §5).
func (p Params) MeanLogCosAU() float64 { return math.Log1p(-p.Lambda * p.Eta) }

// DiscreteAU2Limit returns the equilibrium E Δ_n² of the discrete update
// for A = aI (pure noise) to second order in λη,
//
//	E Δ² ≈ −2 ln(1 − λη) − (2λη)²(p + 1)/(6(p − 1))
//	     = 2λη + λ²η²(1 − 2(p + 1)/(3(p − 1))) + O(λ³η³),
//
// from MeanLogCosAU with −2 ln cos Δ = Δ² + Δ⁴/6 + O(Δ⁶) and
// Δ² ≈ 2λη χ²_{p−1}/(p − 1) (docs/derivations.md §5).
func (p Params) DiscreteAU2Limit() float64 {
	le := p.Lambda * p.Eta
	q := float64(p.P)
	return -2*math.Log1p(-le) - 4*le*le*(q+1)/(6*(q-1))
}

// MeanAUFactor returns E Δ / √(E Δ²) at equilibrium in the noise-dominated
// regime, where Δ² ∝ χ²_{p−1}:
//
//	c_p = E χ_{p−1} / √(p − 1) = √(2/(p − 1)) Γ(p/2) / Γ((p − 1)/2).
//
// Simulations that report the mean angle E Δ should be compared with
// c_p·√(2λη), not with the RMS √(2λη) (c_2 = √(2/π), c_p → 1 − 1/(4p)).
func MeanAUFactor(p int) float64 {
	q := float64(p)
	lg1, _ := math.Lgamma(q / 2)
	lg2, _ := math.Lgamma((q - 1) / 2)
	return math.Sqrt(2/(q-1)) * math.Exp(lg1-lg2)
}
