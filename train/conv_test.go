package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
)

// convolveRef is the convolution by GoMLX's Convolve op, the reference that
// Conv2D replaces (it is a scalar loop on the pure-Go backend).
func convolveRef(x, kernel *graph.Node, stride, pad int) *graph.Node {
	return graph.Convolve(x, kernel).Strides(stride).PaddingPerDim([][2]int{{pad, pad}, {pad, pad}}).Done()
}

// convAndGrads returns conv(x, w), ∂L/∂x and ∂L/∂w for L = Σ conv(x, w)⊙r:
// the output and both gradients of a convolution whose upstream gradient
// is r.
func convAndGrads(conv convFunc, stride, pad int) func(x, w, r *graph.Node) []*graph.Node {
	return func(x, w, r *graph.Node) []*graph.Node {
		y := conv(x, w, stride, pad)
		grads := graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), x, w)
		return []*graph.Node{y, grads[0], grads[1]}
	}
}

// TestConv2DMatchesConvolve checks Conv2D's output and both gradients
// against GoMLX's Convolve, element by element, for the kernel sizes and
// strides of the three networks (3×3, 1×1 and 7×7; strides 1 and 2), odd
// and even sides.
//
// Tolerance, derived: each element of the output and of the two gradients
// is a sum of n products — n = kh·kw·Cin for the output, at most
// kh·kw·Cout for ∂L/∂x, B·Ho·Wo for ∂L/∂w. Computed in float32 in any order,
// such a sum differs from the exact one by at most γ_n·A, where
// γ_n = n·u/(1 − n·u), u = 2⁻²⁴, and A is the sum of the products' absolute
// values (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed.,
// eq. 3.5; the exact zero padding and the copies of the slices add nothing).
// Two such computations differ by at most 2γ_n·A. A is computed by the
// same graph on |x|, |w|, |r| (every product then positive), in float32, so
// it is itself low by at most the factor 1 − γ_n: the bound used is
// 2γ_n·fl(A)/(1 − γ_n). A wrong window, stride, padding or kernel layout
// changes elements by the size of the products themselves, far above it.
func TestConv2DMatchesConvolve(t *testing.T) {
	be := testBackend(t)
	rng := rand.New(rand.NewPCG(21, 22))
	const u = 0x1p-24
	for _, c := range []struct{ b, h, w, cin, cout, k, stride int }{
		{2, 9, 9, 5, 7, 3, 1},
		{2, 9, 8, 5, 7, 3, 2},
		{2, 8, 8, 16, 16, 3, 2},
		{2, 8, 8, 4, 6, 1, 1},
		{2, 9, 9, 4, 6, 1, 2},
		{1, 12, 11, 3, 8, 7, 2},
	} {
		pad := c.k / 2
		ho, wo := (c.h+2*pad-c.k)/c.stride+1, (c.w+2*pad-c.k)/c.stride+1
		normal := func(n int) ([]float32, []float32) {
			v, a := make([]float32, n), make([]float32, n)
			for i := range v {
				v[i] = float32(rng.NormFloat64())
				a[i] = float32(math.Abs(float64(v[i])))
			}
			return v, a
		}
		x, ax := normal(c.b * c.h * c.w * c.cin)
		w, aw := normal(c.k * c.k * c.cin * c.cout)
		r, ar := normal(c.b * ho * wo * c.cout)
		xd, wd, rd := []int{c.b, c.h, c.w, c.cin}, []int{c.k, c.k, c.cin, c.cout}, []int{c.b, ho, wo, c.cout}
		run := func(conv convFunc, x, w, r []float32) (out [3][]float32) {
			err := catch(func() {
				res := graph.MustExecOnceN(be, convAndGrads(conv, c.stride, pad), tensorOf(x, xd...), tensorOf(w, wd...), tensorOf(r, rd...))
				for i := range out {
					out[i] = flat32(res[i])
					res[i].FinalizeAll()
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		got := run(Conv2D, x, w, r)
		want := run(convolveRef, x, w, r)
		abs := run(convolveRef, ax, aw, ar)
		for i, q := range []struct {
			name string
			n    int
			size int
		}{
			{"output", c.k * c.k * c.cin, c.b * ho * wo * c.cout},
			{"∂L/∂x", c.k * c.k * c.cout, c.b * c.h * c.w * c.cin},
			{"∂L/∂w", c.b * ho * wo, c.k * c.k * c.cin * c.cout},
		} {
			if len(got[i]) != q.size || len(want[i]) != q.size {
				t.Fatalf("%+v %s: %d and %d elements, want %d", c, q.name, len(got[i]), len(want[i]), q.size)
			}
			gamma := float64(q.n) * u / (1 - float64(q.n)*u)
			worst := 0.0
			for j := range got[i] {
				bound := 2 * gamma * float64(abs[i][j]) / (1 - gamma)
				d := math.Abs(float64(got[i][j]) - float64(want[i][j]))
				if d > bound {
					t.Fatalf("%+v %s element %d: Conv2D %.9g, Convolve %.9g (|Δ| %.3g > %.3g)", c, q.name, j, got[i][j], want[i][j], d, bound)
				}
				if bound > 0 {
					worst = math.Max(worst, d/bound)
				}
			}
			t.Logf("k=%d stride %d %s: largest |Δ| is %.2g of the bound", c.k, c.stride, q.name, worst)
		}
	}
}
