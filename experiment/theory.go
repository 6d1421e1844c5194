package experiment

import (
	"math"
	"slices"

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
		return theory.Params{}, nil, &FieldError{Field: "a_file", Msg: "theory needs a diagonal A (spectrum or diagonal, Assumption 1)"}
	}
	s := theory.Schedule{{Start: 0, Eta: *c.Eta, Lambda: *c.Lambda, Scale: 1}}
	for _, e := range c.Schedule {
		ph := s[len(s)-1]
		ph.Start, ph.Scale = float64(e.Step), 1
		if e.LRDivide != nil {
			ph.Eta /= *e.LRDivide
			if e.Rescale {
				ph.Scale = math.Pow(*e.LRDivide, -0.25)
			}
		}
		if e.Lambda != nil {
			ph.Lambda = *e.Lambda
		}
		if ph.Start == 0 {
			s[0] = ph
			continue
		}
		s = append(s, ph)
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
