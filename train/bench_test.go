package train

import (
	"math/rand/v2"
	"os"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// convMACs is the number of multiply-adds of the forward convolutions of
// arch on a batch of images [batch, side, side, 3], counted from the shapes
// the network builds (B·Ho·Wo·kh·kw·Cin·Cout per convolution; the dense
// classifier and the elementwise ops are left out).
func convMACs(tb testing.TB, arch Arch, batch, side int) float64 {
	tb.Helper()
	be := testBackend(tb)
	g := graph.NewGraph(be, "count")
	defer g.Finalize()
	b := newBuilder(g, true)
	macs := 0.0
	b.conv = func(x, kernel *graph.Node, stride, pad int) *graph.Node {
		y := Conv2D(x, kernel, stride, pad)
		d, k := y.Shape().Dimensions, kernel.Shape().Dimensions
		macs += float64(d[0]*d[1]*d[2]) * float64(k[0]*k[1]*k[2]*k[3])
		return y
	}
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, batch, side, side, 3))
	if err := catch(func() { arch(b, x) }); err != nil {
		tb.Fatal(err)
	}
	return macs
}

// BenchmarkStep times one SGD step (forward, backward, weight decay and
// update; the unmeasured variant that runs between measurements) of each
// network on random data, at the batch sizes of the presets and of the
// issue's targets, with the convolutions as im2col + Dot (Conv2D) and, for
// the ratio, as GoMLX's Convolve op. It reports GFLOP/s counted as 3 × 2 ×
// the forward convolutions' multiply-adds (the backward pass computes the
// input and the kernel gradients, each as many multiply-adds as the
// forward).
//
// The batch-256 ResNet steps are the presets' but need minutes and several
// GiB per step on the pure-Go backend; they run only with SMD_BENCH_FULL=1.
//
//	go test ./train -run '^$' -bench Step -benchtime 5x
//	GOEXPERIMENT=simd go test ./train -run '^$' -bench Step -benchtime 5x
func BenchmarkStep(b *testing.B) {
	full := os.Getenv("SMD_BENCH_FULL") == "1"
	for _, c := range []struct {
		name        string
		arch        Arch
		batch, side int
		ref, large  bool
	}{
		{"small-cnn/b32", SmallCNN(10), 32, 32, false, false},
		{"small-cnn/b32-convolve", SmallCNN(10), 32, 32, true, false},
		{"resnet18/b4", ResNet18(10, false), 4, 32, false, false},
		{"resnet18/b4-convolve", ResNet18(10, false), 4, 32, true, false},
		{"resnet18/b32", ResNet18(10, false), 32, 32, false, false},
		{"resnet18/b256", ResNet18(10, false), 256, 32, false, true},
		{"resnet50-224/b8", ResNet50(1000, false), 8, 224, false, false},
		{"resnet50-224/b256", ResNet50(1000, false), 256, 224, false, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			if c.large && !full {
				b.Skip("a preset-size ResNet step takes minutes here; set SMD_BENCH_FULL=1")
			}
			var conv convFunc
			if c.ref {
				conv = convolveRef
			}
			n, err := newNet(testBackend(b), c.arch, c.batch, c.side, c.side, 3, 0, conv)
			if err != nil {
				b.Fatal(err)
			}
			defer n.Finalize()
			rng := rand.New(rand.NewPCG(1, 2))
			n.Init(rng, 0, 1, 1)
			x, y := randomBatch(rng, c.batch, c.side, c.side, 3, 10)
			hp := Hyper{EtaSI: 0.1, LambdaSI: 1e-4, Eta: 0.1, Lambda: 1e-4}
			if _, err := n.Step(x, y, hp, false, nil); err != nil { // warm-up: allocations, buffer pools
				b.Fatal(err)
			}
			flop := 6 * convMACs(b, c.arch, c.batch, c.side)
			b.ResetTimer()
			for b.Loop() {
				if _, err := n.Step(x, y, hp, false, nil); err != nil {
					b.Fatal(err)
				}
			}
			perStep := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(perStep*1e3, "ms/step")
			b.ReportMetric(flop/perStep/1e9, "GFLOP/s")
		})
	}
}
