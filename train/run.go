package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	"github.com/smdlab/smd/claim"
)

// ErrDiverged is wrapped by a DivergedError.
var ErrDiverged = errors.New("training diverged")

// DivergedError reports a non-finite training loss.
type DivergedError struct {
	Trial, Step int
	Loss        float64
}

func (e *DivergedError) Error() string {
	return fmt.Sprintf("train: trial %d step %d: loss %g: %v", e.Trial, e.Step, e.Loss, ErrDiverged)
}

func (e *DivergedError) Unwrap() error { return ErrDiverged }

// Progress is reported after every SGD step.
type Progress struct {
	Trial, Step int // within the trial
	Done, Total int // steps over all trials
	Loss        float64
	// MeanAU is the latest measured mean angular update and Theory
	// √(2λη/(1+μ)) at that step.
	MeanAU, Theory float64
}

// Options are the run's non-experiment settings.
type Options struct {
	// Backend runs the graphs; nil selects NewBackend().
	Backend compute.Backend
	// Progress, if set, is called after every step.
	Progress func(Progress)
	// Checkpoints, if set, saves the state as safetensors files.
	Checkpoints *Checkpoints
}

// EpochRow is one epoch, averaged over trials (SD: standard deviation across
// trials, SE = SD/√trials the standard error of the mean; both NaN with one
// trial).
type EpochRow struct {
	Epoch int // 1-based; measured at the end of the epoch
	Step  int // SGD steps done
	// Eta is the learning rate of the epoch's last step (before any
	// Corollary 3 scaling).
	Eta                                 float64
	TrainLoss, TrainLossSD, TrainLossSE float64 // mean minibatch loss over the epoch
	TestLoss, TestLossSD, TestLossSE    float64
	TestAcc, TestAccSD, TestAccSE       float64
	MeanAU, MeanAUSD, MeanAUSE          float64 // mean over the epoch's measurements and the layers
	// RMSAU is √(mean of AU²) over the same measurements: the theory's
	// E Δ² = 2λη/(1+μ) is about the square (Lemma 1).
	RMSAU, RMSAUSD, RMSAUSE  float64
	AUTheory                 float64 // √(2λη/(1+μ)) at the epoch's last step
	MeanNorm, MeanNormSD     float64 // layer mean of ‖w‖
	MeanNormSE, MeanEffectLR float64 // and of η/‖w‖²
}

// MeasureRow is one measured step, averaged over trials.
type MeasureRow struct {
	Step int
	// EtaSI is the learning rate applied to the scale-invariant weights at
	// this step (η·k² under Corollary 3), used for the effective LR.
	EtaSI    float64
	AUTheory float64
	// AU, Norm and EffLR are per layer (Result.Layers order), trial means.
	AU, Norm, EffLR []float64
	// MeanAU is the mean over layers; MeanAUSD its SD across trials and
	// MeanAUSE its standard error (NaN with one trial).
	MeanAU, MeanAUSD, MeanAUSE float64
	// MeanNorm is the mean of ‖w_t‖ over layers, MeanNormSE its standard
	// error across trials.
	MeanNorm, MeanNormSE float64
}

// Result is a finished run.
type Result struct {
	Config Config
	// Layers names the scale-invariant weights.
	Layers        []string
	StepsPerEpoch int
	Epochs        []EpochRow
	Measures      []MeasureRow
	// Wall is the whole run; StepSeconds the mean wall time of one SGD
	// step (data preparation included, evaluation excluded).
	Wall        time.Duration
	StepSeconds float64
	Backend     string
	Warnings    []string
	// Partial, when set, says why the run stopped early and what the
	// result holds (e.g. "interrupted by SIGINT in trial 2 of 3: the 1
	// finished trials"): the finished trials, all epochs, or, when no
	// trial finished, the first trial's finished epochs.
	Partial string
}

// trialLog is what one trial records.
type trialLog struct {
	trainLoss, testLoss, testAcc []float64 // per epoch
	au, norm                     [][]float64
	measuredSteps                []int
	etaSI                        []float64
}

