package experiment

import (
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
		return theory.Params{}, nil, &FieldError{Field: "a_file", Msg: "theory needs a diagonal A (spectrum or diagonal, Assumption 1)"}
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
