package measure

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/internal/safetensors"
	"github.com/smdlab/smd/internal/stattest"
	"github.com/smdlab/smd/theory"
)

// Row is one pair of successive checkpoints (steps Step and Step+Span) and
// one tensor present in both with the same shape: a row of layers.csv.
type Row struct {
	Step, Span int
	// Tensor indexes Result.Tensors.
	Tensor int
	// AU is ∠(w_n, w_{n+Span}) in radians (a Span-step angle when Span > 1);
	// Norm is ‖w_n‖, NormNext ‖w_{n+Span}‖; EffLR is η_n/‖w_n‖².
	AU, Norm, NormNext, EffLR float64
	// LR is η_n, the learning rate of step n (file n's).
	LR float64
	// AUTheory is the optimizer's equilibrium AU at (η_n, λ_n) for
	// scale-invariant tensors with Span 1 (NaN otherwise).
	AUTheory float64
	// Ratio is the scale-invariance ratio of this step (docs/measure.md §2)
	// and RatioBound the float-rounding bound on its deviation from 1; NaN
	// where not computable (Span > 1, λ = 0, not SGD, momentum without the
	// previous step).
	Ratio, RatioBound float64

	s   sums
	u   float64 // unit roundoff of the stored dtypes
	hyp Hyper
}

// TensorResult summarizes one tensor: a row of tensors.csv.
type TensorResult struct {
	Name  string
	Shape []int
	DType safetensors.DType
	Numel int64
	// SI says whether the tensor is scale-invariant; SISource how that was
	// decided: "ratio", "--si", or "name rule (reason)".
	SI       bool
	SISource string
	// SIRatio is the mean of the per-step ratios, SIRatioSpread their
	// half-range (max − min)/2, SIRatioMaxDev the largest |ratio − 1| and
	// SIRatioN the number of steps with a ratio.
	SIRatio, SIRatioSpread, SIRatioMaxDev float64
	SIRatioN                              int
	// MeanAU ± MeanAUSE and RMSAU are over the per-step (Span 1) rows;
	// the SE treats the steps as independent (docs/measure.md §4).
	MeanAU, MeanAUSE, RMSAU float64
	// AUTheory is the equilibrium AU at the last measured step's η, λ.
	AUTheory float64
	// NormFirst and NormLast are ‖w‖ at the first and last checkpoint.
	NormFirst, NormLast float64
	// Equilibrium is "true" when the RMS AU over the last quarter of the
	// measured steps agrees with theory within z·SE + bias, "false" when
	// not, "" when not assessed (not scale-invariant, no theory, < 2 steps).
	Equilibrium string
	// NormTheory is the equilibrium norm where theory predicts it (AdamW,
	// Lion), NaN otherwise; EquilibriumSteps the time scale to reach
	// equilibrium at the last step's η, λ (NaN without theory).
	NormTheory, EquilibriumSteps float64

	rank     int
	channels int
}

// NeuronRow is one output channel of a rank ≥ 2 tensor at one per-step
// pair: a row of neurons.csv.
type NeuronRow struct {
	Step    int
	Tensor  string
	Channel int
	AU      float64
	Norm    float64
}

// Options are Measure's callbacks, both optional.
type Options struct {
	// Progress is called after each pair of checkpoints.
	Progress func(done, total int)
	// Neuron receives the per-channel rows (Config.PerNeuron) as they are
	// computed, so that they need not be held in memory.
	Neuron func(NeuronRow) error
}

// Result is a measured run.
type Result struct {
	Run     *Run
	Rows    []Row
	Tensors []TensorResult
	// Z is the z of the equilibrium check (internal/stattest.Z).
	Z float64
	// BytesRead is the tensor data read (both files of every pair, second
	// passes included).
	BytesRead int64
	Notes     []string
	// Partial, when set, says why Measure stopped early (e.g.
	// "interrupted by SIGINT after 3 of 10 pairs"): the results are those
	// of the pairs completed.
	Partial string
}

