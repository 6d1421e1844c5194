package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomBatch is a batch of n standard-normal images with random labels.
func randomBatch(rng *rand.Rand, n, h, w, c, classes int) ([]float32, []int32) {
	x := make([]float32, n*h*w*c)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(rng.IntN(classes))
	}
	return x, y
}

func norm(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

// angle is ∠(a, b) by Kahan's formula 2·atan2(‖â − b̂‖, ‖â + b̂‖), a
// computation independent of the one in the step graph.
func angle(a, b []float64) float64 {
	na, nb := norm(a), norm(b)
	d, s := make([]float64, len(a)), make([]float64, len(a))
	for i := range a {
		d[i] = a[i]/na - b[i]/nb
		s[i] = a[i]/na + b[i]/nb
	}
	return 2 * math.Atan2(norm(d), norm(s))
}

// TestLoggedAUMatchesWeights checks the measured angular update and norm of
// every scale-invariant weight against the weights saved before and after
// the step, with plain SGD and with momentum.
//
// Tolerance: the graph measures the angle between w and w + d from the
// float32 update d in float64; the saved w_{t+1} = fl(w + d) differs from
// w + d by at most 2⁻²⁴‖w + d‖ (one float32 rounding per element), which
// moves the direction, hence the angle, by at most 2⁻²⁴ rad. Float64
// arithmetic adds ~10⁻¹⁵; we allow 2⁻²³.
func TestLoggedAUMatchesWeights(t *testing.T) {
	be := testBackend(t)
	for _, mu := range []float64{0, 0.9} {
		n, err := NewNet(be, SmallCNN(10), 8, 16, 16, 3, mu)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(3, 4))
		n.Init(rng, 0, 1, 1)
		hp := Hyper{EtaSI: 0.5, LambdaSI: 1e-2, Eta: 0.5, Lambda: 1e-2}
		stats := make([]LayerStat, len(n.SI))
		for step := range 3 { // momentum buffers are non-zero from step 1 on
			x, y := randomBatch(rng, 8, 16, 16, 3, 10)
			checkLoggedStep(t, n, x, y, hp, stats, mu == 0, fmt.Sprintf("μ=%g step %d", mu, step))
		}
		n.Finalize()
	}
}

// checkLoggedStep takes one step of n on (x, y) and checks, for every
// scale-invariant tensor, the AU and norm the step graph logs into stats
// against the weights read back before and after: the angle between them
// to 2⁻²³ rad (derived above), the norm to 10⁻¹² relative, and the angle
// must exceed 10⁻⁴ (else the check is void). With decayOnly (no momentum)
// it also checks scale invariance: ⟨∇L, w⟩ = 0, so ⟨w_{t+1} − w_t, w_t⟩ =
// −ηλ‖w_t‖². Float32 rounding of w_{t+1} and of the gradient, and BN's
// ε = 10⁻⁵ against pre-BN variances of order 1, each shift the ratio by
// ~10⁻⁵ relative; 10⁻³ catches any real gradient component along w.
func checkLoggedStep(t *testing.T, n *Net, x []float32, y []int32, hp Hyper, stats []LayerStat, decayOnly bool, what string) {
	t.Helper()
	tol := math.Ldexp(1, -23)
	before := make([][]float64, len(n.SI))
	for k, i := range n.SI {
		before[k] = n.Weights(i)
	}
	if _, err := n.Step(x, y, hp, true, stats); err != nil {
		t.Fatal(err)
	}
	for k, i := range n.SI {
		after := n.Weights(i)
		if decayOnly {
			dot := 0.0
			for j := range after {
				dot += (after[j] - before[k][j]) * before[k][j]
			}
			ratio := dot / (norm(before[k]) * norm(before[k]))
			if want := -hp.EtaSI * hp.LambdaSI; math.Abs(ratio/want-1) > 1e-3 {
				t.Errorf("%s %s: ⟨Δw, w⟩/‖w‖² = %.8g, want −ηλ = %g", what, n.Specs[i].Name, ratio, want)
			}
		}
		want := angle(before[k], after)
		if want < 1e-4 {
			t.Fatalf("%s %s: the step hardly moved the weight (angle %g); the check would be void", what, n.Specs[i].Name, want)
		}
		if got := stats[k].AU; math.Abs(got-want) > tol {
			t.Errorf("%s %s: logged AU %.12g, from weights %.12g (|Δ| %.2g > %.2g)", what, n.Specs[i].Name, got, want, math.Abs(got-want), tol)
		}
		if got, want := stats[k].Norm, norm(before[k]); math.Abs(got-want) > 1e-12*want {
			t.Errorf("%s %s: logged norm %.15g, from weights %.15g", what, n.Specs[i].Name, got, want)
		}
	}
}

