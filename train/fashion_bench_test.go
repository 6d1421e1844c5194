package train

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchStep times one measured-free SGD step of a Fashion-MNIST network at
// batch 128 on the default backend (random 28×28 images: the cost does not
// depend on the pixels).
func benchStep(b *testing.B, arch Arch, batch int) {
	be, err := NewBackend()
	if err != nil {
		b.Fatal(err)
	}
	net, err := NewNet(be, arch, batch, 28, 28, 1, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer net.Finalize()
	rng := rand.New(rand.NewPCG(1, 2))
	net.Init(rng, 0, 1, 1)
	x, y := randomBatch(rng, batch, 28, 28, 1, 10)
	hp := Hyper{EtaSI: 0.1, LambdaSI: 1e-3, Eta: 0.1, Lambda: 1e-3}
	if _, err := net.Step(x, y, hp, false, nil); err != nil { // warm-up
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := net.Step(x, y, hp, false, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBNMLPStep: go test ./train -run '^$' -bench BNMLPStep
func BenchmarkBNMLPStep(b *testing.B) {
	for _, w := range [][]int{{512, 256}, {256, 128}} {
		for _, batch := range []int{64, 128} {
			b.Run(fmt.Sprintf("%v/batch%d", w, batch), func(b *testing.B) { benchStep(b, BNMLP(10, w...), batch) })
		}
	}
}

// BenchmarkFashionCNNStep: go test ./train -run '^$' -bench FashionCNNStep
func BenchmarkFashionCNNStep(b *testing.B) { benchStep(b, FashionCNN(10), 128) }
