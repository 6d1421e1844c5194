package sim

import (
	"math"

	"github.com/smdlab/smd/internal/ensemble"
	"github.com/smdlab/smd/internal/pmath"
	"github.com/smdlab/smd/nrq"
)

// Optimizer names (Config.Optimizer; the same strings as theory.Optimizer).
const (
	OptSGD   = "sgd"
	OptAdamW = "adamw"
	OptLion  = "lion"
)

// optName returns c's optimizer with "" read as sgd.
func (c *Config) optName() string {
	if c.Optimizer == "" {
		return OptSGD
	}
	return c.Optimizer
}

// stateVectors returns how many p-vectors of optimizer state a trial
// carries besides X: the momentum buffer (sgd, μ ≠ 0), Lion's m, AdamW's m
// and v.
func (c *Config) stateVectors() int {
	switch c.optName() {
	case OptAdamW:
		return 2
	case OptLion:
		return 1
	}
	if c.Momentum != 0 {
		return 1
	}
	return 0
}

// gradient writes the stochastic gradient at the trial's X into sc.v
// (eq 4 for the NRQ, eq 8 for the NQM; the same law as nrq.Model.Grad) and
// returns the loss L(X_n) and, if want, the alignment f(X_n). It leaves
// X̃ = X/‖X‖ in sc.xt.
func (e *stepper) gradient(t *trial, sc *scratch, want bool) (loss, f float64) {
	m := e.m
	x, xt, g, z := t.x, sc.xt, sc.v, sc.z
	inv := 1 / math.Sqrt(t.n2)
	for i, xi := range x {
		xt[i] = xi * inv
	}
	t.rnd.FillNorm(z)
	if e.a != nil { // diagonal A and Σ̃
		a, s := e.a[:len(x)], e.s[:len(x)]
		if m.Kind == nrq.NRQ {
			var cA, c float64
			for i, xti := range xt {
				ax := a[i] * xti
				gi := ax + s[i]*z[i]
				cA += ax * xti
				c += gi * xti
				g[i] = gi
			}
			for i, xti := range xt {
				g[i] = (g[i] - c*xti) * inv
			}
			loss = cA / 2
		} else {
			for i, xi := range x {
				ax := a[i] * xi
				loss += ax * xi
				g[i] = ax + s[i]*z[i]
			}
			loss /= 2
		}
	} else {
		w := sc.w
		m.MulNoise(w, z)
		if m.Kind == nrq.NRQ {
			m.MulA(g, xt)
			loss = dot(xt, g) / 2
			for i := range g {
				g[i] += w[i]
			}
			c := dot(xt, g)
			for i := range g {
				g[i] = (g[i] - c*xt[i]) * inv
			}
		} else {
			m.MulA(g, x)
			loss = dot(x, g) / 2
			for i := range g {
				g[i] += w[i]
			}
		}
	}
	if want {
		f = m.Alignment(x)
	}
	return loss, f
}

// stepAdamW is one step of torch.optim.AdamW (amsgrad off, maximize off):
//
//	m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   k ← k + 1,
//	X ← (1 − ηλ)X − (η/(1 − β₁ᵏ))·m/(√v/√(1 − β₂ᵏ) + ε),
//
// the decay applied to X before the Adam step, as PyTorch does
// (param.mul_(1 − lr·wd), then param.addcdiv_(m, denom, −lr/bc₁)). The
// gradient g is taken at X_n. With u the Adam step, the angular update is
//
//	tan Δ = η‖u − (u·X̃)X̃‖ / ((1 − ηλ)‖X‖ − η u·X̃).
func (e *stepper) stepAdamW(t *trial, sc *scratch, r *ensemble.Sample) bool {
	if e.a != nil && e.m.Kind == nrq.NRQ && fuseOpt {
		return e.stepDecoupledDiag(t, sc, r)
	}
	loss, f := e.gradient(t, sc, r != nil)
	x, xt, g, u := t.x, sc.xt, sc.v, sc.z
	m, v := t.b[:len(x)], t.v[:len(x)]
	b1, b2, eps := e.b1, e.b2, e.eps
	step, sbc2 := e.adamwStep(t)
	par := 0.0
	for i, gi := range g {
		ui := adamwCoord(m, v, i, gi, b1, b2, sbc2, eps)
		u[i] = ui
		par += ui * xt[i]
	}
	return e.finishDecoupled(t, sc, r, step, par, loss, f)
}

