//go:build goexperiment.simd

// Command simdnorm is a measurement, not part of smd: the ziggurat's fast
// path (smd's 512-entry table) on 8 xoshiro256++ lanes, two Uint64x4
// generators in AVX2 with Go 1.26's simd/archsimd, to see what a SIMD build
// of smd's sampler could reach per normal deviate (issue 15). Rejected
// lanes (≈ 1.1 % of draws) are only counted, not finished, so it is an
// upper bound on a real sampler's speed. The table look-ups are scalar
// (as nrq_sol.c's -DNOGATHER build): 8 loads per 8 draws.
//
//	GOEXPERIMENT=simd go build -o /tmp/simdnorm ./bench/simdnorm
//	/tmp/simdnorm 1024 200000   # ns per normal, like nrq_sol norm 1024 200000
package main

import (
	"fmt"
	"math"
	"os"
	"simd/archsimd"
	"strconv"
	"time"
)

type entry struct {
	t  uint64
	xs float64
}

var zigFast [512]entry
var zigX [257]float64

func initZig() {
	const zigR, zigV = 3.6541528853610088, 0.00492867323399
	f := math.Exp(-0.5 * zigR * zigR)
	zigX[0] = zigV / f
	zigX[1] = zigR
	for i := 2; i < 256; i++ {
		zigX[i] = math.Sqrt(-2 * math.Log(zigV/zigX[i-1]+f))
		f = math.Exp(-0.5 * zigX[i] * zigX[i])
	}
	for j := range zigFast {
		i := j & 0xff
		xs := zigX[i] * 0x1p-52
		if j&0x100 != 0 {
			xs = -xs
		}
		zigFast[j] = entry{uint64(math.Ceil(zigX[i+1] / zigX[i] * 0x1p52)), xs}
	}
}

type lanes struct{ s0, s1, s2, s3 archsimd.Uint64x4 }

func step(s0, s1, s2, s3 archsimd.Uint64x4) (archsimd.Uint64x4, archsimd.Uint64x4, archsimd.Uint64x4, archsimd.Uint64x4, archsimd.Uint64x4) {
	a := s0.Add(s3)
	out := a.ShiftAllLeft(23).Or(a.ShiftAllRight(41)).Add(s0)
	t := s1.ShiftAllLeft(17)
	s2 = s2.Xor(s0)
	s3 = s3.Xor(s1)
	s1 = s1.Xor(s2)
	s0 = s0.Xor(s3)
	s2 = s2.Xor(t)
	s3 = s3.ShiftAllLeft(45).Or(s3.ShiftAllRight(19))
	return s0, s1, s2, s3, out
}

var rejected int

// fill draws len(dst) (a multiple of 8) fast-path candidates from two 4-lane
// generators; rejected lanes are counted (a real sampler would finish them
// on the scalar slow path, ≈ 1.1 % of draws).
func fill(a, b *lanes, dst []float64) {
	mask := archsimd.BroadcastUint64x4(0x1ff)
	expo := archsimd.BroadcastUint64x4(0x4330000000000000)
	two52 := archsimd.BroadcastFloat64x4(0x1p52)
	a0, a1, a2, a3 := a.s0, a.s1, a.s2, a.s3
	b0, b1, b2, b3 := b.s0, b.s1, b.s2, b.s3
	var ia, ib [4]uint64
	var ta, tb [4]uint64
	var xa, xb [4]float64
	for k := 0; k+8 <= len(dst); k += 8 {
		var ua, ub archsimd.Uint64x4
		a0, a1, a2, a3, ua = step(a0, a1, a2, a3)
		b0, b1, b2, b3, ub = step(b0, b1, b2, b3)
		ua.And(mask).Store(&ia)
		ub.And(mask).Store(&ib)
		for l := range 4 {
			e := &zigFast[ia[l]&0x1ff]
			ta[l], xa[l] = e.t, e.xs
			f := &zigFast[ib[l]&0x1ff]
			tb[l], xb[l] = f.t, f.xs
		}
		ma, mb := ua.ShiftAllRight(12), ub.ShiftAllRight(12)
		oka := ma.AsInt64x4().Less(archsimd.LoadUint64x4(&ta).AsInt64x4())
		okb := mb.AsInt64x4().Less(archsimd.LoadUint64x4(&tb).AsInt64x4())
		fa := ma.Or(expo).AsFloat64x4().Sub(two52).Mul(archsimd.LoadFloat64x4(&xa))
		fb := mb.Or(expo).AsFloat64x4().Sub(two52).Mul(archsimd.LoadFloat64x4(&xb))
		fa.StoreSlice(dst[k:])
		fb.StoreSlice(dst[k+4:])
		if oka.ToBits()&okb.ToBits() != 0xf {
			rejected++
		}
	}
	*a = lanes{a0, a1, a2, a3}
	*b = lanes{b0, b1, b2, b3}
}

func seed(x uint64) archsimd.Uint64x4 {
	var v [4]uint64
	for l := range v {
		x += 0x9e3779b97f4a7c15
		z := (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		v[l] = z ^ (z >> 31)
	}
	return archsimd.LoadUint64x4(&v)
}

func main() {
	initZig()
	n, reps := 1024, 200000
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[1])
		reps, _ = strconv.Atoi(os.Args[2])
	}
	a := lanes{seed(1), seed(2), seed(3), seed(4)}
	b := lanes{seed(5), seed(6), seed(7), seed(8)}
	dst := make([]float64, n)
	t0 := time.Now()
	s := 0.0
	for range reps {
		fill(&a, &b, dst)
		s += dst[7]
	}
	dt := time.Since(t0)
	// moments of the last buffer, as a sanity check
	m1, m2 := 0.0, 0.0
	for _, v := range dst {
		m1 += v
		m2 += v * v
	}
	fmt.Printf("%.3f ns/normal (fast path, 8 lanes), %d rejecting groups of 8 per %d, mean %.3f var %.3f (%g)\n",
		float64(dt.Nanoseconds())/float64(n*reps), rejected, n/8*reps, m1/float64(n), m2/float64(n), s)
}
