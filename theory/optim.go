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

// check validates o and the (η, λ) an equilibrium needs.
func (o Optimizer) check(eta, lambda float64) error {
	if err := o.Validate(); err != nil {
		return err
	}
	return checkEtaLambda(eta, lambda)
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
	if err := o.check(eta, lambda); err != nil {
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
	if err := o.check(eta, lambda); err != nil {
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
	if err := o.check(eta, lambda); err != nil {
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
	return req, lionDiffusion(b1, b2, 1)
}

// lionDiffusion returns D_γ = 1 + (4/π) Σ_{k≥1} γ^k arcsin ρ_k, the
// discounted form that enters the exact norm balance (docs/derivations.md
// §10, eq 10.8); γ = 1 is LionDiffusion's D.
func lionDiffusion(b1, b2, gamma float64) float64 {
	s2 := lionS(b1, b2)
	s2 *= s2
	sm2 := (1 - b2) / (1 + b2)
	// ρ_k = r·(β₂γ)^{k−1}·γ is geometric, so Σ γ^k ρ_k is summed in closed
	// form; only the excess arcsin ρ − ρ ≤ ρ³ is summed term by term, until
	// ρ_k ≤ β₂^{k−1} makes the rest < 1e−18.
	r := (b1*b1*b2*sm2 + b1*(1-b1)*(1-b2)) / s2 // ρ₁; ρ_k = ρ₁β₂^{k−1}
	sum := gamma * r / (1 - gamma*b2)
	gk := gamma
	for bk := 1.0; bk > 1e-6; bk *= b2 { // bk = β₂^{k−1}, gk = γ^k
		rho := r * bk
		sum += gk * (math.Asin(min(rho, 1)) - rho)
		gk *= gamma
	}
	return 1 + 4/math.Pi*sum
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
	if err := o.check(eta, lambda); err != nil {
		return 0, err
	}
	_, d := LionDiffusion(b1, b2)
	return math.Sqrt(2 * eta * lambda / d), nil
}

// DiscreteEquilibriumNormSq returns the stationary E‖X‖² of the discrete
// update at finite ηλ (γ = 1 − ηλ), sharper than EquilibriumNormSq. For the
// decoupled optimizers it is the exact norm balance (10.8)
//
//	E‖X‖²·ηλ(2 − ηλ) = η²(E‖u‖² + 2Σ_{k≥1} γ^k E⟨u_n, u_{n−k}⟩)
//
// evaluated with the step correlations of i.i.d. Gaussian gradients:
//
//	adamw   E‖X‖² = ηC(1 − β₁)(1 + γβ₁) / (λ(2 − ηλ)(1 + β₁)(1 − γβ₁))
//	lion    E‖X‖² = ηC·D_γ / (λ(2 − ηλ)),  D_γ = 1 + (4/π)Σ_{k≥1} γ^k arcsin ρ_k
//	sgd     ‖X‖⁴ = η·grad2/(λ(2 − λη))          (μ = 0: eq 5.3, exact balance)
//	sgd, μ  ‖X‖⁴ = η·grad2/(2λ(1 − μ))          (μ > 0: leading order, as EquilibriumNormSq)
//
// The discount γ^k matters when the step's memory is long against 1/(ηλ):
// at ηλ = 10⁻³ and Lion's β₂ = 0.99 it lowers E‖X‖² by 7 % from
// EquilibriumNormSq. What is left out is O(1/C): the Gaussian model of the
// per-coordinate gradient (its variance ∝ 1 − X̃ᵢ², its slowly varying
// scale 1/‖X‖) and, for AdamW, v̂ ≠ E g² (relative O((1 − β₂)/(1 + β₂))).
// Derivation: docs/derivations.md §10.
func DiscreteEquilibriumNormSq(o Optimizer, eta, lambda float64, c int, grad2 float64) (float64, error) {
	if _, err := EquilibriumNormSq(o, eta, lambda, c, grad2); err != nil {
		return 0, err
	}
	le := eta * lambda
	g := 1 - le
	cc := float64(c)
	switch o.Name {
	case SGD:
		if o.Momentum == 0 {
			return math.Sqrt(eta * grad2 / (lambda * (2 - le))), nil
		}
		return EquilibriumNormSq(o, eta, lambda, c, grad2)
	case AdamW:
		b := o.Beta1
		return eta * cc * (1 - b) * (1 + g*b) / (lambda * (2 - le) * (1 + b) * (1 - g*b)), nil
	default:
		return eta * cc * lionDiffusion(o.Beta1, o.Beta2, g) / (lambda * (2 - le)), nil
	}
}

// DiscreteEquilibriumAU returns the stationary RMS angular update √(E Δ²)
// of the discrete update at finite ηλ, sharper than EquilibriumAU. With
// X_{n+1} = γX_n − ηu_n (γ = 1 − ηλ), tan Δ = η‖u_⊥‖/(γ‖X‖ − η u·X̃), and
// to first order in the fluctuations of ‖X‖² and u,
//
//	E Δ² ≈ η²(E‖u‖² − E(u·X̃)²) / (γ² E‖X‖²),
//	E(u·X̃)² = q + (E⟨u, X⟩)²/E‖X‖²,   E⟨u_n, X_n⟩ = −η Σ_{k≥1} γ^{k−1} E⟨u_n, u_{n−k}⟩,
//
// q the per-coordinate E u_i² ((1 − β₁)/(1 + β₁) for AdamW, 1 for Lion),
// E‖X‖² from DiscreteEquilibriumNormSq. The mean E⟨u, X⟩ < 0 is the
// step's memory pointing back along its own past: for Lion at ηλ = 10⁻³,
// β = (0.9, 0.99), C = 100 it removes 3 of the 100 units of ‖u‖². For
// sgd with μ = 0 it is the exact-balance form √((1 − λη)⁻² − 1)
// (DiscreteAUTan2Limit); for μ > 0 the leading order √(2λη/(1 + μ)).
// Same hypotheses as DiscreteEquilibriumNormSq (docs/derivations.md §10).
func DiscreteEquilibriumAU(o Optimizer, eta, lambda float64, c int, grad2 float64) (float64, error) {
	n2, err := DiscreteEquilibriumNormSq(o, eta, lambda, c, grad2)
	if err != nil {
		return 0, err
	}
	le := eta * lambda
	g := 1 - le
	cc := float64(c)
	var q, sumC float64 // per-coordinate E u_i², Σ_{k≥1} γ^{k−1} E⟨u_n, u_{n−k}⟩
	switch o.Name {
	case SGD:
		if o.Momentum == 0 {
			return math.Sqrt(le * (2 - le) / (g * g)), nil
		}
		return EquilibriumAU(o, eta, lambda)
	case AdamW:
		b := o.Beta1
		q = (1 - b) / (1 + b)
		sumC = cc * q * b / (1 - g*b)
	default:
		q = 1
		sumC = cc * (lionDiffusion(o.Beta1, o.Beta2, g) - 1) / (2 * g)
	}
	mean := eta * sumC
	u2 := cc*q - q - mean*mean/n2
	return eta * math.Sqrt(u2/n2) / g, nil
}
