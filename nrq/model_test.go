package nrq

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/smdlab/smd/internal/rng"
	"github.com/smdlab/smd/internal/stattest"
)

func testModels(t *testing.T) map[string]*Model {
	t.Helper()
	const p = 6
	diag := []float64{0.5, 1, 1, 2, 3, 7}
	iso, err := NewDiagonal(NRQ, diag, Noise{Sigma: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	vd, err := NewDiagonal(NRQ, diag, Noise{Var: []float64{1, 2, 0.5, 0.1, 3, 1}})
	if err != nil {
		t.Fatal(err)
	}
	// A dense A = Q diag Qᵀ with a fixed rotation Q, and a dense Σ̃.
	r := rng.New(11, 0)
	g := mat.NewDense(p, p, nil)
	for i := range p {
		for j := range p {
			g.Set(i, j, r.Norm())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q mat.Dense
	qr.QTo(&q)
	var a mat.Dense
	a.Mul(&q, mat.NewDiagDense(p, diag))
	a.Mul(&a, q.T())
	as := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			as.SetSym(i, j, (a.At(i, j)+a.At(j, i))/2)
		}
	}
	cov := mat.NewSymDense(p, nil)
	cov.SymOuterK(1, g)
	for i := range p {
		cov.SetSym(i, i, cov.At(i, i)+1)
	}
	dense, err := NewDense(NRQ, as, Noise{Cov: cov})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*Model{"diagonal/isotropic": iso, "diagonal/diagonal-noise": vd, "dense/dense-noise": dense}
}

func randVec(r *rng.Rand, p int, scale float64) []float64 {
	x := make([]float64, p)
	for i := range x {
		x[i] = scale * r.Norm()
	}
	return x
}

// Eq 6: ⟨g, X⟩ = 0 and g(kX) = g(X)/k, for every draw of ε (exact, to
// rounding: relative 1e-13 covers a handful of p = 6 float64 operations).
func TestScaleInvariance(t *testing.T) {
	r := rng.New(3, 0)
	for name, m := range testModels(t) {
		p := m.Dim()
		for range 20 {
			x := randVec(r, p, 2)
			eps := randVec(r, p, 1)
			g := make([]float64, p)
			m.Grad(g, x, eps)
			gn := math.Sqrt(dot(g, g))
			if d := dot(g, x) / (gn * math.Sqrt(dot(x, x))); math.Abs(d) > 1e-13 {
				t.Errorf("%s: cos∠(g, X) = %g, want 0", name, d)
			}
			for _, k := range []float64{1e-3, 0.5, 7, 1e4} {
				kx := make([]float64, p)
				for i := range x {
					kx[i] = k * x[i]
				}
				gk := make([]float64, p)
				m.Grad(gk, kx, eps)
				for i := range g {
					if math.Abs(gk[i]*k-g[i]) > 1e-12*gn {
						t.Fatalf("%s: g(kX)·k ≠ g(X) at k = %v, i = %d: %v vs %v", name, k, i, gk[i]*k, g[i])
					}
				}
			}
		}
	}
}

// The full gradient (eps = nil) is ∇L: compare with central differences of
// Loss (step h = 1e-6 gives truncation ~h² and rounding ~1e-16/h ≈ 1e-10).
func TestFullGradIsGradient(t *testing.T) {
	r := rng.New(4, 0)
	for name, m := range testModels(t) {
		p := m.Dim()
		x := randVec(r, p, 1.5)
		g := make([]float64, p)
		m.Grad(g, x, nil)
		for i := range p {
			const h = 1e-6
			xp, xm := append([]float64{}, x...), append([]float64{}, x...)
			xp[i] += h
			xm[i] -= h
			fd := (m.Loss(xp) - m.Loss(xm)) / (2 * h)
			if math.Abs(fd-g[i]) > 1e-8 {
				t.Errorf("%s: ∂L/∂x%d = %v by differences, Grad gives %v", name, i, fd, g[i])
			}
		}
	}
}

// Eq 5: E g = ∇L, statistically: the mean of g over n noise draws matches
// the full gradient coordinate-wise within z·SE (Bonferroni over the p
// coordinates of each model).
func TestMeanGradient(t *testing.T) {
	const n = 100_000
	r := rng.New(stattest.Seed(5), 0)
	for name, m := range testModels(t) {
		p := m.Dim()
		z := stattest.ZFor(stattest.Alpha, p)
		x := randVec(r, p, 1.5)
		full := make([]float64, p)
		m.Grad(full, x, nil)
		sum, sum2 := make([]float64, p), make([]float64, p)
		g := make([]float64, p)
		for range n {
			m.Grad(g, x, randVec(r, p, 1))
			for i, v := range g {
				sum[i] += v
				sum2[i] += v * v
			}
		}
		for i := range p {
			mean := sum[i] / n
			se := math.Sqrt((sum2[i]/n - mean*mean) / (n - 1))
			if math.Abs(mean-full[i]) > z*se {
				t.Errorf("%s: E g[%d] = %.5f ± %.5f, ∇L = %.5f", name, i, mean, se, full[i])
			}
		}
	}
}

// Eq 5's covariance, isotropic case: E‖g − ∇L‖² = Tr(PΣ̃P)/‖X‖² = (p−1)σ²/‖X‖².
func TestNoiseTrace(t *testing.T) {
	const n = 100_000
	m := testModels(t)["diagonal/isotropic"]
	p := m.Dim()
	r := rng.New(stattest.Seed(6), 0)
	x := randVec(r, p, 1.5)
	full, g := make([]float64, p), make([]float64, p)
	m.Grad(full, x, nil)
	v := make([]float64, n)
	for k := range v {
		m.Grad(g, x, randVec(r, p, 1))
		for i := range g {
			v[k] += (g[i] - full[i]) * (g[i] - full[i])
		}
	}
	mean, se := stattest.MeanSE(v)
	want := float64(p-1) * 0.49 / dot(x, x)
	if math.Abs(mean-want) > stattest.Z*se {
		t.Errorf("E‖g − ∇L‖² = %.5f ± %.5f, want (p−1)σ²/‖X‖² = %.5f", mean, se, want)
	}
}

// A dense A that happens to be diagonal gives the same gradient as the
// diagonal path, and its target eigenspace is the first coordinate.
func TestDenseMatchesDiagonal(t *testing.T) {
	diag := []float64{0.3, 1, 2, 2}
	a := mat.NewSymDense(4, nil)
	for i, v := range diag {
		a.SetSym(i, i, v)
	}
	md, _ := NewDiagonal(NRQ, diag, Noise{Sigma: 1})
	mD, err := NewDense(NRQ, a, Noise{Sigma: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := rng.New(8, 0)
	x, eps := randVec(r, 4, 1), randVec(r, 4, 1)
	g1, g2 := make([]float64, 4), make([]float64, 4)
	md.Grad(g1, x, eps)
	mD.Grad(g2, x, eps)
	for i := range g1 {
		if math.Abs(g1[i]-g2[i]) > 1e-14 {
			t.Errorf("g[%d]: diagonal %v, dense %v", i, g1[i], g2[i])
		}
	}
	if f1, f2 := md.Alignment(x), mD.Alignment(x); math.Abs(f1-f2) > 1e-14 {
		t.Errorf("alignment: diagonal %v, dense %v", f1, f2)
	}
}

// NQM gradient is A·X + C·ε (eq 8 with X, not X̃).
func TestNQMGradient(t *testing.T) {
	m, _ := NewDiagonal(NQM, []float64{1, 3}, Noise{Sigma: 2})
	g := make([]float64, 2)
	m.Grad(g, []float64{2, -1}, []float64{0.5, 1})
	if g[0] != 1*2+2*0.5 || g[1] != 3*-1+2*1 {
		t.Errorf("NQM g = %v, want [3 -1]", g)
	}
	if l := m.Loss([]float64{2, -1}); l != (4+3)/2.0 {
		t.Errorf("NQM loss = %v, want 3.5", l)
	}
}

func TestInvalidModels(t *testing.T) {
	if _, err := NewDiagonal(NRQ, []float64{-1, 2}, Noise{Sigma: 1}); err == nil {
		t.Error("negative eigenvalue accepted")
	}
	if _, err := NewDiagonal(NRQ, []float64{1, 2}, Noise{Sigma: -1}); err == nil {
		t.Error("negative sigma accepted")
	}
	a := mat.NewSymDense(2, []float64{1, 2, 2, 1}) // eigenvalues −1, 3
	if _, err := NewDense(NRQ, a, Noise{Sigma: 1}); err == nil {
		t.Error("indefinite A accepted")
	}
	if _, err := NewDiagonal(NRQ, []float64{1, 2}, Noise{Cov: mat.NewSymDense(2, []float64{1, 2, 2, 1})}); err == nil {
		t.Error("indefinite noise covariance accepted")
	}
}

// NewSpectrum's block form is the model NewDiagonal builds from the
// expanded diagonal, coordinate for coordinate (unsorted values included),
// and Blocks agrees between the two.
func TestNewSpectrumIsNewDiagonal(t *testing.T) {
	vals, mult := []float64{2, 0.5, 3, 2}, []int{3, 2, 1, 2}
	var diag []float64
	for j, v := range vals {
		for range mult[j] {
			diag = append(diag, v)
		}
	}
	for _, noise := range []Noise{{Sigma: 0.7}, {Var: []float64{1, 2, 3, 4, 5, 6, 7, 8}}} {
		s, err := NewSpectrum(NQM, vals, mult, noise)
		if err != nil {
			t.Fatal(err)
		}
		d, err := NewDiagonal(NQM, diag, noise)
		if err != nil {
			t.Fatal(err)
		}
		bs, okS := s.Blocks()
		bd, okD := d.Blocks()
		if !okS || !okD || !slices.Equal(bs, bd) {
			t.Fatalf("noise %+v: Blocks %v (%v) vs %v (%v)", noise, bs, okS, bd, okD)
		}
		sd, _ := s.Diagonal()
		dd, _ := d.Diagonal()
		ss, _ := s.NoiseStd()
		ds, _ := d.NoiseStd()
		if s.Dim() != d.Dim() || !slices.Equal(sd, dd) || !slices.Equal(ss, ds) ||
			!slices.Equal(s.TargetIndices(), d.TargetIndices()) || !slices.Equal(s.Eigenvalues(), d.Eigenvalues()) {
			t.Fatalf("noise %+v: block form differs from the diagonal form", noise)
		}
		if a, b := s.TraceNoise(), d.TraceNoise(); math.Abs(a-b) > 1e-14*b {
			t.Errorf("noise %+v: Tr Σ̃ = %v vs %v", noise, a, b)
		}
	}
	want := []Block{{0.5, 0.7, 2}, {2, 0.7, 5}, {3, 0.7, 1}}
	s, _ := NewSpectrum(NRQ, vals, mult, Noise{Sigma: 0.7})
	if b, _ := s.Blocks(); !slices.Equal(b, want) {
		t.Errorf("Blocks = %v, want %v (sorted, equal eigenvalues merged)", b, want)
	}
}
