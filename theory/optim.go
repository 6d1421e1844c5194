package theory

import (
	"fmt"
	"math"
)

// Optimizer names an optimizer and its hyper-parameters other than η and λ:
// Name is "sgd" (heavy-ball momentum Momentum, 0 for plain SGD: PyTorch's
// v ← μv + ∇L + λw, w ← w − ηv), "adamw" (PyTorch's AdamW: decoupled decay
// w ← w − ηλw − η m̂/(√v̂ + ε), moments Beta1, Beta2, Eps) or "lion"
// (w ← w − η(sign(β₁m + (1 − β₁)g) + λw), m ← β₂m + (1 − β₂)g).
type Optimizer struct {
	Name                        string // "sgd", "adamw", "lion"
	Momentum, Beta1, Beta2, Eps float64
}

func (o Optimizer) check(eta, lambda float64) error {
	if !(eta > 0) || math.IsInf(eta, 0) || !(lambda > 0) || math.IsInf(lambda, 0) {
		return fmt.Errorf("%w: %s: η = %g and λ = %g must be positive and finite (no equilibrium without weight decay)", ErrParams, o.Name, eta, lambda)
	}
	in01 := func(x float64) bool { return x >= 0 && x < 1 }
	switch o.Name {
	case "sgd":
		if !in01(o.Momentum) {
			return fmt.Errorf("%w: sgd: momentum %g not in [0, 1)", ErrParams, o.Momentum)
		}
	case "adamw", "lion":
		if !in01(o.Beta1) || !in01(o.Beta2) {
			return fmt.Errorf("%w: %s: β₁ = %g, β₂ = %g not in [0, 1)", ErrParams, o.Name, o.Beta1, o.Beta2)
		}
	default:
		return fmt.Errorf("%w: unknown optimizer %q (want sgd, adamw or lion)", ErrParams, o.Name)
	}
	return nil
}

// EquilibriumAU returns the equilibrium root-mean-square angular update per
// step of a scale-invariant weight under optimizer o with learning rate η
// and weight decay λ (the rotational equilibrium of Kosson et al. 2024,
// "Rotational equilibrium: how weight decay balances learning across
// neural networks", ICML 2024, Table 1; code epfml/REQ,
// shared/optimizers/rotational_wrapper.py, *_etar_func):
//
//	sgd, μ = 0     √(2ηλ)                                  (paper Lemma 1)
//	sgd, μ > 0     √(2ηλ/(1 + μ))                          (heavy ball)
//	adamw          √(2ηλ(1 − β₁)/(1 + β₁))
//	lion           √(πηλ) · √((1 − β₁)² + β₁²(1 − β₂)/(1 + β₂))
//
// They hold to leading order in ηλ ≪ 1 once the norm has settled (after
// ~EquilibriumTime steps at constant η, λ), for weights whose gradient is
// orthogonal to them; for AdamW and Lion also when successive updates are
// uncorrelated apart from the momentum (the random-walk model of REQ,
// section 3) and, for AdamW, ε negligible against √v̂. Derivations:
// docs/measure.md §3.
func EquilibriumAU(o Optimizer, eta, lambda float64) (float64, error) {
	if err := o.check(eta, lambda); err != nil {
		return math.NaN(), err
	}
	switch o.Name {
	case "sgd":
		return math.Sqrt(2 * eta * lambda / (1 + o.Momentum)), nil
	case "adamw":
		return math.Sqrt(2 * eta * lambda * (1 - o.Beta1) / (1 + o.Beta1)), nil
	}
	b1, b2 := o.Beta1, o.Beta2
	return math.Sqrt(math.Pi*eta*lambda) * math.Sqrt((1-b1)*(1-b1)+b1*b1*(1-b2)/(1+b2)), nil
}

// EquilibriumTime returns the time scale, in steps, on which a weight's
// norm (and with it the angular update) approaches equilibrium,
//
//	sgd            (1 − μ)/(ηλ)   (the decay factor per step is 1 − ηλ/(1 − μ) for slowly varying w)
//	adamw, lion    1/(ηλ)         (decoupled decay: w ← (1 − ηλ)w + …)
//
// For plain SGD ‖w‖⁴ relaxes at rate 4ηλ (paper eq 17), so 1/(ηλ) is
// about four e-foldings of ‖w‖⁴: a "has it settled" scale, not a precise
// constant. Derivation: docs/measure.md §3.
func EquilibriumTime(o Optimizer, eta, lambda float64) (float64, error) {
	if err := o.check(eta, lambda); err != nil {
		return math.NaN(), err
	}
	if o.Name == "sgd" {
		return (1 - o.Momentum) / (eta * lambda), nil
	}
	return 1 / (eta * lambda), nil
}
