package theory

import (
	"fmt"
	"math"
)

// Optimizer names an update rule and its knobs, as in PyTorch:
//
//	sgd    b ← μb + g + λX,  X ← X − ηb            (torch.optim.SGD; μ = Momentum)
//	adamw  X ← (1 − ηλ)X, then X ← X − η m̂/(√v̂ + ε) (torch.optim.AdamW)
//	lion   X ← (1 − ηλ)X − η sign(β₁m + (1 − β₁)g), m ← β₂m + (1 − β₂)g
//	                                                 (Chen et al. 2023, Alg. 2)
//
// Zero values are not defaults here: the config layer (sim, experiment)
// resolves PyTorch's defaults (AdamW β = (0.9, 0.999), ε = 1e−8; Lion
// β = (0.9, 0.99)) before a value reaches theory.
type Optimizer struct {
	Name     string  // "sgd", "adamw" or "lion"
	Momentum float64 // μ ∈ [0, 1), sgd only
	Beta1    float64 // β₁ ∈ [0, 1), adamw and lion
	Beta2    float64 // β₂ ∈ [0, 1), adamw and lion
	Eps      float64 // ε ≥ 0, adamw only
}

// Optimizer names.
const (
	SGD   = "sgd"
	AdamW = "adamw"
	Lion  = "lion"
)

// Validate reports whether o names a known optimizer with knobs in range.
func (o Optimizer) Validate() error {
	in01 := func(v float64) bool { return v >= 0 && v < 1 }
	switch o.Name {
	case SGD:
		if !in01(o.Momentum) {
			return fmt.Errorf("%w: momentum μ = %v, need 0 ≤ μ < 1", ErrParams, o.Momentum)
		}
	case AdamW, Lion:
		if !in01(o.Beta1) {
			return fmt.Errorf("%w: β₁ = %v, need 0 ≤ β₁ < 1", ErrParams, o.Beta1)
		}
		if !in01(o.Beta2) {
			return fmt.Errorf("%w: β₂ = %v, need 0 ≤ β₂ < 1", ErrParams, o.Beta2)
		}
		if !(o.Eps >= 0) || math.IsInf(o.Eps, 0) {
			return fmt.Errorf("%w: ε = %v, need 0 ≤ ε < ∞", ErrParams, o.Eps)
		}
	default:
		return fmt.Errorf("%w: optimizer %q, need sgd, adamw or lion", ErrParams, o.Name)
	}
	return nil
}

func checkEtaLambda(eta, lambda float64) error {
	switch {
	case !(eta > 0) || math.IsInf(eta, 0):
		return fmt.Errorf("%w: η = %v, need 0 < η < ∞", ErrParams, eta)
	case !(lambda > 0) || math.IsInf(lambda, 0):
		return fmt.Errorf("%w: λ = %v, an equilibrium needs 0 < λ < ∞", ErrParams, lambda)
	case eta*lambda >= 1:
		return fmt.Errorf("%w: ηλ = %v, need ηλ < 1", ErrParams, eta*lambda)
	}
	return nil
}

// EquilibriumAU returns the equilibrium RMS angular update √(E Δ²) per step
// of a scale-invariant loss (g(kX) = g(X)/k, g ⟂ X) under optimizer o,
//
//	sgd, μ = 0   Δ = √(2λη)                          (Lemma 1 of the NRQ paper)
//	sgd, μ       Δ = √(2λη/(1 + μ))                  (REQ Table 1, SGDM)
//	adamw        Δ = √(2ηλ(1 − β₁)/(1 + β₁))         (REQ Table 1, AdamW)
//	lion         Δ = √(π/2)·√(2ηλ)·s(β₁, β₂),
//	             s² = (1 − β₁)² + β₁²(1 − β₂)/(1 + β₂)  (REQ, rotational_lion.py)
//
// Sources: Kosson, Messmer, Jaggi 2024, "Rotational equilibrium: how weight
// decay balances learning across neural networks" (REQ; Table 1 and the
// reference code epfml/REQ shared/optimizers/rotational_*.py), derived again
// in docs/derivations.md §10. All are leading order in ηλ (relative
// corrections O(ηλ), and O(ηλ/(1 − μ)) for momentum) and hold once the
// norm has equilibrated (EquilibriumTime). Beyond that, each rests on a
// modelling step that smd tests rather than assumes (§10): SGDM treats the
// gradients as uncorrelated in time; AdamW assumes the second-moment
// estimate v̂ equals E g² per coordinate (β₂ → 1, ε ≪ √v̂) and that the
// coordinate-wise step is orthogonal to X on average; Lion linearises sign(·)
// (sign(v) ≈ √(2/π) v/σ_v for Gaussian v), which LionEquilibriumAUArcsin
// does without.
func EquilibriumAU(o Optimizer, eta, lambda float64) (float64, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	if err := checkEtaLambda(eta, lambda); err != nil {
		return 0, err
	}
	switch o.Name {
	case SGD:
		return math.Sqrt(2 * lambda * eta / (1 + o.Momentum)), nil
	case AdamW:
		return math.Sqrt(2 * eta * lambda * (1 - o.Beta1) / (1 + o.Beta1)), nil
	default: // Lion
		return math.Sqrt(math.Pi/2*2*eta*lambda) * lionS(o.Beta1, o.Beta2), nil
	}
}

