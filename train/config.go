package train

import (
	"fmt"
	"io"
	"math"

	"github.com/smdlab/smd/experiment"
)

// Dataset names accepted by Config.Dataset.
const (
	DataCIFAR10  = "cifar10"
	DataImageNet = "imagenet"
	// DataFashionMNIST is Fashion-MNIST in its IDX files (gzipped or not).
	DataFashionMNIST = "fashion-mnist"
)

// Config is one training experiment: network, data, SGD with weight decay,
// learning-rate schedule, initialization and measurement. It is read from
// YAML with the same field names.
type Config struct {
	// Model is small-cnn, resnet18, resnet50, bn-mlp or fashion-cnn (the
	// last two for fashion-mnist only).
	Model string `yaml:"model" json:"model"`
	// Dataset is cifar10 (binary CIFAR-10 files), imagenet (a folder of
	// class folders with train/ and val/) or fashion-mnist (IDX files).
	Dataset string `yaml:"dataset" json:"dataset"`
	// ImageSize is the crop side for imagenet (224); cifar10 is 32,
	// fashion-mnist 28.
	ImageSize int `yaml:"image_size" json:"image_size"`

	// Epochs of training; StepsPerEpoch SGD steps each (0: one pass over
	// the training set, the last partial batch dropped).
	Epochs        int `yaml:"epochs" json:"epochs"`
	StepsPerEpoch int `yaml:"steps_per_epoch" json:"steps_per_epoch"`
	BatchSize     int `yaml:"batch_size" json:"batch_size"`

	// Eta (η) is the initial learning rate, Lambda (λ) the weight decay,
	// Momentum (μ) the heavy-ball momentum (0: plain SGD, as in the paper):
	// v ← μv + ∇L + λw, w ← w − ηv.
	Eta      float64 `yaml:"eta" json:"eta"`
	Lambda   float64 `yaml:"lambda" json:"lambda"`
	Momentum float64 `yaml:"momentum" json:"momentum"`
	// Milestones are the epochs at whose start η is divided by DecayFactor.
	Milestones  []int   `yaml:"milestones" json:"milestones"`
	DecayFactor float64 `yaml:"decay_factor" json:"decay_factor"`
	// Rescale divides every scale-invariant weight by DecayFactor^{1/4} at
	// each milestone (Wan et al. 2021; paper Figure 3 (e)–(h)).
	Rescale bool `yaml:"rescale" json:"rescale"`

	// InitStd is σ̃, the standard deviation of the convolution kernels at
	// initialization; 0 selects Kaiming's √(2/fan_in) (σ̃ = 0 itself would
	// leave scale-invariant weights undefined).
	InitStd float64 `yaml:"init_std" json:"init_std"`
	// InitScale multiplies that standard deviation: 10 gives the paper's
	// 10·√(2/p) of Figure 3 (i)–(l) without changing η or λ.
	InitScale float64 `yaml:"init_scale" json:"init_scale"`
	// Corollary3K applies Corollary 3's transform with factor k to the
	// scale-invariant weights: initial values ×k, η ×k², λ ×1/k²; the other
	// tensors keep η and λ. 1 leaves the run unchanged.
	Corollary3K float64 `yaml:"corollary3_k" json:"corollary3_k"`
	// ZeroGamma initializes the last batch-norm γ of each residual branch to
	// 0 (Goyal et al. 2017).
	ZeroGamma bool `yaml:"zero_gamma" json:"zero_gamma"`
	// Augment enables the standard training augmentation (CIFAR: pad-4 random
	// crop and flip; ImageNet: random-resized crop and flip).
	Augment bool `yaml:"augment" json:"augment"`

	// Trials is the number of independent runs averaged; trial i draws its
	// initialization, batches and augmentation from the stream (Seed, i).
	Trials int    `yaml:"trials" json:"trials"`
	Seed   uint64 `yaml:"seed" json:"seed"`
	// MeasureEvery is the interval, in SGD steps, of the per-layer AU and
	// norm measurement (step 0 is always measured).
	MeasureEvery int `yaml:"measure_every" json:"measure_every"`
	// TestSamples caps the test images evaluated after each epoch (0: all);
	// EvalBatch is the evaluation batch size (0: BatchSize).
	TestSamples int `yaml:"test_samples" json:"test_samples"`
	EvalBatch   int `yaml:"eval_batch" json:"eval_batch"`
}