// TestRescale checks that Rescale(k^{-1/4}) divides the norm of every
// scale-invariant weight by k^{1/4} and leaves every other tensor
// untouched. Each float32 element is rounded once (relative error ≤ 2⁻²⁴),
// so the norm ratio is exact to 2⁻²⁴ relative; we allow 2⁻²³.
func TestRescale(t *testing.T) {
	const k = 5.0
	n, err := NewNet(testBackend(t), SmallCNN(10), 4, 8, 8, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Finalize()
	n.Init(rand.New(rand.NewPCG(5, 6)), 0, 1, 1)
	// Move the BN statistics and γ, β away from their initial values.
	x, y := randomBatch(rand.New(rand.NewPCG(7, 8)), 4, 8, 8, 3, 10)
	if _, err := n.Step(x, y, Hyper{0.1, 1e-3, 0.1, 1e-3}, false, nil); err != nil {
		t.Fatal(err)
	}
	before := make([][]float64, len(n.Specs))
	for i := range n.Specs {
		before[i] = n.Weights(i)
	}
	n.Rescale(math.Pow(k, -0.25))
	si := map[int]bool{}
	for _, i := range n.SI {
		si[i] = true
	}
	if len(si) != 3 {
		t.Fatalf("SmallCNN has %d scale-invariant weights, want its 3 convolutions", len(si))
	}
	for i, p := range n.Specs {
		after := n.Weights(i)
		if si[i] {
			ratio := norm(before[i]) / norm(after)
			if want := math.Pow(k, 0.25); math.Abs(ratio/want-1) > math.Ldexp(1, -23) {
				t.Errorf("%s: norm ratio %.12g, want k^{1/4} = %.12g", p.Name, ratio, want)
			}
			continue
		}
		for j := range after {
			if after[j] != before[i][j] {
				t.Errorf("%s (not scale-invariant) changed at %d: %g → %g", p.Name, j, before[i][j], after[j])
				break
			}
		}
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule{Eta0: 0.5, Factor: 5, Milestones: []int{2, 4}, StepsPerEpoch: 3}
	for step := range 18 {
		want := 0.5
		switch {
		case step >= 12:
			want = 0.5 / 25
		case step >= 6:
			want = 0.5 / 5
		}
		if got := s.Eta(step); math.Abs(got-want) > 1e-15 {
			t.Errorf("Eta(%d) = %g, want %g", step, got, want)
		}
		if got, want := s.Decays(step), step == 6 || step == 12; got != want {
			t.Errorf("Decays(%d) = %v, want %v", step, got, want)
		}
	}
}

// TestArchitectures checks the trainable parameter counts against the
// reference implementations: ResNet18 for CIFAR-10 has 11,173,962
// parameters (kuangliu/pytorch-cifar's ResNet18), ResNet50 for ImageNet
// 25,557,032 (torchvision.models.resnet50); and the number of
// scale-invariant convolutions: 20 and 53.
func TestArchitectures(t *testing.T) {
	be := testBackend(t)
	for _, c := range []struct {
		arch        Arch
		side        int
		params, nSI int
	}{
		{ResNet18(10, false), 32, 11173962, 20},
		{ResNet50(1000, true), 224, 25557032, 53},
	} {
		g := graph.NewGraph(be, "count")
		b := newBuilder(g, false)
		x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 1, c.side, c.side, 3))
		var logits *graph.Node
		if err := catch(func() { logits = c.arch(b, x) }); err != nil {
			t.Fatal(err)
		}
		params, nSI := 0, 0
		for _, p := range b.specs {
			if p.Kind.Trainable() {
				params += p.Size()
			}
			if p.ScaleInvariant {
				nSI++
				if p.Kind != KindConv {
					t.Errorf("%s: scale-invariant but a %v", p.Name, p.Kind)
				}
			}
		}
		if params != c.params || nSI != c.nSI {
			t.Errorf("%d classes: %d parameters, %d scale-invariant; want %d, %d", logits.Shape().Dimensions[1], params, nSI, c.params, c.nSI)
		}
		g.Finalize()
	}
}

