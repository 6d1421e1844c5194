package theory

import (
	"fmt"
	"math"
	"sort"
)

// NormSqLimit returns the equilibrium squared weight norm of the SDE,
//
//	‖X_∞‖² = M_∞ = √(η(p − 1)σ² / (2λ)),
//
// the limit of eq 17 with M = ‖X‖² (+Inf for λ = 0). The paper's text calls
// this limit ‖X_∞‖ (M_t ≜ ‖X_t‖ after eq 9); eqs 10–12, 17 and Lemma 1 are
// consistent only with M_t = ‖X_t‖² (docs/derivations.md §2, erratum E1).
func (p Params) NormSqLimit() float64 {
	if p.Lambda == 0 {
		return math.Inf(1)
	}
	return math.Sqrt(p.Eta * p.noiseTrace() / (2 * p.Lambda))
}

// NormLimit returns the equilibrium weight norm of the SDE,
//
//	‖X_∞‖ = (η(p − 1)σ² / (2λ))^{1/4},
//
// eq 17 with M = ‖X‖² (erratum E1; PaperNormLimit is the printed reading).
func (p Params) NormLimit() float64 { return math.Sqrt(p.NormSqLimit()) }

// PaperNormLimit returns the equilibrium weight norm as printed, reading
// M_t ≜ ‖X_t‖ (after eq 9) into eq 17:
//
//	‖X_∞‖ = √(η(p − 1)σ² / (2λ))   (as printed; wrong, see NormLimit)
func (p Params) PaperNormLimit() float64 { return p.NormSqLimit() }

// NormSq returns the squared weight norm of the SDE at time t (in steps)
// for constant η, λ, starting from ‖X₀‖² = m0,
//
//	‖X_t‖⁴ = e^{−4ληt}(‖X₀‖⁴ − M_∞²) + M_∞²,   M_∞² = η(p − 1)σ²/(2λ),
//
// eqs 12 and 17 with M = ‖X‖² (erratum E1). It holds for Σ̃ = σ²I, where
// eq 11 has no diffusion and the norm is deterministic. For λ = 0 it is
// ‖X_t‖⁴ = ‖X₀‖⁴ + 2η²(p − 1)σ²t.
func (p Params) NormSq(t, m0 float64) float64 {
	tr := p.noiseTrace()
	if p.Lambda == 0 {
		return math.Sqrt(m0*m0 + 2*p.Eta*p.Eta*tr*t)
	}
	inf2 := p.Eta * tr / (2 * p.Lambda)
	x := 4 * p.Lambda * p.Eta * t
	return math.Sqrt(m0*m0*math.Exp(-x) - inf2*math.Expm1(-x))
}

// DiscreteNormSqLimit returns the equilibrium squared norm of the discrete
// recursion eq 3, given the stationary mean squared full gradient at unit
// norm grad2 = E‖PAX̃‖² (0 for A = aI),
//
//	‖X_∞‖⁴ ≈ η((p − 1)σ² + grad2) / (λ(2 − λη)).
//
// Derivation (docs/derivations.md §5): g ⟂ X gives exactly
// ‖X_{n+1}‖² = (1 − λη)²‖X_n‖² + η²‖g_n‖², and E‖g_n‖² = (grad2 +
// (p − 1)σ²)/‖X_n‖²; the fixed point neglects the fluctuation of ‖X‖², a
// relative error O(λη/p). It exceeds the SDE's M_∞² (NormSqLimit squared)
// by the factor 2/(2 − λη) = 1 + λη/2 + … and by the gradient term, which
// the SDE drops although it is of the same order η²/‖X‖² as the noise term.
func (p Params) DiscreteNormSqLimit(grad2 float64) float64 {
	if p.Lambda == 0 {
		return math.Inf(1)
	}
	return math.Sqrt(p.Eta * (p.noiseTrace() + grad2) / (p.Lambda * (2 - p.Lambda*p.Eta)))
}

// DiscreteNormLimit returns √DiscreteNormSqLimit(grad2), the equilibrium
// ‖X‖ of the discrete recursion (docs/derivations.md §5).
func (p Params) DiscreteNormLimit(grad2 float64) float64 {
	return math.Sqrt(p.DiscreteNormSqLimit(grad2))
}

// DiscreteNormSqNext returns the exact conditional mean of the next squared
// norm of eq 3, given ‖X_n‖² = m and ‖PAX̃_n‖² = grad2,
//
//	E[‖X_{n+1}‖² | X_n] = (1 − λη)² m + η²(grad2 + (p − 1)σ²)/m.
//
// Exact for eqs 3–4 with Σ̃ = σ²I (docs/derivations.md §5).
func (p Params) DiscreteNormSqNext(m, grad2 float64) float64 {
	d := 1 - p.Lambda*p.Eta
	return d*d*m + p.Eta*p.Eta*(grad2+p.noiseTrace())/m
}

// Phase is one piece of a piecewise-constant (η, λ) schedule.
type Phase struct {
	Start  float64 // first step of the phase (the update X_Start → X_Start+1 uses it)
	Eta    float64 // learning rate η during the phase
	Lambda float64 // weight decay λ during the phase
	// Scale multiplies X at Start, before the update (the "rescale" of
	// §3.2: Scale = k^{−1/4} when η is divided by k). 1 means no jump.
	Scale float64
}

// Schedule is a piecewise-constant (η, λ) schedule: phases in increasing
// Start order, the first starting at 0 with Scale 1.
type Schedule []Phase

// Decay is a learning-rate decay at a step: η is divided by Divide and, if
// Rescale, ‖X‖ is divided by Divide^{1/4} (the rescale strategy of §3.2,
// which keeps ‖X‖⁴ ∝ η at equilibrium, eq 17).
type Decay struct {
	Step    float64
	Divide  float64
	Rescale bool
}