// DefaultConfig is the CIFAR-10 ResNet18 preset.
var DefaultConfig = CIFAR10ResNet18()

// CIFAR10ResNet18 reproduces the paper's Figure 3 (e)–(h) setting: ResNet18
// on CIFAR-10, plain SGD with batch 256 for 200 epochs, η = 0.5 divided by 5
// at epochs 60, 120 and 160, λ = 10⁻³, Kaiming initialization, 10 trials
// averaged; standard pad-and-crop/flip augmentation. Set Rescale for the
// figure's "rescale" curves, and vary (Eta, Lambda) at fixed ηλ for
// panels (a)–(d), InitStd and Corollary3K for panels (i)–(l).
func CIFAR10ResNet18() Config {
	return Config{
		Model: ModelResNet18, Dataset: DataCIFAR10, ImageSize: 32,
		Epochs: 200, BatchSize: 256,
		Eta: 0.5, Lambda: 1e-3, Momentum: 0,
		Milestones: []int{60, 120, 160}, DecayFactor: 5,
		InitScale: 1, Corollary3K: 1, Augment: true,
		Trials: 10, Seed: 1, MeasureEvery: 20,
	}
}

// ImageNetResNet50 reproduces the paper's Figure 4 setting: ResNet50 on
// ImageNet as in Goyal et al. (2017) with batch 256 (90 epochs, η divided by
// 10 at epochs 30, 60 and 80, λ = 10⁻⁴, zero-γ residual branches,
// random-resized 224×224 crops), except η = 1 and no momentum, as the paper
// says. One trial.
func ImageNetResNet50() Config {
	return Config{
		Model: ModelResNet50, Dataset: DataImageNet, ImageSize: 224,
		Epochs: 90, BatchSize: 256,
		Eta: 1, Lambda: 1e-4, Momentum: 0,
		Milestones: []int{30, 60, 80}, DecayFactor: 10,
		InitScale: 1, Corollary3K: 1, ZeroGamma: true, Augment: true,
		Trials: 1, Seed: 1, MeasureEvery: 100,
	}
}

// CIFAR10Small is a CPU-sized version of Figure 3's measurement: the small
// normalized CNN on CIFAR-10-format data, batch 32, η = 1, λ = 10⁻², so
// that the equilibrium angular update √(2λη) ≈ 0.141 is reached within
// about 250 steps on synthetic data (‖w‖⁴ relaxes at rate 4ηλ = 0.04 per
// step, eq 17, while the gradient noise itself settles); 3 epochs of 120
// steps, 2 trials, measurement every 5 steps, 2000 test images.
func CIFAR10Small() Config {
	return Config{
		Model: ModelSmallCNN, Dataset: DataCIFAR10, ImageSize: 32,
		Epochs: 3, StepsPerEpoch: 120, BatchSize: 32,
		Eta: 1, Lambda: 1e-2, Momentum: 0,
		DecayFactor: 5, InitScale: 1, Corollary3K: 1,
		Trials: 2, Seed: 1, MeasureEvery: 5, TestSamples: 2000,
	}
}

// FashionMLP is the Fashion-MNIST network of `smd reproduce fig3` with its
// default schedule: the bn-mlp (784–256–128–10, both hidden layers
// batch-normalized, hence scale-invariant), batch 128 (468 steps per
// epoch), plain SGD with η = 0.5, λ = 2·10⁻³ (λη = 10⁻³: ‖w‖⁴ relaxes at
// rate 4λη per step, eq 17, a time constant of 250 steps), η divided by 5
// at epochs 3 and 5 of 6, Kaiming initialization, no augmentation, 3
// trials, the whole 10 000-image test set after each epoch, per-layer
// measurements every 12 steps.
func FashionMLP() Config {
	return Config{
		Model: ModelBNMLP, Dataset: DataFashionMNIST, ImageSize: 28,
		Epochs: 6, BatchSize: 128,
		Eta: 0.5, Lambda: 2e-3, Momentum: 0,
		Milestones: []int{3, 5}, DecayFactor: 5,
		InitScale: 1, Corollary3K: 1,
		Trials: 3, Seed: 1, MeasureEvery: 12, EvalBatch: 1000,
	}
}

