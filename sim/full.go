package sim

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/smdlab/smd/internal/ensemble"
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

// trial is one trajectory's state: O(p) memory, (1 + Config.stateVectors())p.
type trial struct {
	x, b   []float64 // weights and momentum buffer (Lion, AdamW: m; nil for plain SGD)
	v      []float64 // AdamW's second moment (nil otherwise)
	k      int       // optimizer steps taken (AdamW's bias correction)
	rnd    rng.Rand
	n2     float64 // ‖x‖²
	dead   error
	eta    float64
	lambda float64
	sched  Cursor // the schedule; eta, lambda are its Eta, Lambda
	// Small p, stepDiagNRQ: noise drawn ahead for several steps by one
	// FillNorm call (zk: next unused). FillNorm fills slots in stream
	// order, so each step gets the same numbers as with one call per step.
	zb []float64
	zk int
}

// aheadNormals is the size of the small-p noise buffer (p < aheadNormals):
// enough that the call and loop setup of FillNorm is paid once per several
// steps, small enough (512 B) to keep per-trial memory O(p)-like.
var aheadNormals = 64

// Run simulates c.Trials independent trials for c.Steps steps.
func (Full) Run(ctx context.Context, c *Config) (*Result, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	m := c.Model
	p := m.Dim()
	trials := make([]trial, c.Trials)
	nv := c.stateVectors()
	width := (1 + nv) * p
	state := make([]float64, width*c.Trials)
	setup := newScratch(p)
	for i := range trials {
		t := &trials[i]
		s := state[width*i : width*(i+1)]
		t.x = s[:p:p]
		if nv >= 1 {
			t.b = s[p : 2*p : 2*p]
		}
		if nv >= 2 {
			t.v = s[2*p : 3*p : 3*p]
		}
		t.rnd.Seed(c.Seed, uint64(i))
		initTrial(m, c.Init, t, setup)
		t.sched = c.Cursor()
		t.eta, t.lambda = c.Eta, c.Lambda
	}
	eng := stepper{m: m, mu: c.Momentum, xi: c.Xi, opt: c.optName(), b1: c.Beta1, b2: c.Beta2, eps: c.Eps, observe: c.Observe, ctx: ctx}
	eng.prepare()
	if eng.opt != OptAdamW && eng.opt != OptLion && eng.a != nil && m.Kind == nrq.NRQ && eng.mu == 0 && p < aheadNormals {
		k := aheadNormals / p * p
		buf := make([]float64, k*c.Trials)
		for i := range trials {
			trials[i].zb = buf[k*i : k*(i+1) : k*(i+1)]
			trials[i].zk = k // empty: the first step fills it
		}
	}
	res, err := lockstep(ctx, c, true,
		func() func(i, n0, n1 int, out *ensemble.Sample) {
			sc := newScratch(p)
			return func(i, n0, n1 int, out *ensemble.Sample) { eng.advance(&trials[i], sc, i, n0, n1, out) }
		},
		func(i int) error { return trials[i].dead })
	if res == nil {
		return nil, err
	}
	res.CoordinateUpdates = res.TrialSteps * int64(p)
	res.Wall = time.Since(start)
	return res, err
}

// initTrial draws X₀ (section "Initialized value of weight norm";
// Corollary 3): Gaussian N(0, σ̃²I), or a given norm and alignment.
func initTrial(m *nrq.Model, in Init, t *trial, sc *scratch) {
	if in.X0 != nil {
		copy(t.x, in.X0)
		t.n2 = dot(t.x, t.x)
		return
	}
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
	ctx    context.Context // stops a block early when done (ensemble.Interrupted)
	m      *nrq.Model
	mu, xi float64
	a, s   []float64 // diagonal A and noise std (fast path), else nil
	// opt is the optimizer (OptSGD, OptAdamW, OptLion) and b1, b2, eps
	// its knobs (AdamW, Lion).
	opt         string
	b1, b2, eps float64
	target      []int
	iso         bool                               // Σ̃ = σ²I (fast path)
	sigma       float64                            // σ when iso
	observe     func(trial, step int, x []float64) // Config.Observe
}

func (e *stepper) prepare() {
	a, okA := e.m.Diagonal()
	s, okS := e.m.NoiseStd()
	if okA && okS {
		e.a, e.s = a, s
		e.target = e.m.TargetIndices()
		e.sigma, e.iso = e.m.Isotropic()
	}
}

