package rng

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/smdlab/smd/internal/pmath"
)

// Rand is a xoshiro256++ generator. The zero value is not usable: build one
// with New. It is not safe for concurrent use; each trial owns one.
type Rand struct {
	s0, s1, s2, s3 uint64
}

// New returns the generator for stream (seed, stream). Streams for distinct
// (seed, stream) pairs are seeded through the standard library's PCG, so
// trial i of a run draws the same numbers whatever the worker count.
func New(seed, stream uint64) *Rand {
	r := &Rand{}
	r.Seed(seed, stream)
	return r
}

// Seed resets r to the stream (seed, stream).
func (r *Rand) Seed(seed, stream uint64) {
	// Mix stream so that nearby (seed, stream) pairs land far apart.
	pcg := rand.NewPCG(seed, splitmix(stream^0x6a09e667f3bcc909))
	for {
		r.s0, r.s1, r.s2, r.s3 = pcg.Uint64(), pcg.Uint64(), pcg.Uint64(), pcg.Uint64()
		if r.s0|r.s1|r.s2|r.s3 != 0 { // the all-zero state is forbidden
			return
		}
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Uint64 returns a uniformly distributed 64-bit value.
func (r *Rand) Uint64() uint64 {
	st, out := r.Stream().Next()
	r.SetStream(st)
	return out
}

// Float64 returns a uniform value in [0, 1) with 53 random bits.
func (r *Rand) Float64() float64 {
	return float64(r.Uint64()>>11) * 0x1p-53
}

// openFloat64 returns a uniform value in (0, 1).
func (r *Rand) openFloat64() float64 {
	return (float64(r.Uint64()>>12) + 0.5) * 0x1p-52
}

// Ziggurat tables, 256 layers (Doornik 2005, ZIGNOR with C = 256).
const (
	zigLayers = 256
	zigR      = 3.6541528853610088 // start of the tail
	zigV      = 0.00492867323399   // area of each layer
)

var (
	zigX     [zigLayers + 1]float64 // layer right edges, zigX[256] = 0
	zigRatio [zigLayers]float64     // zigX[i+1]/zigX[i]
	zigF     [zigLayers + 1]float64 // e^{−zigX[i]²/2}, the density at the edges
	zigFast  [2 * zigLayers]zigEntry
	zigSq    [zigLayers]zigSqueeze
)

// zigSqueeze holds the straight-line bounds of layer i's wedge, |x| in
// [lo, hi] = [zigX[i+1], zigX[i]], on which f(x) = e^{−x²/2} is convex
// (lo ≥ 1) or concave (hi ≤ 1): there the chord c through the edges and
// the tangents t_lo, t_hi at them bracket f,
//
//	convex:  max(t_lo, t_hi) ≤ f ≤ c,   concave: c ≤ f ≤ min(t_lo, t_hi),
//
// with c(x) = f(lo) + k(x − lo), t_e(x) = f(e)(1 − e(x − e)). A wedge
// point decided by the bounds with a relative margin squeezeMargin gets
// the same answer as the exact test, which then runs only between them
// (and in the one layer where f's inflexion point x = 1 lies).
type zigSqueeze struct {
	lo, hi, flo, fhi, k float64
	curv                int8 // +1 convex, −1 concave, 0 neither
}

// squeezeMargin is far above the bounds' and pmath.Exp's rounding errors
// (a few ulp, ~1e-15 relative) and far below what costs speed: a point
// within it of a bound is decided by the exact test.
const squeezeMargin = 1e-9

// zigEntry is the fast path's look-up for one (sign, layer) pair, indexed
// by the low 9 bits of a 64-bit output (bits 0–7 the layer i, bit 8 the
// sign): the candidate is m·xs with m the top 52 bits, accepted when
// m < t, which is exactly m·2⁻⁵² < zigRatio[i] since m is an integer.
type zigEntry struct {
	t  uint64  // ⌈zigRatio[i]·2⁵²⌉
	xs float64 // ±zigX[i]·2⁻⁵² (exact: a power-of-two scaling)
}

func init() {
	f := pmath.Exp(-0.5 * zigR * zigR)
	zigX[0] = zigV / f
	zigX[1] = zigR
	for i := 2; i < zigLayers; i++ {
		zigX[i] = math.Sqrt(-2 * pmath.Log(zigV/zigX[i-1]+f))
		f = pmath.Exp(-0.5 * zigX[i] * zigX[i])
	}
	zigX[zigLayers] = 0
	for i := range zigLayers {
		zigRatio[i] = zigX[i+1] / zigX[i]
	}
	for i, x := range zigX {
		zigF[i] = pmath.Exp(-0.5 * x * x)
	}
	for i := 1; i < zigLayers; i++ {
		lo, hi := zigX[i+1], zigX[i]
		q := zigSqueeze{lo: lo, hi: hi, flo: zigF[i+1], fhi: zigF[i], k: (zigF[i] - zigF[i+1]) / (hi - lo)}
		switch {
		case lo >= 1:
			q.curv = 1
		case hi <= 1:
			q.curv = -1
		}
		zigSq[i] = q
	}
	for j := range zigFast {
		i := j & 0xff
		xs := zigX[i] * 0x1p-52
		if j&0x100 != 0 {
			xs = -xs
		}
		zigFast[j] = zigEntry{t: uint64(math.Ceil(zigRatio[i] * 0x1p52)), xs: xs}
	}
}

// zigSplit returns, for a rejected fast-path output u, the layer and the
// signed uniform in (−1, 1) that the slow path tests.
func zigSplit(u uint64) (uint64, float64) {
	x := float64(int64(u>>12)) * 0x1p-52
	if u&0x100 != 0 {
		x = -x
	}
	return u & 0xff, x
}

// Norm returns a standard normal deviate.
func (r *Rand) Norm() float64 {
	for {
		u := r.Uint64()
		if v, ok := ZigFast(u); ok {
			return v
		}
		if v, ok := r.normSlow(zigSplit(u)); ok {
			return v
		}
	}
}

// FillNorm fills dst with independent standard normal deviates. It is the
// hot loop of every simulator: the generator state stays in registers, and
// one 64-bit output gives the layer (bits 0–7), the sign (bit 8) and a
// 52-bit magnitude (bits 12–63), so the fast path (≈ 98.9 % of draws) is a
// table load, an integer compare and a multiply. A rejected candidate goes
// to the slow path (wedge or tail test, then a fresh Norm if that rejects
// too), so every slot holds an exact, independent N(0, 1) draw. Engines
// that fuse the draws into their own loops use the same steps: Stream,
// Stream.Next, ZigFast and Rand.Rejected.
func (r *Rand) FillNorm(dst []float64) {
	st := r.Stream()
	for k := range dst {
		var u uint64
		st, u = st.Next()
		v, ok := ZigFast(u)
		if !ok {
			st, v = r.Rejected(st, u)
		}
		dst[k] = v
	}
	r.SetStream(st)
}

// Stream is a generator's state as a value, for a hot loop that keeps it
// in registers: st := r.Stream(); st, u = st.Next() …; r.SetStream(st)
// before anything else draws from r.
type Stream struct {
	s0, s1, s2, s3 uint64
}

// Stream returns r's state.
func (r *Rand) Stream() Stream { return Stream{r.s0, r.s1, r.s2, r.s3} }

// SetStream sets r's state to s.
func (r *Rand) SetStream(s Stream) { r.s0, r.s1, r.s2, r.s3 = s.s0, s.s1, s.s2, s.s3 }

// Next returns the state after one step and the step's output (the same
// as Rand.Uint64).
func (s Stream) Next() (Stream, uint64) {
	out := bits.RotateLeft64(s.s0+s.s3, 23) + s.s0
	t := s.s1 << 17
	s.s2 ^= s.s0
	s.s3 ^= s.s1
	s.s1 ^= s.s2
	s.s0 ^= s.s3
	s.s2 ^= t
	s.s3 = bits.RotateLeft64(s.s3, 45)
	return s, out
}

// ZigFast is the ziggurat's fast path for the output u: the normal deviate
// and true, or false when u is rejected and NormRejected must finish it.
func ZigFast(u uint64) (float64, bool) {
	z := &zigFast[u&0x1ff]
	m := u >> 12
	return float64(int64(m)) * z.xs, m < z.t
}

// NormFrom returns the normal deviate drawn from state s (held by the
// caller, as in FillNorm's loop: the fast path, else Rejected) and the
// state after it; r ends in that state only when the slow path ran. Hot
// loops inline the steps instead; this is for their cold edges.
func (r *Rand) NormFrom(s Stream) (Stream, float64) {
	s, u := s.Next()
	if v, ok := ZigFast(u); ok {
		return s, v
	}
	return r.Rejected(s, u)
}

// Rejected returns the deviate for an output u that ZigFast rejected, s
// being r's state after u held by the caller, and the state after it: the
// slow path's wedge or tail test, then a fresh Norm if that rejects too.
// r ends in the returned state.
func (r *Rand) Rejected(s Stream, u uint64) (Stream, float64) {
	r.SetStream(s)
	v, ok := r.normSlow(zigSplit(u))
	if !ok {
		v = r.Norm()
	}
	return r.Stream(), v
}

// normSlow handles the rare rejections of the ziggurat: the base layer's
// tail and the wedges. ok is false when the caller must draw again.
func (r *Rand) normSlow(i uint64, u float64) (float64, bool) {
	if i == 0 { // tail beyond zigR (Marsaglia 1964)
		for {
			x := pmath.Log(r.openFloat64()) / zigR
			y := pmath.Log(r.openFloat64())
			if -2*y >= x*x {
				if u < 0 {
					return x - zigR, true
				}
				return zigR - x, true
			}
		}
	}
	// Wedge of layer i: accept x when a uniform point under the chord
	// between the layer's edges, f(zigX[i+1]) + U·(f(zigX[i]) − f(zigX[i+1])),
	// lies below the density f(x) = e^{−x²/2}: one exp, the edges' values
	// from the table zigF.
	x := u * zigX[i]
	y := zigF[i+1] + r.Float64()*(zigF[i]-zigF[i+1])
	if acc, sure := zigSq[i].decide(math.Abs(x), y); sure {
		if acc {
			return x, true
		}
		return 0, false
	}
	if y < pmath.Exp(-0.5*x*x) {
		return x, true
	}
	return 0, false
}

// decide reports whether the wedge point (ax, y) lies below f(ax), when
// the straight-line bounds of zigSqueeze settle it (sure); otherwise the
// exact test must.
func (q *zigSqueeze) decide(ax, y float64) (accept, sure bool) {
	c := q.flo + q.k*(ax-q.lo)
	t := q.fhi * (1 - q.hi*(ax-q.hi))
	tl := q.flo * (1 - q.lo*(ax-q.lo))
	switch q.curv {
	case 1: // max(t, tl) ≤ f ≤ c
		if y >= c*(1+squeezeMargin) {
			return false, true
		}
		if y < max(t, tl)*(1-squeezeMargin) {
			return true, true
		}
	case -1: // c ≤ f ≤ min(t, tl)
		if y < c*(1-squeezeMargin) {
			return true, true
		}
		if y >= min(t, tl)*(1+squeezeMargin) {
			return false, true
		}
	}
	return false, false
}

// ChiSquare returns a χ² deviate with k degrees of freedom (k ≥ 0, real):
// NewChi2(k).Draw(r). Hot loops keep a Chi2 instead (its constants are
// computed once).
func (r *Rand) ChiSquare(k float64) float64 {
	g := NewChi2(k)
	return g.Draw(r)
}

// Chi2 draws χ²_k, the one χ² sampler of smd: 0 for k ≤ 0, z² (one normal)
// for k = 1, and 2·Gamma(k/2) otherwise by Marsaglia & Tsang's method (ACM
// TOMS 26(3), 2000) with its constants d = k/2 − 1/3, c = 1/√(9d) computed
// once; for k/2 < 1 the shape is boosted, Gamma(a) = Gamma(a + 1)·U^{1/a}.
type Chi2 struct {
	k, a   float64 // degrees of freedom; Gamma shape used (k/2, or k/2 + 1 boosted)
	d, c   float64
	boost  bool
	square bool // k = 1: z²
}

// NewChi2 returns the sampler of χ²_k.
func NewChi2(k float64) Chi2 {
	g := Chi2{k: k, a: k / 2}
	switch {
	case k <= 0:
		return g
	case k == 1:
		g.square = true
		return g
	case g.a < 1:
		g.boost, g.a = true, g.a+1
	}
	g.d = g.a - 1.0/3
	g.c = 1 / math.Sqrt(9*g.d)
	return g
}

// Draw returns one χ²_k deviate from r. The k ≤ 0 case (a block of one
// coordinate in the reduced chain) is decided inline.
func (g *Chi2) Draw(r *Rand) float64 {
	if g.k <= 0 {
		return 0
	}
	return g.draw(r)
}

func (g *Chi2) draw(r *Rand) float64 {
	switch {
	case g.square:
		z := r.Norm()
		return z * z
	}
	x := 2 * g.gamma(r)
	if g.boost {
		x *= pmath.Pow(r.openFloat64(), 2/g.k)
	}
	return x
}

// gamma draws Gamma(a, 1), a ≥ 1 (Marsaglia & Tsang).
func (g *Chi2) gamma(r *Rand) float64 {
	d, c := g.d, g.c
	for {
		x := r.Norm()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.openFloat64()
		x2 := x * x
		if u < 1-0.0331*x2*x2 {
			return d * v
		}
		if pmath.Log(u) < 0.5*x2+d*(1-v+pmath.Log(v)) {
			return d * v
		}
	}
}