// adamwStep advances AdamW's step count k and returns η/(1 − β₁ᵏ) and
// √(1 − β₂ᵏ).
func (e *stepper) adamwStep(t *trial) (step, sbc2 float64) {
	t.k++
	k := float64(t.k)
	bc1 := 1 - pmath.Pow(e.b1, k)
	return t.eta / bc1, math.Sqrt(1 - pmath.Pow(e.b2, k))
}

// adamwCoord updates AdamW's moments m[i], v[i] with the gradient
// coordinate g and returns (1 − β₁ᵏ)·u_i, the coordinate's step before
// the factor η/(1 − β₁ᵏ).
func adamwCoord(m, v []float64, i int, g, b1, b2, sbc2, eps float64) float64 {
	mi := b1*m[i] + (1-b1)*g
	vi := b2*v[i] + (1-b2)*g*g
	m[i], v[i] = mi, vi
	return mi / (math.Sqrt(vi)/sbc2 + eps)
}

// stepLion is one step of Lion (Chen et al. 2023, Algorithm 2, decoupled
// weight decay):
//
//	u = sign(β₁m + (1 − β₁)g),   X ← (1 − ηλ)X − ηu,   m ← β₂m + (1 − β₂)g,
//
// with sign(0) = 0 (torch.sign). ‖u‖² is the number of non-zero
// coordinates whatever the scale of g: the update is scale-free in g.
func (e *stepper) stepLion(t *trial, sc *scratch, r *ensemble.Sample) bool {
	if e.a != nil && e.m.Kind == nrq.NRQ && fuseOpt {
		return e.stepDecoupledDiag(t, sc, r)
	}
	loss, f := e.gradient(t, sc, r != nil)
	x, xt, g, u := t.x, sc.xt, sc.v, sc.z
	m := t.b[:len(x)]
	b1, b2 := e.b1, e.b2
	par := 0.0
	for i, gi := range g {
		ui := lionCoord(m, i, gi, b1, b2)
		u[i] = ui
		par += ui * xt[i]
	}
	t.k++
	return e.finishDecoupled(t, sc, r, t.eta, par, loss, f)
}

// lionCoord returns Lion's step coordinate sign(β₁m[i] + (1 − β₁)g) and
// updates the momentum m[i] with the gradient coordinate g.
func lionCoord(m []float64, i int, g, b1, b2 float64) float64 {
	c := b1*m[i] + (1-b1)*g
	m[i] = b2*m[i] + (1-b2)*g
	// ±1 from c's sign bit, not a branch on it: the sign is a coin flip
	// per coordinate, which a branch predictor cannot learn (the test
	// for 0 and NaN is never true in practice, so it is predicted).
	if c != 0 && c == c {
		return math.Copysign(1, c)
	}
	return 0 // c = 0 or NaN
}

// fuseOpt lets AdamW and Lion on a diagonal NRQ take their step in two
// passes (stepDecoupledDiag); tests turn it off to check that this
// changes no bit of the output.
var fuseOpt = true

