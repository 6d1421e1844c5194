package sim

import (
	"math"
	"testing"

	"github.com/smdlab/smd/internal/rng"
)

// sweepIso is sweep with s_i = 1 and its slow path moved out of the hot
// loop: it must give the same bits — x, the next noise z, the three sums
// and the generator's state — for every p (odd ones end on a single
// coordinate) over enough steps that rejected draws land on both draws of
// a pair, at the first and the last pair, and on the odd tail.
func TestSweepIsoIsSweep(t *testing.T) {
	for _, p := range []int{1, 2, 3, 4, 7, 10, 101} {
		a := make([]float64, p)
		ones := make([]float64, p)
		for i := range a {
			a[i], ones[i] = 1+float64(i%3), 1
		}
		x1, z1 := make([]float64, p), make([]float64, p)
		r := rng.New(7, uint64(p))
		r.FillNorm(x1)
		r.FillNorm(z1)
		x2, z2 := append([]float64(nil), x1...), append([]float64(nil), z1...)
		g1, g2 := *r, *r
		const alpha, beta, ei = 0.999, 1e-3, 3e-2
		rejected := 0
		for step := range 20000 / p {
			next := step%7 != 6 // the block's last step only updates
			before := g1.Stream()
			n1, a1, s1 := sweep(x1, a, ones, z1, alpha, beta, ei, &g1, next)
			var n2, a2, s2 float64
			if next {
				n2, a2, s2 = sweepIso(x2, a, z2, alpha, beta, ei, &g2)
			} else { // a block's last step: stepDiagNRQ runs sweep
				n2, a2, s2 = sweep(x2, a, ones, z2, alpha, beta, ei, &g2, next)
			}
			if math.Float64bits(n1) != math.Float64bits(n2) || math.Float64bits(a1) != math.Float64bits(a2) ||
				math.Float64bits(s1) != math.Float64bits(s2) || g1.Stream() != g2.Stream() {
				t.Fatalf("p = %d, step %d: sums (%v %v %v) vs (%v %v %v), or the generator states differ", p, step, n1, a1, s1, n2, a2, s2)
			}
			for i := range x1 {
				if math.Float64bits(x1[i]) != math.Float64bits(x2[i]) || math.Float64bits(z1[i]) != math.Float64bits(z2[i]) {
					t.Fatalf("p = %d, step %d, i = %d: x %v vs %v, z %v vs %v", p, step, i, x1[i], x2[i], z1[i], z2[i])
				}
			}
			if next { // count the draws that took the slow path
				st := before
				for range p {
					var u uint64
					st, u = st.Next()
					if _, ok := rng.ZigFast(u); !ok {
						rejected++
						break
					}
				}
			}
			// keep x on a sphere of radius ~1 so the run stays finite
			sc := 1 / math.Sqrt(n1/float64(p))
			for i := range x1 {
				x1[i] *= sc
				x2[i] *= sc
			}
		}
		if rejected == 0 {
			t.Fatalf("p = %d: no rejected draw was exercised", p)
		}
	}
}