// TestCorollary3 checks the Corollary 3 transform: scale-invariant kernels
// k times larger with η·k² and λ/k² give the same angular updates as k = 1
// (and the same loss). The equality is exact but for BN's ε = 10⁻⁵, which
// the k-times larger pre-BN variances see differently, a relative effect of
// order ε/Var ≈ 10⁻⁵ here, and float32 rounding; 10⁻³ relative would miss no
// wiring error (a missing k² changes the AU by a factor of order k).
func TestCorollary3(t *testing.T) {
	be := testBackend(t)
	cfg := Config{Eta: 0.5, Lambda: 1e-2, Corollary3K: 1}
	run := func(k float64) (aus [][]float64, losses []float64) {
		n, err := NewNet(be, SmallCNN(10), 8, 16, 16, 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Finalize()
		n.Init(rand.New(rand.NewPCG(11, 12)), 0, 1, k)
		data := rand.New(rand.NewPCG(13, 14))
		c := cfg
		c.Corollary3K = k
		stats := make([]LayerStat, len(n.SI))
		for range 4 {
			x, y := randomBatch(data, 8, 16, 16, 3, 10)
			loss, err := n.Step(x, y, hyperAt(c, c.Eta), true, stats)
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, loss)
			au := make([]float64, len(stats))
			for j, s := range stats {
				au[j] = s.AU
			}
			aus = append(aus, au)
		}
		return aus, losses
	}
	au1, loss1 := run(1)
	for _, k := range []float64{2, 10} {
		auk, lossk := run(k)
		worst := 0.0
		for s := range au1 {
			for j := range au1[s] {
				worst = math.Max(worst, math.Abs(auk[s][j]/au1[s][j]-1))
			}
		}
		t.Logf("k=%g: largest relative AU difference %.2g", k, worst)
		for s := range au1 {
			if math.Abs(lossk[s]/loss1[s]-1) > 1e-3 {
				t.Errorf("k=%g step %d: loss %.8g, k=1: %.8g", k, s, lossk[s], loss1[s])
			}
			for j := range au1[s] {
				if math.Abs(auk[s][j]/au1[s][j]-1) > 1e-3 {
					t.Errorf("k=%g step %d layer %d: AU %.8g, k=1: %.8g", k, s, j, auk[s][j], au1[s][j])
				}
			}
		}
	}
	// Without the η, λ adaptation the AU does change: the check has teeth.
	n, err := NewNet(be, SmallCNN(10), 8, 16, 16, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Finalize()
	n.Init(rand.New(rand.NewPCG(11, 12)), 0, 10, 1) // init_scale 10, no transform
	x, y := randomBatch(rand.New(rand.NewPCG(13, 14)), 8, 16, 16, 3, 10)
	stats := make([]LayerStat, len(n.SI))
	if _, err := n.Step(x, y, hyperAt(cfg, cfg.Eta), true, stats); err != nil {
		t.Fatal(err)
	}
	if math.Abs(stats[0].AU/au1[0][0]-1) < 0.5 {
		t.Errorf("k=10 without transform: AU %g ≈ k=1's %g", stats[0].AU, au1[0][0])
	}
}

// TestMaxPool3x3s2 compares the sliced max pooling with GoMLX's pooling op
// on non-negative inputs with odd and even sides: the values must be equal
// (both are a maximum of the same floats).
func TestMaxPool3x3s2(t *testing.T) {
	be := testBackend(t)
	rng := rand.New(rand.NewPCG(15, 16))
	for _, side := range []int{7, 8} {
		x := make([]float32, 2*side*side*3)
		for i := range x {
			x[i] = float32(math.Max(0, rng.NormFloat64()))
		}
		var got, want []float32
		err := catch(func() {
			out := graph.MustExecOnceN(be, func(x *graph.Node) []*graph.Node {
				ref := graph.MaxPool(x).Window(3).Strides(2).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done()
				return []*graph.Node{MaxPool3x3s2(x), ref}
			}, tensorOf(x, 2, side, side, 3))
			got, want = flat32(out[0]), flat32(out[1])
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2*((side-1)/2+1)*((side-1)/2+1)*3 || len(got) != len(want) {
			t.Fatalf("side %d: %d and %d outputs", side, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("side %d: element %d = %g, MaxPool gives %g", side, i, got[i], want[i])
			}
		}
	}
}

func tensorOf(v []float32, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

func flat32(t *tensors.Tensor) []float32 { return tensors.MustCopyFlatData[float32](t) }
