package rng

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/smdlab/smd/internal/pmath"
	"github.com/smdlab/smd/internal/stattest"
)

// The ziggurat must produce exactly N(0, 1): a KS test of the whole
// distribution (which covers the rare tail and wedge branches through
// their mass, 1.7% of draws), plus moment checks, for both entry points.
func TestNormIsStandardNormal(t *testing.T) {
	const n = 400_000
	r := New(stattest.Seed(1), 0)
	x := make([]float64, n)
	r.FillNorm(x[:n/2])
	for i := n / 2; i < n; i++ {
		x[i] = r.Norm()
	}
	d, p := stattest.KSOneSample(x, distuv.UnitNormal.CDF)
	if p < stattest.Alpha {
		t.Errorf("KS vs N(0,1): D = %.5f, p = %.3g < %.0e", d, p, stattest.Alpha)
	}
	// Moments: E x = 0 (SD 1), E x² = 1 (SD √2), E x⁴ = 3 (SD √96).
	var m1, m2, m4 float64
	for _, v := range x {
		m1 += v
		m2 += v * v
		m4 += v * v * v * v
	}
	sn := math.Sqrt(n)
	for _, c := range []struct {
		name      string
		got, want float64
		sd        float64
	}{
		{"E x", m1 / n, 0, 1},
		{"E x²", m2 / n, 1, math.Sqrt2},
		{"E x⁴", m4 / n, 3, math.Sqrt(96)},
	} {
		if math.Abs(c.got-c.want) > stattest.Z*c.sd/sn {
			t.Errorf("%s = %.5f, want %v ± %.5f", c.name, c.got, c.want, stattest.Z*c.sd/sn)
		}
	}
	// The tail beyond the base layer, |x| > R = 3.654: P = 2Φ(−R) = 2.58e-4.
	tail := 0
	for _, v := range x {
		if math.Abs(v) > zigR {
			tail++
		}
	}
	pt := 2 * distuv.UnitNormal.CDF(-zigR)
	if se := math.Sqrt(pt * (1 - pt) / n); math.Abs(float64(tail)/n-pt) > stattest.Z*se {
		t.Errorf("P(|x| > %.3f) = %.3g, want %.3g ± %.2g", zigR, float64(tail)/n, pt, stattest.Z*se)
	}
}

// Streams are determined by (seed, stream) alone and differ between streams.
func TestStreams(t *testing.T) {
	a, b, c := New(7, 3), New(7, 3), New(7, 4)
	for range 10 {
		x, y, z := a.Uint64(), b.Uint64(), c.Uint64()
		if x != y {
			t.Fatal("same (seed, stream) gave different numbers")
		}
		if x == z {
			t.Fatal("streams 3 and 4 coincide")
		}
	}
}

// ChiSquare(k) has the χ²_k law: KS test for k = 0.5 (boosted shape), 1
// (z²), 2.5 and 99 (Marsaglia–Tsang).
func TestChiSquare(t *testing.T) {
	r := New(stattest.Seed(2), 0)
	for _, k := range []float64{0.5, 1, 2.5, 99} {
		x := make([]float64, 50_000)
		for i := range x {
			x[i] = r.ChiSquare(k)
		}
		ref := distuv.ChiSquared{K: k}
		if d, p := stattest.KSOneSample(x, ref.CDF); p < stattest.Alpha {
			t.Errorf("χ²_%v: KS D = %.4f, p = %.3g", k, d, p)
		}
	}
}