// NewSchedule returns the schedule that starts at (η, λ) and applies the
// decays in order.
func NewSchedule(eta, lambda float64, decays ...Decay) (Schedule, error) {
	s := Schedule{{Start: 0, Eta: eta, Lambda: lambda, Scale: 1}}
	ds := append([]Decay(nil), decays...)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Step < ds[j].Step })
	for _, d := range ds {
		if !(d.Divide > 0) || math.IsInf(d.Divide, 0) {
			return nil, fmt.Errorf("%w: decay at step %v divides η by %v", ErrParams, d.Step, d.Divide)
		}
		last := s[len(s)-1]
		ph := Phase{Start: d.Step, Eta: last.Eta / d.Divide, Lambda: last.Lambda, Scale: 1}
		if d.Rescale {
			ph.Scale = math.Pow(d.Divide, -0.25)
		}
		if d.Step == last.Start {
			ph.Scale *= last.Scale
			s[len(s)-1] = ph
			continue
		}
		s = append(s, ph)
	}
	return s, s.validate()
}

// At returns the phase in force at step t (the last with Start ≤ t).
func (s Schedule) At(t float64) Phase {
	return s[max(sort.Search(len(s), func(i int) bool { return s[i].Start > t })-1, 0)]
}

// MaxLambdaEta returns the largest λη over the phases.
func (s Schedule) MaxLambdaEta() float64 {
	m := 0.0
	for _, ph := range s {
		m = math.Max(m, ph.Lambda*ph.Eta)
	}
	return m
}

func (s Schedule) validate() error {
	if len(s) == 0 || s[0].Start != 0 {
		return fmt.Errorf("%w: a schedule must start at step 0", ErrParams)
	}
	for i, ph := range s {
		if i > 0 && !(ph.Start > s[i-1].Start) {
			return fmt.Errorf("%w: schedule phases must have increasing starts (phase %d)", ErrParams, i)
		}
		if !(ph.Eta > 0) || !(ph.Lambda >= 0) || !(ph.Scale > 0) || ph.Lambda*ph.Eta >= 1 {
			return fmt.Errorf("%w: phase %d has η = %v, λ = %v, scale = %v", ErrParams, i, ph.Eta, ph.Lambda, ph.Scale)
		}
	}
	return nil
}

// Path is the deterministic weight-norm path of the SDE (eqs 11–12, 17)
// under a schedule, and the AU path it induces (Lemma 1).
type Path struct {
	p  Params
	s  Schedule
	m0 []float64 // ‖X‖² just after the jump at the start of each phase
}

// Path returns the SDE norm path from ‖X₀‖ = norm0 under the schedule s
// (p.Eta and p.Lambda are ignored; the schedule's are used). Within a phase
// it follows NormSq; at a phase start ‖X‖² is multiplied by Scale².
func (p Params) Path(s Schedule, norm0 float64) (*Path, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if !(norm0 > 0) {
		return nil, fmt.Errorf("%w: initial norm %v", ErrParams, norm0)
	}
	q := &Path{p: p, s: s, m0: make([]float64, len(s))}
	m := norm0 * norm0 * s[0].Scale * s[0].Scale
	for i := range s {
		if i > 0 {
			m = q.phaseParams(i-1).NormSq(s[i].Start-s[i-1].Start, q.m0[i-1])
			m *= s[i].Scale * s[i].Scale
		}
		q.m0[i] = m
	}
	return q, nil
}

func (q *Path) phaseParams(i int) Params {
	pp := q.p
	pp.Eta, pp.Lambda = q.s[i].Eta, q.s[i].Lambda
	return pp
}

func (q *Path) phase(t float64) int {
	return sort.Search(len(q.s), func(i int) bool { return q.s[i].Start > t }) - 1
}

// Phase returns the schedule phase in force at time t.
func (q *Path) Phase(t float64) Phase { return q.s.At(t) }

// NormSq returns ‖X_t‖² (right-continuous at phase starts).
func (q *Path) NormSq(t float64) float64 {
	i := max(q.phase(t), 0)
	return q.phaseParams(i).NormSq(t-q.s[i].Start, q.m0[i])
}

// Norm returns ‖X_t‖.
func (q *Path) Norm(t float64) float64 { return math.Sqrt(q.NormSq(t)) }

// AU returns the continuous angular update along the path (Lemma 1),
//
//	Δ_t = η_t σ √(p − 1) / ‖X_t‖².
func (q *Path) AU(t float64) float64 {
	i := max(q.phase(t), 0)
	return q.phaseParams(i).AU(q.NormSq(t))
}

// DiscreteNormSqPath returns the mean-field path of the discrete squared
// norm, out[n] ≈ E‖X_n‖² for n = 0…steps, iterating DiscreteNormSqNext with
// grad2 = 0 (the noise-dominated regime, exact in mean for A = aI up to the
// O(λη/p) fluctuation of ‖X‖²). A phase starting at step k multiplies X_k by
// its Scale before the update k → k+1; out[k] is the value after the jump.
func (p Params) DiscreteNormSqPath(s Schedule, norm0 float64, steps int) ([]float64, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	out := make([]float64, steps+1)
	m := norm0 * norm0
	j := 0
	for n := 0; n <= steps; n++ {
		for j < len(s) && s[j].Start <= float64(n) {
			m *= s[j].Scale * s[j].Scale
			j++
		}
		out[n] = m
		ph := s[j-1]
		pp := p
		pp.Eta, pp.Lambda = ph.Eta, ph.Lambda
		m = pp.DiscreteNormSqNext(m, 0)
	}
	return out, nil
}
