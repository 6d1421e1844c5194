package theory

import (
	"fmt"
	"math"
)

// EscapeThreshold returns Corollary 2's threshold on the initial squared
// norm M₀ = ‖X₀‖² above which escape (r_T < r₀ ≤ lim r_t for some T > 0)
// is guaranteed when f₀ = 1 − r̲* and ε(t) < eps < r̲* for all t:
//
//	‖X₀‖² > η(p − 1)σ² (1 − p r̲*/(p − 1)) / (2ξ(a₂ − a₁)(r̲* − ε)),
//
// with r̲* the exact lower limiting risk of LimitingRiskBounds. Derivation
// (docs/derivations.md §7): the upper comparison equation of Theorem 1 has
// dR̄/dt < 0 at t = 0 iff this holds, with Δ₀ = ησ√(p − 1)/‖X₀‖² (Lemma 1).
// The printed condition 3 lacks the factor 2 and the (1 − p r̲*/(p − 1))
// (erratum E10); the text's "√M₀" for the initial norm is consistent with
// M = ‖X‖² (erratum E1).
func (p Params) EscapeThreshold(xi, eps float64) (float64, error) {
	if err := p.spectrum(); err != nil {
		return 0, err
	}
	rl, _ := p.LimitingRiskBounds(xi)
	if !(eps >= 0 && eps < rl) || !(xi > 0 && xi < 1) {
		return 0, fmt.Errorf("%w: Corollary 2 needs 0 < ξ < 1 and 0 ≤ ε < r̲* = %v, have ξ = %v, ε = %v", ErrAssumption, rl, xi, eps)
	}
	q := float64(p.P)
	return p.Eta * (q - 1) * p.Sigma * p.Sigma * (1 - q*rl/(q-1)) / (2 * xi * (p.A2() - p.A1()) * (rl - eps)), nil
}

// PaperEscapeThreshold returns Corollary 2's condition 3 as printed,
//
//	M₀ > (p − 1)σ²η / ((r̲* − ε)(a₂ − a₁)ξ)   (as printed),
//
// with the printed r̲* of eq 24 (PaperLimitingRiskBounds). Read with
// M₀ = ‖X₀‖² it is a threshold on the squared norm.
func (p Params) PaperEscapeThreshold(xi, eps float64) float64 {
	rl, _ := p.PaperLimitingRiskBounds(xi)
	return float64(p.P-1) * p.Sigma * p.Sigma * p.Eta / ((rl - eps) * (p.A2() - p.A1()) * xi)
}

// Escapes reports whether Corollary 2's sufficient condition for escape
// holds for the initial norm ‖X₀‖ = norm0 (with f₀ = 1 − r̲*), i.e.
// norm0² > EscapeThreshold(xi, eps).
func (p Params) Escapes(norm0, xi, eps float64) (bool, error) {
	m, err := p.EscapeThreshold(xi, eps)
	if err != nil {
		return false, err
	}
	return norm0*norm0 > m, nil
}

// Corollary3 returns the parameters and initial point of Corollary 3's
// equivalent run, (X₀, η, λ) → (k X₀, k² η, λ / k²):
//
//	X₀′ = k X₀,  η′ = k² η,  λ′ = λ / k².
//
// The discrete trajectory of X̃ (and so r_t) is unchanged to rounding for
// the same noise ε_n, because g(kX) = g(X)/k (eq 6) gives X′_n = k X_n
// exactly; λη, Δ_t and ‖X‖⁴/η are invariant.
func Corollary3(p Params, x0 []float64, k float64) (Params, []float64) {
	q := p
	q.Eta = p.Eta * k * k
	q.Lambda = p.Lambda / (k * k)
	x := make([]float64, len(x0))
	for i, v := range x0 {
		x[i] = k * v
	}
	return q, x
}

// Corollary3Schedule applies Corollary 3's transform to every phase of a
// schedule (η ← k²η, λ ← λ/k²); rescale factors are unchanged.
func Corollary3Schedule(s Schedule, k float64) Schedule {
	out := make(Schedule, len(s))
	for i, ph := range s {
		ph.Eta *= k * k
		ph.Lambda /= k * k
		out[i] = ph
	}
	return out
}

// NormFromAngles returns ‖X_n‖/‖X₀‖ implied by the discrete AUs Δ_0…Δ_{n−1}
// of eq 3 under constant λη, the pathwise identity
//
//	ln(‖X_n‖/‖X₀‖) = n ln(1 − λη) − Σ_{k<n} ln cos Δ_k,
//
// exact for every A and Σ̃ because g_k ⟂ X_k (docs/derivations.md §5).
// Simulators can use it as an exact check.
func (p Params) NormFromAngles(deltas []float64) float64 {
	s := float64(len(deltas)) * math.Log1p(-p.Lambda*p.Eta)
	for _, d := range deltas {
		s -= math.Log(math.Cos(d))
	}
	return math.Exp(s)
}
