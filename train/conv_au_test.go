package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// auRun trains the small CNN for `steps` measured SGD steps from a fixed
// seed with the given convolution and returns the logged AU of every
// scale-invariant layer per step and the losses. perm, if set, reorders
// the images of every batch.
func auRun(t *testing.T, conv convFunc, steps int, perm []int) (aus [][]float64, losses []float64) {
	t.Helper()
	const batch, side = 8, 16
	n, err := newNet(testBackend(t), SmallCNN(10), batch, side, side, 3, 0.9, conv)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Finalize()
	n.Init(rand.New(rand.NewPCG(41, 42)), 0, 1, 1)
	data := rand.New(rand.NewPCG(43, 44))
	stats := make([]LayerStat, len(n.SI))
	per := side * side * 3
	for range steps {
		x, y := randomBatch(data, batch, side, side, 3, 10)
		if perm != nil {
			px, py := make([]float32, len(x)), make([]int32, len(y))
			for i, j := range perm {
				copy(px[i*per:(i+1)*per], x[j*per:(j+1)*per])
				py[i] = y[j]
			}
			x, y = px, py
		}
		loss, err := n.Step(x, y, Hyper{EtaSI: 0.5, LambdaSI: 1e-2, Eta: 0.5, Lambda: 1e-2}, true, stats)
		if err != nil {
			t.Fatal(err)
		}
		au := make([]float64, len(stats))
		for k, s := range stats {
			au[k] = s.AU
		}
		aus, losses = append(aus, au), append(losses, loss)
	}
	return aus, losses
}

// TestConv2DKeepsAU checks that replacing GoMLX's Convolve by Conv2D
// changes no logged AU (nor loss) beyond float32 rounding: same seed, six
// SGD steps with momentum on the small CNN, every layer's AU compared step
// by step.
//
// Tolerance: 64·u relative, u = 2⁻²⁴. The two paths compute the same sums
// in different orders (TestConv2DMatchesConvolve bounds each convolution's
// difference); the AU is then computed in float64 from the float32 w and
// update d, so the difference it sees is that of d, a few roundings u per
// element per step, compounded over six steps of a smooth map. As a check
// that 64·u sits at the rounding level and not below it, a control run of
// the Convolve path with every batch in reverse order — an exact symmetry
// of the step (batch-norm statistics and the mean loss do not depend on
// the order), so its differences are rounding alone — must pass the same
// bound. A wrong window, stride or padding changes the AU at order 1, 10⁵
// times the bound.
func TestConv2DKeepsAU(t *testing.T) {
	const steps = 6
	tol := 64 * 0x1p-24
	ref, refLoss := auRun(t, convolveRef, steps, nil)
	got, gotLoss := auRun(t, nil, steps, nil)
	ctl, ctlLoss := auRun(t, convolveRef, steps, []int{7, 6, 5, 4, 3, 2, 1, 0})
	for s := range steps {
		for _, c := range []struct {
			name string
			au   []float64
			loss float64
		}{{"Conv2D", got[s], gotLoss[s]}, {"Convolve on the reversed batch (control)", ctl[s], ctlLoss[s]}} {
			worst := 0.0
			for k := range ref[s] {
				d := math.Abs(c.au[k]/ref[s][k] - 1)
				worst = math.Max(worst, d)
				if d > tol {
					t.Errorf("step %d layer %d: %s AU %.10g, Convolve %.10g (relative %.2g > %.2g)", s, k, c.name, c.au[k], ref[s][k], d, tol)
				}
			}
			if d := math.Abs(c.loss/refLoss[s] - 1); d > tol {
				t.Errorf("step %d: %s loss %.10g, Convolve %.10g (relative %.2g > %.2g)", s, c.name, c.loss, refLoss[s], d, tol)
			}
			t.Logf("step %d: %s: largest relative AU difference %.2g (%.1f u)", s, c.name, worst, worst/0x1p-24)
		}
	}
}
