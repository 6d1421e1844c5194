package sim

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/smdlab/smd/internal/pmath"
	"github.com/smdlab/smd/internal/rng"
	"github.com/smdlab/smd/nrq"
)

// Engine computes the evolution of an ensemble for a Config.
type Engine interface {
	Run(ctx context.Context, c *Config) (*Result, error)
}

// Full is the discrete simulation of eq 3 in all p coordinates: O(p) per
// step for a diagonal A and Σ̃, O(p²) for dense ones.
type Full struct{}

var _ Engine = Full{}

// scratch holds one worker's buffers: noise draws z, gradient v, and the
// generic path's X̃ and C·ε.
type scratch struct {
	z, v, xt, w []float64
}

func newScratch(p int) *scratch {
	buf := make([]float64, 4*p)
	return &scratch{z: buf[:p:p], v: buf[p : 2*p : 2*p], xt: buf[2*p : 3*p : 3*p], w: buf[3*p:]}
}

// minNorm is the weight norm below which X counts as collapsed to 0: the
// gradient of eq 4 scales as 1/‖X‖ and overflows well before underflow.
const minNorm = 1e-100

// trial is one trajectory's state: O(p) memory, 2p with momentum.
type trial struct {
	x, b    []float64 // weights and momentum buffer (nil without momentum)
	rnd     rng.Rand
	n2      float64 // ‖x‖²
	dead    error
	eta     float64
	lambda  float64
	nextEvt int // index of the next schedule event
}

// Run simulates c.Trials independent trials for c.Steps steps.
func (Full) Run(ctx context.Context, c *Config) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	m := c.Model
	p := m.Dim()
	trials := make([]trial, c.Trials)
	width := p
	if c.Momentum != 0 {
		width = 2 * p
	}
	state := make([]float64, width*c.Trials)
	setup := newScratch(p)
	for i := range trials {
		t := &trials[i]
		t.x = state[width*i : width*i+p : width*i+p]
		if c.Momentum != 0 {
			t.b = state[width*i+p : width*(i+1) : width*(i+1)]
		}
		t.rnd.Seed(c.Seed, uint64(i))
		initTrial(m, c.Init, t, setup)
		t.eta, t.lambda = c.Eta, c.Lambda
	}
	eng := stepper{m: m, mu: c.Momentum, xi: c.Xi}
	eng.prepare()
	res, err := Lockstep(ctx, c, true,
		func() func(i, n0, n1 int, out *Sample) {
			sc := newScratch(p)
			return func(i, n0, n1 int, out *Sample) { eng.advance(&trials[i], sc, i, c.Schedule, n0, n1, out) }
		},
		func(i int) error { return trials[i].dead })
	if err != nil {
		return nil, err
	}
	res.CoordinateUpdates = res.TrialSteps * int64(p)
	res.Wall = time.Since(start)
	return res, nil
}

// initTrial draws X₀ (section "Initialized value of weight norm";
// Corollary 3): Gaussian N(0, σ̃²I), or a given norm and alignment.
func initTrial(m *nrq.Model, in Init, t *trial, sc *scratch) {
	t.rnd.FillNorm(sc.z)
	if in.Norm == 0 {
		for i, z := range sc.z {
			t.x[i] = in.Std * z
		}
	} else {
		zt, zp := sc.xt, sc.w
		m.SplitTarget(zt, zp, sc.z)
		nt, np := math.Sqrt(dot(zt, zt)), math.Sqrt(dot(zp, zp))
		at, ap := math.Sqrt(in.F0), math.Sqrt(1-in.F0)
		if np == 0 { // the target eigenspace is everything (A = aI)
			ap = 0
			np = 1
		}
		for i := range t.x {
			t.x[i] = in.Norm * (at*zt[i]/nt + ap*zp[i]/np)
		}
	}
	t.n2 = dot(t.x, t.x)
}

