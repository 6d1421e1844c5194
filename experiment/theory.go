package experiment

import (
	"fmt"
	"math"
	"slices"

	"github.com/smdlab/smd/sim"
	"github.com/smdlab/smd/theory"
)

// TheoryModel is the one map from a config to the theory (package theory):
// the parameters with the (η, λ) of step 0 and the schedule as theory
// phases (learning-rate decays, rescales and λ changes; events at step 0
// fold into the first phase). `smd theory`, the Figure 2 overlays and
// `smd verify` all use it. The theory covers the NRQ with plain SGD,
// isotropic noise Σ̃ = σ²I (Assumption 2) and a diagonal A (spectrum or
// diagonal, Assumption 1); anything else is a *FieldError naming the field.
func (c *Config) TheoryModel() (theory.Params, theory.Schedule, error) {
	if c.Model != "nrq" {
		return theory.Params{}, nil, &FieldError{Field: "model", Msg: "theory covers the NRQ only, got \"" + c.Model + "\""}
	}
	if c.Sigma == nil {
		return theory.Params{}, nil, &FieldError{Field: "sigma", Msg: "theory needs isotropic noise Σ̃ = σ²I (Assumption 2), not noise_var/noise_file"}
	}
	if c.Momentum != 0 {
		return theory.Params{}, nil, &FieldError{Field: "momentum", Msg: "theory covers plain SGD (momentum 0)"}
	}
	if c.Eta == nil || c.Lambda == nil {
		return theory.Params{}, nil, &FieldError{Field: "eta", Msg: "theory needs eta and lambda"}
	}
	var a theory.Spectrum
	switch {
	case len(c.Spectrum) > 0:
		a = theory.Spectrum{Values: c.Spectrum, Mult: c.Multiplicity}
	case len(c.Diagonal) > 0:
		d := slices.Clone(c.Diagonal)
		slices.Sort(d)
		a = theory.Diagonal(d)
	default:
		// A dense A through its eigen-decomposition: with Σ̃ = σ²I the
		// NRQ's law is invariant under rotations, so only A's spectrum
		// enters (f is measured against the smallest eigenvector).
		m, err := c.BuildModel()
		if err != nil {
			return theory.Params{}, nil, err
		}
		a = theory.Diagonal(m.Eigenvalues())
	}
	for i, e := range c.Schedule {
		if e.LRExp != nil {
			return theory.Params{}, nil, &FieldError{Field: fmt.Sprintf("schedule[%d].lr_exp", i), Msg: "theory covers piecewise-constant schedules; a per-step factor has no closed form here"}
		}
	}
	// The phases are the schedule as the engines walk it (sim.Cursor).
	var s theory.Schedule
	cur := sim.NewCursor(*c.Eta, *c.Lambda, c.simEvents())
	for n := 0; n != math.MaxInt; n = cur.NextChange() {
		scale, _ := cur.Advance(n)
		s = append(s, theory.Phase{Start: float64(n), Eta: cur.Eta, Lambda: cur.Lambda, Scale: scale})
	}
	p := theory.Params{P: a.Dim(), Eta: s[0].Eta, Lambda: s[0].Lambda, Sigma: *c.Sigma, A: a}
	if err := p.Validate(); err != nil {
		return p, nil, err
	}
	return p, s, nil
}

// TheoryParams returns TheoryModel's parameters with the (η, λ) in force
// at step n (after the events of step n).
func (c *Config) TheoryParams(n int) (theory.Params, error) {
	p, s, err := c.TheoryModel()
	if err != nil {
		return p, err
	}
	ph := s.At(float64(n))
	p.Eta, p.Lambda = ph.Eta, ph.Lambda
	return p, p.Validate()
}

// TheoryOptimizer returns the config's optimizer for package theory, with
// the defaults resolved (Parse fills PyTorch's; a Go-built config with no
// optimizer is plain SGD).
func (c *Config) TheoryOptimizer() theory.Optimizer {
	o := theory.Optimizer{Name: c.Optimizer, Momentum: c.Momentum}
	if o.Name == "" {
		o.Name = theory.SGD
	}
	if c.Beta1 != nil {
		o.Beta1 = *c.Beta1
	}
	if c.Beta2 != nil {
		o.Beta2 = *c.Beta2
	}
	if c.Eps != nil {
		o.Eps = *c.Eps
	}
	return o
}

// OptimizerTheory is the theory of a config that is not plain SGD on the
// NRQ: SGD with momentum, AdamW or Lion on the NRQ (REQ's equilibrium
// formulas and the discrete forms of docs/derivations.md §10), or the NQM
// with SGD(M) (the exact moments of §11). Zero fields do not apply.
type OptimizerTheory struct {
	Optimizer   theory.Optimizer
	P           int
	Eta, Lambda float64 // in force after the last schedule event
	// NRQ: the equilibrium RMS angular update and E‖X‖², REQ's leading
	// order and the discrete form; the norm's relaxation time in steps;
	// Lion's exact-sign AU. Grad2 is the E‖g‖² at unit norm used for sgd.
	AUREQ, AU, NormSqREQ, NormSq, Time, LionAUArcsin, Grad2 float64
	// NQM: E‖X‖² and E L at t = steps (exact, from X₀ ~ N(0, std²I)).
	NQMNormSqEnd, NQMLossEnd float64
	Notes                    []string
}

