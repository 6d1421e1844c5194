package theory

import (
	"fmt"
	"math"
)

// Rates returns the rate coefficients of Theorem 1 at angular update Δ,
//
//	g̲(Δ) = 2(a_p − a₁)Δ/(σ√(p − 1)) + pΔ²/(p − 1)     (eq 19, G₁ = ∫g̲)
//	ḡ(Δ) = 2ξ(a₂ − a₁)Δ/(σ√(p − 1)) + pΔ²/(p − 1)     (eq 21, G̃₁ = ∫ḡ)
//
// corrected (docs/derivations.md §6, erratum E8): from the corrected eq 16,
// dr/dt = Δ² − pΔ²r/(p − 1) − 2Δ E[(2L − a₁)f]/(σ√(p − 1)). The paper prints
// the first terms as (a_p − a₁)η Δ/(√(p − 1)σ): a stray η and a missing 2.
func (p Params) Rates(delta, xi float64) (lower, upper float64) {
	q := float64(p.P)
	c := 2 * delta / (p.Sigma * math.Sqrt(q-1))
	d := q * delta * delta / (q - 1)
	return c*(p.AP()-p.A1()) + d, c*xi*(p.A2()-p.A1()) + d
}

// PaperRates returns the printed integrands of eqs 19 and 21,
//
//	(a_p − a₁)η Δ/(√(p − 1)σ) + pΔ²/(p − 1),  (a₂ − a₁)ηξ Δ/(√(p − 1)σ) + pΔ²/(p − 1).
func (p Params) PaperRates(delta, xi float64) (lower, upper float64) {
	q := float64(p.P)
	c := p.Eta * delta / (p.Sigma * math.Sqrt(q-1))
	d := q * delta * delta / (q - 1)
	return c*(p.AP()-p.A1()) + d, c*xi*(p.A2()-p.A1()) + d
}

// RiskBounds returns Theorem 1's lower and upper bounds on the risk r_t at
// the sample times t (t[0] = 0, increasing), given the AU path au[i] = Δ(t[i])
// and the tail path eps[i] = ε(t[i]) = P(f_{t_i} < ξ):
//
//	r_t ≥ e^{−G₁(t)} [r₀ + ∫₀ᵗ Δ_τ² e^{G₁(τ)} dτ]                          (eq 18)
//	r_t ≤ e^{−G̃₁(t)} [r₀ + ∫₀ᵗ (Δ_τ² + 2ξ(a₂ − a₁)ε(τ)Δ_τ/(σ√(p − 1))) e^{G̃₁(τ)} dτ]  (eq 20)
//
// with G₁, G̃₁ the integrals of Rates (eqs 19, 21 corrected). These are the
// solutions of R′ = S − gR; they are integrated exactly for coefficients
// that are constant on each interval, taking the trapezoid mean of g and S
// (second order in the sampling step). Eq 20 as printed has e^{−G̃_τ} inside
// the integral and ε(t) instead of ε(τ) (erratum E8). Holds under
// Assumptions 1–2 with Δ_t from Lemma 1 (any schedule) and r₀ = 1 − E f₀.
func (p Params) RiskBounds(r0, xi float64, t, au, eps []float64) (lower, upper []float64, err error) {
	if err := p.boundsArgs(xi, t, au, eps); err != nil {
		return nil, nil, err
	}
	q := float64(p.P)
	cu := 2 * xi * (p.A2() - p.A1()) / (p.Sigma * math.Sqrt(q-1))
	n := len(t)
	lower, upper = make([]float64, n), make([]float64, n)
	lower[0], upper[0] = r0, r0
	for i := 1; i < n; i++ {
		h := t[i] - t[i-1]
		gl0, gu0 := p.Rates(au[i-1], xi)
		gl1, gu1 := p.Rates(au[i], xi)
		s0, s1 := au[i-1]*au[i-1], au[i]*au[i]
		lower[i] = relax(lower[i-1], (gl0+gl1)/2, (s0+s1)/2, h)
		su := (s0 + cu*eps[i-1]*au[i-1] + s1 + cu*eps[i]*au[i]) / 2
		upper[i] = relax(upper[i-1], (gu0+gu1)/2, su, h)
	}
	return lower, upper, nil
}

