package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/smdlab/smd/claim"
)

// TestFashionMNISTTraining trains the bn-mlp on the real Fashion-MNIST
// files for 2 × 16 steps (≈ 2.5 CPU-seconds) through Run, and
// checks that it learns: the test accuracy on the first n = 2 000 test
// images must exceed chance, 1/10, by z·SE₀ with SE₀ = √(0.1·0.9/n) =
// 0.0067, the binomial SE of the accuracy of a chance-level classifier on
// n images (z = claim.Z = 4.42: a threshold of 0.130). A classifier that
// ignored the images would fail with probability 10⁻⁵; 32 steps reach
// 0.78 (80 steps, which this test ran before, 0.83), 70 binomial SEs
// (√(0.78·0.22/n) = 0.0093) above the threshold, so the shorter run
// separates learning from chance as surely, at the same false-alarm rate. The test images are balanced (1 000 per class), so chance is
// 1/10 whatever the classifier favours.
func TestFashionMNISTTraining(t *testing.T) {
	tr, te := fashionMNIST(t)
	cfg := FashionMLP()
	cfg.Epochs, cfg.StepsPerEpoch, cfg.Milestones, cfg.Trials = 2, 16, []int{1}, 1
	cfg.TestSamples, cfg.MeasureEvery = 2000, 10
	res, err := Run(context.Background(), cfg, tr, te, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n, p0 = 2000, 0.1
	se0 := math.Sqrt(p0 * (1 - p0) / n)
	for _, e := range res.Epochs {
		t.Logf("epoch %d: train loss %.4f, test accuracy %.4f, mean AU %.4f (√(2λη) = %.4f)", e.Epoch, e.TrainLoss, e.TestAcc, e.MeanAU, e.AUTheory)
	}
	acc := res.Epochs[len(res.Epochs)-1].TestAcc
	if acc <= p0+claim.Z*se0 {
		t.Errorf("test accuracy %.4f after %d steps, want > chance %.2f + z·SE₀ = %.4f", acc, cfg.Epochs*cfg.StepsPerEpoch, p0, p0+claim.Z*se0)
	}
	if len(res.Layers) != len(BNMLPWidths) {
		t.Errorf("%d scale-invariant layers %v, want %d (every hidden linear layer)", len(res.Layers), res.Layers, len(BNMLPWidths))
	}
	// η drops by 5 at the milestone: the logged lr follows.
	if first, last := res.Measures[0], res.Measures[len(res.Measures)-1]; first.EtaSI != cfg.Eta || last.EtaSI != cfg.Eta/cfg.DecayFactor {
		t.Errorf("logged lr %g then %g, want %g then %g", first.EtaSI, last.EtaSI, cfg.Eta, cfg.Eta/cfg.DecayFactor)
	}
}

// TestFashionMNISTLoggedAU: on real Fashion-MNIST batches (Fill, as Run
// prepares them), the AU and norm the step graph logs for each
// scale-invariant layer of the bn-mlp equal Kahan's angle between the
// weights read back before and after the step (tolerance 2⁻²³ rad, derived
// in TestLoggedAUMatchesWeights), and ⟨Δw, w⟩ = −ηλ‖w‖² (scale
// invariance, to 10⁻³ relative, as there).
func TestFashionMNISTLoggedAU(t *testing.T) {
	tr, _ := fashionMNIST(t)
	const batch = 128
	n, err := NewNet(testBackend(t), BNMLP(10, BNMLPWidths...), batch, 28, 28, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Finalize()
	rng := rand.New(rand.NewPCG(5, 6))
	n.Init(rng, 0, 1, 1)
	if len(n.SI) != 2 {
		t.Fatalf("%d scale-invariant tensors, want 2", len(n.SI))
	}
	hp := Hyper{EtaSI: 0.5, LambdaSI: 2e-3, Eta: 0.5, Lambda: 2e-3}
	x := make([]float32, batch*784)
	y := make([]int32, batch)
	stats := make([]LayerStat, len(n.SI))
	for step := range 3 {
		idx := rng.Perm(tr.Len())[:batch]
		if err := tr.Fill(x, y, idx, nil); err != nil {
			t.Fatal(err)
		}
		checkLoggedStep(t, n, x, y, hp, stats, true, fmt.Sprintf("step %d", step))
	}
}
