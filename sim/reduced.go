package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/smdlab/smd/internal/ensemble"
	"github.com/smdlab/smd/internal/rng"
	"github.com/smdlab/smd/nrq"
)

// Reduced is the exact reduced chain of eq 3: for a diagonal A and a
// diagonal Σ̃ it simulates, instead of X ∈ ℝᵖ, the norms u_j = ‖X_j‖ of X's
// components in the k blocks of coordinates that share one eigenvalue a_j
// and one noise level σ_j (the eigenspaces of A under Assumption 2). The
// law of eq 3–4 is invariant under rotations inside each block, so (u_j) is
// a Markov chain whose law is exactly that of the full simulation's block
// norms; risk, loss, norm, tail and the angular update are functions of it.
// One step costs O(k), whatever p:
//
//	c    = Σ_j (u_j/‖X‖)(a_j u_j/‖X‖ + σ_j ζ_j)          (X̃·(AX̃ + Σ̃^{1/2}ε))
//	w_j  = (a_j − c) u_j/‖X‖ + σ_j ζ_j                    (‖X‖·g along X_j)
//	u_j' = √(((1 − λη)u_j − η w_j/‖X‖)² + (ησ_j/‖X‖)² χ²_{m_j−1})
//	tan Δ = η √(Σ_j w_j² + σ_j² χ²_{m_j−1}) / ((1 − λη)‖X‖²)
//
// with ζ_j ~ N(0, 1) and independent χ² draws. Momentum (heavy ball) and
// the NQM are reduced too, with the state (‖X_j‖, b_j·X̂_j, ‖b_j⊥‖) per
// block. The derivation and the proof of equality in law are in
// docs/engines.md. The random stream differs from Full's: results agree in
// law, not bit for bit.
type Reduced struct{}

var _ Engine = Reduced{}

// ErrNotReducible is returned (wrapped) by Reduced for a model that has no
// exact reduction: a dense A or a dense Σ̃.
var ErrNotReducible = errors.New("model has no exact reduced chain")

// redBlock is one block of coordinates with equal (a_i, σ_i).
type redBlock struct {
	a, s   float64 // eigenvalue and noise standard deviation
	m      int     // multiplicity (block dimension)
	target bool    // part of the eigenspace of the smallest eigenvalue
}

// ReducedBlocks returns the number k of blocks of the exact reduced chain
// (coordinates grouped by equal eigenvalue and noise level) and true, or
// 0 and false when A or Σ̃ is dense.
func ReducedBlocks(m *nrq.Model) (int, bool) {
	b, err := reducedBlocks(m)
	return len(b), err == nil
}

func reducedBlocks(m *nrq.Model) ([]redBlock, error) {
	if !m.IsDiagonal() {
		return nil, fmt.Errorf("%w: A is dense (reduced needs a diagonal A)", ErrNotReducible)
	}
	blocks, ok := m.Blocks()
	if !ok {
		return nil, fmt.Errorf("%w: the noise covariance is dense (reduced needs a diagonal Σ̃)", ErrNotReducible)
	}
	bl := make([]redBlock, len(blocks))
	for j, b := range blocks { // sorted by (a, σ): the smallest eigenvalue first
		bl[j] = redBlock{a: b.A, s: b.S, m: b.Mult, target: b.A == blocks[0].A}
	}
	return bl, nil
}

// redTrial is one trajectory of the reduced chain.
type redTrial struct {
	u      []float64 // block norms ‖X_j‖
	b1, b2 []float64 // momentum buffer: b_j·X̂_j and ‖b_j − (b_j·X̂_j)X̂_j‖ (≥ 0)
	rnd    rng.Rand
	n2     float64 // ‖X‖² = Σ u_j²
	eta    float64
	lambda float64
	sched  Cursor // the schedule; eta, lambda are its Eta, Lambda
	dead   error
}

// redStepper holds what all trials share.
type redStepper struct {
	ctx    context.Context // stops a block early when done (ensemble.Interrupted)
	kind   nrq.Kind
	mu, xi float64
	a, s   []float64  // per block: eigenvalue, noise std
	chi1   []rng.Chi2 // χ²_{m_j−1}: squared noise orthogonal to X_j
	chi2   []rng.Chi2 // χ²_{m_j−2} (momentum path): orthogonal to X_j and b_j
	multi  []bool     // m_j ≥ 2
	target []bool
}