// Measure reads every pair of successive checkpoints tensor by tensor and
// returns the per-step measurements, the scale-invariance decisions and
// the per-tensor summaries. When ctx is cancelled (Ctrl-C) it returns,
// with ctx's error, the results of the pairs completed (Partial set), or
// nil if none was.
func (r *Run) Measure(ctx context.Context, opt Options) (*Result, error) {
	res := &Result{Run: r, Z: stattest.Z, Notes: slices.Clone(r.Notes)}
	index := map[string]int{}
	noted := map[string]bool{}
	note := func(key, format string, args ...any) {
		if !noted[key] {
			noted[key] = true
			res.Notes = append(res.Notes, fmt.Sprintf(format, args...))
		}
	}
	m := &pairMeasurer{buf: newBuffers(), perNeuron: r.Config.PerNeuron}
	npairs := len(r.Checkpoints) - 1
	for i := range npairs {
		nRows, tensors, bytesRead := len(res.Rows), slices.Clone(res.Tensors), res.BytesRead
		stopped := func(err error) (*Result, error) { // the pairs before i only
			if i == 0 || ctx.Err() == nil {
				return nil, err
			}
			res.Rows, res.Tensors, res.BytesRead = res.Rows[:nRows], tensors, bytesRead
			res.Partial = fmt.Sprintf("%v after %d of %d pairs", context.Cause(ctx), i, npairs)
			res.ratios()
			res.decide()
			res.summarize()
			return res, err
		}
		if err := ctx.Err(); err != nil {
			return stopped(err)
		}
		ca, cb := r.Checkpoints[i], r.Checkpoints[i+1]
		fa, err := safetensors.Open(ca.Path)
		if err != nil {
			return nil, err
		}
		fb, err := safetensors.Open(cb.Path)
		if err != nil {
			fa.Close()
			return nil, err
		}
		for _, ta := range fa.Tensors {
			if err := ctx.Err(); err != nil { // Ctrl-C between tensors of a large model
				fa.Close()
				fb.Close()
				return stopped(err)
			}
			if !ta.DType.Decodable() {
				note("skip "+ta.Name, "skipped tensor %q: dtype %s is not a float type (F64, F32, F16, BF16)", ta.Name, ta.DType)
				continue
			}
			tb, ok := fb.Lookup(ta.Name)
			if !ok {
				note("absent "+ta.Name, "tensor %q is in %s but not in %s: no angle for that pair", ta.Name, ca.Path, cb.Path)
				continue
			}
			if !slices.Equal(ta.Shape, tb.Shape) || !tb.DType.Decodable() {
				note("shape "+ta.Name, "tensor %q: %s %v in %s but %s %v in %s: no angle for that pair", ta.Name, ta.DType, ta.Shape, ca.Path, tb.DType, tb.Shape, cb.Path)
				continue
			}
			k, ok := index[ta.Name]
			if !ok {
				k = len(res.Tensors)
				index[ta.Name] = k
				res.Tensors = append(res.Tensors, TensorResult{Name: ta.Name, Shape: ta.Shape, DType: ta.DType, Numel: ta.Numel(), rank: len(ta.Shape), NormFirst: math.NaN(), NormLast: math.NaN()})
			}
			tr := &res.Tensors[k]
			channels := 0
			if r.Config.PerNeuron && len(ta.Shape) >= 2 {
				channels = ta.Shape[0]
				if ca.ChannelAxis == "last" {
					channels = ta.Shape[len(ta.Shape)-1]
				}
				tr.channels = channels
			}
			span := cb.Step - ca.Step
			if err := m.measure(fa, fb, ta, tb, channels, ca.ChannelAxis == "last"); err != nil {
				fa.Close()
				fb.Close()
				return nil, err
			}
			res.BytesRead += m.bytes
			m.bytes = 0
			au, norm := angle(m.total, m.perp2)
			row := Row{Step: ca.Step, Span: span, Tensor: k, AU: au, Norm: norm,
				NormNext: math.Sqrt(math.Max(m.total.aa+2*m.total.ad+m.total.dd, 0)),
				EffLR:    ca.Hyper.LR / (norm * norm), LR: ca.Hyper.LR, AUTheory: math.NaN(),
				Ratio: math.NaN(), RatioBound: math.NaN(), s: m.total, hyp: ca.Hyper,
				u: math.Max(unitRoundoff(ta.DType), unitRoundoff(tb.DType))}
			if norm == 0 {
				note("zero "+ta.Name, "tensor %q is zero at step %d: its angle is undefined (NaN)", ta.Name, ca.Step)
			}
			res.Rows = append(res.Rows, row)
			if opt.Neuron != nil && channels > 0 && span == 1 {
				for c := range channels {
					a, n := angle(m.ch[c], m.chPerp2[c])
					if err := opt.Neuron(NeuronRow{Step: ca.Step, Tensor: ta.Name, Channel: c, AU: a, Norm: n}); err != nil {
						fa.Close()
						fb.Close()
						return nil, err
					}
				}
			}
			if math.IsNaN(tr.NormFirst) {
				tr.NormFirst = norm
			}
			tr.NormLast = row.NormNext
		}
		fa.Close()
		fb.Close()
		if opt.Progress != nil {
			opt.Progress(i+1, npairs)
		}
	}
	if len(res.Tensors) == 0 {
		return nil, bad("%s: no float tensor is present with the same shape in two successive checkpoints", r.Config.Dir)
	}
	res.ratios()
	res.decide()
	res.summarize()
	return res, nil
}