// PlainSGD reports whether c is plain SGD (what TheoryModel covers).
func (c *Config) PlainSGD() bool {
	return (c.Optimizer == "" || c.Optimizer == "sgd") && c.Momentum == 0
}

// OptimizerTheory returns the optimizer theory of c (for a config that is
// not plain SGD on the NRQ), or a *FieldError naming the field that has no
// theory.
func (c *Config) OptimizerTheory() (*OptimizerTheory, error) {
	o := c.TheoryOptimizer()
	if c.Model == "nqm" {
		return c.nqmTheory(o)
	}
	plain := *c
	plain.Optimizer, plain.Momentum, plain.Beta1, plain.Beta2, plain.Eps = "sgd", 0, nil, nil, nil
	p, s, err := plain.TheoryModel()
	if err != nil {
		return nil, err
	}
	last := s[len(s)-1]
	r := &OptimizerTheory{Optimizer: o, P: p.P, Eta: last.Eta, Lambda: last.Lambda}
	if len(s) > 1 {
		r.Notes = append(r.Notes, fmt.Sprintf("limits use the last phase (from step %g)", last.Start))
	}
	if last.Lambda == 0 {
		return nil, &FieldError{Field: "lambda", Msg: "an equilibrium needs weight decay λ > 0"}
	}
	pp := p
	pp.Eta, pp.Lambda = last.Eta, last.Lambda
	r.Grad2 = float64(p.P-1) * p.Sigma * p.Sigma
	if g2, err := pp.StationaryGrad2(); err == nil {
		r.Grad2 += g2
		if o.Momentum != 0 {
			r.Notes = append(r.Notes, "E‖g‖² includes plain SGD's stationary E‖PAX̃‖² (Theorem 2), an approximation under momentum")
		}
	}
	if len(p.A.Values) > 1 {
		r.Notes = append(r.Notes, "REQ's derivations assume gradients uncorrelated in time: exact only for A = aI; here the deterministic part PAX̃ is correlated along the path")
	}
	if r.AUREQ, err = theory.EquilibriumAU(o, r.Eta, r.Lambda); err != nil {
		return nil, &FieldError{Field: "optimizer", Msg: err.Error()}
	}
	r.AU, _ = theory.DiscreteEquilibriumAU(o, r.Eta, r.Lambda, p.P, r.Grad2)
	r.NormSqREQ, _ = theory.EquilibriumNormSq(o, r.Eta, r.Lambda, p.P, r.Grad2)
	r.NormSq, _ = theory.DiscreteEquilibriumNormSq(o, r.Eta, r.Lambda, p.P, r.Grad2)
	r.Time, _ = theory.EquilibriumTime(o, r.Eta, r.Lambda)
	if o.Name == theory.Lion {
		r.LionAUArcsin, _ = theory.LionEquilibriumAUArcsin(o.Beta1, o.Beta2, r.Eta, r.Lambda)
	}
	return r, nil
}

func (c *Config) nqmTheory(o theory.Optimizer) (*OptimizerTheory, error) {
	if o.Name != theory.SGD {
		return nil, &FieldError{Field: "optimizer", Msg: "the NQM's exact moments are for SGD with momentum; " + o.Name + " is nonlinear in g"}
	}
	if c.Init.Std == nil {
		return nil, &FieldError{Field: "init", Msg: "the NQM moments start from X₀ ~ N(0, std²I): give init.std"}
	}
	for i, e := range c.Schedule {
		if e.LRDivide != nil || e.Lambda != nil || e.LRExp != nil {
			return nil, &FieldError{Field: fmt.Sprintf("schedule[%d]", i), Msg: "the NQM moments are computed for constant η, λ"}
		}
	}
	m, err := c.BuildModel()
	if err != nil {
		return nil, err
	}
	var h, v []float64
	if d, ok := m.Diagonal(); ok {
		h = d
		if sd, ok := m.NoiseStd(); ok {
			for _, s := range sd {
				v = append(v, s*s)
			}
		}
	}
	if v == nil { // dense A or dense Σ̃: rotate to A's eigenbasis, which needs Σ̃ = σ²I
		s, ok := m.Isotropic()
		if !ok {
			return nil, &FieldError{Field: "noise_file", Msg: "the NQM moments need A and Σ̃ diagonal in one basis: with a dense A give isotropic noise (sigma)"}
		}
		h = m.Eigenvalues()
		for range h {
			v = append(v, s*s)
		}
	}
	n2, loss, err := theory.NQMMoments(h, v, *c.Eta, *c.Lambda, c.Momentum, *c.Init.Std, []int{c.Steps})
	if err != nil {
		return nil, &FieldError{Field: "eta", Msg: err.Error()}
	}
	return &OptimizerTheory{Optimizer: o, P: len(h), Eta: *c.Eta, Lambda: *c.Lambda,
		NQMNormSqEnd: n2[0], NQMLossEnd: loss[0],
		Notes: []string{"NQM (Zhang et al. 2019 eqs 7–8 with λ and μ): exact second moments, docs/derivations.md §11"}}, nil
}