// Preset returns the preset named name: cifar10-resnet18, imagenet-resnet50,
// cifar10-small or fashion-mlp.
func Preset(name string) (Config, error) {
	switch name {
	case "fashion-mlp":
		return FashionMLP(), nil
	case "cifar10-resnet18":
		return CIFAR10ResNet18(), nil
	case "imagenet-resnet50":
		return ImageNetResNet50(), nil
	case "cifar10-small":
		return CIFAR10Small(), nil
	}
	return Config{}, fmt.Errorf("preset: unknown preset %q (want one of %v)", name, PresetNames)
}

// PresetNames lists the presets.
var PresetNames = []string{"cifar10-resnet18", "imagenet-resnet50", "cifar10-small", "fashion-mlp"}

// ReadConfig decodes YAML from r over base (fields absent from the YAML keep
// base's values). Every problem is reported at once, one line each with its
// line number (experiment.DecodeYAML, the one YAML layer of smd's configs):
// unknown or repeated keys, null values, fractions for integer keys (2.5
// epochs used to be read as 2), type errors.
func ReadConfig(r io.Reader, base Config) (Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return base, err
	}
	c := base
	c.Milestones = append([]int(nil), base.Milestones...)
	if err := experiment.DecodeYAML(data, "", &c); err != nil {
		return base, err
	}
	return c, nil
}

// Validate reports the first invalid field, naming it.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: "+format, append([]any{field}, args...)...)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	if _, err := ArchFor(c.Model, 10, false); err != nil {
		return bad("model", "%q is not one of %v", c.Model, ModelNames)
	}
	switch c.Dataset {
	case DataCIFAR10:
		if c.ImageSize != 0 && c.ImageSize != 32 {
			return bad("image_size", "%d, but cifar10 images are 32", c.ImageSize)
		}
	case DataImageNet:
		if c.ImageSize < 32 {
			return bad("image_size", "%d, want at least 32 for imagenet", c.ImageSize)
		}
	case DataFashionMNIST:
		if c.ImageSize != 0 && c.ImageSize != 28 {
			return bad("image_size", "%d, but fashion-mnist images are 28", c.ImageSize)
		}
	default:
		return bad("dataset", "%q is not one of %s, %s, %s", c.Dataset, DataCIFAR10, DataImageNet, DataFashionMNIST)
	}
	switch {
	case c.Epochs < 1:
		return bad("epochs", "%d, want ≥ 1", c.Epochs)
	case c.StepsPerEpoch < 0:
		return bad("steps_per_epoch", "%d, want ≥ 0 (0: one pass over the data)", c.StepsPerEpoch)
	case c.BatchSize < 1:
		return bad("batch_size", "%d, want ≥ 1", c.BatchSize)
	case !(c.Eta > 0) || !finite(c.Eta):
		return bad("eta", "%g, want a finite η > 0", c.Eta)
	case !(c.Lambda >= 0) || !finite(c.Lambda):
		return bad("lambda", "%g, want a finite λ ≥ 0", c.Lambda)
	case !(c.Momentum >= 0 && c.Momentum < 1):
		return bad("momentum", "%g, want 0 ≤ μ < 1", c.Momentum)
	case !(c.DecayFactor > 0) || !finite(c.DecayFactor):
		return bad("decay_factor", "%g, want a finite k > 0", c.DecayFactor)
	case !(c.InitStd >= 0) || !finite(c.InitStd):
		return bad("init_std", "%g, want σ̃ ≥ 0 (0: Kaiming)", c.InitStd)
	case !(c.InitScale > 0) || !finite(c.InitScale):
		return bad("init_scale", "%g, want a finite factor > 0 (1: σ̃ as given)", c.InitScale)
	case !(c.Corollary3K > 0) || !finite(c.Corollary3K):
		return bad("corollary3_k", "%g, want k > 0 (1: no transform)", c.Corollary3K)
	case c.Trials < 1:
		return bad("trials", "%d, want ≥ 1", c.Trials)
	case c.MeasureEvery < 1:
		return bad("measure_every", "%d, want ≥ 1", c.MeasureEvery)
	case c.TestSamples < 0:
		return bad("test_samples", "%d, want ≥ 0 (0: all)", c.TestSamples)
	case c.EvalBatch < 0:
		return bad("eval_batch", "%d, want ≥ 0 (0: batch_size)", c.EvalBatch)
	}
	for _, k := range []struct {
		field string
		n     int
	}{{"epochs", c.Epochs}, {"trials", c.Trials}, {"batch_size", c.BatchSize}, {"eval_batch", c.EvalBatch}} {
		if k.n > MaxCount {
			return bad(k.field, "%d, want ≤ 2^20 = %d", k.n, MaxCount)
		}
	}
	if c.ImageSize > 1<<12 {
		return bad("image_size", "%d, want ≤ 4096", c.ImageSize)
	}
	if c.StepsPerEpoch > 0 {
		if err := c.CheckTotal(c.StepsPerEpoch); err != nil {
			return err
		}
	}
	for i, m := range c.Milestones {
		if m < 1 || m > MaxCount {
			return bad("milestones", "epoch %d, want in [1, 2^20]", m)
		}
		if i > 0 && m <= c.Milestones[i-1] {
			return bad("milestones", "%v, want strictly increasing epochs", c.Milestones)
		}
	}
	if c.Model == ModelResNet50 && c.Dataset == DataCIFAR10 || c.Model == ModelSmallCNN && c.Dataset == DataImageNet ||
		(c.Model == ModelBNMLP || c.Model == ModelFashionCNN) != (c.Dataset == DataFashionMNIST) {
		// Not wrong, but almost certainly a mistake; allow ResNet18 on ImageNet crops.
		return bad("model", "%s on %s is not supported (ResNet50 expects ImageNet crops, small-cnn CIFAR images, bn-mlp and fashion-cnn Fashion-MNIST, which only they take)", c.Model, c.Dataset)
	}
	return nil
}