// Run simulates c.Trials independent trials of the reduced chain. It fails
// with ErrNotReducible for a dense A or Σ̃.
func (Reduced) Run(ctx context.Context, c *Config) (*Result, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Init.X0 != nil {
		return nil, fmt.Errorf("%w: init.x0: the reduced chain draws X₀ from a law (std, or norm and f0), not a given vector", ErrNotReducible)
	}
	if o := c.optName(); o != OptSGD {
		// docs/engines.md §"Optimizers": a coordinate-wise step does not
		// commute with rotations inside a block, so the block norms are
		// not a Markov chain.
		return nil, fmt.Errorf("%w: optimizer %s acts coordinate by coordinate, which breaks the rotation invariance inside each eigenspace that the reduced chain rests on; use method full (or auto)", ErrNotReducible, o)
	}
	blocks, err := reducedBlocks(c.Model)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	k := len(blocks)
	p := c.Model.Dim()

	e := &redStepper{kind: c.Model.Kind, mu: c.Momentum, xi: c.Xi, ctx: ctx}
	for _, b := range blocks {
		e.a = append(e.a, b.a)
		e.s = append(e.s, b.s)
		e.chi1 = append(e.chi1, rng.NewChi2(float64(b.m-1)))
		e.chi2 = append(e.chi2, rng.NewChi2(float64(max(b.m-2, 0))))
		e.multi = append(e.multi, b.m >= 2)
		e.target = append(e.target, b.target)
	}

	trials := make([]redTrial, c.Trials)
	state := make([]float64, 3*k*c.Trials)
	for i := range trials {
		t := &trials[i]
		st := state[3*k*i : 3*k*(i+1) : 3*k*(i+1)]
		t.u, t.b1, t.b2 = st[:k:k], st[k:2*k:2*k], st[2*k:]
		t.rnd.Seed(c.Seed, uint64(i))
		redInit(blocks, c.Init, t)
		t.sched = c.Cursor()
		t.eta, t.lambda = c.Eta, c.Lambda
	}

	res, err := lockstep(ctx, c, true,
		func() func(i, n0, n1 int, out *ensemble.Sample) {
			sc := make([]float64, 3*k) // scratch: ζ, second normal, χ²
			return func(i, n0, n1 int, out *ensemble.Sample) { e.advance(&trials[i], i, n0, n1, out, sc) }
		},
		func(i int) error { return trials[i].dead })
	if res == nil {
		return nil, err
	}
	res.CoordinateUpdates = res.TrialSteps * int64(p) // the full simulation's equivalent
	res.Wall = time.Since(start)
	return res, err
}

// redInit draws the block norms of X₀ with the law of Full's initTrial:
// for X₀ ~ N(0, σ̃²I), u_j² = σ̃²χ²_{m_j}; for a given norm and f₀, the
// target and the other blocks are uniform directions on their subspaces, so
// their squared norms split the totals f₀‖X₀‖² and (1 − f₀)‖X₀‖² in
// Dirichlet proportions χ²_{m_j}/Σχ².
func redInit(bl []redBlock, in Init, t *redTrial) {
	clear(t.b1)
	clear(t.b2)
	for j, b := range bl {
		t.u[j] = t.rnd.ChiSquare(float64(b.m)) // squared for now
	}
	if in.Norm == 0 {
		for j := range t.u {
			t.u[j] = in.Std * math.Sqrt(t.u[j])
		}
	} else {
		var st, so float64
		for j, b := range bl {
			if b.target {
				st += t.u[j]
			} else {
				so += t.u[j]
			}
		}
		ft, fo := in.F0, 1-in.F0
		if so == 0 { // the target eigenspace is everything (A = aI)
			fo, so = 0, 1
		}
		for j, b := range bl {
			if b.target {
				t.u[j] = in.Norm * math.Sqrt(ft*t.u[j]/st)
			} else {
				t.u[j] = in.Norm * math.Sqrt(fo*t.u[j]/so)
			}
		}
	}
	t.n2 = 0
	for _, u := range t.u {
		t.n2 += u * u
	}
}

// advance runs trial t (index i) over steps [n0, n1), recording at n0.
func (e *redStepper) advance(t *redTrial, i int, n0, n1 int, out *ensemble.Sample, sc []float64) {
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
		}
		var ok bool
		if e.kind == nrq.NRQ && e.mu == 0 {
			ok = e.stepNRQ(t, r, sc)
		} else {
			ok = e.stepMomentum(t, r, sc)
		}
		if !ok {
			t.dead = &DivergenceError{Step: n, Trial: i, Reason: reason(t.n2)}
			return
		}
	}
}

// apply takes η, λ from the schedule cursor and, as Full does, multiplies
// X (all block norms) by scale, leaving the momentum buffer alone.
func (t *redTrial) apply(scale float64) {
	t.eta, t.lambda = t.sched.Eta, t.sched.Lambda
	if scale != 1 {
		t.n2 = 0
		for j := range t.u {
			t.u[j] *= scale
			t.n2 += t.u[j] * t.u[j]
		}
	}
}

