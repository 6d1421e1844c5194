package sim

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/smdlab/smd/internal/ensemble"
	"github.com/smdlab/smd/internal/rng"
	"github.com/smdlab/smd/nrq"
)

// handRun replays c (one trial, Init.Std) outside the engine: the same
// random stream (seed, 0) — X₀ = std·z, then one standard normal vector per
// step — the reference gradient nrq.Model.Grad, and the optimizer written
// out as in PyTorch's documentation. It returns ‖X_n‖ and the angle
// ∠(X_n, X_{n+1}) for n = 0 … steps.
func handRun(c *Config) (norms, angles []float64) {
	m := c.Model
	p := m.Dim()
	var r rng.Rand
	r.Seed(c.Seed, 0)
	z := make([]float64, p)
	r.FillNorm(z)
	x := make([]float64, p)
	for i := range x {
		x[i] = c.Init.Std * z[i]
	}
	mom, v, g := make([]float64, p), make([]float64, p), make([]float64, p)
	for k := 1; k <= c.Steps+1; k++ {
		r.FillNorm(z)
		m.Grad(g, x, z)
		old := append([]float64(nil), x...)
		eta, lambda := c.Eta, c.Lambda
		switch c.Optimizer {
		case OptAdamW:
			bc1 := 1 - math.Pow(c.Beta1, float64(k))
			bc2 := 1 - math.Pow(c.Beta2, float64(k))
			for i := range x {
				x[i] *= 1 - eta*lambda
				mom[i] = c.Beta1*mom[i] + (1-c.Beta1)*g[i]
				v[i] = c.Beta2*v[i] + (1-c.Beta2)*g[i]*g[i]
				denom := math.Sqrt(v[i])/math.Sqrt(bc2) + c.Eps
				x[i] += -eta / bc1 * (mom[i] / denom)
			}
		case OptLion:
			for i := range x {
				x[i] *= 1 - eta*lambda
				x[i] -= eta * math.Copysign(1, c.Beta1*mom[i]+(1-c.Beta1)*g[i])
				mom[i] = c.Beta2*mom[i] + (1-c.Beta2)*g[i]
			}
		default: // torch.optim.SGD
			for i := range x {
				mom[i] = c.Momentum*mom[i] + g[i] + lambda*x[i]
				x[i] -= eta * mom[i]
			}
		}
		norms = append(norms, math.Sqrt(dot(old, old)))
		cos := dot(old, x) / math.Sqrt(dot(old, old)*dot(x, x))
		angles = append(angles, math.Acos(min(cos, 1)))
	}
	return norms, angles
}

