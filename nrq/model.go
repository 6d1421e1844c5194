package nrq

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// Kind selects the model.
type Kind int

const (
	// NRQ is the Noisy Rayleigh Quotient, L(X) = XᵀAX/(2XᵀX) with the
	// projected, scale-invariant gradient of eq 4.
	NRQ Kind = iota
	// NQM is the Noisy Quadratic Model of Remark 1, L(X) = XᵀAX/2 (eq 7),
	// with gradient A·X + Σ̃^{1/2}ε (eq 8; the paper prints A·X̃, a typo:
	// see docs/derivations.md).
	NQM
)

// String returns the config name of the kind.
func (k Kind) String() string {
	switch k {
	case NRQ:
		return "nrq"
	case NQM:
		return "nqm"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Noise describes the gradient-noise covariance Σ̃. Exactly one of the
// fields is used: Cov if non-nil, else Var if non-nil, else Σ̃ = Sigma²·I.
type Noise struct {
	Sigma float64       // isotropic: Σ̃ = σ²I (Assumption 2)
	Var   []float64     // diagonal: Σ̃ = diag(Var)
	Cov   *mat.SymDense // dense positive definite Σ̃
}

// Model is an NRQ or NQM instance. Build one with NewDiagonal or NewDense.
type Model struct {
	Kind Kind

	p     int
	diag  []float64     // A = diag(diag) when dense == nil
	dense *mat.SymDense // dense A, or nil

	// Noise: per-coordinate standard deviations (diagonal/isotropic Σ̃),
	// or a lower Cholesky factor C with CCᵀ = Σ̃.
	noiseStd    []float64
	noiseFactor *mat.TriDense
	isotropic   bool
	sigma       float64

	eigs      []float64  // eigenvalues of A, ascending
	targetIdx []int      // diagonal A: indices of the smallest eigenvalue
	target    *mat.Dense // dense A: p×m orthonormal basis of its eigenspace

	// A model built by NewSpectrum with isotropic noise keeps only its
	// blocks; the per-coordinate fields above (diag, noiseStd, eigs,
	// targetIdx) are built from them by expand, once, when a method that
	// needs them is first called. Engines that work per block (sim.Reduced,
	// the two-level SDE engines) never call those, so their memory and
	// setup are O(#blocks) whatever p.
	runs     []Block // the coordinates in order: runs of equal (a_i, s_i)
	blocks   []Block // the same merged and sorted by (A, S), for Blocks
	expanded sync.Once
}

// Block is one group of coordinates of a diagonal model that share an
// eigenvalue A and a noise standard deviation S; Mult is its size.
type Block struct {
	A, S float64
	Mult int
}

// ErrModel is returned (wrapped in a *ModelError) for an invalid model
// definition.
var ErrModel = errors.New("invalid model")

// ModelError is an invalid model definition: Part says which input is
// wrong, PartA (the matrix A or its spectrum) or PartNoise (the noise Σ̃).
// It wraps ErrModel.
type ModelError struct {
	Part   string
	Reason string
}

// The parts a ModelError names.
const (
	PartA     = "A"
	PartNoise = "noise"
)

func (e *ModelError) Error() string { return ErrModel.Error() + ": " + e.Reason }

func (e *ModelError) Unwrap() error { return ErrModel }

func badA(format string, a ...any) error {
	return &ModelError{Part: PartA, Reason: fmt.Sprintf(format, a...)}
}

func badNoise(format string, a ...any) error {
	return &ModelError{Part: PartNoise, Reason: fmt.Sprintf(format, a...)}
}

// NewDiagonal returns the model with A = diag(a). f is measured against the
// eigenspace of min(a) (for an ascending spectrum with a₁ < a₂, the first
// coordinate, as in Assumption 1).
func NewDiagonal(kind Kind, a []float64, noise Noise) (*Model, error) {
	p := len(a)
	if p < 1 {
		return nil, badA("empty spectrum")
	}
	for i, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, badA("eigenvalue %d is %v (A must be positive semi-definite)", i, v)
		}
	}
	m := &Model{Kind: kind, p: p, diag: slices.Clone(a)}
	m.eigs = slices.Clone(a)
	slices.Sort(m.eigs)
	lo := m.eigs[0]
	for i, v := range a {
		if v == lo {
			m.targetIdx = append(m.targetIdx, i)
		}
	}
	if err := m.setNoise(noise); err != nil {
		return nil, err
	}
	return m, nil
}