// stepNRQ is one step of eq 3 for the NRQ without momentum, O(k).
func (e *redStepper) stepNRQ(t *redTrial, r *ensemble.Sample, sc []float64) bool {
	k := len(t.u)
	u := t.u[:k]
	a, s, chi := e.a[:k], e.s[:k], e.chi1[:k]
	z := sc[:k:k]
	t.rnd.FillNorm(z)
	norm := math.Sqrt(t.n2)
	inv := 1 / norm
	var cA, cN float64
	for j, uj := range u {
		ut := uj * inv
		cA += a[j] * ut * ut
		cN += s[j] * z[j] * ut
	}
	c := cA + cN
	var f float64
	if r != nil {
		for j, tg := range e.target[:k] {
			if tg {
				f += u[j] * u[j]
			}
		}
		f /= t.n2
	}
	eta := t.eta
	decay := 1 - t.lambda*eta
	ei := eta * inv
	var g2, n2 float64
	for j, uj := range u {
		wj := (a[j]-c)*uj*inv + s[j]*z[j] // ‖X‖·g along X_j
		perp := s[j] * s[j] * chi[j].Draw(&t.rnd)
		g2 += wj*wj + perp
		along := decay*uj - ei*wj
		v := along*along + ei*ei*perp
		u[j] = math.Sqrt(v)
		n2 += v
	}
	if r != nil {
		au := math.Atan2(ei*math.Sqrt(g2), decay*norm)
		r.Set(f, cA/2, au, norm, t.n2, e.xi)
	}
	t.n2 = n2
	return alive(n2)
}

// stepMomentum is one step of heavy-ball SGD, b ← μb + g + λX, X ← X − ηb,
// for the NRQ (eq 4) or the NQM (eq 8), O(k). In block j the state is
// X_j = u·e₁ and b_j = β₁e₁ + β₂e₂ (e₂ ⟂ e₁, β₂ ≥ 0); the noise splits into
// ζ₁e₁ + ζ₂e₂ and a part orthogonal to both with squared norm χ²_{m_j−2}
// along a third unit vector e₃, so b' and X' have coordinates in
// (e₁, e₂, e₃) and their Gram matrix gives the new state.
func (e *redStepper) stepMomentum(t *redTrial, r *ensemble.Sample, sc []float64) bool {
	k := len(t.u)
	u, b1, b2 := t.u[:k], t.b1[:k], t.b2[:k]
	a, s := e.a[:k], e.s[:k]
	z1, z2, q := sc[:k:k], sc[k:2*k:2*k], sc[2*k:3*k:3*k]
	t.rnd.FillNorm(z1)
	for j, m := range e.multi[:k] {
		z2[j], q[j] = 0, 0
		if m {
			z2[j] = t.rnd.Norm()
			q[j] = e.chi2[j].Draw(&t.rnd)
		}
	}
	norm := math.Sqrt(t.n2)
	inv := 1 / norm
	var f, loss, c float64
	for j, uj := range u {
		ut := uj * inv
		if e.kind == nrq.NRQ {
			loss += a[j] * ut * ut
			c += ut * (a[j]*ut + s[j]*z1[j])
		} else {
			loss += a[j] * uj * uj
		}
		if e.target[j] {
			f += uj * uj
		}
	}
	loss /= 2
	f /= t.n2
	eta, lambda, mu := t.eta, t.lambda, e.mu
	// Pass 1: the new buffer b' = (B1, B2, B3) per block, and b'·X̃.
	var par float64
	for j, uj := range u {
		var g1, g2, g3 float64
		if e.kind == nrq.NRQ {
			g1 = ((a[j]-c)*uj*inv + s[j]*z1[j]) * inv
			g2 = s[j] * z2[j] * inv
			g3 = s[j] * math.Sqrt(q[j]) * inv
		} else {
			g1 = a[j]*uj + s[j]*z1[j]
			g2 = s[j] * z2[j]
			g3 = s[j] * math.Sqrt(q[j])
		}
		B1 := mu*b1[j] + g1 + lambda*uj
		B2 := mu*b2[j] + g2
		z1[j], z2[j], q[j] = B1, B2, g3 // reuse the scratch for b'
		par += B1 * uj * inv
	}
	// Pass 2: X' = X − ηb', the new state and the angular update.
	var perp2, n2 float64
	for j, uj := range u {
		B1, B2, B3 := z1[j], z2[j], q[j]
		d := B1 - par*uj*inv
		perp2 += d*d + B2*B2 + B3*B3
		x1 := uj - eta*B1
		bb := B1*B1 + B2*B2 + B3*B3
		v := x1*x1 + eta*eta*(B2*B2+B3*B3)
		un := math.Sqrt(v)
		if un > 0 {
			b1[j] = (uj*B1 - eta*bb) / un
			b2[j] = uj * math.Sqrt(B2*B2+B3*B3) / un
		} else { // X_j = 0 (probability 0): keep ‖b_j‖
			b1[j], b2[j] = 0, math.Sqrt(bb)
		}
		u[j] = un
		n2 += v
	}
	if r != nil {
		au := math.Atan2(eta*math.Sqrt(perp2), norm-eta*par)
		r.Set(f, loss, au, norm, t.n2, e.xi)
	}
	t.n2 = n2
	return alive(n2)
}