// stepDecoupledDiag is stepAdamW or stepLion for diagonal A and Σ̃ on the
// NRQ in two passes over the coordinates instead of five: the first
// forms the raw gradient AX̃ + Σ̃^{1/2}z and its sums (the loss X̃ᵀAX̃/2 and
// c = g·X̃), the second projects it, g ← (g − cX̃)/‖X‖ (eq 4), updates the
// optimizer's state and X, and sums ‖X_{n+1}‖². X̃ is recomputed from X in
// the second pass (and kept, with the step u, for the record), and the
// step's parts along and across X̃ (the angular update) are summed only on
// recorded steps. Each coordinate
// sees the same operations in the same order as in gradient,
// stepAdamW/stepLion and finishDecoupled, and the sums run in the same
// order, so the output is the same bit for bit (TestFusedOptimizerIsExact).
func (e *stepper) stepDecoupledDiag(t *trial, sc *scratch, r *ensemble.Sample) bool {
	x, z, g := t.x, sc.z[:len(t.x)], sc.v[:len(t.x)]
	a, s := e.a[:len(x)], e.s[:len(x)]
	t.rnd.FillNorm(z)
	inv := 1 / math.Sqrt(t.n2)
	var cA, c float64
	for i, xi := range x {
		xti := xi * inv
		ax := a[i] * xti
		gi := ax + s[i]*z[i]
		cA += ax * xti
		c += gi * xti
		g[i] = gi
	}
	loss, f := cA/2, 0.0
	if r != nil {
		f = e.m.Alignment(x)
	}
	b1, b2 := e.b1, e.b2
	decay := 1 - t.lambda*t.eta
	u, xt := sc.z[:len(x)], sc.xt[:len(x)] // z is consumed: it holds the step
	m := t.b[:len(x)]
	var step, n2 float64
	if e.opt == OptAdamW {
		eps := e.eps
		var sbc2 float64
		step, sbc2 = e.adamwStep(t)
		v := t.v[:len(x)]
		for i, gi := range g {
			xi := x[i]
			xti := xi * inv
			ui := adamwCoord(m, v, i, (gi-c*xti)*inv, b1, b2, sbc2, eps)
			u[i], xt[i] = ui, xti
			xi = xi*decay - step*ui
			x[i] = xi
			n2 += xi * xi
		}
	} else {
		step = t.eta
		for i, gi := range g {
			xi := x[i]
			xti := xi * inv
			ui := lionCoord(m, i, (gi-c*xti)*inv, b1, b2)
			u[i], xt[i] = ui, xti
			xi = xi*decay - step*ui
			x[i] = xi
			n2 += xi * xi
		}
		t.k++
	}
	if r != nil {
		par := 0.0 // u·X̃, summed in the order the unfused step sums it
		for i, ui := range u {
			par += ui * xt[i]
		}
		e.recordDecoupled(t, sc, r, decay, step, par, loss, f)
	}
	t.n2 = n2
	return alive(n2)
}

// finishDecoupled applies X ← (1 − ηλ)X − step·u for the step direction u
// in sc.z (par = u·X̃) and records X_n: the angular update from the parts of
// step·u along and across X̃, without cancellation.
func (e *stepper) finishDecoupled(t *trial, sc *scratch, r *ensemble.Sample, step, par, loss, f float64) bool {
	x, u := t.x, sc.z
	decay := 1 - t.lambda*t.eta
	if r != nil {
		e.recordDecoupled(t, sc, r, decay, step, par, loss, f)
	}
	var n2 float64
	for i, xi := range x {
		xi = xi*decay - step*u[i]
		x[i] = xi
		n2 += xi * xi
	}
	t.n2 = n2
	return alive(n2)
}

// recordDecoupled records X_n (t.n2 still ‖X_n‖²) for the step
// X ← decay·X − step·u, u in sc.z and X̃ in sc.xt (par = u·X̃): the angular
// update from the parts of step·u along and across X̃, without
// cancellation.
func (e *stepper) recordDecoupled(t *trial, sc *scratch, r *ensemble.Sample, decay, step, par, loss, f float64) {
	u, xt := sc.z[:len(t.x)], sc.xt[:len(t.x)]
	var perp2 float64
	for i, ui := range u {
		d := ui - par*xt[i]
		perp2 += d * d
	}
	norm := math.Sqrt(t.n2)
	au := math.Atan2(step*math.Sqrt(perp2), decay*norm-step*par)
	r.Set(f, loss, au, norm, t.n2, e.xi)
}