// RiskBoundsFunc is RiskBounds with the AU and tail paths given as
// functions of t, sampled at the times t (e.g. au = Path.AU, and eps a
// constant StationaryTail(ξ) or a simulated tail).
func (p Params) RiskBoundsFunc(r0, xi float64, t []float64, au, eps func(t float64) float64) (lower, upper []float64, err error) {
	a, e := make([]float64, len(t)), make([]float64, len(t))
	for i, ti := range t {
		a[i], e[i] = au(ti), eps(ti)
	}
	return p.RiskBounds(r0, xi, t, a, e)
}

// relax advances R′ = s − gR over a step h exactly for constant g, s.
func relax(r, g, s, h float64) float64 {
	if g*h < 1e-300 {
		return r + s*h
	}
	e := -math.Expm1(-g * h) // 1 − e^{−gh}
	return r*(1-e) + s/g*e
}

// PaperRiskBounds evaluates eqs 18–21 exactly as printed: the printed
// integrands PaperRates, and in eq 20 the factor e^{−G̃_τ} inside the
// integral and ε(t) at the final time. Integrals use the trapezoid rule.
func (p Params) PaperRiskBounds(r0, xi float64, t, au, eps []float64) (lower, upper []float64, err error) {
	if err := p.boundsArgs(xi, t, au, eps); err != nil {
		return nil, nil, err
	}
	q := float64(p.P)
	cu := (p.A2() - p.A1()) * p.Eta * xi / (math.Sqrt(q-1) * p.Sigma)
	n := len(t)
	lower, upper = make([]float64, n), make([]float64, n)
	lower[0], upper[0] = r0, r0
	var G, Gt float64    // G₁(t), G̃₁(t)
	var IL, A, B float64 // ∫Δ²e^{G₁}, ∫cΔe^{−G̃}, ∫Δ²e^{−G̃}
	for i := 1; i < n; i++ {
		h := t[i] - t[i-1]
		gl0, gu0 := p.PaperRates(au[i-1], xi)
		gl1, gu1 := p.PaperRates(au[i], xi)
		G1, Gt1 := G+h*(gl0+gl1)/2, Gt+h*(gu0+gu1)/2
		IL += h * (au[i-1]*au[i-1]*math.Exp(G) + au[i]*au[i]*math.Exp(G1)) / 2
		A += h * (cu*au[i-1]*math.Exp(-Gt) + cu*au[i]*math.Exp(-Gt1)) / 2
		B += h * (au[i-1]*au[i-1]*math.Exp(-Gt) + au[i]*au[i]*math.Exp(-Gt1)) / 2
		G, Gt = G1, Gt1
		lower[i] = math.Exp(-G) * (r0 + IL)
		upper[i] = math.Exp(-Gt) * (r0 + eps[i]*A + B)
	}
	return lower, upper, nil
}

func (p Params) boundsArgs(xi float64, t, au, eps []float64) error {
	if err := p.spectrum(); err != nil {
		return err
	}
	if !(p.Sigma > 0) {
		return fmt.Errorf("%w: Theorem 1 needs σ > 0", ErrParams)
	}
	if !(xi > 0 && xi < 1) {
		return fmt.Errorf("%w: ξ = %v, need 0 < ξ < 1", ErrParams, xi)
	}
	if len(t) == 0 || len(au) != len(t) || len(eps) != len(t) {
		return fmt.Errorf("%w: need len(t) = len(au) = len(eps) ≥ 1, have %d, %d, %d", ErrParams, len(t), len(au), len(eps))
	}
	for i := 1; i < len(t); i++ {
		if !(t[i] > t[i-1]) {
			return fmt.Errorf("%w: sample times must increase (index %d)", ErrParams, i)
		}
	}
	return nil
}

