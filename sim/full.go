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
}

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
	// sw, sf: the noise std and factor of the diagonal NRQ loop's sums:
	// e.s and 1, or for Σ̃ = σ²I ones and σ, which reproduces the
	// isotropic form's rounding exactly (see stepDiagNRQ).
	sw      []float64
	sf      float64
	iso     bool                               // Σ̃ = σ²I: sw is all ones (sweepIso)
	observe func(trial, step int, x []float64) // Config.Observe
}

func (e *stepper) prepare() {
	a, okA := e.m.Diagonal()
	s, okS := e.m.NoiseStd()
	if okA && okS {
		e.a, e.s = a, s
		e.target = e.m.TargetIndices()
		e.sw, e.sf = s, 1
		if sigma, iso := e.m.Isotropic(); iso {
			e.sw = make([]float64, len(s))
			for i := range e.sw {
				e.sw[i] = 1
			}
			e.sf = sigma
			e.iso = true
		}
	}
}

// advance runs trial t (index i) over steps [n0, n1), recording at n0.
func (e *stepper) advance(t *trial, sc *scratch, i int, n0, n1 int, out *ensemble.Sample) {
	if t.dead != nil {
		return
	}
	if e.opt != OptAdamW && e.opt != OptLion && e.a != nil && e.m.Kind == nrq.NRQ && e.mu == 0 {
		e.advanceDiagNRQ(t, sc, i, n0, n1, out)
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

// fusePasses lets a block's steps share passes (advanceDiagNRQ); tests
// turn it off to check that this changes no bit of the output.
var fusePasses = true

// advanceDiagNRQ is advance for the O(p) hot loop, stepDiagNRQ, over the
// block [n0, n1): each step but the block's last also draws the next
// step's noise and takes its sums in the same pass (sweep), so that a step
// costs one pass over the coordinates instead of three (noise, sums,
// update). The draws come in stream order and the sums in the same order
// as in separate passes, so the output is the same bit for bit
// (TestFusedPassesAreExact); the noise stays in the worker's scratch, and
// a block starts from fresh draws.
func (e *stepper) advanceDiagNRQ(t *trial, sc *scratch, i, n0, n1 int, out *ensemble.Sample) {
	x := t.x
	p := len(x)
	a, s, z := e.a[:p], e.sw[:p], sc.z[:p]
	ready := false // z holds step n's noise and sA, sN its sums
	var sA, sN float64
	for n := n0; n < n1; n++ {
		if ensemble.Interrupted(e.ctx, n-n0) {
			return
		}
		if scale, changed := t.sched.Advance(n); changed {
			t.apply(scale)
			if ready && scale != 1 { // X moved: same noise, new sums
				sA, sN = sums(x, a, s, z)
			}
		}
		var r *ensemble.Sample
		if n == n0 {
			r = out
			if e.observe != nil {
				e.observe(i, n, t.x)
			}
		}
		if !ready {
			t.rnd.FillNorm(z)
			sA, sN = sums(x, a, s, z)
		}
		ready = fusePasses && n+1 < n1
		var ok bool
		sA, sN, ok = e.stepDiagNRQ(t, z, sA, sN, r, ready)
		if !ok {
			t.dead = &DivergenceError{Step: n, Trial: i, Reason: reason(t.n2)}
			return
		}
	}
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
// The step never forms v: c = X̃·A·X̃ + X̃·C·ε comes from the sums
// sA = Σ a_i x_i² and sN = Σ s_i ε_i x_i (the caller's, for noise z),
// and, with ‖X‖ g_i = (a_i/‖X‖ − c/‖X‖) x_i + s_i ε_i,
//
//	x_i' = (α − β a_i) x_i − (η/‖X‖) s_i ε_i,   α = 1 − λη + ηc/‖X‖², β = η/‖X‖².
//
// With next, the same pass draws the next step's noise into z and returns
// its sums. For Σ̃ = σ²I the loop runs with s_i = 1 and σ applied to sN
// and to η/‖X‖ outside it: (η/‖X‖·σ)·1·ε_i and σ·Σ 1·ε_i x_i round as the
// isotropic form's (η/‖X‖·σ)·ε_i and σ·Σ ε_i x_i do. ‖g‖² and f, needed
// only for a record, are computed only when r is non-nil. math.FMA is not
// used: in the portable (GOAMD64=v1) build each call carries a CPU check
// and a fallback call that make the compiler spill the loop's registers
// (measured slower).
func (e *stepper) stepDiagNRQ(t *trial, z []float64, sA, sN float64, r *ensemble.Sample, next bool) (nA, nN float64, ok bool) {
	x := t.x
	norm := math.Sqrt(t.n2)
	inv := 1 / norm
	sN *= e.sf
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
		g2 := gradNorm2(x, e.a, e.s, z, inv, c*inv)
		au := math.Atan2(ei*math.Sqrt(g2), decay*norm)
		r.Set(f, cA/2, au, norm, t.n2, e.xi)
	}
	alpha, beta := decay+ei*c*inv, ei*inv
	var n2 float64
	if e.iso && next {
		n2, nA, nN = sweepIso(x, e.a, z, alpha, beta, ei*e.sf, &t.rnd)
	} else {
		n2, nA, nN = sweep(x, e.a, e.sw, z, alpha, beta, ei*e.sf, &t.rnd, next)
	}
	t.n2 = n2
	return nA, nN, alive(n2)
}

// sums returns Σ a_i x_i² and Σ s_i z_i x_i (a step's first pass), each
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

// sweep is the update of stepDiagNRQ, x_i ← (α − β a_i) x_i − ei s_i z_i,
// returning the new ‖x‖² (in two partial sums, even and odd i); with next
// it also draws z afresh from rnd, in order, and returns the sums of the
// new x and z as sums would.
func sweep(x, a, s, z []float64, alpha, beta, ei float64, rnd *rng.Rand, next bool) (n2, sA, sN float64) {
	p := len(x)
	a, s, z = a[:p], s[:p], z[:p]
	var n0, n1, sA1, sN1 float64
	st := rnd.Stream()
	i := 0
	for ; i+2 <= p; i += 2 {
		xx, aa, ss, zz := x[i:i+2:i+2], a[i:i+2:i+2], s[i:i+2:i+2], z[i:i+2:i+2]
		x0 := (alpha-beta*aa[0])*xx[0] - ei*ss[0]*zz[0]
		x1 := (alpha-beta*aa[1])*xx[1] - ei*ss[1]*zz[1]
		xx[0], xx[1] = x0, x1
		n0 += x0 * x0
		n1 += x1 * x1
		if next {
			var u0, u1 uint64
			st, u0 = st.Next()
			v0, ok := rng.ZigFast(u0)
			if !ok {
				st, v0 = rnd.Rejected(st, u0)
			}
			st, u1 = st.Next()
			v1, ok := rng.ZigFast(u1)
			if !ok {
				st, v1 = rnd.Rejected(st, u1)
			}
			zz[0], zz[1] = v0, v1
			sA += aa[0] * x0 * x0
			sA1 += aa[1] * x1 * x1
			sN += ss[0] * v0 * x0
			sN1 += ss[1] * v1 * x1
		}
	}
	if i < p {
		xi := (alpha-beta*a[i])*x[i] - ei*s[i]*z[i]
		x[i] = xi
		n0 += xi * xi
		if next {
			var v float64
			st, v = rnd.NormFrom(st)
			z[i] = v
			sA += a[i] * xi * xi
			sN += s[i] * v * xi
		}
	}
	rnd.SetStream(st)
	return n0 + n1, sA + sA1, sN + sN1
}

// sweepIso is sweep for isotropic noise, s_i = 1 (multiplying by 1 is
// exact, so dropping it gives the same bits), with the drawing pass split
// so that its hot loop makes no call: isoRun.sweep runs until a draw that
// the ziggurat's fast path rejects (≈ 1.1 % of draws) and returns; the
// slow path finishes that draw, and the pair's other one, here, in stream
// order, and the loop resumes with the pair's two values. A call in the
// loop, even on its cold path, makes the compiler spill the generator
// state and the partial sums on every iteration (Go's ABI saves no
// register across a call). Same draws, same sums in the same order: the
// same bits as sweep (TestSweepIsoIsSweep, TestFusedPassesAreExact, the
// goldens); 16 % fewer instructions per coordinate (docs/design.md, "Hot
// loop"). It always draws the next noise: a block's last step, which does
// not, runs sweep.
func sweepIso(x, a, z []float64, alpha, beta, ei float64, rnd *rng.Rand) (n2, sA, sN float64) {
	p := len(x)
	a, z = a[:p], z[:p]
	var run isoRun
	run.st = rnd.Stream()
	for {
		run.sweep(x, a, z, alpha, beta, ei)
		if run.i+2 > p {
			break
		}
		// Left on a rejected draw: finish it, and the pair's other draw,
		// in stream order, then resume with the pair's two values.
		var v float64
		run.st, v = rnd.Rejected(run.st, run.u)
		if run.second {
			run.pv1 = v
		} else {
			run.pv0 = v
			run.st, run.pv1 = rnd.NormFrom(run.st)
		}
		run.pending = true
	}
	i := run.i
	if i < p {
		xi := (alpha-beta*a[i])*x[i] - ei*z[i]
		x[i] = xi
		run.n0 += xi * xi
		var v float64
		run.st, v = rnd.NormFrom(run.st)
		z[i] = v
		run.sA += a[i] * xi * xi
		run.sN += v * xi
	}
	rnd.SetStream(run.st)
	return run.n0 + run.n1, run.sA + run.sA1, run.sN + run.sN1
}

// isoRun is sweepIso's position between runs of its hot loop: the next
// pair i, the partial sums, the generator state, and the pair's draws
// when the slow path made them (pending), or the rejected output u (of
// the pair's second draw if second, its first value then in pv0).
type isoRun struct {
	i                        int
	n0, n1, sA, sA1, sN, sN1 float64
	st                       rng.Stream
	u                        uint64
	second, pending          bool
	pv0, pv1                 float64
}

// sweep runs sweepIso's hot loop from pair r.i (first the pending pair,
// if any) until the end or a draw that the fast path rejects, leaving the
// state after that draw and the rejected output in r.
func (r *isoRun) sweep(x, a, z []float64, alpha, beta, ei float64) {
	p := len(x)
	x, a, z = x[:p:p], a[:p:p], z[:p:p] // caps the compiler can see: no bounds checks in the loop
	n0, n1, sA, sA1, sN, sN1 := r.n0, r.n1, r.sA, r.sA1, r.sN, r.sN1
	st := r.st
	i := r.i
	if r.pending {
		r.pending = false
		xx, aa, zz := x[i:i+2:i+2], a[i:i+2:i+2], z[i:i+2:i+2]
		v0, v1 := r.pv0, r.pv1
		x0 := (alpha-beta*aa[0])*xx[0] - ei*zz[0]
		x1 := (alpha-beta*aa[1])*xx[1] - ei*zz[1]
		xx[0], xx[1] = x0, x1
		n0 += x0 * x0
		n1 += x1 * x1
		zz[0], zz[1] = v0, v1
		sA += aa[0] * x0 * x0
		sA1 += aa[1] * x1 * x1
		sN += v0 * x0
		sN1 += v1 * x1
		i += 2
	}
	var rejU uint64 // the rejected draw that ends the run, if any
	var rejSecond bool
	var rejV0 float64
	i0 := i
	x = x[i0:]                              // index from 0 with one length: the compiler then
	a, z = a[i0:][:len(x)], z[i0:][:len(x)] // proves the loop's bounds
	for i = 0; i+1 < len(x); i += 2 {
		var u0, u1 uint64
		st, u0 = st.Next()
		v0, ok := rng.ZigFast(u0)
		if !ok {
			rejU = u0
			break
		}
		st, u1 = st.Next()
		v1, ok := rng.ZigFast(u1)
		if !ok {
			rejU, rejSecond, rejV0 = u1, true, v0
			break
		}
		x0 := (alpha-beta*a[i])*x[i] - ei*z[i]
		x1 := (alpha-beta*a[i+1])*x[i+1] - ei*z[i+1]
		x[i], x[i+1] = x0, x1
		n0 += x0 * x0
		n1 += x1 * x1
		z[i], z[i+1] = v0, v1
		sA += a[i] * x0 * x0
		sA1 += a[i+1] * x1 * x1
		sN += v0 * x0
		sN1 += v1 * x1
	}
	r.i, r.st = i0+i, st
	r.u, r.second, r.pv0 = rejU, rejSecond, rejV0
	r.n0, r.n1, r.sA, r.sA1, r.sN, r.sN1 = n0, n1, sA, sA1, sN, sN1
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
	x, xt, g := t.x, sc.xt, sc.v
	b := t.b // nil without momentum: then z (free once g is formed) holds the update
	if b == nil {
		b = sc.z
	}
	norm := math.Sqrt(t.n2)
	loss, f := e.gradient(t, sc, r != nil) // g in sc.v, X̃ in sc.xt
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