// MaxCount bounds epochs, trials, batch_size, eval_batch and milestone
// epochs (2²⁰), and MaxTotalSteps bounds trials × epochs × steps per epoch
// (2⁵³), so that no step counter or product of counts overflows an int
// (issue 12, class 4): 2⁵³ SGD steps of a real network would take millennia.
const (
	MaxCount      = 1 << 20
	MaxTotalSteps = 1 << 53
)

// CheckTotal: trials × epochs × spe (the steps per epoch, given or from
// the data) ≤ MaxTotalSteps, computed in float64 (exact here).
func (c Config) CheckTotal(spe int) error {
	if n := float64(c.Trials) * float64(c.Epochs) * float64(spe); n > MaxTotalSteps {
		return fmt.Errorf("epochs: trials × epochs × steps per epoch = %.4g SGD steps, want ≤ 2^53", n)
	}
	return nil
}

// Schedule is the step learning-rate schedule: η₀ divided by Factor at the
// first step of each milestone epoch.
type Schedule struct {
	Eta0          float64
	Factor        float64
	Milestones    []int
	StepsPerEpoch int
}

// Eta is η at SGD step t (counted from 0 across epochs).
func (s Schedule) Eta(t int) float64 {
	e := t / s.StepsPerEpoch
	eta := s.Eta0
	for _, m := range s.Milestones {
		if e >= m {
			eta /= s.Factor
		}
	}
	return eta
}

// Decays reports whether η is divided at step t (the first step of a
// milestone epoch), when the rescale strategy acts.
func (s Schedule) Decays(t int) bool {
	if t%s.StepsPerEpoch != 0 {
		return false
	}
	for _, m := range s.Milestones {
		if t/s.StepsPerEpoch == m {
			return true
		}
	}
	return false
}

// AUTheory is the equilibrium angular update of SGD with weight decay,
//
//	Δ* = √(2λη/(1+μ)),
//
// √(2λη) for plain SGD: the paper's Lemma 1 (the limit of Δ_t when the
// gradient noise on the sphere is stationary) and Wan et al. (2021), who
// also give the momentum form.
func AUTheory(eta, lambda, momentum float64) float64 {
	return math.Sqrt(2 * lambda * eta / (1 + momentum))
}
