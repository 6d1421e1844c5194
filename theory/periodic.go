package theory

import (
	"fmt"
	"math"
)

// EntryExitKappa returns, for the low-noise periodic regime of a normalized
// model with weight decay (Lobacheva et al. 2021), the sharpness ratio
// κ₋ at which the direction destabilises, given the ratio κ₊ < 2 right
// after the previous norm jump. κ = η_eff·(a_p − a₁) with η_eff =
// η/((1 − ηλ)‖X‖²) is the step's stability ratio on the sphere: the
// deviation θ from the minimiser's direction obeys θ' ≈ (1 − κ)θ, so it
// contracts while κ < 2 and grows once κ > 2. Between jumps the gradient
// is negligible, ‖X‖² ∝ (1 − ηλ)^{2n} and κ grows geometrically; the
// deviation returns to the size it had after the jump when the
// accumulated log-growth vanishes (the entry–exit relation of a slow
// passage through a period-doubling instability):
//
//	∫_{κ₊}^{κ₋} ln|1 − κ| dκ/κ = 0,   independent of η and λ.
//
// It holds when the gradient noise is too small to lift θ above its
// minimum θ₊·exp(∫_{κ₊}^{2} ln|1 − κ| dκ/κ / (2ηλ)) (else the exit comes
// earlier, at κ closer to 2), and to leading order in ηλ (the sum over
// steps replaced by an integral). Derivation: docs/derivations.md §13.
func EntryExitKappa(kPlus float64) (float64, error) {
	if !(kPlus > 0 && kPlus < 2) {
		return 0, fmt.Errorf("%w: κ₊ = %v, need 0 < κ₊ < 2", ErrParams, kPlus)
	}
	in := integrateLogAbs(kPlus, 2) // < 0
	lo, hi := 2.0, 2.0
	for integrateLogAbs(2, hi) < -in { // bracket
		lo, hi = hi, 2*hi
		if hi > 1e6 {
			return 0, fmt.Errorf("%w: no exit below κ = 10⁶", ErrAssumption)
		}
	}
	for range 60 {
		m := (lo + hi) / 2
		if integrateLogAbs(2, m) < -in {
			lo = m
		} else {
			hi = m
		}
	}
	return (lo + hi) / 2, nil
}

// integrateLogAbs returns ∫_a^b ln|1 − κ|/κ dκ for 0 < a < b: composite
// Simpson after the substitution κ = 1 ± s², which removes the logarithmic
// singularity at κ = 1 (an interval across 1 is split there).
func integrateLogAbs(a, b float64) float64 {
	if a < 1 && b > 1 {
		return integrateLogAbs(a, 1) + integrateLogAbs(1, b)
	}
	// κ = 1 ± s², dκ = ±2s ds: the integrand 2s·ln(s²)/(1 ± s²) is finite.
	sign := 1.0
	if b <= 1 {
		sign = -1
	}
	sa, sb := math.Sqrt(math.Abs(a-1)), math.Sqrt(math.Abs(b-1))
	f := func(s float64) float64 {
		if s == 0 {
			return 0
		}
		return 2 * s * math.Log(s*s) / (1 + sign*s*s)
	}
	const n = 2000 // even
	h := (sb - sa) / n
	sum := f(sa) + f(sb)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(sa+float64(i)*h)
	}
	// For b ≤ 1, κ = 1 − s² runs from a to b as s runs from sa down to sb;
	// the sign of dκ = −2s ds and that of the reversed range cancel up to
	// the sign factor.
	return sign * sum * h / 3
}

// PeriodicDecaySteps returns the steps the norm needs to decay from the
// post-jump ratio κ₊ to the destabilising κ₋ when the gradient is
// negligible (‖X_{n+1}‖² = (1 − ηλ)²‖X_n‖², eq 5.1 at g = 0):
//
//	T = ln(κ₋/κ₊) / (−2 ln(1 − ηλ)).
func PeriodicDecaySteps(kPlus, kMinus, eta, lambda float64) float64 {
	return math.Log(kMinus/kPlus) / (-2 * math.Log1p(-eta*lambda))
}

// EntryExitSteps is EntryExitKappa's relation summed step by step instead
// of integrated: the number of decay steps n after the jump at which
//
//	Σ_{k<n} ln|1 − κ₊(1 − ηλ)^{−2k}| ≥ 0  with κ₊(1 − ηλ)^{−2n} > 2,
//
// and κ₋ = κ₊(1 − ηλ)^{−2n}. It removes the O(ηλ) error of the integral
// (at ηλ = 10⁻² it moves κ₋ by 3 %); the other hypotheses are those of
// EntryExitKappa (docs/derivations.md §13).
func EntryExitSteps(kPlus, eta, lambda float64) (steps int, kMinus float64, err error) {
	if !(kPlus > 0 && kPlus < 2) || !(eta*lambda > 0 && eta*lambda < 1) {
		return 0, 0, fmt.Errorf("%w: κ₊ = %v, ηλ = %v", ErrParams, kPlus, eta*lambda)
	}
	g2 := 1 / ((1 - eta*lambda) * (1 - eta*lambda))
	s, k := 0.0, kPlus
	for n := 0; n < 1e8; n++ {
		if s >= 0 && k > 2 {
			return n, k, nil
		}
		if k == 1 {
			return 0, 0, fmt.Errorf("%w: κ hits 1 exactly", ErrAssumption)
		}
		s += math.Log(math.Abs(1 - k))
		k *= g2
	}
	return 0, 0, fmt.Errorf("%w: no exit in 10⁸ steps", ErrAssumption)
}