// lionS returns the standard deviation of Lion's pre-sign interpolation
// v = β₁m + (1 − β₁)g for i.i.d. unit-variance g and stationary m.
func lionS(b1, b2 float64) float64 {
	return math.Sqrt((1-b1)*(1-b1) + b1*b1*(1-b2)/(1+b2))
}

// EquilibriumTime returns the relaxation time (in steps) of the weight norm
// towards its equilibrium: the e-folding time of the deviation of the
// quantity whose mean obeys a linear recursion,
//
//	sgd, μ     ‖X‖⁴ − ‖X_∞‖⁴ ∝ e^{−n/τ},   τ = (1 − μ)/(4ηλ)
//	adamw      ‖X‖² − ‖X_∞‖² ∝ e^{−n/τ},   τ = 1/(2ηλ)
//	lion       ‖X‖² − ‖X_∞‖² ∝ e^{−n/τ},   τ = 1/(2ηλ)
//
// For SGD it is eq 12/17 of the NRQ paper (the exponent 4ληt of NormSq);
// momentum divides the step's weight decay by 1 − μ in the slow dynamics
// (effective η/(1 − μ), Kunin et al. 2021 §5). AdamW and Lion make
// scale-free steps of squared length ≈ C, so d‖X‖²/dn = −2ηλ‖X‖² + const
// (REQ §3: "the time to reach equilibrium is of order 1/(ηλ)"). The angular
// update follows the norm: Δ ∝ ‖X‖⁻² (sgd) or ‖X‖⁻¹ (adamw, lion).
// Derivations: docs/derivations.md §10.
func EquilibriumTime(o Optimizer, eta, lambda float64) (float64, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	if err := checkEtaLambda(eta, lambda); err != nil {
		return 0, err
	}
	if o.Name == SGD {
		return (1 - o.Momentum) / (4 * eta * lambda), nil
	}
	return 1 / (2 * eta * lambda), nil
}

// EquilibriumNormSq returns the equilibrium squared weight norm ‖X_∞‖² of a
// scale-invariant loss under optimizer o, given the number of coordinates c
// and, for sgd, grad2 = E‖g‖² at unit norm (for the NRQ: (p − 1)σ² plus the
// stationary E‖PAX̃‖², 0 for A = aI),
//
//	sgd, μ     ‖X_∞‖² = √(η·grad2 / (2λ(1 − μ)))          (μ = 0: eq 17)
//	adamw      ‖X_∞‖² = ηC/(2λ)                           (REQ Table 1)
//	lion       ‖X_∞‖² = ηC/(2λ·(π/2)·s²) = ηC·D/(2λ)       (REQ's AU with ‖u‖² = C)
//
// with s as in EquilibriumAU and D = 2/(πs²) Lion's per-coordinate
// diffusion in REQ's linearisation (LionDiffusion). grad2 is ignored for
// adamw and lion, c for sgd. Leading order in ηλ; the hypotheses of
// EquilibriumAU apply. Derivation: docs/derivations.md §10.
func EquilibriumNormSq(o Optimizer, eta, lambda float64, c int, grad2 float64) (float64, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	if err := checkEtaLambda(eta, lambda); err != nil {
		return 0, err
	}
	switch o.Name {
	case SGD:
		if !(grad2 >= 0) || math.IsInf(grad2, 0) {
			return 0, fmt.Errorf("%w: E‖g‖² = %v, need 0 ≤ E‖g‖² < ∞", ErrParams, grad2)
		}
		return math.Sqrt(eta * grad2 / (2 * lambda * (1 - o.Momentum))), nil
	case AdamW:
		if c < 1 {
			return 0, fmt.Errorf("%w: C = %d coordinates, need C ≥ 1", ErrParams, c)
		}
		return eta * float64(c) / (2 * lambda), nil
	default:
		if c < 1 {
			return 0, fmt.Errorf("%w: C = %d coordinates, need C ≥ 1", ErrParams, c)
		}
		d, _ := LionDiffusion(o.Beta1, o.Beta2)
		return eta * float64(c) * d / (2 * lambda), nil
	}
}

