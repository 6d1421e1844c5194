package train

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestResNet18NoStall trains ResNet18 for a few steps on the default
// backend (DefaultBackend, unless $GOMLX_BACKEND says otherwise) and fails,
// rather than hangs, if the steps do not finish within a deadline far above
// their normal duration (about 2 s here on a loaded machine): the guard
// against the parallel executor's deadlock (see DefaultBackend), which
// GOMLX_BACKEND=go:parallelism=2 go test ./train -run NoStall reproduces.
// Cheap enough for CI: 5 steps on 2 images of 8×8.
func TestResNet18NoStall(t *testing.T) {
	be := testBackend(t)
	n, err := NewNet(be, ResNet18(10, false), 2, 8, 8, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(31, 32))
	n.Init(rng, 0, 1, 1)
	done := make(chan error, 1)
	go func() {
		for range 5 {
			x, y := randomBatch(rng, 2, 8, 8, 3, 10)
			if _, err := n.Step(x, y, Hyper{0.1, 5e-4, 0.1, 5e-4}, false, nil); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	start := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("5 steps in %v", time.Since(start))
		n.Finalize()
	case <-time.After(60 * time.Second):
		t.Fatalf("5 ResNet18 steps did not finish in 60 s: the executor stalled")
	}
}
