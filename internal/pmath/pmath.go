// Package pmath holds portable versions of the math functions whose
// results in package math depend on the machine: math.Exp runs assembly
// on amd64 (with a different path when the CPU has FMA) and arm64, and Go
// code on wasm and elsewhere, so a seeded ensemble that calls it differs in
// the last bits between a laptop, a server and the browser (`smd explore`).
// Exp here is the amd64 FMA path written in Go with math.FMA (correctly
// rounded on every platform), so its results equal math.Exp on an amd64
// CPU with FMA, where smd's goldens were made, and are the same everywhere.
// Log is Go's portable log (amd64's assembly gives the same results), and
// Pow is Go's pow on these two. The engines' random number generation and
// schedules use them; results elsewhere (theory, plots) may use math.
//
// Exp's method is Naoki Shibata's ("Efficient evaluation methods of
// elementary functions suitable for SIMD computation", ISC'10), as in Go's
// src/math/exp_amd64.s; Log and Pow are Go's src/math/log.go and pow.go.
// Copyright The Go Authors; BSD-style licence (the Go licence).
package pmath

import "math"

// Exp returns e**x, bit for bit as math.Exp on amd64 with FMA
// (src/math/exp_amd64.s, the avxfma path).
func Exp(x float64) float64 {
	const (
		log2e    = 1.4426950408889634073599246810018920
		ln2U     = 0.69314718055966295651160180568695068359375
		ln2L     = 0.28235290563031577122588448175013436025525412068e-12
		overflow = 7.09782712893384e+02
		posInf   = 0x7FF0000000000000
		negInf   = 0xFFF0000000000000
	)
	bits := math.Float64bits(x)
	if bits&^(1<<63) >= posInf { // not finite
		if bits == negInf {
			return 0
		}
		return x // NaN or +Inf
	}
	if x > overflow {
		return math.Inf(1)
	}
	// CVTSD2SL: round to nearest even; out of range gives 0x80000000.
	t := math.RoundToEven(log2e * x)
	e := int32(math.MinInt32)
	if t >= math.MinInt32 && t <= math.MaxInt32 {
		e = int32(t)
	}
	fe := float64(e)
	x -= ln2U * fe // = FMA(−ln2U, fe, x): ln2U has 32 significant bits and |fe| < 2¹¹, so the product is exact
	x = fma(-ln2L, fe, x)
	x *= 0.0625
	p := 2.4801587301587301587e-5
	for _, c := range [...]float64{1.9841269841269841270e-4, 1.3888888888888888889e-3, 8.3333333333333333333e-3,
		4.1666666666666666667e-2, 1.6666666666666666667e-1, 0.5, 1.0} {
		p = fma(p, x, c)
	}
	x *= p
	for range 3 {
		x *= x + 2
	}
	x = fma(x, x+2, 1)
	// ldexp
	be := int64(e) + 0x3FF
	switch {
	case be <= 0: // denormal
		if be < -52 {
			return 0
		}
		x *= math.Float64frombits(uint64(be+0x3FE) << 52)
		be = 1
	case be >= 0x7FF:
		return math.Inf(1)
	}
	return x * math.Float64frombits(uint64(be)<<52)
}

// fmaEmul returns a·b + c rounded once, for the finite, normal operands
// and results of Exp, without math.FMA's software path (slow where the
// CPU has no FMA instruction, as in WebAssembly; fma_emul.go uses it
// there, fma_hw.go math.FMA where the CPU has one): Boldo and Melquiond's
// emulation ("Emulation of FMA and correctly rounded sums: proved
// algorithms using rounding to odd", IEEE Trans. Computers 57(4), 2008):
// a·b = uh + ul and c + uh = th + tl exactly, v = RO(tl + ul) rounded to
// odd, result RN(th + v). TestFMA checks it against math.FMA.
func fmaEmul(a, b, c float64) float64 {
	// uh + ul = a·b (Dekker's product, Veltkamp's split).
	const split = 1<<27 + 1
	uh := a * b
	ca, cb := split*a, split*b
	ah, bh := ca-(ca-a), cb-(cb-b)
	al, bl := a-ah, b-bh
	ul := ((ah*bh - uh) + ah*bl + al*bh) + al*bl
	// th + tl = c + uh (Knuth's two-sum).
	th := c + uh
	z := th - c
	tl := (c - (th - z)) + (uh - z)
	// v = RO(tl + ul): the sum, or if inexact and even, its neighbour
	// towards the error.
	v := tl + ul
	z = v - tl
	if e := (tl - (v - z)) + (ul - z); e != 0 {
		if bits := math.Float64bits(v); bits&1 == 0 {
			if (e > 0) == (v > 0) {
				bits++
			} else {
				bits--
			}
			v = math.Float64frombits(bits)
		}
	}
	return th + v
}