// Run trains cfg.Trials networks on train, evaluating on test after every
// epoch, and returns the trial-averaged measurements. cfg must be valid.
// When ctx is cancelled (Ctrl-C) it returns, with ctx's error, the result
// of the finished trials (or of the first trial's finished epochs), Partial
// set, or nil when no epoch finished.
func Run(ctx context.Context, cfg Config, trainSet, testSet Dataset, opt Options) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	backend := opt.Backend
	if backend == nil {
		var err error
		if backend, err = NewBackend(); err != nil {
			return nil, err
		}
	}
	arch, err := ArchFor(cfg.Model, trainSet.Classes(), cfg.ZeroGamma)
	if err != nil {
		return nil, err
	}
	h, w, c := trainSet.Dims()
	if trainSet.Len() < cfg.BatchSize {
		return nil, fmt.Errorf("batch_size: %d, but the training set has only %d images", cfg.BatchSize, trainSet.Len())
	}
	spe := cfg.StepsPerEpoch
	if spe == 0 {
		spe = trainSet.Len() / cfg.BatchSize
	}
	if err := cfg.CheckTotal(spe); err != nil {
		return nil, err
	}
	net, err := NewNet(backend, arch, cfg.BatchSize, h, w, c, cfg.Momentum)
	if err != nil {
		return nil, err
	}
	defer net.Finalize()
	res := &Result{Config: cfg, StepsPerEpoch: spe, Backend: backend.Name()}
	for _, i := range net.SI {
		res.Layers = append(res.Layers, net.Specs[i].Name)
	}
	if len(net.SI) == 0 {
		return nil, errors.New("train: the model has no scale-invariant weights")
	}
	sched := Schedule{Eta0: cfg.Eta, Factor: cfg.DecayFactor, Milestones: cfg.Milestones, StepsPerEpoch: spe}
	total := cfg.Trials * cfg.Epochs * spe
	logs := make([]trialLog, cfg.Trials)
	var stepTime time.Duration
	for trial := range cfg.Trials {
		d, err := runTrial(ctx, cfg, net, sched, trainSet, testSet, trial, total, opt, &logs[trial])
		stepTime += d
		if err != nil && ctx.Err() != nil {
			return partial(ctx, res, logs, trial, sched, start), err
		}
		if err != nil {
			return nil, err
		}
	}
	res.StepSeconds = stepTime.Seconds() / float64(cfg.Trials*cfg.Epochs*spe)
	aggregate(res, logs, sched, cfg.Epochs)
	for _, m := range cfg.Milestones {
		if m >= cfg.Epochs {
			res.Warnings = append(res.Warnings, fmt.Sprintf("milestone epoch %d is not reached in %d epochs", m, cfg.Epochs))
		}
	}
	res.Wall = time.Since(start)
	return res, nil
}

// hyperAt is the step's hyper-parameters: Corollary 3 scales η by k² and λ
// by 1/k² for the scale-invariant weights only.
func hyperAt(cfg Config, eta float64) Hyper {
	k2 := cfg.Corollary3K * cfg.Corollary3K
	return Hyper{EtaSI: eta * k2, LambdaSI: cfg.Lambda / k2, Eta: eta, Lambda: cfg.Lambda}
}

