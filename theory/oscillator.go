package theory

import (
	"fmt"
	"math"
	"math/cmplx"
)

// NormForm selects a form of the heavy-ball norm dynamics (Kunin et al.
// 2021; docs/derivations.md §12) for HeavyBallNormPath.
type NormForm int

const (
	// NormDiscrete is the exact recursion (12.1),
	//
	//	N_{n+1} − N_n = μ(N_n − N_{n−1}) − 2ηλN_n + K_n + μK_{n−1},
	//
	// N = ‖X‖², K_n = ‖X_{n+1} − X_n‖², K_{−1} = 0 (buffer b₀ = 0).
	NormDiscrete NormForm = iota
	// NormOscillator is its continuous form (12.3), the damped harmonic
	// oscillator of the modified equation, in steps τ:
	//
	//	((1 + μ)/2)·N'' + (1 − μ)·N' + 2ηλ·N = (1 + μ)·K(τ),
	//
	// N(0) = N₀, N'(0) = −ηλN₀ (the centred difference ⟨X₀, v₀ + v₋₁⟩,
	// v₋₁ = 0), K = K_n on [n, n + 1) (K_n is centred at n + ½),
	// integrated exactly step by step.
	NormOscillator
	// NormOverdamped drops the inertia term N'' of NormOscillator (the
	// first-order flow with the effective learning rate η/(1 − μ)):
	//
	//	(1 − μ)·N' + 2ηλ·N = (1 + μ)·K(τ).
	NormOverdamped
)

// HeavyBallNormRoots returns the characteristic roots of the exact norm
// recursion (12.1) of heavy-ball SGD with coupled weight decay on a
// scale-invariant loss,
//
//	r² − (1 + μ − 2ηλ)·r + μ = 0,
//
// as exponents per step, ln r (complex: an underdamped oscillation of ‖X‖²
// iff (1 + μ − 2ηλ)² < 4μ), and the exponents s of the continuous form
// (12.3),
//
//	((1 + μ)/2)·s² + (1 − μ)·s + 2ηλ = 0,
//
// (underdamped iff (1 − μ)² < 4ηλ(1 + μ)). Both pairs are ordered slow
// (larger real part) first. s → ln r as ηλ → 0 and μ → 1: the relative gap
// of the slow rate is O(ηλ/(1 − μ)²) when overdamped, O(ηλ) when
// underdamped, and that of the fast rate, −2x against ln μ = −2 artanh x,
// x = (1 − μ)/(1 + μ), is x²/3 + O(x⁴). A root r = 0 (μ = 0) is returned
// as −∞. Derivation: docs/derivations.md §12.
func HeavyBallNormRoots(eta, lambda, mu float64) (discrete, continuous [2]complex128, err error) {
	if err := checkHeavyBall(eta, lambda, mu); err != nil {
		return discrete, continuous, err
	}
	le := eta * lambda
	discrete = quadRoots(1, -(1 + mu - 2*le), mu)
	for i, r := range discrete {
		if r == 0 {
			discrete[i] = complex(math.Inf(-1), 0)
		} else {
			discrete[i] = cmplx.Log(r)
		}
	}
	if real(discrete[0]) < real(discrete[1]) {
		discrete[0], discrete[1] = discrete[1], discrete[0]
	}
	continuous = quadRoots((1+mu)/2, 1-mu, 2*le)
	if real(continuous[0]) < real(continuous[1]) {
		continuous[0], continuous[1] = continuous[1], continuous[0]
	}
	return discrete, continuous, nil
}

// quadRoots returns the roots of a·x² + b·x + c (a ≠ 0), the one of
// larger modulus by the stable formula and the other from the product c/a.
func quadRoots(a, b, c float64) [2]complex128 {
	d := b*b - 4*a*c
	if d < 0 {
		re, im := -b/(2*a), math.Sqrt(-d)/(2*a)
		return [2]complex128{complex(re, im), complex(re, -im)}
	}
	q := -(b + math.Copysign(math.Sqrt(d), b)) / 2
	if q == 0 {
		return [2]complex128{0, 0}
	}
	return [2]complex128{complex(q/a, 0), complex(c/q, 0)}
}

func checkHeavyBall(eta, lambda, mu float64) error {
	switch {
	case !(eta > 0) || math.IsInf(eta, 0):
		return fmt.Errorf("%w: η = %v, need 0 < η < ∞", ErrParams, eta)
	case !(lambda >= 0) || math.IsInf(lambda, 0) || eta*lambda >= 1:
		return fmt.Errorf("%w: λ = %v, need 0 ≤ λ and ηλ < 1", ErrParams, lambda)
	case !(mu >= 0 && mu < 1):
		return fmt.Errorf("%w: momentum μ = %v, need 0 ≤ μ < 1", ErrParams, mu)
	}
	return nil
}

