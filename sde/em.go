package sde

import (
	"context"
	"math"
	"time"

	"github.com/smdlab/smd/internal/ensemble"
	"github.com/smdlab/smd/internal/rng"
	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
)

// EM integrates the p-dimensional SDE of eq 9 (time t counts steps),
//
//	dX = −η(PAX̃/‖X‖ + λX) dt + (η/‖X‖) P Σ̃^{1/2} dB,
//
// by Euler–Maruyama with Substeps steps per SGD step, dt = 1/Substeps:
//
//	X' = (1 − ληdt) X − (η dt/‖X‖) P (AX̃ + Σ̃^{1/2} ξ/√dt),  ξ ~ N(0, I).
//
// With Substeps = 1 this is the discrete update eq 3 itself; as dt → 0 it
// converges to the SDE (weak order 1; strong order 1/2 for this
// multiplicative noise, 1 for σ = 0). Any A and Σ̃ (dense ones cost O(p²)
// per sub-step); no momentum, NRQ only. The AU columns report Lemma 1's
// Δ_t = η√Tr(PΣ̃)/‖X_t‖² of each trial (mean and RMS over trials).
type EM struct {
	Substeps int // Euler–Maruyama steps per SGD step (0: 8)
}

var _ sim.Engine = EM{}

// emShared is what all trials share.
type emShared struct {
	ctx     context.Context // stops a block early when done (ensemble.Interrupted)
	m       *nrq.Model
	a, s    []float64   // diagonal A and noise std, or nil
	target  []int       // diagonal A: target coordinates
	sig     [][]float64 // dense Σ̃ (rows), when the noise is dense
	trS     float64     // Tr Σ̃
	sub     int
	xi      float64
	observe func(trial, step int, x []float64) // sim.Config.Observe
}

type emTrial struct {
	x    []float64
	rnd  rng.Rand
	sch  *schedule
	dead error
}

type emScratch struct{ z, v, xt, w []float64 }

// Run simulates c.Trials independent trials of eq 9.
func (e EM) Run(ctx context.Context, c *sim.Config) (*sim.Result, error) {
	c = c.WithDefaults()
	if err := checkCommon(c, "sde"); err != nil {
		return nil, err
	}
	sub := e.Substeps
	if sub <= 0 {
		sub = 8
	}
	start := time.Now()
	m := c.Model
	p := m.Dim()
	sh := &emShared{m: m, sub: sub, xi: c.Xi, trS: m.TraceNoise(), observe: c.Observe, ctx: ctx}
	if a, ok := m.Diagonal(); ok {
		if s, ok := m.NoiseStd(); ok {
			sh.a, sh.s, sh.target = a, s, m.TargetIndices()
		}
	}
	if _, ok := m.NoiseStd(); !ok { // rebuild Σ̃ = CCᵀ from C's columns
		cols := make([][]float64, p)
		e := make([]float64, p)
		for j := range p {
			clear(e)
			e[j] = 1
			cols[j] = make([]float64, p)
			m.MulNoise(cols[j], e)
		}
		sh.sig = make([][]float64, p)
		for i := range p {
			sh.sig[i] = make([]float64, p)
			for j := range p {
				v := 0.0
				for k := range p {
					v += cols[k][i] * cols[k][j]
				}
				sh.sig[i][j] = v
			}
		}
	}
	trials := make([]emTrial, c.Trials)
	for i := range trials {
		t := &trials[i]
		t.x = make([]float64, p)
		t.rnd.Seed(c.Seed, uint64(i))
		t.sch = newSchedule(c)
		emInit(m, c.Init, t)
	}
	return lockstep(ctx, c, start, sub, p,
		func() func(i, n0, n1 int, out *ensemble.Sample) {
			buf := make([]float64, 4*p)
			sc := &emScratch{z: buf[:p], v: buf[p : 2*p], xt: buf[2*p : 3*p], w: buf[3*p:]}
			return func(i, n0, n1 int, out *ensemble.Sample) { sh.advance(&trials[i], i, n0, n1, out, sc) }
		},
		func(i int) error { return trials[i].dead })
}