// stepper holds what is shared by all trials.
type stepper struct {
	m      *nrq.Model
	mu, xi float64
	a, s   []float64 // diagonal A and noise std (fast path), else nil
	target []int
}

func (e *stepper) prepare() {
	a, okA := e.m.Diagonal()
	s, okS := e.m.NoiseStd()
	if okA && okS {
		e.a, e.s = a, s
		e.target = e.m.TargetIndices()
	}
}

// advance runs trial t (index i) over steps [n0, n1), recording at n0.
func (e *stepper) advance(t *trial, sc *scratch, i int, sched []Event, n0, n1 int, out *Sample) {
	if t.dead != nil {
		return
	}
	for n := n0; n < n1; n++ {
		for t.nextEvt < len(sched) && sched[t.nextEvt].Step == n {
			t.apply(sched[t.nextEvt])
			t.nextEvt++
		}
		var r *Sample
		if n == n0 {
			r = out
		}
		var ok bool
		switch {
		case e.a != nil && e.m.Kind == nrq.NRQ && e.mu == 0:
			ok = e.stepDiagNRQ(t, sc, r)
		case e.a != nil && e.m.Kind == nrq.NRQ:
			ok = e.stepDiagNRQMomentum(t, sc, r)
		default:
			ok = e.stepGeneric(t, sc, r)
		}
		if !ok {
			t.dead = &DivergenceError{Step: n, Trial: i, Reason: reason(t.n2)}
			return
		}
	}
}

func reason(n2 float64) string {
	switch {
	case math.IsNaN(n2):
		return "X became NaN"
	case math.IsInf(n2, 0):
		return "‖X‖ overflowed to +Inf"
	default:
		return fmt.Sprintf("‖X‖ = %g collapsed to 0", math.Sqrt(n2))
	}
}

// apply carries out a schedule event.
func (t *trial) apply(ev Event) {
	if ev.LRDivide > 0 {
		t.eta /= ev.LRDivide
		if ev.Rescale {
			s := pmath.Pow(ev.LRDivide, -0.25)
			for i := range t.x {
				t.x[i] *= s
			}
			t.n2 = dot(t.x, t.x)
		}
	}
	if ev.SetLambda {
		t.lambda = ev.Lambda
	}
}

func alive(n2 float64) bool {
	return n2 >= minNorm*minNorm && n2 <= math.MaxFloat64
}

// stepDiagNRQ is the O(p) hot loop: one step of eq 3 with the gradient of
// eq 4 for diagonal A and Σ̃, no momentum. With v = A·X̃ + C·ε and
// c = X̃·v, the gradient is g = (v − c·X̃)/‖X‖, and the update
// X' = (1 − λη)X − ηg has, since g ⟂ X exactly,
//
//	tan Δ = η‖g‖ / ((1 − λη)‖X‖),
//
// which gives the angular update without cancellation. It reports whether
// the new state is finite and non-zero.
func (e *stepper) stepDiagNRQ(t *trial, sc *scratch, r *Sample) bool {
	x, z := t.x, sc.z
	a, s := e.a[:len(x)], e.s[:len(x)]
	z = z[:len(x)]
	t.rnd.FillNorm(z)
	norm := math.Sqrt(t.n2)
	inv := 1 / norm
	var cA, cN float64
	for i, xi := range x {
		xt := xi * inv
		ax := a[i] * xt
		sz := s[i] * z[i]
		cA += ax * xt
		cN += sz * xt
		z[i] = ax + sz // v
	}
	c := cA + cN
	f := 0.0
	if r != nil { // f describes X_n: take it before the update
		for _, k := range e.target {
			f += x[k] * x[k]
		}
		f /= t.n2
	}
	eta := t.eta
	decay := 1 - t.lambda*eta
	ei := eta * inv
	var g2, n2 float64
	for i, xi := range x {
		gi := z[i] - c*xi*inv // ‖X‖·g_i
		g2 += gi * gi
		xi = decay*xi - ei*gi
		x[i] = xi
		n2 += xi * xi
	}
	if r != nil {
		au := math.Atan2(ei*math.Sqrt(g2), decay*norm)
		r.Set(f, cA/2, au, norm, t.n2, e.xi)
	}
	t.n2 = n2
	return alive(n2)
}

