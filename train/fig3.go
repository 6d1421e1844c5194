package train

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/gomlx/compute"

	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/crash"
)

// Fig3Curve is one curve of the real-data Figure 3: its legend, as in the
// paper's (η, λ) or (η, λ, σ̃) notation, and its training config.
type Fig3Curve struct {
	Label  string
	Config Config
}

// Fig3Row is one row of Figure 3: four panels (train loss, test accuracy,
// mean angular update, mean weight norm) over the same curves.
type Fig3Row struct {
	Name   string    // "fig3_a-d"
	Panels [4]string // "a", "b", "c", "d"
	Title  string
	Curves []Fig3Curve
}

// Fig3Base is the curve every row of Figure 3 starts from: the fashion-mlp
// preset (FashionMLP) with a constant learning rate for Fig3Epochs epochs,
// measured every 12 steps (468 steps per epoch = 39 × 12, so that every
// epoch starts with a measurement, the decay step included).
func Fig3Base() Config {
	c := FashionMLP()
	c.Epochs = Fig3Epochs
	c.Milestones = nil
	c.Rescale = false
	c.MeasureEvery = 12
	return c
}

// Fig3Epochs is the length of every Figure 3 run, and Fig3DecayEpoch the
// milestone of row (e)–(h): η is divided by 5 at the start of its 4th epoch
// (after three epochs in which the Kaiming-initialized network reaches its
// equilibrium AU), leaving three epochs for the AU to climb back.
const (
	Fig3Epochs     = 6
	Fig3DecayEpoch = 3
)

// Fig3Equilibrium is Figure 3 (a)–(d): three (η, λ) with the same
// ηλ = 10⁻³ as the base, η from 0.2 to 1.25 (a factor 6.25), Kaiming
// initialization, constant learning rate. Lemma 1: the same equilibrium
// AU √(2λη) = 0.0447 for all three, hence the same steady loss and
// accuracy; the early evolution differs (a larger η turns the
// Kaiming-initialized weights faster at first: Δ₀ = η‖∇̃L‖/‖w₀‖²).
func Fig3Equilibrium() Fig3Row {
	r := Fig3Row{Name: "fig3_a-d", Panels: [4]string{"a", "b", "c", "d"},
		Title: "several (η, λ) at equal ηλ"}
	for _, p := range [][2]float64{{0.2, 5e-3}, {0.5, 2e-3}, {1.25, 8e-4}} {
		c := Fig3Base()
		c.Eta, c.Lambda = p[0], p[1]
		r.Curves = append(r.Curves, Fig3Curve{Label: fmt.Sprintf("(%g, %g)", p[0], p[1]), Config: c})
	}
	return r
}

// Fig3Decay is Figure 3 (e)–(h): the base with η divided by 5 at the start
// of epoch Fig3DecayEpoch+1, without and with the rescale strategy (every
// scale-invariant weight divided by 5^{1/4} at the decay; Wan et al. 2021).
// Without it the AU first drops by 5 (η/5 at the same norm) and then climbs
// back to the new √(2λη/5) as the norm shrinks (eq 17's relaxation at rate
// 4λη/5 per step: 1 250 steps, 2.7 epochs), and the loss and accuracy show
// the "pseudo overfitting" of the climb; with it the AU steps straight to
// √(2λη/5) (×5^{-1/2}).
func Fig3Decay() Fig3Row {
	r := Fig3Row{Name: "fig3_e-h", Panels: [4]string{"e", "f", "g", "h"},
		Title: fmt.Sprintf("η ÷ 5 at epoch %d, without and with rescale", Fig3DecayEpoch)}
	for _, rescale := range []bool{false, true} {
		c := Fig3Base()
		c.Milestones, c.DecayFactor, c.Rescale = []int{Fig3DecayEpoch}, 5, rescale
		label := "no rescale"
		if rescale {
			label = "rescale"
		}
		r.Curves = append(r.Curves, Fig3Curve{Label: label, Config: c})
	}
	return r
}

