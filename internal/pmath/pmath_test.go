package pmath

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"golang.org/x/sys/cpu"
)

// inputs covers the engines' ranges (ziggurat tables and wedges: Exp of
// −x²/2 for |x| ≲ 4; rescale: Pow(k, −1/4)) and the edges.
func inputs() []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, 709.78, 709.79, -708, -745.1, -746, -1e10, 1e-300, 5e-324,
		math.Inf(1), math.Inf(-1), math.NaN(), math.MaxFloat64, -math.MaxFloat64}
	for range 250_000 {
		xs = append(xs, (r.Float64()-0.5)*20, -0.5*math.Pow(4*r.Float64(), 2), (r.Float64()-0.5)*1500,
			r.Float64()*math.Pow(10, float64(r.IntN(40)-20)))
	}
	return xs
}

func same(a, b float64) bool {
	return a == b && math.Signbit(a) == math.Signbit(b) || math.IsNaN(a) && math.IsNaN(b)
}

// Exp equals math.Exp bit for bit where math.Exp runs the amd64 FMA path;
// Log equals math.Log everywhere (Go's own portable code on wasm/arm64, and
// amd64's assembly agrees), and Pow equals math.Pow where Exp does.
func TestAgreesWithMath(t *testing.T) {
	fmaExp := runtime.GOARCH == "amd64" && cpu.X86.HasAVX && cpu.X86.HasFMA
	var nExp, nLog, nPow, n int
	for _, x := range inputs() {
		n++
		if !same(Exp(x), math.Exp(x)) {
			nExp++
			if fmaExp && nExp < 5 {
				t.Errorf("Exp(%v) = %v, math.Exp = %v", x, Exp(x), math.Exp(x))
			}
		}
		if x > 0 && x < 0x1p-1022 {
			continue // subnormal: amd64's math.Log is wrong there (Log(5e-324) = −709.09); TestGolden checks Log
		}
		if !same(Log(x), math.Log(x)) {
			if nLog++; nLog < 5 {
				t.Errorf("Log(%v) = %v, math.Log = %v", x, Log(x), math.Log(x))
			}
		}
		if y := math.Abs(x); !same(Pow(y, -0.25), math.Pow(y, -0.25)) {
			nPow++
			if fmaExp && nPow < 5 {
				t.Errorf("Pow(%v, -0.25) = %v, math.Pow = %v", y, Pow(y, -0.25), math.Pow(y, -0.25))
			}
		}
	}
	t.Logf("%d inputs; differ from package math: Exp %d, Log %d, Pow %d (amd64 FMA path in math.Exp: %v)", n, nExp, nLog, nPow, fmaExp)
}

// Golden values, the same on every platform: Exp's, equal to math.Exp's
// on amd64 with FMA (TestAgreesWithMath), and one Pow (the rescale factor
// 10^{−1/4} of the default example).
func TestGolden(t *testing.T) {
	for _, c := range [][2]uint64{
		{0xc01ab4a6914b4698, 0x3f54a605b6b9f70f}, // −R²/2, R the ziggurat's tail start
		{0x3ff0000000000000, 0x4005bf0a8b145769},
		{0xc085e00000000000, 0xd14f2b0fb9307f},
		{0x3fd3333333333333, 0x3ff599058c8c1a96},
		{0xbe45798ee2308c3a, 0x3feffffffaa19c48},
		{0x40562ccccccccccd, 0x47ef4705bbffae5c},
		{0xbfc0000000000000, 0x3fec3d6a24ed8222},
		{0x40026bb1bbb55516, 0x4024000000000001},
	} {
		x := math.Float64frombits(c[0])
		if got := math.Float64bits(Exp(x)); got != c[1] {
			t.Errorf("Exp(%v) = %#x, want %#x", x, got, c[1])
		}
	}
	if got := math.Float64bits(Pow(10, -0.25)); got != 0x3fe1feb33c1c381e {
		t.Errorf("Pow(10, -0.25) = %#x, want 0x3fe1feb33c1c381e", got)
	}
	if got := Log(5e-324); math.Abs(got-(-744.4400719213812)) > 1e-12 {
		t.Errorf("Log(5e-324) = %v, want −744.44007192138", got)
	}
}

var sink float64

func BenchmarkExp(b *testing.B) {
	x := -0.3
	for b.Loop() {
		sink += Exp(x)
	}
}

func BenchmarkMathExp(b *testing.B) {
	x := -0.3
	for b.Loop() {
		sink += math.Exp(x)
	}
}

// fmaEmul equals math.FMA on the operands Exp gives it and on random normal
// operands of mixed scales.
func TestFMA(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	bad := 0
	check := func(a, b, c float64) {
		if got, want := fmaEmul(a, b, c), math.FMA(a, b, c); !same(got, want) {
			if bad++; bad < 5 {
				t.Errorf("fmaEmul(%v, %v, %v) = %v, math.FMA = %v", a, b, c, got, want)
			}
		}
	}
	for range 1_000_000 {
		x := (r.Float64() - 0.5) * 0.0434 // Exp's reduced argument
		check(r.Float64()*0.2, x, r.Float64())
		check(-0.28235290563031577122588448175013436025525412068e-12, float64(r.IntN(2150)-1075), (r.Float64()-0.5)*1.4)
		check(x, x+2, 1)
		e := func() float64 { return math.Ldexp(r.Float64()+0.5, r.IntN(200)-100) * float64(1-2*r.IntN(2)) }
		check(e(), e(), e())
		a, b := e(), e()
		check(a, b, -a*b) // cancellation
	}
}