// NewTwoLevel returns the two-level model of Theorem 2: A has eigenvalue al
// with multiplicity m1 (the target eigenspace; Assumption 1 has m1 = 1) in
// the first coordinates and ah with multiplicity m2 after them, and the
// noise is isotropic, Σ̃ = σ²I (Assumption 2).
func NewTwoLevel(m1, m2 int, al, ah, sigma float64) (*Model, error) {
	if m1 < 1 || m2 < 0 {
		return nil, badA("two-level multiplicities %d, %d (need m1 ≥ 1, m2 ≥ 0)", m1, m2)
	}
	a := make([]float64, m1+m2)
	for i := range a {
		a[i] = ah
		if i < m1 {
			a[i] = al
		}
	}
	return NewDiagonal(NRQ, a, Noise{Sigma: sigma})
}

// NewSpectrum returns the model with A = diag(values[0] repeated mult[0]
// times, values[1] repeated mult[1] times, …): the model NewDiagonal
// builds from the expanded diagonal, coordinate for coordinate. With
// isotropic noise it is stored as its blocks, in O(len(values)) memory
// whatever p = Σ mult; with per-coordinate noise (noise.Var, p entries) it
// is expanded at once.
func NewSpectrum(kind Kind, values []float64, mult []int, noise Noise) (*Model, error) {
	if len(values) != len(mult) {
		return nil, badA("%d eigenvalues but %d multiplicities", len(values), len(mult))
	}
	if len(values) == 0 {
		return nil, badA("empty spectrum")
	}
	p := 0
	for j, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, badA("eigenvalue %d is %v (A must be positive semi-definite)", j, v)
		}
		if mult[j] < 1 {
			return nil, badA("multiplicity %d is %d (want ≥ 1)", j, mult[j])
		}
		if p > math.MaxInt-mult[j] {
			return nil, badA("p overflows")
		}
		p += mult[j]
	}
	if noise.Sigma < 0 || noise.Var != nil || noise.Cov != nil || math.IsNaN(noise.Sigma) || math.IsInf(noise.Sigma, 0) {
		var a []float64
		for j, v := range values {
			for range mult[j] {
				a = append(a, v)
			}
		}
		return NewDiagonal(kind, a, noise)
	}
	m := &Model{Kind: kind, p: p, isotropic: true, sigma: noise.Sigma}
	for j, v := range values {
		m.runs = append(m.runs, Block{A: v, S: noise.Sigma, Mult: mult[j]})
	}
	m.blocks = mergeBlocks(slices.Clone(m.runs))
	return m, nil
}

// mergeBlocks sorts blocks by (A, S) and merges equal ones.
func mergeBlocks(b []Block) []Block {
	slices.SortStableFunc(b, func(x, y Block) int {
		if c := cmp.Compare(x.A, y.A); c != 0 {
			return c
		}
		return cmp.Compare(x.S, y.S)
	})
	out := b[:0]
	for _, x := range b {
		if n := len(out); n > 0 && out[n-1].A == x.A && out[n-1].S == x.S {
			out[n-1].Mult += x.Mult
			continue
		}
		out = append(out, x)
	}
	return out
}

// expand builds the per-coordinate fields of a model kept as blocks (once;
// safe for concurrent use). It is a no-op for every other model.
func (m *Model) expand() {
	m.expanded.Do(func() {
		if m.blocks == nil || m.diag != nil {
			return
		}
		m.diag = make([]float64, 0, m.p)
		for _, b := range m.runs {
			for range b.Mult {
				m.diag = append(m.diag, b.A)
			}
		}
		m.eigs = slices.Clone(m.diag)
		slices.Sort(m.eigs)
		m.noiseStd = make([]float64, m.p)
		for i, v := range m.diag {
			m.noiseStd[i] = m.sigma
			if v == m.eigs[0] {
				m.targetIdx = append(m.targetIdx, i)
			}
		}
	})
}

// Blocks returns, for a diagonal A and Σ̃, the groups of coordinates with
// equal (a_i, s_i), sorted by A then S, and true; nil and false when A or
// Σ̃ is dense. For a model from NewSpectrum with isotropic noise it costs
// O(#blocks); otherwise one pass over the coordinates. Not to be modified.
func (m *Model) Blocks() ([]Block, bool) {
	if m.blocks != nil {
		return m.blocks, true
	}
	if m.dense != nil || m.noiseFactor != nil {
		return nil, false
	}
	idx := map[[2]float64]int{}
	var bl []Block
	last, lastJ := [2]float64{math.NaN()}, -1 // runs of equal keys skip the map
	for i, ai := range m.diag {
		key := [2]float64{ai, m.noiseStd[i]}
		if key == last {
			bl[lastJ].Mult++
			continue
		}
		j, ok := idx[key]
		last = key
		if !ok {
			j = len(bl)
			idx[key] = j
			bl = append(bl, Block{A: ai, S: m.noiseStd[i]})
		}
		lastJ = j
		bl[j].Mult++
	}
	return mergeBlocks(bl), true
}

