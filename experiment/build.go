package experiment

import (
	"errors"
	"fmt"
	"sync"

	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
)

// BuildModel builds the nrq.Model the config describes, reading a_file and
// noise_file if given (a missing or malformed file is a *FieldError). A
// parsed config builds its model once: later calls (validation, then the
// run) return the same *nrq.Model while the model's keys are unchanged, so
// a matrix file is read and decomposed once (issue 12, class 4).
func (c *Config) BuildModel() (*nrq.Model, error) {
	if c.built == nil {
		return c.buildModel()
	}
	key := c.modelKey()
	c.built.mu.Lock()
	defer c.built.mu.Unlock()
	if c.built.m != nil && c.built.key == key {
		return c.built.m, nil
	}
	m, err := c.buildModel()
	if err == nil {
		c.built.key, c.built.m = key, m
	}
	return m, err
}

// modelCache holds the model a parsed config built (shared by copies of
// the config; key guards a copy whose model keys differ).
type modelCache struct {
	mu  sync.Mutex
	key string
	m   *nrq.Model
}

// modelKey is every field the model depends on.
func (c *Config) modelKey() string {
	f := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	return fmt.Sprintf("%q %v %v %v %q %v %v %q %q", c.Model, c.Spectrum, c.Multiplicity, c.Diagonal, c.AFile, f(c.Sigma), c.NoiseVar, c.NoiseFile, c.Dir)
}

func (c *Config) buildModel() (*nrq.Model, error) {
	kind := nrq.NRQ
	if c.Model == "nqm" {
		kind = nrq.NQM
	}
	var noise nrq.Noise
	switch {
	case c.Sigma != nil:
		noise.Sigma = *c.Sigma
	case len(c.NoiseVar) > 0:
		noise.Var = c.NoiseVar
	default:
		cov, err := c.readSym("noise_file", c.NoiseFile, c.dimFromLists())
		if err != nil {
			return nil, err
		}
		noise.Cov = cov
	}
	var (
		m   *nrq.Model
		err error
	)
	switch {
	case len(c.Spectrum) > 0:
		m, err = nrq.NewSpectrum(kind, c.Spectrum, c.Multiplicity, noise)
	case len(c.Diagonal) > 0:
		m, err = nrq.NewDiagonal(kind, c.Diagonal, noise)
	default:
		p := 0
		if noise.Cov != nil {
			p = noise.Cov.SymmetricDim()
		} else if len(noise.Var) > 0 {
			p = len(noise.Var)
		}
		a, rerr := c.readSym("a_file", c.AFile, p)
		if rerr != nil {
			return nil, rerr
		}
		if a.SymmetricDim() >= bigMatrix {
			c.log().Info("decomposing a_file (eigendecomposition, O(p³))", "p", a.SymmetricDim())
		}
		m, err = nrq.NewDense(kind, a, noise)
	}
	var me *nrq.ModelError
	if errors.As(err, &me) {
		field := "spectrum"
		switch {
		case me.Part == nrq.PartA && c.AFile != "":
			field = "a_file"
		case me.Part == nrq.PartA && len(c.Diagonal) > 0:
			field = "diagonal"
		case me.Part == nrq.PartNoise && c.NoiseFile != "":
			field = "noise_file"
		case me.Part == nrq.PartNoise && len(c.NoiseVar) > 0:
			field = "noise_var"
		case me.Part == nrq.PartNoise:
			field = "sigma"
		}
		return nil, &FieldError{Line: lineOf(c.keyLines, field), Field: field, Msg: me.Reason}
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// SimConfig returns the simulation config for this experiment.
func (c *Config) SimConfig() (*sim.Config, error) {
	m, err := c.BuildModel()
	if err != nil {
		return nil, err
	}
	if m.Dim() < 2 {
		return nil, &FieldError{Field: "spectrum", Msg: fmt.Sprintf("p = %d: NRQ needs p ≥ 2", m.Dim())}
	}
	if c.AFile != "" || c.NoiseFile != "" { // the lists were checked by Validate
		eigs := m.Eigenvalues() // a dense model holds p of them already
		p := m.Dim()
		if err := c.scaleError(sim.CheckScale(p, eigs[p-1], m.TraceNoise()/float64(p), *c.Eta, c.simInit())); err != nil {
			return nil, err
		}
	}
	sc := &sim.Config{
		Model: m, Eta: *c.Eta, Lambda: *c.Lambda, Momentum: c.Momentum,
		Steps: c.Steps, Trials: c.Trials, RecordEvery: c.RecordEvery,
		Seed: c.Seed, Xi: c.TailXi, Optimizer: c.Optimizer,
	}
	for _, k := range []struct {
		dst *float64
		v   *float64
	}{{&sc.Beta1, c.Beta1}, {&sc.Beta2, c.Beta2}, {&sc.Eps, c.Eps}} {
		if k.v != nil {
			*k.dst = *k.v
		}
	}
	if c.Init.Std != nil {
		sc.Init.Std = *c.Init.Std
	} else {
		sc.Init.Norm, sc.Init.F0 = *c.Init.Norm, *c.Init.F0
	}
	sc.Schedule = c.simEvents()
	if err := sc.Validate(); err != nil {
		return nil, fromSim(err)
	}
	return sc, nil
}