// advance runs trial t (index i) over steps [n0, n1), recording at n0.
func (e *stepper) advance(t *trial, sc *scratch, i int, n0, n1 int, out *ensemble.Sample) {
	if t.dead != nil {
		return
	}
	for n := n0; n < n1; n++ {
		if ensemble.Interrupted(e.ctx, n-n0) {
			return
		}
		if scale, changed := t.sched.Advance(n); changed {
			t.apply(scale)
		}
		var r *ensemble.Sample
		if n == n0 {
			r = out
			if e.observe != nil {
				e.observe(i, n, t.x)
			}
		}
		var ok bool
		switch {
		case e.opt == OptAdamW:
			ok = e.stepAdamW(t, sc, r)
		case e.opt == OptLion:
			ok = e.stepLion(t, sc, r)
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

// apply takes η, λ from the schedule cursor and multiplies X by scale.
func (t *trial) apply(scale float64) {
	t.eta, t.lambda = t.sched.Eta, t.sched.Lambda
	if scale != 1 {
		for i := range t.x {
			t.x[i] *= scale
		}
		t.n2 = dot(t.x, t.x)
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
//
// The step is two passes over the coordinates and never forms v: pass 1
// takes c = X̃·A·X̃ + X̃·C·ε from the sums Σ a_i x_i² and Σ s_i ε_i x_i,
// and pass 2 applies, with ‖X‖ g_i = (a_i/‖X‖ − c/‖X‖) x_i + s_i ε_i,
//
//	x_i' = (α − β a_i) x_i − (η/‖X‖) s_i ε_i,   α = 1 − λη + ηc/‖X‖², β = η/‖X‖²,
//
// (5 and 7 floating-point operations per coordinate for isotropic noise,
// against 8 and 9 when v is formed). ‖g‖² and f, needed only for a record,
// are computed only when r is non-nil. math.FMA is not used: in the
// portable (GOAMD64=v1) build each call carries a CPU check and a fallback
// call that make the compiler spill the loop's registers (measured slower).
func (e *stepper) stepDiagNRQ(t *trial, sc *scratch, r *ensemble.Sample) bool {
	x := t.x
	p := len(x)
	a, s := e.a[:p], e.s[:p]
	var z []float64
	if t.zb != nil {
		if t.zk+p > len(t.zb) {
			t.rnd.FillNorm(t.zb)
			t.zk = 0
		}
		z = t.zb[t.zk : t.zk+p : t.zk+p]
		t.zk += p
	} else {
		z = sc.z[:p]
		t.rnd.FillNorm(z)
	}
	norm := math.Sqrt(t.n2)
	inv := 1 / norm
	var sA, sN float64
	if e.iso {
		sA, sN = sumsIso(x, a, z)
		sN *= e.sigma
	} else {
		sA, sN = sums(x, a, s, z)
	}
	cA, cN := sA*inv*inv, sN*inv
	c := cA + cN
	eta := t.eta
	decay := 1 - t.lambda*eta
	ei := eta * inv
	if r != nil { // f and ‖g‖ describe X_n: take them before the update
		f := 0.0
		for _, k := range e.target {
			f += x[k] * x[k]
		}
		// Divide by ‖X‖² summed in the same order (not the carried t.n2,
		// which pass 2 summed in two halves), so f = 1 exactly when the
		// target eigenspace is everything (A = aI).
		f /= dot(x, x)
		g2 := gradNorm2(x, a, s, z, inv, c*inv)
		au := math.Atan2(ei*math.Sqrt(g2), decay*norm)
		r.Set(f, cA/2, au, norm, t.n2, e.xi)
	}
	alpha, beta := decay+ei*c*inv, ei*inv
	var n2 float64
	if e.iso {
		n2 = updateIso(x, a, z, alpha, beta, ei*e.sigma)
	} else {
		n2 = update(x, a, s, z, alpha, beta, ei)
	}
	t.n2 = n2
	return alive(n2)
}

// sums returns Σ a_i x_i² and Σ s_i z_i x_i (pass 1 of stepDiagNRQ), each
// as two partial sums over even and odd i so that the loop does not wait
// on one add chain.
func sums(x, a, s, z []float64) (sA, sN float64) {
	p := len(x)
	a, s, z = a[:p], s[:p], z[:p]
	var sA1, sN1 float64
	i := 0
	for ; i+2 <= p; i += 2 {
		xx, aa, ss, zz := x[i:i+2:i+2], a[i:i+2:i+2], s[i:i+2:i+2], z[i:i+2:i+2]
		sA += aa[0] * xx[0] * xx[0]
		sA1 += aa[1] * xx[1] * xx[1]
		sN += ss[0] * zz[0] * xx[0]
		sN1 += ss[1] * zz[1] * xx[1]
	}
	if i < p {
		sA += a[i] * x[i] * x[i]
		sN += s[i] * z[i] * x[i]
	}
	return sA + sA1, sN + sN1
}

// sumsIso is sums for isotropic noise: Σ a_i x_i² and Σ z_i x_i.
func sumsIso(x, a, z []float64) (sA, sN float64) {
	p := len(x)
	a, z = a[:p], z[:p]
	var sA1, sN1 float64
	i := 0
	for ; i+2 <= p; i += 2 {
		xx, aa, zz := x[i:i+2:i+2], a[i:i+2:i+2], z[i:i+2:i+2]
		sA += aa[0] * xx[0] * xx[0]
		sA1 += aa[1] * xx[1] * xx[1]
		sN += zz[0] * xx[0]
		sN1 += zz[1] * xx[1]
	}
	if i < p {
		sA += a[i] * x[i] * x[i]
		sN += z[i] * x[i]
	}
	return sA + sA1, sN + sN1
}

// gradNorm2 returns ‖X‖²‖g‖² = Σ ((a_i·inv − ci) x_i + s_i z_i)² (record
// steps only).
func gradNorm2(x, a, s, z []float64, inv, ci float64) float64 {
	p := len(x)
	a, s, z = a[:p], s[:p], z[:p]
	g2 := 0.0
	for i, xi := range x {
		g := (a[i]*inv-ci)*xi + s[i]*z[i]
		g2 += g * g
	}
	return g2
}

// update is pass 2 of stepDiagNRQ: x_i ← (α − β a_i) x_i − ei s_i z_i;
// it returns the new ‖x‖².
func update(x, a, s, z []float64, alpha, beta, ei float64) float64 {
	p := len(x)
	a, s, z = a[:p], s[:p], z[:p]
	var n0, n1 float64
	i := 0
	for ; i+2 <= p; i += 2 {
		xx, aa, ss, zz := x[i:i+2:i+2], a[i:i+2:i+2], s[i:i+2:i+2], z[i:i+2:i+2]
		x0 := (alpha-beta*aa[0])*xx[0] - ei*ss[0]*zz[0]
		x1 := (alpha-beta*aa[1])*xx[1] - ei*ss[1]*zz[1]
		xx[0], xx[1] = x0, x1
		n0 += x0 * x0
		n1 += x1 * x1
	}
	if i < p {
		xi := (alpha-beta*a[i])*x[i] - ei*s[i]*z[i]
		x[i] = xi
		n0 += xi * xi
	}
	return n0 + n1
}

// updateIso is update for isotropic noise (es = ei·σ).
func updateIso(x, a, z []float64, alpha, beta, es float64) float64 {
	p := len(x)
	a, z = a[:p], z[:p]
	var n0, n1 float64
	i := 0
	for ; i+2 <= p; i += 2 {
		xx, aa, zz := x[i:i+2:i+2], a[i:i+2:i+2], z[i:i+2:i+2]
		x0 := (alpha-beta*aa[0])*xx[0] - es*zz[0]
		x1 := (alpha-beta*aa[1])*xx[1] - es*zz[1]
		xx[0], xx[1] = x0, x1
		n0 += x0 * x0
		n1 += x1 * x1
	}
	if i < p {
		xi := (alpha-beta*a[i])*x[i] - es*z[i]
		x[i] = xi
		n0 += xi * xi
	}
	return n0 + n1
}

// stepDiagNRQMomentum is the O(p) loop with heavy-ball momentum:
// b ← μb + g + λX, X ← X − ηb. With q = b·X̃ before the update, the new
// buffer's parts along and across X̃ are μq + λ‖X‖ and μ(b − qX̃) + g, so
//
//	tan Δ = η‖μ(b − qX̃) + g‖ / (‖X‖ − η(μq + λ‖X‖)).
func (e *stepper) stepDiagNRQMomentum(t *trial, sc *scratch, r *ensemble.Sample) bool {
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
func (e *stepper) stepGeneric(t *trial, sc *scratch, r *ensemble.Sample) bool {
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