// ratios computes each per-step row's scale-invariance ratio (SGD only):
// with heavy-ball momentum μ, Δw_n = −η_n v_n and v_n = μv_{n−1} + g_n + λw_n,
// so ⟨g_n, w_n⟩ = 0 gives
//
//	r_n = (−⟨Δw_n, w_n⟩/η_n + μ⟨Δw_{n−1}, w_n⟩/η_{n−1}) / (λ‖w_n‖²) = 1,
//
// which for μ = 0 is ⟨Δw, w⟩/(−ηλ‖w‖²). ⟨Δw_{n−1}, w_n⟩ = ⟨a,d⟩ + ‖d‖² of
// the previous pair. RatioBound bounds the deviation float rounding of the
// stored values and of the update can cause (docs/measure.md §2).
func (res *Result) ratios() {
	prev := map[[2]int]int{} // (tensor, step+1) → row of the per-step pair ending there
	for i, row := range res.Rows {
		if row.Span == 1 {
			prev[[2]int{row.Tensor, row.Step + 1}] = i
		}
	}
	for i := range res.Rows {
		row := &res.Rows[i]
		h := row.hyp
		if row.Span != 1 || h.Optimizer != SGD || h.WeightDecay == 0 || row.Norm == 0 {
			continue
		}
		s := row.s
		num := -s.ad / h.LR
		bound := (row.NormNext + 4*math.Sqrt(s.dd)) / h.LR
		if h.Momentum != 0 {
			j, ok := prev[[2]int{row.Tensor, row.Step}]
			if !ok {
				continue
			}
			p := res.Rows[j]
			num += h.Momentum * (p.s.ad + p.s.dd) / p.hyp.LR
			bound += h.Momentum * (row.Norm + 4*math.Sqrt(p.s.dd)) / p.hyp.LR
			row.u = math.Max(row.u, p.u)
		}
		row.Ratio = num / (h.WeightDecay * s.aa)
		row.RatioBound = row.u * bound / (h.WeightDecay * row.Norm)
	}
}

// uninformative is the rounding bound above which the ratio test cannot
// tell a scale-invariant tensor from one that is not (deviations of the
// latter are O(1)); the name rule decides instead.
const uninformative = 0.25

// decide sets every tensor's SI flag: by --si when given; else by the
// ratio test when some per-step pair of the tensor has a ratio and every
// ratio's bound is useful (every ratio must then be within tolerance);
// else by the name rule (rank ≥ 3: a convolution kernel).
func (res *Result) decide() {
	cfg := res.Run.Config
	byTensor := make([][]int, len(res.Tensors))
	for i, row := range res.Rows {
		if row.Span == 1 {
			byTensor[row.Tensor] = append(byTensor[row.Tensor], i)
		}
	}
	for k := range res.Tensors {
		t := &res.Tensors[k]
		lo, hi, sum, maxDev, n := math.Inf(1), math.Inf(-1), 0.0, 0.0, 0
		within, coarse := true, false
		for _, i := range byTensor[k] {
			row := res.Rows[i]
			if math.IsNaN(row.Ratio) { // first step of a momentum triple, zero norm, λ = 0
				continue
			}
			n++
			sum += row.Ratio
			lo, hi = math.Min(lo, row.Ratio), math.Max(hi, row.Ratio)
			dev := math.Abs(row.Ratio - 1)
			maxDev = math.Max(maxDev, dev)
			if !(dev <= cfg.SITol+row.RatioBound) {
				within = false
			}
			if cfg.SITol+row.RatioBound > uninformative {
				coarse = true
			}
		}
		t.SIRatioN = n
		t.SIRatio, t.SIRatioSpread, t.SIRatioMaxDev = math.NaN(), math.NaN(), math.NaN()
		if n > 0 {
			t.SIRatio, t.SIRatioSpread, t.SIRatioMaxDev = sum/float64(n), (hi-lo)/2, maxDev
		}
		nameRule := t.rank >= 3
		switch {
		case cfg.SI != nil:
			t.SI, t.SISource = cfg.SI.MatchString(t.Name), "--si"
		case n > 0 && !coarse:
			t.SI, t.SISource = within, "ratio"
		default:
			why := "no per-step ratio"
			switch {
			case coarse:
				why = "ratio test too coarse for the stored precision"
			case len(byTensor[k]) > 0:
				h := res.Rows[byTensor[k][0]].hyp
				switch {
				case h.Optimizer != SGD:
					why = h.Optimizer
				case h.WeightDecay == 0:
					why = "λ = 0"
				case h.Momentum != 0:
					why = "momentum without step n−1"
				}
			}
			t.SI, t.SISource = nameRule, "name rule ("+why+")"
		}
	}
}

