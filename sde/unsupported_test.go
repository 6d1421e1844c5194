package sde

import (
	"context"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/smdlab/smd/internal/stattest"
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
// with the same (f₀, ‖X₀‖), to rounding; with a dense Σ̃ see below.
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
	as := rotate(q, diag)
	md, err := nrq.NewDiagonal(nrq.NRQ, diag, nrq.Noise{Sigma: 0})
	if err != nil {
		t.Fatal(err)
	}
	mr, err := nrq.NewDense(nrq.NRQ, as, nrq.Noise{Sigma: 0})
	if err != nil {
		t.Fatal(err)
	}
	c := &sim.Config{Model: md, Eta: 0.1, Lambda: 0.01, Init: sim.Init{Norm: 1.5, F0: 0.3}, Steps: 200, Trials: 1, RecordEvery: 50, Xi: 0.9}
	rd := run(t, EM{Substeps: 2}, c)
	c.Model = mr
	rr := run(t, EM{Substeps: 2}, c)
	for i := range rd.Rows {
		a, b := rd.Rows[i], rr.Rows[i]
		if math.Abs(a.Norm-b.Norm) > 1e-10 || math.Abs(a.Risk-b.Risk) > 1e-10 {
			t.Errorf("step %d: (risk, ‖X‖) diagonal (%.12g, %.12g), dense (%.12g, %.12g)", a.Step, a.Risk, a.Norm, b.Risk, b.Norm)
		}
	}
	// Dense Σ̃: rotating A and an anisotropic diagonal Σ̃ = D together,
	// A' = QAQᵀ, Σ̃' = QDQᵀ, maps the law of X_t to that of QX_t (the
	// initial draw and the noise are rotation invariant), so risk, loss,
	// Lemma 1's AU (Tr PΣ̃ is invariant), ‖X‖ and the tail of the dense
	// model (Σ̃'^{1/2} from its factor, O(p²) path) equal in law those of
	// the diagonal one (O(p) path): two independent ensembles within z·SE
	// (compareRows, rel = 0). A noise factor C with CCᵀ ≠ Σ̃' (e.g. Σ̃'
	// itself) changes Tr Σ̃ from 3.9 to 5.45 and fails 25 of the 30 checks.
	vars := []float64{1, 0.3, 2, 0.6}
	cov := rotate(q, vars)
	mv, err := nrq.NewDiagonal(nrq.NRQ, diag, nrq.Noise{Var: vars})
	if err != nil {
		t.Fatal(err)
	}
	mn, err := nrq.NewDense(nrq.NRQ, as, nrq.Noise{Cov: cov})
	if err != nil {
		t.Fatal(err)
	}
	const trials = 4000
	c.Model, c.Trials, c.Seed = mv, trials, stattest.Seed(60)
	rv := run(t, EM{Substeps: 2}, c)
	c.Model, c.Seed = mn, stattest.Seed(61)
	rn := run(t, EM{Substeps: 2}, c)
	compareRows(t, "diagonal Σ̃ vs rotated dense Σ̃", rv.Rows, rn.Rows, 0, trials)
}

// rotate returns Q·diag(d)·Qᵀ, symmetrised against rounding.
func rotate(q *mat.Dense, d []float64) *mat.SymDense {
	p := len(d)
	var a mat.Dense
	a.Mul(q, mat.NewDiagDense(p, d))
	a.Mul(&a, q.T())
	s := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			s.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	return s
}