// EquilibriumRates returns the convergence rates of Corollary 1 at the
// equilibrium AU Δ = √(2λη), exactly (no O(λη) dropped),
//
//	g̲* = 2(a_p − a₁)√(2λη)/(σ√(p − 1)) + 2pλη/(p − 1),
//	ḡ* = 2ξ(a₂ − a₁)√(2λη)/(σ√(p − 1)) + 2pλη/(p − 1),
//
// eq 23 corrected: a factor 2, and a₂ − a₁ (not a_p − a₁) in ḡ*
// (docs/derivations.md §6, erratum E9).
func (p Params) EquilibriumRates(xi float64) (lower, upper float64) {
	return p.Rates(p.AULimit(), xi)
}

// PaperEquilibriumRates returns eq 23 as printed, without the O(λη) terms,
//
//	g̲* = (a_p − a₁)√(2λη)/(√(p − 1)σ),  ḡ* = ξ(a_p − a₁)√(2λη)/(√(p − 1)σ).
func (p Params) PaperEquilibriumRates(xi float64) (lower, upper float64) {
	c := p.AULimit() / (math.Sqrt(float64(p.P-1)) * p.Sigma)
	return (p.AP() - p.A1()) * c, xi * (p.AP() - p.A1()) * c
}

// LimitingRiskBounds returns the limiting-risk bounds of Corollary 1,
// exactly, r̲* = Δ²/g̲* and r̄* = Δ²/ḡ* at Δ = √(2λη), so that
// r̲* ≤ lim r_t ≤ r̄* + ε; to leading order
//
//	r̲* = √(p − 1)σ√(2λη)/(2(a_p − a₁)) + O(λη),
//	r̄* = √(p − 1)σ√(2λη)/(2ξ(a₂ − a₁)) + O(λη),
//
// eq 24 corrected (a factor 2; docs/derivations.md §6, erratum E9).
func (p Params) LimitingRiskBounds(xi float64) (lower, upper float64) {
	gl, gu := p.EquilibriumRates(xi)
	d2 := 2 * p.Lambda * p.Eta
	return d2 / gl, d2 / gu
}

// PaperLimitingRiskBounds returns eq 24 as printed, without the O(λη) terms,
//
//	r̲* = √(p − 1)σ√(2λη)/(a_p − a₁),  r̄* = √(p − 1)σ√(2λη)/(ξ(a₂ − a₁)).
func (p Params) PaperLimitingRiskBounds(xi float64) (lower, upper float64) {
	c := math.Sqrt(float64(p.P-1)) * p.Sigma * p.AULimit()
	return c / (p.AP() - p.A1()), c / (xi * (p.A2() - p.A1()))
}

// EquilibriumRiskBounds returns the bounds of eq 22 at time t when the norm
// starts at equilibrium (Δ_t = √(2λη)) and ε(t) ≤ eps:
//
//	r̲* + (r₀ − r̲*)e^{−g̲* t} ≤ r_t ≤ R̄ + (r₀ − R̄)e^{−ḡ* t},
//	R̄ = (Δ² + 2ξ(a₂ − a₁)εΔ/(σ√(p − 1)))/ḡ* ≤ r̄* + ε,
//
// the exact solutions of Theorem 1's comparison equations (eq 22 with its
// constant C = r₀ − R̄ made explicit).
func (p Params) EquilibriumRiskBounds(t, r0, xi, eps float64) (lower, upper float64) {
	gl, gu := p.EquilibriumRates(xi)
	rl, _ := p.LimitingRiskBounds(xi)
	d := p.AULimit()
	rbar := (d*d + 2*xi*(p.A2()-p.A1())*eps*d/(p.Sigma*math.Sqrt(float64(p.P-1)))) / gu
	return rl + (r0-rl)*math.Exp(-gl*t), rbar + (r0-rbar)*math.Exp(-gu*t)
}