// stepDiagNRQMomentum is the O(p) loop with heavy-ball momentum:
// b ← μb + g + λX, X ← X − ηb. With q = b·X̃ before the update, the new
// buffer's parts along and across X̃ are μq + λ‖X‖ and μ(b − qX̃) + g, so
//
//	tan Δ = η‖μ(b − qX̃) + g‖ / (‖X‖ − η(μq + λ‖X‖)).
func (e *stepper) stepDiagNRQMomentum(t *trial, sc *scratch, r *Sample) bool {
	x, z, b := t.x, sc.z, t.b
	a, s := e.a[:len(x)], e.s[:len(x)]
	z, b = z[:len(x)], b[:len(x)]
	t.rnd.FillNorm(z)
	norm := math.Sqrt(t.n2)
	inv := 1 / norm
	var cA, cN, q float64
	for i, xi := range x {
		xt := xi * inv
		ax := a[i] * xt
		sz := s[i] * z[i]
		cA += ax * xt
		cN += sz * xt
		q += b[i] * xt
		z[i] = ax + sz
	}
	c := cA + cN
	f := 0.0
	if r != nil {
		for _, k := range e.target {
			f += x[k] * x[k]
		}
		f /= t.n2
	}
	eta, lambda, mu := t.eta, t.lambda, e.mu
	var perp2, n2 float64
	for i, xi := range x {
		xt := xi * inv
		gi := (z[i] - c*xt) * inv
		pi := mu*(b[i]-q*xt) + gi
		perp2 += pi * pi
		bi := mu*b[i] + gi + lambda*xi
		b[i] = bi
		xi -= eta * bi
		x[i] = xi
		n2 += xi * xi
	}
	if r != nil {
		au := math.Atan2(eta*math.Sqrt(perp2), norm-eta*(mu*q+lambda*norm))
		r.Set(f, cA/2, au, norm, t.n2, e.xi)
	}
	t.n2 = n2
	return alive(n2)
}

// stepGeneric is one step for any model: dense A or Σ̃, NQM, momentum.
// With the heavy-ball buffer b ← μb + g + λX and X' = X − ηb, the update's
// components along and across X̃ give the angular update without
// cancellation:
//
//	tan Δ = η‖b − (b·X̃)X̃‖ / (‖X‖ − η·b·X̃).
func (e *stepper) stepGeneric(t *trial, sc *scratch, r *Sample) bool {
	m := e.m
	x, xt, g, w := t.x, sc.xt, sc.v, sc.w
	b := t.b // nil without momentum: then z (free once C·ε is in w) holds the update
	if b == nil {
		b = sc.z
	}
	norm := math.Sqrt(t.n2)
	inv := 1 / norm
	for i, xi := range x {
		xt[i] = xi * inv
	}
	t.rnd.FillNorm(sc.z)
	m.MulNoise(w, sc.z)
	var loss float64
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
	var f float64
	if r != nil {
		f = m.Alignment(x)
	}
	lambda, mu, eta := t.lambda, e.mu, t.eta
	par := 0.0
	for i := range b {
		bi := g[i] + lambda*x[i]
		if mu != 0 {
			bi += mu * b[i]
		}
		b[i] = bi
		par += bi * xt[i]
	}
	var perp2, n2 float64
	for i := range x {
		d := b[i] - par*xt[i]
		perp2 += d * d
		xi := x[i] - eta*b[i]
		x[i] = xi
		n2 += xi * xi
	}
	if r != nil {
		au := math.Atan2(eta*math.Sqrt(perp2), norm-eta*par)
		r.Set(f, loss, au, norm, t.n2, e.xi)
	}
	t.n2 = n2
	return alive(n2)
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
