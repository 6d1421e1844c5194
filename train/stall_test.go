package train

import (
	"math"
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
//
// The same net then takes 2 measuring steps (skipped under -short): the
// loss is finite and every scale-invariant layer moves (AU > 0, norm > 0).
// This was TestResNet18Steps on a net of its own; NewNet compiles both the
// step and the measuring graph, so one net saves a second compilation.
func TestResNet18NoStall(t *testing.T) {
	be := testBackend(t)
	n, err := NewNet(be, ResNet18(10, false), 2, 8, 8, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(31, 32))
	n.Init(rng, 0, 1, 1)
	stats := make([]LayerStat, len(n.SI))
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
	case <-time.After(60 * time.Second):
		t.Fatalf("5 ResNet18 steps did not finish in 60 s: the executor stalled")
	}
	defer n.Finalize()
	if testing.Short() {
		return // the measuring steps take another second
	}
	for step := range 2 {
		x, y := randomBatch(rng, 2, 8, 8, 3, 10)
		loss, err := n.Step(x, y, Hyper{0.1, 5e-4, 0.1, 5e-4}, true, stats)
		if err != nil {
			t.Fatal(err)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			t.Fatalf("measuring step %d: loss %g", step, loss)
		}
		for k, st := range stats {
			if !(st.AU > 0) || !(st.Norm > 0) {
				t.Errorf("measuring step %d %s: AU %g norm %g", step, n.Specs[n.SI[k]].Name, st.AU, st.Norm)
			}
		}
	}
}
