package sde

import (
	"context"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
)

// TestUnsupported checks that configs outside an engine's model are
// rejected with ErrUnsupported, not run.
func TestUnsupported(t *testing.T) {
	three, err := nrq.NewDiagonal(nrq.NRQ, []float64{1, 2, 3}, nrq.Noise{Sigma: 1})
	if err != nil {
		t.Fatal(err)
	}
	aniso, err := nrq.NewDiagonal(nrq.NRQ, []float64{1, 2, 2}, nrq.Noise{Var: []float64{1, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	nqm, err := nrq.NewDiagonal(nrq.NQM, []float64{1, 2, 2}, nrq.Noise{Sigma: 1})
	if err != nil {
		t.Fatal(err)
	}
	base := sim.Config{Eta: 0.1, Lambda: 0.01, Init: sim.Init{Std: 1}, Steps: 10, Trials: 2, RecordEvery: 5, Xi: 0.9}
	for _, tc := range []struct {
		name string
		eng  sim.Engine
		m    *nrq.Model
		mu   float64
	}{
		{"fp-three-levels", FokkerPlanck{}, three, 0},
		{"fp-anisotropic", FokkerPlanck{}, aniso, 0},
		{"fp-sigma0", FokkerPlanck{}, twoLevelModel(t, 1, 2, 1, 2, 0), 0},
		{"sde-reduced-three-levels", Reduced{}, three, 0},
		{"sde-reduced-momentum", Reduced{}, twoLevelModel(t, 1, 2, 1, 2, 1), 0.9},
		{"sde-nqm", EM{}, nqm, 0},
		{"sde-momentum", EM{}, three, 0.5},
	} {
		c := base
		c.Model, c.Momentum = tc.m, tc.mu
		if _, err := tc.eng.Run(context.Background(), &c); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v, want ErrUnsupported", tc.name, err)
		}
	}
}

// TestEMDense checks that sde runs a dense A and a dense Σ̃: for a rotated
// copy A' = QAQᵀ of a two-valued diagonal A and σ = 0, the EM step depends
// on X only through (f, ‖X‖) (‖PAX̃‖² = (a_h − a_l)²f(1 − f)), so the
// diagonal and the dense model give the same risk and norm from any start
// with the same (f₀, ‖X₀‖), to rounding; with a dense Σ̃ the rows are finite.
func TestEMDense(t *testing.T) {
	const p = 4
	// Q: a Householder reflection, I − 2vvᵀ/vᵀv.
	v := []float64{1, 2, -1, 0.5}
	vv := 0.0
	for _, x := range v {
		vv += x * x
	}
	q := mat.NewDense(p, p, nil)
	for i := range p {
		for j := range p {
			d := 0.0
			if i == j {
				d = 1
			}
			q.Set(i, j, d-2*v[i]*v[j]/vv)
		}
	}
	diag := []float64{0.5, 2, 2, 2}
	var a mat.Dense
	a.Mul(q, mat.NewDiagDense(p, diag))
	a.Mul(&a, q.T())
	as := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			as.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	md, err := nrq.NewDiagonal(nrq.NRQ, diag, nrq.Noise{Sigma: 0})
	if err != nil {
		t.Fatal(err)
	}
	mr, err := nrq.NewDense(nrq.NRQ, as, nrq.Noise{Sigma: 0})
	if err != nil {
		t.Fatal(err)
	}
	c := &sim.Config{Model: md, Eta: 0.1, Lambda: 0.01, Init: sim.Init{Norm: 1.5, F0: 0.3}, Steps: 200, Trials: 1, RecordEvery: 50, Xi: 0.9}
	rd, err := EM{Substeps: 2}.Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	c.Model = mr
	rr, err := EM{Substeps: 2}.Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rd.Rows {
		a, b := rd.Rows[i], rr.Rows[i]
		if math.Abs(a.Norm-b.Norm) > 1e-10 || math.Abs(a.Risk-b.Risk) > 1e-10 {
			t.Errorf("step %d: (risk, ‖X‖) diagonal (%.12g, %.12g), dense (%.12g, %.12g)", a.Step, a.Risk, a.Norm, b.Risk, b.Norm)
		}
	}
	cov := mat.NewSymDense(p, []float64{2, 0.3, 0, 0, 0.3, 1, 0.2, 0, 0, 0.2, 1.5, 0.1, 0, 0, 0.1, 1})
	mn, err := nrq.NewDense(nrq.NRQ, as, nrq.Noise{Cov: cov})
	if err != nil {
		t.Fatal(err)
	}
	c.Model, c.Trials = mn, 50
	res, err := EM{}.Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Rows {
		if math.IsNaN(r.Risk) || math.IsNaN(r.AU) || !(r.AU > 0) {
			t.Errorf("step %d: risk %v, AU %v", r.Step, r.Risk, r.AU)
		}
	}
}
