package theory

import (
	"errors"
	"fmt"
	"math"
)

// ErrParams is returned (wrapped) for parameters outside a result's domain.
var ErrParams = errors.New("theory: invalid parameters")

// ErrAssumption is returned (wrapped) when a result's hypothesis does not
// hold for the given parameters, e.g. Theorem 2 on a spectrum with more than
// two distinct eigenvalues.
var ErrAssumption = errors.New("theory: assumption not met")

// Spectrum is the diagonal of A (Assumption 1) in compressed form: the
// distinct eigenvalues in ascending order and their multiplicities.
type Spectrum struct {
	Values []float64 // distinct eigenvalues a, strictly ascending
	Mult   []int     // multiplicity of each value, ≥ 1; Σ Mult = p
}

// TwoLevel returns the spectrum of Theorem 2: a_l once and a_h p − 1 times,
// a₁ = a_l < a₂ = … = a_p = a_h.
func TwoLevel(p int, al, ah float64) Spectrum {
	return Spectrum{Values: []float64{al, ah}, Mult: []int{1, p - 1}}
}

// Diagonal compresses a full ascending diagonal a₁ ≤ … ≤ a_p into a Spectrum.
func Diagonal(a []float64) Spectrum {
	var s Spectrum
	for i, v := range a {
		if i > 0 && v == a[i-1] {
			s.Mult[len(s.Mult)-1]++
			continue
		}
		s.Values = append(s.Values, v)
		s.Mult = append(s.Mult, 1)
	}
	return s
}

// Dim returns p = Σ Mult.
func (s Spectrum) Dim() int {
	n := 0
	for _, m := range s.Mult {
		n += m
	}
	return n
}

// Params are the physical parameters of the NRQ, named after the paper's
// symbols. Zero is never a default here: λ = 0 (no weight decay) and σ = 0
// (no noise) are real, if degenerate, experiments.
type Params struct {
	P      int      // dimension p ≥ 2
	Eta    float64  // learning rate η > 0
	Lambda float64  // weight-decay factor λ ≥ 0
	Sigma  float64  // gradient-noise scale σ ≥ 0, Σ̃ = σ²I (Assumption 2)
	A      Spectrum // eigenvalues of A; may be empty for the norm and AU results
}

// Validate reports whether the parameters are inside the model's domain.
// The spectrum is checked only when present.
func (p Params) Validate() error {
	switch {
	case p.P < 2:
		return fmt.Errorf("%w: p = %d, need p ≥ 2", ErrParams, p.P)
	case !(p.Eta > 0) || math.IsInf(p.Eta, 0):
		return fmt.Errorf("%w: η = %v, need 0 < η < ∞", ErrParams, p.Eta)
	case !(p.Lambda >= 0) || math.IsInf(p.Lambda, 0):
		return fmt.Errorf("%w: λ = %v, need 0 ≤ λ < ∞", ErrParams, p.Lambda)
	case !(p.Sigma >= 0) || math.IsInf(p.Sigma, 0):
		return fmt.Errorf("%w: σ = %v, need 0 ≤ σ < ∞", ErrParams, p.Sigma)
	case p.Lambda*p.Eta >= 1:
		return fmt.Errorf("%w: λη = %v, need λη < 1 (else eq 3 flips or zeroes X)", ErrParams, p.Lambda*p.Eta)
	}
	if len(p.A.Values) == 0 && len(p.A.Mult) == 0 {
		return nil
	}
	if len(p.A.Values) != len(p.A.Mult) {
		return fmt.Errorf("%w: %d eigenvalues but %d multiplicities", ErrParams, len(p.A.Values), len(p.A.Mult))
	}
	for i, v := range p.A.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: eigenvalue %d is %v", ErrParams, i, v)
		}
		if i > 0 && !(v > p.A.Values[i-1]) {
			return fmt.Errorf("%w: eigenvalues must be strictly ascending (value %d)", ErrParams, i)
		}
		if p.A.Mult[i] < 1 {
			return fmt.Errorf("%w: multiplicity %d is %d", ErrParams, i, p.A.Mult[i])
		}
	}
	if d := p.A.Dim(); d != p.P {
		return fmt.Errorf("%w: spectrum has dimension %d, p = %d", ErrParams, d, p.P)
	}
	return nil
}

// spectrum checks the parts of Assumption 1 that the f-results need: a
// spectrum is present, has at least two values, and a₁ is simple.
func (p Params) spectrum() error {
	if err := p.Validate(); err != nil {
		return err
	}
	if len(p.A.Values) < 2 {
		return fmt.Errorf("%w: need at least two distinct eigenvalues (Assumption 1, a₁ < a₂)", ErrAssumption)
	}
	if p.A.Mult[0] != 1 {
		return fmt.Errorf("%w: a₁ has multiplicity %d; Assumption 1 needs a simple smallest eigenvalue", ErrAssumption, p.A.Mult[0])
	}
	return nil
}

// twoLevel checks Theorem 2's hypothesis: exactly two distinct eigenvalues
// a₁ = a_l < a₂ = … = a_p = a_h.
func (p Params) twoLevel() error {
	if err := p.spectrum(); err != nil {
		return err
	}
	if len(p.A.Values) != 2 {
		return fmt.Errorf("%w: Theorem 2 needs exactly two distinct eigenvalues, have %d", ErrAssumption, len(p.A.Values))
	}
	return nil
}

// A1 returns the smallest eigenvalue a₁ (a_l in Theorem 2).
func (p Params) A1() float64 { return p.A.Values[0] }

// A2 returns the second-smallest eigenvalue a₂ (Assumption 1 has a₁ < a₂).
func (p Params) A2() float64 { return p.A.Values[1] }

// AP returns the largest eigenvalue a_p.
func (p Params) AP() float64 { return p.A.Values[len(p.A.Values)-1] }

// noiseTrace returns Tr(PΣ̃P) = (p − 1)σ² under Assumption 2.
func (p Params) noiseTrace() float64 { return float64(p.P-1) * p.Sigma * p.Sigma }