func runTrial(ctx context.Context, cfg Config, net *Net, sched Schedule, trainSet, testSet Dataset, trial, total int, opt Options, log *trialLog) (time.Duration, error) {
	progress := opt.Progress
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(trial)))
	net.Init(rng, cfg.InitStd, cfg.InitScale, cfg.Corollary3K)
	h, w, c := trainSet.Dims()
	per := h * w * c
	x := make([]float32, cfg.BatchSize*per)
	y := make([]int32, cfg.BatchSize)
	idx := make([]int, cfg.BatchSize)
	stats := make([]LayerStat, len(net.SI))
	var perm []int
	cursor := 0
	spe := sched.StepsPerEpoch
	lastAU, lastTheory := math.NaN(), math.NaN()
	var stepTime time.Duration
	for epoch := range cfg.Epochs {
		lossSum := 0.0
		for s := range spe {
			if err := ctx.Err(); err != nil {
				return stepTime, err
			}
			t0 := time.Now()
			t := epoch*spe + s
			if sched.Decays(t) && cfg.Rescale {
				net.Rescale(math.Pow(cfg.DecayFactor, -0.25))
			}
			for k := range idx {
				if cursor == len(perm) {
					perm, cursor = rng.Perm(trainSet.Len()), 0
				}
				idx[k] = perm[cursor]
				cursor++
			}
			if err := trainSet.Fill(x, y, idx, augRNG(cfg, rng)); err != nil {
				return stepTime, err
			}
			eta := sched.Eta(t)
			if opt.Checkpoints.due(t, cfg.Momentum) {
				if err := opt.Checkpoints.save(cfg, net, trial, t, eta); err != nil {
					return stepTime, err
				}
			}
			hp := hyperAt(cfg, eta)
			measure := t%cfg.MeasureEvery == 0
			loss, err := net.Step(x, y, hp, measure, stats)
			if err != nil {
				return stepTime, err
			}
			stepTime += time.Since(t0)
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				return stepTime, &DivergedError{Trial: trial, Step: t, Loss: loss}
			}
			lossSum += loss
			if measure {
				au, norm := make([]float64, len(stats)), make([]float64, len(stats))
				mean := 0.0
				for k, st := range stats {
					au[k], norm[k] = st.AU, st.Norm
					mean += st.AU
				}
				log.au = append(log.au, au)
				log.norm = append(log.norm, norm)
				log.measuredSteps = append(log.measuredSteps, t)
				log.etaSI = append(log.etaSI, hp.EtaSI)
				lastAU = mean / float64(len(stats))
				lastTheory = AUTheory(hp.EtaSI, hp.LambdaSI, cfg.Momentum)
			}
			if progress != nil {
				progress(Progress{Trial: trial, Step: t, Done: trial*cfg.Epochs*spe + t + 1, Total: total, Loss: loss, MeanAU: lastAU, Theory: lastTheory})
			}
		}
		log.trainLoss = append(log.trainLoss, lossSum/float64(spe))
		tl, ta, err := evaluate(net, testSet, cfg)
		if err != nil {
			return stepTime, err
		}
		log.testLoss = append(log.testLoss, tl)
		log.testAcc = append(log.testAcc, ta)
	}
	if end := cfg.Epochs * spe; opt.Checkpoints.due(end, cfg.Momentum) { // the final state
		if err := opt.Checkpoints.save(cfg, net, trial, end, sched.Eta(end)); err != nil {
			return stepTime, err
		}
	}
	return stepTime, nil
}

func augRNG(cfg Config, rng *rand.Rand) *rand.Rand {
	if cfg.Augment {
		return rng
	}
	return nil
}

// evaluate returns the mean loss and top-1 accuracy on the first
// cfg.TestSamples images of set (all when 0).
func evaluate(net *Net, set Dataset, cfg Config) (loss, acc float64, err error) {
	n := set.Len()
	if cfg.TestSamples > 0 && cfg.TestSamples < n {
		n = cfg.TestSamples
	}
	bs := cfg.EvalBatch
	if bs == 0 {
		bs = cfg.BatchSize
	}
	h, w, c := set.Dims()
	x := make([]float32, bs*h*w*c)
	y := make([]int32, bs)
	idx := make([]int, 0, bs)
	var lossSum, correct float64
	for lo := 0; lo < n; lo += bs {
		hi := min(lo+bs, n)
		idx = idx[:0]
		for i := lo; i < hi; i++ {
			idx = append(idx, i)
		}
		m := hi - lo
		if err := set.Fill(x[:m*h*w*c], y[:m], idx, nil); err != nil {
			return 0, 0, err
		}
		l, k, err := net.Eval(x[:m*h*w*c], y[:m])
		if err != nil {
			return 0, 0, err
		}
		lossSum += l
		correct += k
	}
	return lossSum / float64(n), correct / float64(n), nil
}

// meanSDSE is claim.MeanSD with the standard error of the mean, sd/√n.
func meanSDSE(xs []float64) (mean, sd, se float64) {
	mean, sd = claim.MeanSD(xs)
	return mean, sd, sd / math.Sqrt(float64(len(xs)))
}

// partial is the result of a run interrupted in trial at (0-based): the
// trials before it, or trial 0's finished epochs; nil if there are none.
func partial(ctx context.Context, res *Result, logs []trialLog, at int, sched Schedule, start time.Time) *Result {
	where := fmt.Sprintf("%v in trial %d of %d, epoch %d of %d", context.Cause(ctx), at+1, len(logs), len(logs[at].trainLoss)+1, res.Config.Epochs)
	if at > 0 {
		aggregate(res, logs[:at], sched, res.Config.Epochs)
		res.Partial = fmt.Sprintf("%s: the %d finished trials", where, at)
	} else {
		l := &logs[0]
		epochs := len(l.trainLoss)
		if epochs == 0 {
			return nil
		}
		n := 0
		for n < len(l.measuredSteps) && l.measuredSteps[n] < epochs*res.StepsPerEpoch {
			n++
		}
		l.au, l.norm, l.measuredSteps, l.etaSI = l.au[:n], l.norm[:n], l.measuredSteps[:n], l.etaSI[:n]
		aggregate(res, logs[:1], sched, epochs)
		res.Partial = fmt.Sprintf("%s: the first trial's %d finished epochs", where, epochs)
	}
	res.Wall = time.Since(start)
	return res
}