// NewDense returns the model with a dense symmetric positive semi-definite A.
// f is measured against the eigenspace of A's smallest eigenvalue
// (eigenvalues within 1e-12·max|a| of it count as equal).
func NewDense(kind Kind, a *mat.SymDense, noise Noise) (*Model, error) {
	p := a.SymmetricDim()
	if p < 1 {
		return nil, badA("empty matrix")
	}
	var es mat.EigenSym
	if !es.Factorize(a, true) {
		return nil, badA("eigendecomposition of A failed")
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	scale := math.Max(math.Abs(vals[0]), math.Abs(vals[p-1]))
	tol := 1e-12 * math.Max(scale, 1e-300)
	if vals[0] < -tol {
		return nil, badA("A is not positive semi-definite (smallest eigenvalue %g)", vals[0])
	}
	m := &Model{Kind: kind, p: p, dense: mat.NewSymDense(p, nil)}
	m.dense.CopySym(a)
	m.eigs = make([]float64, p)
	for i, v := range vals { // ascending already; clamp rounding below zero
		m.eigs[i] = math.Max(v, 0)
	}
	k := 0
	for k < p && vals[k]-vals[0] <= tol {
		k++
	}
	m.target = mat.DenseCopyOf(vecs.Slice(0, p, 0, k))
	if err := m.setNoise(noise); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) setNoise(n Noise) error {
	p := m.p
	switch {
	case n.Cov != nil:
		if n.Cov.SymmetricDim() != p {
			return badNoise("noise covariance is %d×%d, A is %d×%d", n.Cov.SymmetricDim(), n.Cov.SymmetricDim(), p, p)
		}
		var ch mat.Cholesky
		if !ch.Factorize(n.Cov) {
			return badNoise("noise covariance is not positive definite")
		}
		var l mat.TriDense
		ch.LTo(&l)
		m.noiseFactor = &l
	case n.Var != nil:
		if len(n.Var) != p {
			return badNoise("%d noise variances for p = %d", len(n.Var), p)
		}
		m.noiseStd = make([]float64, p)
		for i, v := range n.Var {
			if !(v >= 0) || math.IsInf(v, 0) {
				return badNoise("noise variance %d is %v", i, v)
			}
			m.noiseStd[i] = math.Sqrt(v)
		}
	default:
		if !(n.Sigma >= 0) || math.IsInf(n.Sigma, 0) {
			return badNoise("sigma is %v", n.Sigma)
		}
		m.isotropic, m.sigma = true, n.Sigma
		m.noiseStd = make([]float64, p)
		for i := range m.noiseStd {
			m.noiseStd[i] = n.Sigma
		}
	}
	return nil
}

// Dim returns p.
func (m *Model) Dim() int { return m.p }

// Eigenvalues returns A's eigenvalues in ascending order (a copy).
func (m *Model) Eigenvalues() []float64 { m.expand(); return slices.Clone(m.eigs) }

// Diagonal returns the diagonal of A and true when A is diagonal (the
// O(p) path), or nil and false for a dense A. The slice must not be modified.
func (m *Model) Diagonal() ([]float64, bool) { m.expand(); return m.diag, m.dense == nil }

// NoiseStd returns the per-coordinate noise standard deviations and true
// when Σ̃ is diagonal, or nil and false for a dense Σ̃. Not to be modified.
func (m *Model) NoiseStd() ([]float64, bool) { m.expand(); return m.noiseStd, m.noiseFactor == nil }

// IsDiagonal reports whether A is diagonal, without building its diagonal.
func (m *Model) IsDiagonal() bool { return m.dense == nil }

// Isotropic returns σ and true when Σ̃ = σ²I (Assumption 2).
func (m *Model) Isotropic() (float64, bool) { return m.sigma, m.isotropic }

// TargetIndices returns, for a diagonal A, the coordinates spanning the
// eigenspace of the smallest eigenvalue (nil for a dense A).
func (m *Model) TargetIndices() []int { m.expand(); return m.targetIdx }

// MulA sets dst = A·x.
func (m *Model) MulA(dst, x []float64) {
	m.expand()
	if m.dense == nil {
		floats.MulTo(dst, m.diag, x)
		return
	}
	blas64.Symv(1, m.dense.RawSymmetric(), blas64.Vector{N: m.p, Data: x, Inc: 1}, 0, blas64.Vector{N: m.p, Data: dst, Inc: 1})
}

// MulNoise sets dst = C·eps where CCᵀ = Σ̃, so dst ~ N(0, Σ̃) for
// standard normal eps. It does not allocate.
func (m *Model) MulNoise(dst, eps []float64) {
	m.expand()
	if m.noiseFactor == nil {
		floats.MulTo(dst, m.noiseStd, eps)
		return
	}
	copy(dst, eps)
	blas64.Trmv(blas.NoTrans, m.noiseFactor.RawTriangular(), blas64.Vector{N: m.p, Data: dst, Inc: 1})
}

// TraceNoise returns Tr(Σ̃).
func (m *Model) TraceNoise() float64 {
	if m.blocks != nil {
		return float64(m.p) * m.sigma * m.sigma
	}
	if m.noiseFactor == nil {
		s := 0.0
		for _, v := range m.noiseStd {
			s += v * v
		}
		return s
	}
	var c mat.SymDense
	c.SymOuterK(1, m.noiseFactor)
	return mat.Trace(&c)
}

// Alignment returns f = ‖Π X̃‖², the squared norm of the projection of the
// direction X̃ = x/‖x‖ onto the eigenspace of A's smallest eigenvalue; with
// a₁ < a₂ this is the paper's f = (X̃⁽¹⁾)² (section 3).
func (m *Model) Alignment(x []float64) float64 {
	m.expand()
	n2 := dot(x, x)
	if m.dense == nil {
		s := 0.0
		for _, i := range m.targetIdx {
			s += x[i] * x[i]
		}
		return s / n2
	}
	_, k := m.target.Dims()
	s := 0.0
	for j := range k {
		c := 0.0
		for i := range m.p {
			c += m.target.At(i, j) * x[i]
		}
		s += c * c
	}
	return s / n2
}

// SplitTarget writes the projection of z onto the target eigenspace into
// zt and the orthogonal remainder into zp.
func (m *Model) SplitTarget(zt, zp, z []float64) {
	m.expand()
	if m.dense == nil {
		clear(zt)
		copy(zp, z)
		for _, i := range m.targetIdx {
			zt[i], zp[i] = z[i], 0
		}
		return
	}
	_, k := m.target.Dims()
	clear(zt)
	for j := range k {
		c := 0.0
		for i := range m.p {
			c += m.target.At(i, j) * z[i]
		}
		for i := range m.p {
			zt[i] += c * m.target.At(i, j)
		}
	}
	for i := range m.p {
		zp[i] = z[i] - zt[i]
	}
}

// Loss returns L(X): XᵀAX/(2XᵀX) for NRQ (eq 1), XᵀAX/2 for NQM (eq 7).
func (m *Model) Loss(x []float64) float64 {
	ax := make([]float64, m.p)
	m.MulA(ax, x)
	q := dot(x, ax) / 2
	if m.Kind == NQM {
		return q
	}
	return q / dot(x, x)
}

// Grad sets dst to the stochastic gradient at x for the standard normal
// draw eps (eps = nil gives the full gradient ∇L):
//
//	NRQ (eq 4):  g = (1/‖X‖)·P·(A·X̃ + C·ε),  P = I − X̃X̃ᵀ,  CCᵀ = Σ̃
//	NQM (eq 8):  g = A·X + C·ε
//
// It is the reference implementation; the simulators fuse it into their loops.
func (m *Model) Grad(dst, x, eps []float64) {
	p := m.p
	noise := make([]float64, p)
	if eps != nil {
		m.MulNoise(noise, eps)
	}
	if m.Kind == NQM {
		m.MulA(dst, x)
		for i := range dst {
			dst[i] += noise[i]
		}
		return
	}
	norm := math.Sqrt(dot(x, x))
	xt := make([]float64, p)
	for i := range xt {
		xt[i] = x[i] / norm
	}
	m.MulA(dst, xt)
	for i := range dst {
		dst[i] += noise[i]
	}
	c := dot(xt, dst)
	for i := range dst {
		dst[i] = (dst[i] - c*xt[i]) / norm
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