// Fig3Init is Figure 3 (i)–(l): Kaiming initialization σ̃ = √(2/p), ten
// times that at the same (η, λ), and ten times that with Corollary 3's
// (η·100, λ/100) for the scale-invariant weights (Config.Corollary3K = 10;
// the classifier and the BN parameters keep η and λ). The ×10 start turns
// the weights 100 times more slowly (AU ∝ 1/‖w‖²), so training starts
// later; the Corollary 3 run must reproduce the Kaiming curves (up to BN's
// ε and float32 rounding), with norms ×10.
func Fig3Init() Fig3Row {
	base := Fig3Base()
	big := base
	big.InitScale = 10
	cor3 := base
	cor3.Corollary3K = 10
	eta, lambda := base.Eta, base.Lambda
	return Fig3Row{Name: "fig3_i-l", Panels: [4]string{"i", "j", "k", "l"},
		Title: "initial σ̃ ×10 and Corollary 3",
		Curves: []Fig3Curve{
			{Label: fmt.Sprintf("(%g, %g, √(2/p))", eta, lambda), Config: base},
			{Label: fmt.Sprintf("(%g, %g, 10√(2/p))", eta, lambda), Config: big},
			{Label: fmt.Sprintf("(%g, %g, 10√(2/p))", 100*eta, lambda/100), Config: cor3},
		}}
}

// Fig3 is the whole figure, rows in the paper's order.
func Fig3() []Fig3Row { return []Fig3Row{Fig3Equilibrium(), Fig3Decay(), Fig3Init()} }

// Fig3Options are the settings of RunFig3.
type Fig3Options struct {
	// Trials overrides every curve's trial count when > 0; SeedOffset is
	// added to every seed.
	Trials     int
	SeedOffset uint64
	// StepsPerEpoch and TestSamples, when > 0, override every curve's
	// (short runs for tests; the figure's claims need whole epochs).
	StepsPerEpoch, TestSamples int
	// Workers is the number of curves trained at once (each with its own
	// compiled network; 0: 2). Results do not depend on it.
	Workers int
	// Backend runs every graph; nil gives each worker its own NewBackend().
	Backend compute.Backend
	// Progress, if set, gets the steps done and the total over all runs.
	Progress func(done, total int)
}

// Fig3Steps is the number of SGD steps RunFig3 takes over all curves
// (identical configs counted once), for trainLen training images.
func Fig3Steps(rows []Fig3Row, trainLen int, opt Fig3Options) int {
	total := 0
	for _, c := range uniqueConfigs(rows, opt) {
		spe := c.StepsPerEpoch
		if spe == 0 {
			spe = trainLen / c.BatchSize
		}
		total += c.Trials * c.Epochs * spe
	}
	return total
}

// uniqueConfigs returns the resolved configs of rows, each once, in order.
func uniqueConfigs(rows []Fig3Row, opt Fig3Options) []Config {
	seen := map[string]bool{}
	var out []Config
	for _, r := range rows {
		for _, cv := range r.Curves {
			c := resolveFig3(cv.Config, opt)
			if k := configKey(c); !seen[k] {
				seen[k] = true
				out = append(out, c)
			}
		}
	}
	return out
}

func resolveFig3(c Config, opt Fig3Options) Config {
	if opt.Trials > 0 {
		c.Trials = opt.Trials
	}
	c.Seed += opt.SeedOffset
	if opt.StepsPerEpoch > 0 {
		c.StepsPerEpoch = opt.StepsPerEpoch
	}
	if opt.TestSamples > 0 {
		c.TestSamples = opt.TestSamples
	}
	return c
}

func configKey(c Config) string { return fmt.Sprintf("%+v", c) }