func aggregate(res *Result, logs []trialLog, sched Schedule, epochs int) {
	cfg := res.Config
	nl := len(res.Layers)
	col := func(f func(l *trialLog) float64) []float64 {
		v := make([]float64, len(logs))
		for i := range logs {
			v[i] = f(&logs[i])
		}
		return v
	}
	// Measurements: every trial measures the same steps.
	for m, step := range logs[0].measuredSteps {
		row := MeasureRow{Step: step, EtaSI: logs[0].etaSI[m], AU: make([]float64, nl), Norm: make([]float64, nl), EffLR: make([]float64, nl)}
		hp := hyperAt(cfg, sched.Eta(step))
		row.AUTheory = AUTheory(hp.EtaSI, hp.LambdaSI, cfg.Momentum)
		for k := range nl {
			row.AU[k], _ = claim.MeanSD(col(func(l *trialLog) float64 { return l.au[m][k] }))
			row.Norm[k], _ = claim.MeanSD(col(func(l *trialLog) float64 { return l.norm[m][k] }))
			row.EffLR[k], _ = claim.MeanSD(col(func(l *trialLog) float64 { return row.EtaSI / (l.norm[m][k] * l.norm[m][k]) }))
		}
		row.MeanAU, row.MeanAUSD, row.MeanAUSE = meanSDSE(col(func(l *trialLog) float64 { return layerMean(l.au[m]) }))
		row.MeanNorm, _, row.MeanNormSE = meanSDSE(col(func(l *trialLog) float64 { return layerMean(l.norm[m]) }))
		res.Measures = append(res.Measures, row)
	}
	for e := range epochs {
		last := (e+1)*res.StepsPerEpoch - 1
		hp := hyperAt(cfg, sched.Eta(last))
		row := EpochRow{Epoch: e + 1, Step: last + 1, Eta: sched.Eta(last), AUTheory: AUTheory(hp.EtaSI, hp.LambdaSI, cfg.Momentum)}
		row.TrainLoss, row.TrainLossSD, row.TrainLossSE = meanSDSE(col(func(l *trialLog) float64 { return l.trainLoss[e] }))
		row.TestLoss, row.TestLossSD, row.TestLossSE = meanSDSE(col(func(l *trialLog) float64 { return l.testLoss[e] }))
		row.TestAcc, row.TestAccSD, row.TestAccSE = meanSDSE(col(func(l *trialLog) float64 { return l.testAcc[e] }))
		// Epoch means over the measurements taken during the epoch.
		epochMean := func(l *trialLog, f func(m int) float64) float64 {
			s, n := 0.0, 0
			for m, step := range l.measuredSteps {
				if step/res.StepsPerEpoch == e {
					s += f(m)
					n++
				}
			}
			return s / float64(n)
		}
		row.MeanAU, row.MeanAUSD, row.MeanAUSE = meanSDSE(col(func(l *trialLog) float64 {
			return epochMean(l, func(m int) float64 { return layerMean(l.au[m]) })
		}))
		row.RMSAU, row.RMSAUSD, row.RMSAUSE = meanSDSE(col(func(l *trialLog) float64 {
			return math.Sqrt(epochMean(l, func(m int) float64 {
				s := 0.0
				for _, a := range l.au[m] {
					s += a * a
				}
				return s / float64(len(l.au[m]))
			}))
		}))
		row.MeanNorm, row.MeanNormSD, row.MeanNormSE = meanSDSE(col(func(l *trialLog) float64 {
			return epochMean(l, func(m int) float64 { return layerMean(l.norm[m]) })
		}))
		row.MeanEffectLR, _ = claim.MeanSD(col(func(l *trialLog) float64 {
			return epochMean(l, func(m int) float64 {
				s := 0.0
				for _, nv := range l.norm[m] {
					s += l.etaSI[m] / (nv * nv)
				}
				return s / float64(len(l.norm[m]))
			})
		}))
		res.Epochs = append(res.Epochs, row)
	}
}

func layerMean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