// opt returns the theory's optimizer for h.
func (h Hyper) opt() theory.Optimizer {
	return theory.Optimizer{Name: h.Optimizer, Momentum: h.Momentum, Beta1: h.Beta1, Beta2: h.Beta2}
}

// summarize fills the per-row theory and the per-tensor statistics.
func (res *Result) summarize() {
	for i := range res.Rows {
		row := &res.Rows[i]
		if row.Span != 1 || !res.Tensors[row.Tensor].SI || row.hyp.WeightDecay == 0 {
			continue
		}
		if v, err := theory.EquilibriumAU(row.hyp.opt(), row.hyp.LR, row.hyp.WeightDecay); err == nil {
			row.AUTheory = v
		}
	}
	byTensor := make([][]Row, len(res.Tensors))
	for _, row := range res.Rows {
		if row.Span == 1 && !math.IsNaN(row.AU) {
			byTensor[row.Tensor] = append(byTensor[row.Tensor], row)
		}
	}
	for k := range res.Tensors {
		t := &res.Tensors[k]
		rows := byTensor[k]
		t.MeanAU, t.MeanAUSE, t.RMSAU, t.AUTheory = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		t.NormTheory, t.EquilibriumSteps = math.NaN(), math.NaN()
		if len(rows) == 0 {
			continue
		}
		au := make([]float64, len(rows))
		sq := 0.0
		for i, row := range rows {
			au[i] = row.AU
			sq += row.AU * row.AU
		}
		e := claim.Mean(au)
		t.MeanAU, t.MeanAUSE = e.Mean, e.SE
		t.RMSAU = math.Sqrt(sq / float64(len(rows)))
		last := rows[len(rows)-1]
		if !t.SI || last.hyp.WeightDecay == 0 {
			continue
		}
		o := last.hyp.opt()
		t.AUTheory, _ = theory.EquilibriumAU(o, last.hyp.LR, last.hyp.WeightDecay)
		t.EquilibriumSteps, _ = theory.EquilibriumTime(o, last.hyp.LR, last.hyp.WeightDecay)
		// SGD's equilibrium norm needs E‖g‖² at unit norm, which a checkpoint
		// does not give: NaN makes EquilibriumNorm refuse, and the column
		// stays empty. AdamW's and Lion's depend on η, λ and C only.
		if v, err := theory.EquilibriumNorm(o, last.hyp.LR, last.hyp.WeightDecay, int(t.Numel), math.NaN()); err == nil {
			t.NormTheory = v
		}
		t.Equilibrium = equilibrium(rows, res.Z)
	}
}

// equilibrium compares the RMS AU over the last quarter of the measured
// steps with theory: q_i = AU_i²/θ_i² (θ the theory at each step's η, λ),
// agreement when |√q̄ − 1| ≤ z·SE(√q̄) + max ηλ, SE(√q̄) = SE(q̄)/(2√q̄);
// ηλ bounds the relative O(ηλ) terms the leading-order formulas drop
// (docs/measure.md §4). "" when fewer than 2 steps have a theory.
func equilibrium(rows []Row, z float64) string {
	first, last := rows[0].Step, rows[len(rows)-1].Step
	cut := float64(first) + 0.75*float64(last-first)
	var q []float64
	bias := 0.0
	for _, row := range rows {
		if float64(row.Step) >= cut && row.AUTheory > 0 {
			q = append(q, row.AU*row.AU/(row.AUTheory*row.AUTheory))
			bias = math.Max(bias, row.hyp.LR*row.hyp.WeightDecay)
		}
	}
	if len(q) < 2 {
		return ""
	}
	e := claim.Mean(q)
	mq, se := e.Mean, e.SE
	r := math.Sqrt(mq)
	if math.Abs(r-1) <= z*se/(2*r)+bias {
		return "true"
	}
	return "false"
}