// Each optimizer's steps against the hand computation: ‖X_n‖ to 1e-13
// (rounding of a different operation order in the gradient) and the angle
// to 1e-6 rad (acos of a cosine near 1 loses half the digits; the engine
// uses atan2 without cancellation), on a diagonal NRQ with distinct
// eigenvalues and noise levels, a dense-free NQM, and a dense NRQ.
func TestOptimizerStepsHand(t *testing.T) {
	diag, err := nrq.NewDiagonal(nrq.NRQ, []float64{0.5, 1, 2, 3.5}, nrq.Noise{Var: []float64{0.3, 1, 2, 0.7}})
	if err != nil {
		t.Fatal(err)
	}
	nqm := mustDiag(t, nrq.NQM, []float64{0.2, 1, 4}, 0.5)
	for _, m := range []*nrq.Model{diag, nqm} {
		for _, o := range []Config{
			{Optimizer: OptAdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
			{Optimizer: OptAdamW, Beta1: 0.5, Beta2: 0.9, Eps: 0.01},
			{Optimizer: OptLion, Beta1: 0.9, Beta2: 0.99},
			{Optimizer: OptLion, Beta1: 0, Beta2: 0.5},
			{Optimizer: OptSGD, Momentum: 0.9},
		} {
			c := o
			c.Model, c.Eta, c.Lambda = m, 0.05, 0.3
			c.Init, c.Steps, c.Trials, c.RecordEvery, c.Seed, c.Xi = Init{Std: 1.3}, 6, 1, 1, 7, 0.5
			res := run(t, &c)
			norms, angles := handRun(&c)
			for n, row := range res.Rows {
				if math.Abs(row.Norm-norms[n]) > 1e-13*norms[n] {
					t.Errorf("%v %s: ‖X_%d‖ = %.16g, hand %.16g", m.Kind, c.Optimizer, n, row.Norm, norms[n])
				}
				if math.Abs(row.AU-angles[n]) > 1e-6 {
					t.Errorf("%v %s: Δ_%d = %.16g, hand %.16g", m.Kind, c.Optimizer, n, row.AU, angles[n])
				}
			}
		}
	}
}

// Scale-freeness, exactly: multiplying every gradient by k = 2¹⁰ (an NQM
// with A·k and noise std·k, so g ↦ k·g with no rounding) leaves Lion's
// trajectory unchanged bit for bit (sign(k·v) = sign(v)), and AdamW's too
// when ε = 0 (m ↦ km, √v ↦ k√v exactly for a power of two). With ε > 0
// AdamW's trajectory must change: the test can fail.
func TestScaleFreeInGradient(t *testing.T) {
	const k = 1 << 10
	a := []float64{0.2, 1, 4, 4, 9}
	ak := make([]float64, len(a))
	for i := range a {
		ak[i] = k * a[i]
	}
	base, scaled := mustDiag(t, nrq.NQM, a, 0.5), mustDiag(t, nrq.NQM, ak, 0.5*k)
	for _, o := range []Config{
		{Optimizer: OptLion, Beta1: 0.9, Beta2: 0.99},
		{Optimizer: OptAdamW, Beta1: 0.9, Beta2: 0.999},
		{Optimizer: OptAdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-3},
	} {
		rows := [2][]Row{}
		for j, m := range []*nrq.Model{base, scaled} {
			c := o
			c.Model, c.Eta, c.Lambda = m, 0.01, 0.1
			c.Init, c.Steps, c.Trials, c.RecordEvery, c.Seed, c.Xi = Init{Std: 1}, 200, 3, 20, 3, 0.5
			rows[j] = run(t, &c).Rows
		}
		same := true
		for n := range rows[0] {
			r0, r1 := rows[0][n], rows[1][n]
			if r0.Norm != r1.Norm || r0.AU != r1.AU || r0.Risk != r1.Risk {
				same = false
			}
		}
		if want := o.Eps == 0; same != want {
			t.Errorf("%s ε = %v: trajectories identical = %v, want %v", o.Optimizer, o.Eps, same, want)
		}
	}
}

// AdamW and Lion output is identical, bit for bit, whatever the worker count.
func TestOptimizerWorkers(t *testing.T) {
	m := mustDiag(t, nrq.NRQ, spectrum12(12), 1)
	for _, o := range []Config{{Optimizer: OptAdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, {Optimizer: OptLion, Beta1: 0.9, Beta2: 0.99}} {
		var ref []Row
		for _, w := range []int{1, 3} {
			c := o
			c.Model, c.Eta, c.Lambda = m, 0.01, 0.1
			c.Init, c.Steps, c.Trials, c.RecordEvery, c.Seed, c.Xi, c.Workers = Init{Std: 1}, 100, 7, 25, 5, 0.9, w
			rows := run(t, &c).Rows
			if ref == nil {
				ref = rows
				continue
			}
			for i := range rows {
				if rows[i] != ref[i] {
					t.Fatalf("%s workers = %d: row %d differs", o.Optimizer, w, i)
				}
			}
		}
	}
}

// Reduced refuses AdamW and Lion (not exact in law, docs/engines.md) and
// Auto sends them to Full; bad knobs are config errors naming the field.
func TestOptimizerEngineChoice(t *testing.T) {
	m := mustDiag(t, nrq.NRQ, spectrum12(40), 1)
	c := &Config{Model: m, Eta: 0.1, Lambda: 0.01, Init: Init{Std: 1}, Steps: 1, Trials: 1, RecordEvery: 1, Xi: 0.5,
		Optimizer: OptLion, Beta1: 0.9, Beta2: 0.99}
	if AutoMethod(c) != "full" {
		t.Errorf("AutoMethod(lion) = %q, want full", AutoMethod(c))
	}
	if _, err := (Reduced{}).Run(context.Background(), c); !errors.Is(err, ErrNotReducible) {
		t.Errorf("Reduced lion: err = %v, want ErrNotReducible", err)
	}
	for field, mod := range map[string]func(*Config){
		"optimizer": func(c *Config) { c.Optimizer = "adam" },
		"beta1":     func(c *Config) { c.Beta1 = 1 },
		"beta2":     func(c *Config) { c.Beta2 = -0.1 },
		"eps":       func(c *Config) { c.Optimizer, c.Eps = OptAdamW, math.NaN() },
		"momentum":  func(c *Config) { c.Momentum = 0.9 },
	} {
		d := *c
		mod(&d)
		err := d.Validate()
		if !errors.Is(err, ErrConfig) || !contains(err.Error(), field+":") {
			t.Errorf("%s: err = %v", field, err)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// AdamW and Lion on a diagonal NRQ take two passes per step
// (stepDecoupledDiag) instead of gradient's, the optimizer's and
// finishDecoupled's five: two copies of a trial, one stepped each way,
// must agree bit for bit after every step (X, the optimizer's state, the
// recorded sample), with anisotropic noise and with η, λ changing between
// steps. The test can fail: any reordered operation or sum changes bits.
func TestFusedOptimizerIsExact(t *testing.T) {
	const p = 10
	m, err := nrq.NewDiagonal(nrq.NRQ, spectrum12(p), nrq.Noise{Var: []float64{1, 4, 0.25, 1, 1, 9, 1, 1, 0.5, 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { fuseOpt = true }()
	for _, o := range []Config{
		{Optimizer: OptAdamW, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		{Optimizer: OptLion, Beta1: 0.9, Beta2: 0.99},
	} {
		e := stepper{m: m, xi: 0.9, opt: o.Optimizer, b1: o.Beta1, b2: o.Beta2, eps: o.Eps}
		e.prepare()
		var tr [2]trial
		var sc [2]*scratch
		for k := range tr {
			tr[k] = trial{x: make([]float64, p), b: make([]float64, p), v: make([]float64, p), eta: 0.05, lambda: 0.1}
			sc[k] = newScratch(p)
			tr[k].rnd.Seed(3, 0)
			initTrial(m, Init{Std: 0.8}, &tr[k], sc[k])
		}
		for n := range 150 {
			var out [2]ensemble.Sample
			for k, fused := range []bool{true, false} {
				fuseOpt = fused
				tr[k].eta, tr[k].lambda = 0.05*(1+float64(n%7)), 0.1/(1+float64(n%3))
				var r *ensemble.Sample
				if n%4 == 0 {
					r = &out[k]
				}
				if o.Optimizer == OptAdamW {
					e.stepAdamW(&tr[k], sc[k], r)
				} else {
					e.stepLion(&tr[k], sc[k], r)
				}
			}
			a, b := tr[0], tr[1]
			if out[0] != out[1] || a.n2 != b.n2 || a.k != b.k || !slices.Equal(a.x, b.x) || !slices.Equal(a.b, b.b) || !slices.Equal(a.v, b.v) {
				t.Fatalf("%s, step %d: the fused step changed the output:\n%v %v\n%v %v", o.Optimizer, n, out[0], a.x, out[1], b.x)
			}
		}
	}
}