// EquilibriumNorm returns √EquilibriumNormSq: ‖X_∞‖.
func EquilibriumNorm(o Optimizer, eta, lambda float64, c int, grad2 float64) (float64, error) {
	m, err := EquilibriumNormSq(o, eta, lambda, c, grad2)
	return math.Sqrt(m), err
}

// LionDiffusion returns the per-coordinate diffusion constant of Lion's
// step u_n = sign(v_n), v_n = β₁m_{n−1} + (1 − β₁)g_n, for i.i.d. zero-mean
// Gaussian g: the long-run growth rate of E(Σ_k u_k)² per step,
//
//	D = Σ_{k∈ℤ} E u_n u_{n−k} = 1 + 2 Σ_{k≥1} (2/π) arcsin ρ_k     (exact)
//	D_REQ = (2/π)(1 + 2Σ_{k≥1} ρ_k) = 2/(π s²)                    (REQ)
//
// with ρ_k the autocorrelation of v (ρ_k = (β₁²β₂^k s_m² +
// β₁(1 − β₁)(1 − β₂)β₂^{k−1})/s², s_m² = (1 − β₂)/(1 + β₂)) and
// E sign(a)sign(b) = (2/π) arcsin ρ (Sheppard 1899). REQ's value is the
// linearisation sign(v) ≈ √(2/π)v/s, which drops the white part of the
// sign's nonlinearity: D − D_REQ = 1 − 2/π + O(ρ³). It returns (D_REQ, D).
// Derivation: docs/derivations.md §10.
func LionDiffusion(b1, b2 float64) (req, exact float64) {
	s2 := lionS(b1, b2)
	s2 *= s2
	req = 2 / (math.Pi * s2)
	sm2 := (1 - b2) / (1 + b2)
	// Σ_{k≥1} ρ_k = (1/s² − 1)/2 in closed form (the gains of g in v sum to
	// 1, so Σ_{k∈ℤ} ρ_k s² = 1); only the excess arcsin ρ − ρ ≤ ρ³ is summed,
	// until ρ_k ≤ β₂^{k−1} makes the remaining excess < 1e−18.
	sum := (1/s2 - 1) / 2
	for bk := 1.0; bk > 1e-6; bk *= b2 { // bk = β₂^{k−1}
		rho := (b1*b1*b2*bk*sm2 + b1*(1-b1)*(1-b2)*bk) / s2
		sum += math.Asin(min(rho, 1)) - rho
	}
	exact = 1 + 4/math.Pi*sum
	return req, exact
}

// LionEquilibriumAUArcsin returns Lion's equilibrium RMS angular update
// without REQ's linearisation of sign(·),
//
//	Δ = √(2ηλ/D),   D = 1 + (4/π) Σ_{k≥1} arcsin ρ_k   (LionDiffusion),
//
// from ‖u‖² = C exactly and the norm balance 2ηλ‖X‖² = η²C·D. It differs
// from REQ's √(π/2)√(2ηλ)s by the factor √(D_REQ/D) (≈ 0.996 at PyTorch's
// β = (0.9, 0.99)). Same hypotheses otherwise as EquilibriumAU
// (docs/derivations.md §10).
func LionEquilibriumAUArcsin(b1, b2, eta, lambda float64) (float64, error) {
	o := Optimizer{Name: Lion, Beta1: b1, Beta2: b2}
	if err := o.Validate(); err != nil {
		return 0, err
	}
	if err := checkEtaLambda(eta, lambda); err != nil {
		return 0, err
	}
	_, d := LionDiffusion(b1, b2)
	return math.Sqrt(2 * eta * lambda / d), nil
}
