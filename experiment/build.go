package experiment

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
)

// BuildModel builds the nrq.Model the config describes, reading a_file and
// noise_file if given (a missing or malformed file is a *FieldError).
func (c *Config) BuildModel() (*nrq.Model, error) {
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
		cov, err := c.readSym("noise_file", c.NoiseFile)
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
		a, rerr := c.readSym("a_file", c.AFile)
		if rerr != nil {
			return nil, rerr
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
		return nil, &FieldError{Field: field, Msg: me.Reason}
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// readSym reads a CSV square symmetric matrix (relative to the config's dir).
func (c *Config) readSym(field, name string) (*mat.SymDense, error) {
	path := name
	if !filepath.IsAbs(path) && c.Dir != "" {
		path = filepath.Join(c.Dir, path)
	}
	fail := func(format string, a ...any) error {
		return &FieldError{Field: field, Msg: fmt.Sprintf("%s: ", path) + fmt.Sprintf(format, a...)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail("%v", unwrapPathErr(err))
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.TrimLeadingSpace = true
	var rows [][]float64
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fail("%v", err)
		}
		row := make([]float64, len(rec))
		for j, s := range rec {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fail("row %d column %d: want a finite number, got %q", len(rows)+1, j+1, s)
			}
			row[j] = v
		}
		rows = append(rows, row)
	}
	p := len(rows)
	if p == 0 {
		return nil, fail("empty matrix")
	}
	scale := 0.0
	for i, row := range rows {
		if len(row) != p {
			return nil, fail("row %d has %d numbers, want %d (a square matrix)", i+1, len(row), p)
		}
		for _, v := range row {
			scale = math.Max(scale, math.Abs(v))
		}
	}
	s := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			if d := math.Abs(rows[i][j] - rows[j][i]); d > 1e-12*scale {
				return nil, fail("not symmetric: entry (%d,%d) = %v but (%d,%d) = %v", i+1, j+1, rows[i][j], j+1, i+1, rows[j][i])
			}
			s.SetSym(i, j, (rows[i][j]+rows[j][i])/2)
		}
	}
	return s, nil
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