// Log returns the natural logarithm of x (Go's portable src/math/log.go).
func Log(x float64) float64 {
	const (
		Ln2Hi = 6.93147180369123816490e-01 /* 3fe62e42 fee00000 */
		Ln2Lo = 1.90821492927058770002e-10 /* 3dea39ef 35793c76 */
		L1    = 6.666666666666735130e-01   /* 3FE55555 55555593 */
		L2    = 3.999999999940941908e-01   /* 3FD99999 9997FA04 */
		L3    = 2.857142874366239149e-01   /* 3FD24924 94229359 */
		L4    = 2.222219843214978396e-01   /* 3FCC71C5 1D8E78AF */
		L5    = 1.818357216161805012e-01   /* 3FC74664 96CB03DE */
		L6    = 1.531383769920937332e-01   /* 3FC39A09 D078C69F */
		L7    = 1.479819860511658591e-01   /* 3FC2F112 DF3E5244 */
	)

	// special cases
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	}

	// reduce
	f1, ki := math.Frexp(x)
	if f1 < math.Sqrt2/2 {
		f1 *= 2
		ki--
	}
	f := f1 - 1
	k := float64(ki)

	// compute
	s := f / (2 + f)
	s2 := s * s
	s4 := s2 * s2
	t1 := s2 * (L1 + s4*(L3+s4*(L5+s4*L7)))
	t2 := s4 * (L2 + s4*(L4+s4*L6))
	R := t1 + t2
	hfsq := 0.5 * f * f
	return k*Ln2Hi - ((hfsq - (s*(hfsq+R) + k*Ln2Lo)) - f)
}

// Pow returns x**y (Go's src/math/pow.go with this package's Exp and Log).
func Pow(x, y float64) float64 {
	switch {
	case y == 0 || x == 1:
		return 1
	case y == 1:
		return x
	case math.IsNaN(x) || math.IsNaN(y):
		return math.NaN()
	case x == 0:
		switch {
		case y < 0:
			if math.Signbit(x) && isOddInt(y) {
				return math.Inf(-1)
			}
			return math.Inf(1)
		case y > 0:
			if math.Signbit(x) && isOddInt(y) {
				return x
			}
			return 0
		}
	case math.IsInf(y, 0):
		switch {
		case x == -1:
			return 1
		case (math.Abs(x) < 1) == math.IsInf(y, 1):
			return 0
		default:
			return math.Inf(1)
		}
	case math.IsInf(x, 0):
		if math.IsInf(x, -1) {
			return Pow(1/x, -y) // Pow(-0, -y)
		}
		switch {
		case y < 0:
			return 0
		case y > 0:
			return math.Inf(1)
		}
	case y == 0.5:
		return math.Sqrt(x)
	case y == -0.5:
		return 1 / math.Sqrt(x)
	}

	yi, yf := math.Modf(math.Abs(y))
	if yf != 0 && x < 0 {
		return math.NaN()
	}
	if yi >= 1<<63 {
		// yi is a large even int that will lead to overflow (or underflow to 0)
		// for all x except -1 (x == 1 was handled earlier)
		switch {
		case x == -1:
			return 1
		case (math.Abs(x) < 1) == (y > 0):
			return 0
		default:
			return math.Inf(1)
		}
	}

	// ans = a1 * 2**ae (= 1 for now).
	a1 := 1.0
	ae := 0

	// ans *= x**yf
	if yf != 0 {
		if yf > 0.5 {
			yf--
			yi++
		}
		a1 = Exp(yf * Log(x))
	}

	// ans *= x**yi
	// by multiplying in successive squarings
	// of x according to bits of yi.
	// accumulate powers of two into exp.
	x1, xe := math.Frexp(x)
	for i := int64(yi); i != 0; i >>= 1 {
		if xe < -1<<12 || 1<<12 < xe {
			// catch xe before it overflows the left shift below
			// Since i !=0 it has at least one bit still set, so ae will accumulate xe
			// on at least one more iteration, ae += xe is a lower bound on ae
			// the lower bound on ae exceeds the size of a float64 exp
			// so the final call to Ldexp will produce under/overflow (0/Inf)
			ae += xe
			break
		}
		if i&1 == 1 {
			a1 *= x1
			ae += xe
		}
		x1 *= x1
		xe <<= 1
		if x1 < .5 {
			x1 += x1
			xe--
		}
	}

	// ans = a1*2**ae
	// if y < 0 { ans = 1 / ans }
	// but in the opposite order
	if y < 0 {
		a1 = 1 / a1
		ae = -ae
	}
	return math.Ldexp(a1, ae)
}

func isOddInt(x float64) bool {
	if math.Abs(x) >= (1 << 53) {
		// 1 << 53 is the largest exact integer in the float64 format.
		// Any number outside this range will be truncated before the decimal point and therefore will always be
		// an even integer.
		// Without this check and if x overflows int64 the int64(xi) conversion below may produce incorrect results
		// on some architectures (and does so on arm64). See issue #57465.
		return false
	}

	xi, xf := math.Modf(x)
	return xf == 0 && int64(xi)&1 == 1
}