// emInit draws X₀ with the law of the discrete engines' initialisation.
func emInit(m *nrq.Model, in sim.Init, t *emTrial) {
	if in.X0 != nil {
		copy(t.x, in.X0)
		return
	}
	p := len(t.x)
	z := make([]float64, p)
	t.rnd.FillNorm(z)
	if in.Norm == 0 {
		for i, v := range z {
			t.x[i] = in.Std * v
		}
		return
	}
	zt, zp := make([]float64, p), make([]float64, p)
	m.SplitTarget(zt, zp, z)
	nt, np := math.Sqrt(dot(zt, zt)), math.Sqrt(dot(zp, zp))
	at, ap := math.Sqrt(in.F0), math.Sqrt(1-in.F0)
	if np == 0 {
		ap, np = 0, 1
	}
	for i := range t.x {
		t.x[i] = in.Norm * (at*zt[i]/nt + ap*zp[i]/np)
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// advance runs trial t over steps [n0, n1) (or only records when n1 = n0).
func (sh *emShared) advance(t *emTrial, i, n0, n1 int, out *ensemble.Sample, sc *emScratch) {
	if t.dead != nil {
		return
	}
	x := t.x
	dt := 1 / float64(sh.sub)
	rdt := 1 / math.Sqrt(dt)
	for n := n0; n < max(n1, n0+1); n++ {
		if ensemble.Interrupted(sh.ctx, n-n0) {
			return
		}
		if s := t.sch.at(n); s != 1 {
			for k := range x {
				x[k] *= s
			}
		}
		eta, lambda := t.sch.Eta, t.sch.Lambda
		if n == n0 {
			sh.record(x, eta, out, sc)
			if sh.observe != nil {
				sh.observe(i, n, x)
			}
		}
		if n1 == n0 {
			return
		}
		n2 := dot(x, x)
		for range sh.sub {
			t.rnd.FillNorm(sc.z)
			if n2 = sh.substep(x, sc.z, n2, eta*dt, lambda, rdt, sc); !(n2 >= 1e-200 && n2 <= math.MaxFloat64) {
				n2 := dot(x, x)
				reason := "X became NaN or collapsed"
				if math.IsInf(n2, 0) {
					reason = "‖X‖ overflowed"
				}
				t.dead = &sim.DivergenceError{Step: n, Trial: i, Reason: reason}
				return
			}
		}
	}
}

// substep is X' = (1 − λ·h)X − (h/‖X‖)P(AX̃ + Σ̃^{1/2}z·rdt), h = η dt,
// for the standard normal draw z and n2 = ‖X‖²; it returns ‖X'‖². Each
// sub-step draws p normals, as one step of sim.Full does. The diagonal
// path is Full's two-pass form: c = X̃·(AX̃ + Σ̃^{1/2}z·rdt) from
// Σ a_k x_k² and Σ s_k z_k x_k, then
//
//	x_k' = (α − β a_k) x_k − (h·rdt/‖X‖) s_k z_k,  α = 1 − λh + hc/‖X‖², β = h/‖X‖²,
//
// with ‖X'‖² carried to the next sub-step (no X̃, v buffers, no extra pass).
func (sh *emShared) substep(x, z []float64, n2, h, lambda, rdt float64, sc *emScratch) float64 {
	norm := math.Sqrt(n2)
	inv := 1 / norm
	decay := 1 - lambda*h
	hi := h * inv
	if sh.a != nil {
		p := len(x)
		a, s, z := sh.a[:p], sh.s[:p], z[:p]
		var sA, sN float64
		for k, xk := range x {
			sA += a[k] * xk * xk
			sN += s[k] * z[k] * xk
		}
		cc := sA*inv*inv + sN*rdt*inv
		alpha, beta, es := decay+hi*cc*inv, hi*inv, hi*rdt
		var s2 float64
		for k, xk := range x {
			xk = (alpha-beta*a[k])*xk - es*s[k]*z[k]
			x[k] = xk
			s2 += xk * xk
		}
		return s2
	}
	v, xt := sc.v, sc.xt
	for k, xk := range x {
		xt[k] = xk * inv
	}
	sh.m.MulA(v, xt)
	sh.m.MulNoise(sc.w, z)
	for k := range v {
		v[k] += sc.w[k] * rdt
	}
	cc := dot(xt, v)
	var s2 float64
	for k, xk := range x {
		xk = decay*xk - hi*(v[k]-cc*xt[k])
		x[k] = xk
		s2 += xk * xk
	}
	return s2
}

// record fills out with the trial's f, loss, Lemma-1 AU, norm and tail.
func (sh *emShared) record(x []float64, eta float64, out *ensemble.Sample, sc *emScratch) {
	n2 := dot(x, x)
	norm := math.Sqrt(n2)
	var f, q, qs float64
	if sh.a != nil {
		for _, k := range sh.target {
			f += x[k] * x[k]
		}
		f /= n2
		for k, xk := range x {
			u2 := xk * xk / n2
			q += sh.a[k] * u2
			qs += sh.s[k] * sh.s[k] * u2
		}
	} else {
		f = sh.m.Alignment(x)
		xt := sc.xt
		for k, xk := range x {
			xt[k] = xk / norm
		}
		sh.m.MulA(sc.v, xt)
		q = dot(xt, sc.v)
		if sh.sig != nil {
			for i, row := range sh.sig {
				qs += xt[i] * dot(row, xt)
			}
		} else {
			s, _ := sh.m.NoiseStd()
			for k, u := range xt {
				qs += s[k] * s[k] * u * u
			}
		}
	}
	au := eta * math.Sqrt(math.Max(sh.trS-qs, 0)) / n2
	out.Set(f, q/2, au, norm, n2, sh.xi)
}