// HeavyBallNormPath returns N_n = ‖X_n‖², n = 0 … len(kin), of heavy-ball
// SGD (torch.optim.SGD: b ← μb + g + λX, X ← X − ηb, b₀ = 0) on a
// scale-invariant loss (g ⟂ X), from N₀ = n0 and the step energies
// kin[n] = ‖X_{n+1} − X_n‖², by one of the forms of NormForm (Kunin et al.
// 2021, "Neural mechanics", §5–6: the norm is a damped oscillator driven by
// the kinetic energy). NormDiscrete is exact trajectory by trajectory
// (docs/derivations.md eq 12.1); NormOscillator and NormOverdamped are the
// continuous forms (12.3), (12.4), whose error is the gap between their
// exponents and the discrete ones (HeavyBallNormRoots). The forms are
// linear in (n0, kin), so fed with mean step energies they give mean norms.
func HeavyBallNormPath(form NormForm, eta, lambda, mu, n0 float64, kin []float64) ([]float64, error) {
	if err := checkHeavyBall(eta, lambda, mu); err != nil {
		return nil, err
	}
	le := eta * lambda
	out := make([]float64, len(kin)+1)
	out[0] = n0
	switch form {
	case NormDiscrete:
		prevDiff, prevK := 0.0, 0.0 // N₀ − N₋₁ := 0 and K₋₁ = 0: b₀ = 0
		for n, k := range kin {
			d := mu*prevDiff - 2*le*out[n] + k + mu*prevK
			out[n+1] = out[n] + d
			prevDiff, prevK = d, k
		}
	case NormOscillator:
		// y = (N − S/c, N') with S = (1 + μ)K, c = 2ηλ: y(τ + 1) = e^A y(τ),
		// A = [[0, 1], [−c/a, −b/a]], a = (1 + μ)/2, b = 1 − μ.
		a, b, c := (1+mu)/2, 1-mu, 2*le
		phi := expm2([2][2]float64{{0, 1}, {-c / a, -b / a}})
		n, dn := n0, -le*n0 // N'(0) = ⟨X₀, v₀ + v₋₁⟩ = −ηλN₀ (v₋₁ = 0, g ⟂ X)
		for i, k := range kin {
			var base float64 // N − S/c; at λ = 0 (c = 0) integrate the source directly
			s := (1 + mu) * k
			if c > 0 {
				base = n - s/c
				n = s/c + phi[0][0]*base + phi[0][1]*dn
				dn = phi[1][0]*base + phi[1][1]*dn
			} else {
				// c = 0: a N'' + b N' = s, exact over a unit step.
				r := b / a
				e := math.Exp(-r)
				vInf := s / b
				n += vInf + (dn-vInf)*(1-e)/r
				dn = vInf + (dn-vInf)*e
			}
			out[i+1] = n
		}
	case NormOverdamped:
		b, c := 1-mu, 2*le
		e := math.Exp(-c / b)
		for i, k := range kin {
			s := (1 + mu) * k
			if c > 0 {
				out[i+1] = s/c + e*(out[i]-s/c)
			} else {
				out[i+1] = out[i] + s/b
			}
		}
	default:
		return nil, fmt.Errorf("%w: unknown norm form %d", ErrParams, form)
	}
	return out, nil
}

// expm2 returns the matrix exponential of a real 2×2 matrix m by its
// closed form e^{T/2}(cosh q·I + (sinh q/q)(m − T/2·I)), q² = T²/4 − det m.
func expm2(m [2][2]float64) [2][2]float64 {
	t := (m[0][0] + m[1][1]) / 2
	det := m[0][0]*m[1][1] - m[0][1]*m[1][0]
	q2 := t*t - det
	var ch, sh float64 // cosh q, sinh q / q (cos, sin for q² < 0)
	switch q := math.Sqrt(math.Abs(q2)); {
	case q < 1e-8:
		ch, sh = 1+q2/2, 1+q2/6
	case q2 > 0:
		ch, sh = math.Cosh(q), math.Sinh(q)/q
	default:
		ch, sh = math.Cos(q), math.Sin(q)/q
	}
	e := math.Exp(t)
	return [2][2]float64{
		{e * (ch + sh*(m[0][0]-t)), e * sh * m[0][1]},
		{e * sh * m[1][0], e * (ch + sh*(m[1][1]-t))},
	}
}

// HeavyBallMeanField returns the mean squared norm E N_n and the mean step
// energy E K_n = E‖X_{n+1} − X_n‖² of heavy-ball SGD with coupled weight
// decay on an NRQ with A = aI (pure noise: g = σ(I − X̃X̃ᵀ)ε/‖X‖), for
// n = 0 … steps, from ‖X₀‖² = n0 and b₀ = 0. With m = E‖X‖², c = E⟨X, b⟩,
// k = E‖b‖² (b before the step's update), the second moments obey
//
//	k' = μ²k + 2μλc + λ²m + G,   c' = μc + λm − ηk',   m' = m − 2η(μc + λm) + η²k',
//
// exactly (E⟨b, g⟩ = 0 since E[g | past] = 0, ⟨X, g⟩ = 0), with
// G = E‖g‖² = grad2·E[1/‖X‖²], grad2 = (p − 1)σ². The one approximation is
// the closure E[1/‖X‖²] = (1 + cv2)/E‖X‖²: cv2 = 0 is Jensen's lower
// bound, cv2 the squared coefficient of variation of ‖X‖² gives the
// leading correction. K_n = η²k_{n+1}. Derivation: docs/derivations.md §12.
func HeavyBallMeanField(eta, lambda, mu, grad2, n0, cv2 float64, steps int) (normSq, kin []float64, err error) {
	if err := checkHeavyBall(eta, lambda, mu); err != nil {
		return nil, nil, err
	}
	if !(grad2 >= 0) || !(n0 > 0) || !(cv2 >= 0) || math.IsInf(grad2+n0+cv2, 0) || steps < 0 {
		return nil, nil, fmt.Errorf("%w: grad2 = %v, N₀ = %v, cv² = %v, steps = %d", ErrParams, grad2, n0, cv2, steps)
	}
	normSq, kin = make([]float64, steps+1), make([]float64, steps)
	m, c, k := n0, 0.0, 0.0
	normSq[0] = m
	for n := range steps {
		g := grad2 * (1 + cv2) / m
		k1 := mu*mu*k + 2*mu*lambda*c + lambda*lambda*m + g
		m, c, k = m-2*eta*(mu*c+lambda*m)+eta*eta*k1, mu*c+lambda*m-eta*k1, k1
		normSq[n+1], kin[n] = m, eta*eta*k1
	}
	return normSq, kin, nil
}
