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
	loss, f := e.gradient(t, sc, r != nil)
	x, xt, g, u := t.x, sc.xt, sc.v, sc.z
	m, v := t.b[:len(x)], t.v[:len(x)]
	b1, b2, eps := e.b1, e.b2, e.eps
	t.k++
	k := float64(t.k)
	bc1 := 1 - pmath.Pow(b1, k)
	sbc2 := math.Sqrt(1 - pmath.Pow(b2, k))
	eta := t.eta
	step := eta / bc1
	par := 0.0
	for i, gi := range g {
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		ui := mi / (math.Sqrt(vi)/sbc2 + eps) // bc₁·u_i
		u[i] = ui
		par += ui * xt[i]
	}
	return e.finishDecoupled(t, sc, r, step, par, loss, f)
}

// stepLion is one step of Lion (Chen et al. 2023, Algorithm 2, decoupled
// weight decay):
//
//	u = sign(β₁m + (1 − β₁)g),   X ← (1 − ηλ)X − ηu,   m ← β₂m + (1 − β₂)g,
//
// with sign(0) = 0 (torch.sign). ‖u‖² is the number of non-zero
// coordinates whatever the scale of g: the update is scale-free in g.
func (e *stepper) stepLion(t *trial, sc *scratch, r *ensemble.Sample) bool {
	loss, f := e.gradient(t, sc, r != nil)
	x, xt, g, u := t.x, sc.xt, sc.v, sc.z
	m := t.b[:len(x)]
	b1, b2 := e.b1, e.b2
	par := 0.0
	for i, gi := range g {
		c := b1*m[i] + (1-b1)*gi
		var ui float64
		switch {
		case c > 0:
			ui = 1
		case c < 0:
			ui = -1
		}
		u[i] = ui
		par += ui * xt[i]
		m[i] = b2*m[i] + (1-b2)*gi
	}
	t.k++
	return e.finishDecoupled(t, sc, r, t.eta, par, loss, f)
}

// finishDecoupled applies X ← (1 − ηλ)X − step·u for the step direction u
// in sc.z (par = u·X̃) and records X_n: the angular update from the parts of
// step·u along and across X̃, without cancellation.
func (e *stepper) finishDecoupled(t *trial, sc *scratch, r *ensemble.Sample, step, par, loss, f float64) bool {
	x, xt, u := t.x, sc.xt, sc.z
	decay := 1 - t.lambda*t.eta
	var perp2, n2 float64
	for i, xi := range x {
		ui := u[i]
		d := ui - par*xt[i]
		perp2 += d * d
		xi = xi*decay - step*ui
		x[i] = xi
		n2 += xi * xi
	}
	if r != nil {
		norm := math.Sqrt(t.n2)
		au := math.Atan2(step*math.Sqrt(perp2), decay*norm-step*par)
		r.Set(f, loss, au, norm, t.n2, e.xi)
	}
	t.n2 = n2
	return alive(n2)
}