// BenchmarkFillNorm measures the Gaussian sampler that dominates the
// simulators: ns per normal deviate.
func BenchmarkFillNorm(b *testing.B) {
	r := New(1, 0)
	x := make([]float64, 1024)
	b.SetBytes(int64(len(x)) * 8)
	for b.Loop() {
		r.FillNorm(x)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/normal")
}

// BenchmarkStdlibNorm is the baseline: math/rand/v2 NormFloat64 on PCG.
func BenchmarkStdlibNorm(b *testing.B) {
	r := newStdlib()
	x := make([]float64, 1024)
	for b.Loop() {
		for i := range x {
			x[i] = r.NormFloat64()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/normal")
}

// The fast path's integer test m < t is exactly the ziggurat's
// |u| < zigRatio[i] for u = ±m·2⁻⁵², at and beside every threshold, and
// its multiplier is ±zigX[i]·2⁻⁵² with the sign taken from bit 8.
func TestZigFastTable(t *testing.T) {
	for j, z := range zigFast {
		i := j & 0xff
		for _, m := range []uint64{z.t - 1, z.t, z.t + 1} {
			if got, want := m < z.t, float64(m)*0x1p-52 < zigRatio[i]; got != want {
				t.Fatalf("entry %d, m = %d: fast test %v, ziggurat test %v", j, m, got, want)
			}
		}
		want := zigX[i] * 0x1p-52
		if j&0x100 != 0 {
			want = -want
		}
		if z.xs != want {
			t.Fatalf("entry %d: multiplier %v, want %v", j, z.xs, want)
		}
	}
}

// The wedge test accepts x in layer i's wedge (zigX[i+1] < x < zigX[i])
// with probability (f(x) − f(zigX[i]))/(f(zigX[i+1]) − f(zigX[i])),
// f(x) = e^{−x²/2}: for x uniform on the wedge the acceptance rate is the
// area under f above f(zigX[i]) over the wedge's rectangle (the integral
// by Simpson's rule on 10⁴ panels, error ≪ 10⁻¹⁰), a binomial z·SE check
// per layer. A wrong edge value or a one-sided chord moves it by ≫ SE.
func TestWedgeAcceptance(t *testing.T) {
	const n = 200_000
	z := stattest.ZFor(stattest.Alpha, 4)
	r := New(stattest.Seed(5), 0)
	f := func(x float64) float64 { return math.Exp(-0.5 * x * x) }
	for _, i := range []uint64{1, 40, 128, 254} {
		lo, hi := zigX[i+1], zigX[i]
		const panels = 10_000
		h := (hi - lo) / panels
		area := 0.0
		for k := 0; k <= panels; k++ {
			w := 2.0 + 2*float64(k%2)
			if k == 0 || k == panels {
				w = 1
			}
			area += w * (f(lo+float64(k)*h) - f(hi))
		}
		area *= h / 3
		want := area / ((hi - lo) * (f(lo) - f(hi)))
		acc := 0
		for range n {
			u := zigRatio[i] + (1-zigRatio[i])*r.Float64() // |x|/zigX[i] in the wedge
			if _, ok := r.normSlow(i, u); ok {
				acc++
			}
		}
		got := float64(acc) / n
		if se := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > z*se {
			t.Errorf("layer %d: wedge acceptance %.5f, want %.5f ± %.5f", i, got, want, z*se)
		}
	}
}

// TestSqueezeAgreesWithExactTest checks the wedge's straight-line bounds
// (zigSqueeze) against the exact test y < e^{−x²/2} (pmath.Exp) wherever
// they decide: on random points of every layer's wedge and on points at
// the bounds themselves, where a bound that is wrong by more than its
// margin would show. It also checks that the bounds decide most points
// (the speed-up), counting the layers they cover.
func TestSqueezeAgreesWithExactTest(t *testing.T) {
	r := New(stattest.Seed(6), 0)
	const perLayer = 400
	covered := 0
	for i := uint64(1); i < zigLayers; i++ {
		q := &zigSq[i]
		if q.curv != 0 {
			covered++
		}
		check := func(ax, y float64) {
			if acc, sure := q.decide(ax, y); sure && acc != (y < pmath.Exp(-0.5*ax*ax)) {
				t.Fatalf("layer %d: |x| = %v, y = %v: squeeze says %v, exact test %v", i, ax, y, acc, !acc)
			}
		}
		for range perLayer {
			ax := q.lo + r.Float64()*(q.hi-q.lo)
			check(ax, q.flo+r.Float64()*(q.fhi-q.flo))
			// At the bounds, just inside and outside their margin.
			c := q.flo + q.k*(ax-q.lo)
			tb := max(q.fhi*(1-q.hi*(ax-q.hi)), q.flo*(1-q.lo*(ax-q.lo)))
			if q.curv < 0 {
				tb = min(q.fhi*(1-q.hi*(ax-q.hi)), q.flo*(1-q.lo*(ax-q.lo)))
			}
			for _, b := range []float64{c, tb} {
				for _, d := range []float64{-2, -1.01, -0.99, 0, 0.99, 1.01, 2} {
					check(ax, b*(1+d*squeezeMargin))
				}
			}
		}
	}
	if covered < zigLayers-3 {
		t.Errorf("bounds cover %d of %d wedge layers", covered, zigLayers-1)
	}
	// Random points only: the share left to the exact test is the area
	// between the bounds over the wedge's box, small for thin layers.
	dr, tr := 0, 0
	for range 100_000 {
		i := 1 + r.Uint64()%(zigLayers-1)
		q := &zigSq[i]
		ax := q.lo + r.Float64()*(q.hi-q.lo)
		if _, sure := q.decide(ax, q.flo+r.Float64()*(q.fhi-q.flo)); sure {
			dr++
		}
		tr++
	}
	t.Logf("bounds decide %.4f of random wedge points (%d layers of %d covered)", float64(dr)/float64(tr), covered, zigLayers-1)
	if float64(dr)/float64(tr) < 0.9 {
		t.Errorf("bounds decide only %.4f of wedge points", float64(dr)/float64(tr))
	}
}
