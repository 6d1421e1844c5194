package measure

import (
	"encoding/binary"
	"math"

	"github.com/smdlab/smd/internal/safetensors"
)

// sums are the three inner products of one tensor (or one channel) over a
// pair of checkpoints a = w_n, b = w_{n+1}, d = b − a, accumulated in
// float64: everything the pair's measurements need.
type sums struct {
	aa, ad, dd float64
}

func (s *sums) add(o sums) { s.aa += o.aa; s.ad += o.ad; s.dd += o.dd }

// chunkElems is the number of elements read from each file at a time: with
// float32 data 2 × 128 KiB of raw bytes, small enough for L2 and large
// enough to amortize a read. Partial sums are added per chunk (blocked
// summation: rounding error O((chunk + n/chunk)·ε) instead of O(n·ε)).
const chunkElems = 1 << 15

// sumsF32 accumulates the sums of little-endian float32 a and b, fused
// with the decoding. Four independent accumulators per sum keep the
// floating-point adds pipelined.
func sumsF32(ra, rb []byte) sums {
	n := len(ra) / 4
	rb = rb[:4*n]
	var aa, ad, dd [4]float64
	i := 0
	for ; i+4 <= n; i += 4 {
		for k := range 4 {
			a := float64(math.Float32frombits(binary.LittleEndian.Uint32(ra[4*(i+k):])))
			b := float64(math.Float32frombits(binary.LittleEndian.Uint32(rb[4*(i+k):])))
			d := b - a
			aa[k] += a * a
			ad[k] += a * d
			dd[k] += d * d
		}
	}
	for ; i < n; i++ {
		a := float64(math.Float32frombits(binary.LittleEndian.Uint32(ra[4*i:])))
		b := float64(math.Float32frombits(binary.LittleEndian.Uint32(rb[4*i:])))
		d := b - a
		aa[0] += a * a
		ad[0] += a * d
		dd[0] += d * d
	}
	return sums{aa[0] + aa[1] + aa[2] + aa[3], ad[0] + ad[1] + ad[2] + ad[3], dd[0] + dd[1] + dd[2] + dd[3]}
}

// sumsF64 is sumsF32 for decoded values.
func sumsF64(a, b []float64) sums {
	b = b[:len(a)]
	var s sums
	for i, x := range a {
		d := b[i] - x
		s.aa += x * x
		s.ad += x * d
		s.dd += d * d
	}
	return s
}

// perpF64 returns Σ (d − k·a)², the squared norm of d's part perpendicular
// to a when k = ⟨a, d⟩/‖a‖² (the cancellation-free second pass).
func perpF64(a, b []float64, k float64) float64 {
	b = b[:len(a)]
	s := 0.0
	for i, x := range a {
		p := (b[i] - x) - k*x
		s += p * p
	}
	return s
}

// angle returns ∠(a, b) = atan2(‖d⊥‖, ‖a‖ + ⟨d, â⟩) and ‖a‖ from the sums
// and ‖d⊥‖² (perp2): the form of train's angularUpdate, without the
// cancellation of acos(⟨a,b⟩/(‖a‖‖b‖)) at small angles.
func angle(s sums, perp2 float64) (au, norm float64) {
	norm = math.Sqrt(s.aa)
	if norm == 0 {
		return math.NaN(), 0
	}
	return math.Atan2(math.Sqrt(math.Max(perp2, 0)), norm+s.ad/norm), norm
}

// onePassPerp2 returns ‖d⊥‖² = ‖d‖² − ⟨a,d⟩²/‖a‖² from the sums, and
// whether it is accurate: when ‖d⊥‖² < 10⁻⁴‖d‖² (d nearly parallel to a)
// the subtraction loses more than 4 of float64's 16 digits to rounding of
// the sums, and the caller computes it in a second pass instead.
func onePassPerp2(s sums) (float64, bool) {
	if s.aa == 0 {
		return 0, true
	}
	p := s.dd - s.ad*s.ad/s.aa
	return p, p >= 1e-4*s.dd
}

// unitRoundoff is u = 2^−(significand bits) of a stored dtype: the largest
// relative error of rounding a real number to it.
func unitRoundoff(dt safetensors.DType) float64 {
	switch dt {
	case safetensors.F64:
		return 0x1p-53
	case safetensors.F32:
		return 0x1p-24
	case safetensors.F16:
		return 0x1p-11
	}
	return 0x1p-8 // BF16
}
