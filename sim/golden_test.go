package sim_test

import (
	"bytes"
	"context"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/smdlab/smd/internal/golden"
	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
)

// TestGolden is the regression tier (STYLE.md §7) of the discrete engines:
// small fixed-seed runs of sim.Full on each of its three update paths
// (diagonal NRQ, diagonal NRQ with momentum, the generic path: NQM and a
// dense A) and of sim.Reduced (plain and with momentum), on a schedule with
// a decay with rescale and a λ change, printed to 9 significant digits and
// compared with testdata/engines.golden. It catches change, not wrongness;
// regenerate with go test ./sim -run Golden -update.
func TestGolden(t *testing.T) {
	two, err := nrq.NewTwoLevel(1, 9, 1, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	nqm, err := nrq.NewDiagonal(nrq.NQM, []float64{1, 2, 2, 3}, nrq.Noise{Var: []float64{1, 0.5, 0.5, 2}})
	if err != nil {
		t.Fatal(err)
	}
	dense, err := nrq.NewDense(nrq.NRQ, mat.NewSymDense(3, []float64{2, 0.5, 0, 0.5, 1, 0.25, 0, 0.25, 3}), nrq.Noise{Sigma: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	base := sim.Config{Model: two, Eta: 0.2, Lambda: 0.01, Init: sim.Init{Std: 0.5}, Steps: 400, Trials: 64,
		RecordEvery: 100, Xi: 0.9, Seed: 42, Workers: 3,
		Schedule: []sim.Event{{Step: 200, LRDivide: 4, Rescale: true}}}
	with := func(f func(c *sim.Config)) *sim.Config {
		c := base
		f(&c)
		return &c
	}
	lambdaChange := []sim.Event{{Step: 150, LRDivide: 2, Rescale: true}, {Step: 250, SetLambda: true, Lambda: 0.02}}
	var buf bytes.Buffer
	for _, e := range []struct {
		name string
		eng  sim.Engine
		c    *sim.Config
	}{
		// The first block is the reduced golden that lived in sde/testdata
		// before, unchanged.
		{"reduced", sim.Reduced{}, &base},
		{"full", sim.Full{}, &base},
		{"full momentum 0.5, λ change", sim.Full{}, with(func(c *sim.Config) { c.Momentum, c.Schedule = 0.5, lambdaChange })},
		{"reduced momentum 0.5, λ change", sim.Reduced{}, with(func(c *sim.Config) { c.Momentum, c.Schedule = 0.5, lambdaChange })},
		{"full NQM (generic path), init norm/f0", sim.Full{}, with(func(c *sim.Config) {
			c.Model, c.Init, c.Eta = nqm, sim.Init{Norm: 1.5, F0: 0.3}, 0.05
		})},
		{"full dense A (generic path)", sim.Full{}, with(func(c *sim.Config) { c.Model, c.Schedule = dense, lambdaChange })},
	} {
		res, err := e.eng.Run(context.Background(), e.c)
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		golden.Rows(&buf, e.name, res.Rows)
	}
	golden.Check(t, "engines.golden", buf.Bytes())
}
