package theory

import (
	"fmt"
	"math"
)

// EquilibriumNorm returns the equilibrium norm ‖w‖ of a scale-invariant
// weight with c elements under optimizer o, where it does not depend on
// the gradient's magnitude:
//
//	adamw   √(ηc/(2λ))                  (Kosson et al. 2024, Table 1)
//	lion    √(ηc/(πλK)),  K = (1 − β₁)² + β₁²(1 − β₂)/(1 + β₂)
//
// AdamW's normalized update m̂/(√v̂ + ε) has mean square (1 − β₁)/(1 + β₁)
// per element for uncorrelated gradients, Lion's sign update exactly 1, so
// ‖w‖ = η‖u‖/Δ with EquilibriumAU's Δ. For SGD the norm scales with
// √‖g‖ (‖w‖⁴ → η‖g‖²‖w‖²/(2λ), paper eq 17) and is not predictable from
// η, λ alone: an error wrapping ErrAssumption. Derivation: docs/measure.md §3.
func EquilibriumNorm(o Optimizer, eta, lambda float64, c int) (float64, error) {
	if err := o.check(eta, lambda); err != nil {
		return math.NaN(), err
	}
	switch o.Name {
	case "adamw":
		return math.Sqrt(eta * float64(c) / (2 * lambda)), nil
	case "lion":
		b1, b2 := o.Beta1, o.Beta2
		k := (1-b1)*(1-b1) + b1*b1*(1-b2)/(1+b2)
		return math.Sqrt(eta * float64(c) / (math.Pi * lambda * k)), nil
	}
	return math.NaN(), fmt.Errorf("%w: the equilibrium norm under SGD depends on the gradient norm", ErrAssumption)
}