// RunFig3 trains every curve of rows (a config shared by two rows, like
// the base, is trained once) on trainSet, evaluating on testSet after each
// epoch, Workers curves at a time, and returns the results in the rows'
// order. Trial i of every curve uses the stream (seed, i).
func RunFig3(ctx context.Context, rows []Fig3Row, trainSet, testSet Dataset, opt Fig3Options) ([][]*Result, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = 2
	}
	configs := uniqueConfigs(rows, opt)
	total := Fig3Steps(rows, trainSet.Len(), opt)
	results := make([]*Result, len(configs))
	errs := make([]error, len(configs))
	var mu sync.Mutex
	doneBy := make([]int, len(configs))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan int)
	var wg sync.WaitGroup
	crashed := crash.Box{OnPanic: cancel} // a worker's panic is re-raised in the caller's goroutine
	for range min(workers, len(configs)) {
		wg.Add(1)
		// One backend per worker: the pure-Go backend's executor shares a
		// pool of worker slots among the executions on it (see Conv2D).
		backend := opt.Backend
		var backendErr error
		if backend == nil {
			backend, backendErr = NewBackend()
		}
		go func() {
			defer wg.Done()
			defer crashed.Catch()
			for i := range jobs {
				if backendErr != nil {
					errs[i] = backendErr
					cancel()
					continue
				}
				o := Options{Backend: backend, Progress: func(p Progress) {
					if opt.Progress == nil {
						return
					}
					mu.Lock()
					doneBy[i] = p.Done
					s := 0
					for _, d := range doneBy {
						s += d
					}
					opt.Progress(s, total)
					mu.Unlock()
				}}
				results[i], errs[i] = Run(ctx, configs[i], trainSet, testSet, o)
				if errs[i] != nil {
					cancel()
				}
			}
		}()
	}
	for i := range configs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	crashed.Rethrow()
	for i, err := range errs {
		if err != nil && (ctx.Err() == nil || !isCanceled(err)) {
			return nil, fmt.Errorf("fig3 run %d (η = %g, λ = %g): %w", i+1, configs[i].Eta, configs[i].Lambda, err)
		}
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	byKey := map[string]*Result{}
	for i, c := range configs {
		byKey[configKey(c)] = results[i]
	}
	out := make([][]*Result, len(rows))
	for i, r := range rows {
		for _, cv := range r.Curves {
			out[i] = append(out[i], byKey[configKey(resolveFig3(cv.Config, opt))])
		}
	}
	return out, nil
}

func isCanceled(err error) bool { return err == context.Canceled }

// LayerDrift is the mean over the scale-invariant layers of |d ln‖w‖²/dt|
// per step between the measured steps from and to (trial-mean norms):
// the amount by which a layer's E Δ² may differ from 2λη because its norm
// is not yet stationary (docs/train.md, "Figure 3 on Fashion-MNIST").
func (r *Result) LayerDrift(from, to int) float64 {
	var a, b *MeasureRow
	for i := range r.Measures {
		m := &r.Measures[i]
		if m.Step >= from && a == nil {
			a = m
		}
		if m.Step <= to {
			b = m
		}
	}
	if a == nil || b == nil || b.Step <= a.Step {
		return math.NaN()
	}
	s := 0.0
	for k := range a.Norm {
		s += math.Abs(2 * math.Log(b.Norm[k]/a.Norm[k]))
	}
	return s / float64(len(a.Norm)) / float64(b.Step-a.Step)
}

// Series converts r for the Figure 3 checks (experiment.CheckFig3…):
// per-epoch and per-measured-step trial means with their standard errors.
func (r *Result) Series(label string) experiment.Fig3Series {
	c := r.Config
	hp := hyperAt(c, c.Eta)
	s := experiment.Fig3Series{Label: label, Eta: hp.EtaSI, Lambda: hp.LambdaSI, Trials: c.Trials,
		StepsPerEpoch: r.StepsPerEpoch, DecayFactor: c.DecayFactor, Rescale: c.Rescale}
	if len(c.Milestones) > 0 {
		s.DecayEpoch = c.Milestones[0]
	}
	est := func(m, se float64) claim.Estimate { return claim.Estimate{Mean: m, SE: se} }
	for _, e := range r.Epochs {
		from, to := (e.Epoch-1)*r.StepsPerEpoch, e.Epoch*r.StepsPerEpoch-1
		s.Epochs = append(s.Epochs, experiment.Fig3Epoch{
			TrainLoss: est(e.TrainLoss, e.TrainLossSE), TestAcc: est(e.TestAcc, e.TestAccSE), TestLoss: est(e.TestLoss, e.TestLossSE),
			MeanAU: est(e.MeanAU, e.MeanAUSE), RMSAU: est(e.RMSAU, e.RMSAUSE), Norm: est(e.MeanNorm, e.MeanNormSE),
			AUTheory: e.AUTheory, Drift: r.LayerDrift(from, to),
		})
	}
	for _, m := range r.Measures {
		s.Steps = append(s.Steps, experiment.Fig3Step{Step: m.Step, AU: est(m.MeanAU, m.MeanAUSE), Norm: est(m.MeanNorm, m.MeanNormSE), AUTheory: m.AUTheory})
	}
	return s
}
