package experiment

import (
	"fmt"
	"math"

	"github.com/smdlab/smd/claim"
)

// Fig3Series is what the Figure 3 checks need from one trained curve
// (train.Result converts to it): per epoch and per measured step, means
// over trials with their standard errors across trials.
type Fig3Series struct {
	Label string
	// Eta and Lambda are η and λ of the scale-invariant weights at the start
	// (η·k², λ/k² under Corollary 3).
	Eta, Lambda   float64
	Trials        int
	StepsPerEpoch int
	// DecayEpoch is the 0-based epoch at whose first step η is divided by
	// DecayFactor (0: no decay); Rescale says the weights were divided by
	// DecayFactor^{1/4} there.
	DecayEpoch  int
	DecayFactor float64
	Rescale     bool
	Epochs      []Fig3Epoch
	Steps       []Fig3Step
}

// Fig3Epoch is one epoch of a curve.
type Fig3Epoch struct {
	// TrainLoss is the mean minibatch loss over the epoch; TestAcc and
	// TestLoss are measured after it on the test set.
	TrainLoss, TestAcc, TestLoss claim.Estimate
	// MeanAU and RMSAU are the mean and root mean square of the AU over the
	// epoch's measured steps and the layers; Norm the mean of ‖w‖.
	MeanAU, RMSAU, Norm claim.Estimate
	// AUTheory is √(2λη) at the epoch's last step; Drift the mean over
	// layers of |d ln‖w‖²/dt| per step over the epoch.
	AUTheory, Drift float64
}

// Fig3Step is one measured step: mean AU over layers and mean ‖w‖.
type Fig3Step struct {
	Step     int
	AU, Norm claim.Estimate
	AUTheory float64
}

// Fig3Panel is the outcome of one panel's checks: the claims behind its
// verdict and the worst of their verdicts.
type Fig3Panel struct {
	Claims  []claim.Claim
	Notes   []string
	Verdict claim.Verdict
}

func (p *Fig3Panel) add(c claim.Claim, panel string) {
	c.Panel = panel
	p.Claims = append(p.Claims, c)
}

func (p *Fig3Panel) finish() {
	var vs []claim.Verdict
	for _, c := range p.Claims {
		vs = append(vs, c.Verdict)
	}
	p.Verdict = claim.All(vs...)
}

// equilibriumShare is how far from stationary the norm may be for an epoch
// to count as "in equilibrium": the drift term of E Δ² = 2λη + d ln‖w‖²/dt
// (see AUBias) at most a quarter of 2λη, i.e. the AU within ≈ 12 % of
// √(2λη) on account of the drift alone.
const equilibriumShare = 0.25

// AUBias bounds |E Δ² − 2λη| for a scale-invariant weight over one epoch,
// from the measured drift D = |d ln‖w‖²/dt| per step. For plain SGD with
// weight decay and g ⊥ w (scale invariance, eq 6),
//
//	‖w_{t+1}‖² = (1 − λη)²‖w_t‖² + η²‖g_t‖²,   tan Δ_t = η‖g_t‖/((1 − λη)‖w_t‖),
//
// so tan²Δ_t = ρ_t/(1 − λη)² − 1 exactly, with ρ_t = ‖w_{t+1}‖²/‖w_t‖² = e^{δ_t}.
// Expanding, E tan²Δ = 2λη + E δ (1 + 2λη) + 3(λη)² + E δ²/2 + …, with
// |E δ| ≤ D; E δ² ≤ (1 + cv²)·(E Δ²)² ≤ 2 AU⁴ when the per-step coefficient
// of variation cv of Δ² is at most 1 (measured: ≈ 0.3 on the small CNN,
// docs/train.md), and tan²Δ − Δ² ≤ Δ⁴ for Δ < 0.5. Hence
//
//	|E Δ² − 2λη| ≤ D(1 + 2λη) + 3(λη)² + 2 AU⁴.
//
// In equilibrium (D = 0) this is Lemma 1's √(2λη) up to O(λη) relatively.
func AUBias(drift, lambdaEta, au float64) float64 {
	return drift*(1+2*lambdaEta) + 3*lambdaEta*lambdaEta + 2*au*au*au*au
}

// auEquilibrium checks a curve's last-epoch RMS AU against √(2λη): the
// bias is AUBias, carried from Δ² to Δ by |a − b| = |a² − b²|/(a + b); not
// shown when the norm still drifts by more than equilibriumShare·2λη.
func auEquilibrium(s Fig3Series, z float64) claim.Claim {
	last := s.Epochs[len(s.Epochs)-1]
	th := last.AUTheory
	if math.IsNaN(last.Drift) { // fewer than two measurements in the epoch
		return claim.Claim{Kind: claim.KindAgree, Statement: s.Label + ": last-epoch RMS AU vs √(2λη): the norm's drift is not measured (fewer than two measured steps in the epoch)",
			Measured: last.RMSAU.Mean, SE: last.RMSAU.SE, Predicted: th, Z: z, Verdict: claim.NotShown}
	}
	b2 := AUBias(last.Drift, th*th/2, last.RMSAU.Mean)
	c := claim.Agree(s.Label+": last-epoch RMS AU vs √(2λη)", last.RMSAU, th, b2/(last.RMSAU.Mean+th), z)
	if c.Verdict == claim.Supported && last.Drift > equilibriumShare*th*th {
		c.Verdict = claim.NotShown
		c.Statement += fmt.Sprintf(" (not in equilibrium: drift %.2g per step > %.2g·2λη)", last.Drift, equilibriumShare)
	}
	return c
}

// epochs returns the field f of each epoch.
func epochs(s Fig3Series, f func(e Fig3Epoch) claim.Estimate) []claim.Estimate {
	out := make([]claim.Estimate, len(s.Epochs))
	for i, e := range s.Epochs {
		out[i] = f(e)
	}
	return out
}

func fTrainLoss(e Fig3Epoch) claim.Estimate { return e.TrainLoss }
func fTestAcc(e Fig3Epoch) claim.Estimate   { return e.TestAcc }
func fMeanAU(e Fig3Epoch) claim.Estimate    { return e.MeanAU }
func fNorm(e Fig3Epoch) claim.Estimate      { return e.Norm }

// CheckFig3Equilibrium checks Figure 3 (a)–(d) on curves with equal λη:
// (a), (b) the last-epoch train loss and test accuracy agree between every
// pair of curves (z Bonferroni over the pairs), and their first epochs
// differ for some pair (the "different early evolution"); (c) every curve's
// last-epoch RMS AU agrees with √(2λη) (auEquilibrium) and the first-epoch
// AUs differ; (d) the norms are ordered by η/λ (the equilibrium ‖w‖⁴ ∝ η/λ
// at a given gradient scale, eq 17), each consecutive pair by more than
// z·SE. Curves share seeds, so differences combine SEs as Correlated.
func CheckFig3Equilibrium(curves []Fig3Series) [4]Fig3Panel {
	var out [4]Fig3Panel
	pairs := len(curves) * (len(curves) - 1) / 2
	zp := claim.ZFor(pairs)
	last := len(curves[0].Epochs) - 1
	for k, f := range []func(Fig3Epoch) claim.Estimate{fTrainLoss, fTestAcc, fMeanAU} {
		name := []string{"train loss", "test accuracy", "mean AU"}[k]
		// Early: does some pair differ in epoch 1?
		best := claim.Claim{}
		bestScore := math.Inf(-1)
		for i := range curves {
			for j := i + 1; j < len(curves); j++ {
				a, b := f(curves[i].Epochs[0]), f(curves[j].Epochs[0])
				d := claim.Sub(a, b, claim.Correlated)
				d.Mean = math.Abs(d.Mean)
				c := claim.Effect(fmt.Sprintf("epoch-1 %s, |%s − %s|", name, curves[i].Label, curves[j].Label), d, 0, zp)
				if s := d.Mean / (zp * d.SE); s > bestScore {
					best, bestScore = c, s
				}
				if k < 2 {
					l := claim.Agree(fmt.Sprintf("last-epoch %s, %s − %s", name, curves[i].Label, curves[j].Label),
						claim.Sub(f(curves[i].Epochs[last]), f(curves[j].Epochs[last]), claim.Correlated), 0, 0, zp)
					out[k].add(l, "")
				}
			}
		}
		out[k].add(best, "")
	}
	for _, s := range curves {
		out[2].add(auEquilibrium(s, claim.ZFor(len(curves))), "")
	}
	// (d): order by η/λ.
	idx := make([]int, len(curves))
	for i := range idx {
		idx[i] = i
	}
	for i := 1; i < len(idx); i++ { // insertion sort by η/λ
		for j := i; j > 0 && curves[idx[j]].Eta/curves[idx[j]].Lambda < curves[idx[j-1]].Eta/curves[idx[j-1]].Lambda; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	zo := claim.ZFor(len(curves) - 1)
	for i := 1; i < len(idx); i++ {
		hi, lo := curves[idx[i]], curves[idx[i-1]]
		d := claim.Sub(hi.Epochs[last].Norm, lo.Epochs[last].Norm, claim.Correlated)
		c := claim.Effect(fmt.Sprintf("last-epoch ‖w‖, %s (η/λ = %.3g) − %s (η/λ = %.3g)", hi.Label, hi.Eta/hi.Lambda, lo.Label, lo.Eta/lo.Lambda), d, 0, zo)
		if -d.Mean > zo*d.SE { // significantly the wrong way round
			c.Verdict = claim.Contradicted
		}
		out[3].add(c, "")
	}
	for i := range out {
		out[i].finish()
	}
	return out
}

// stepIndex returns the index of the first measured step ≥ step.
func stepIndex(s Fig3Series, step int) int {
	for i, m := range s.Steps {
		if m.Step >= step {
			return i
		}
	}
	return len(s.Steps) - 1
}

// ratio returns a/b with the delta-method SE, the SEs combined as
// Correlated: SE(a/b) ≤ (SE_a + (a/b)·SE_b)/b.
func ratio(a, b claim.Estimate) claim.Estimate {
	r := a.Mean / b.Mean
	return claim.Estimate{Mean: r, SE: (a.SE + math.Abs(r)*b.SE) / math.Abs(b.Mean)}
}

// CheckFig3Decay checks Figure 3 (e)–(h) on two curves, without and with
// rescale, that divide η by k at the same epoch:
//
//   - (g) the AU at the decay step over the AU one measurement before:
//     1/k without rescale (η/k at the same norm), 1/√k with it (‖w‖² ÷ √k
//     too); without rescale the AU then climbs back (last-epoch mean above
//     the decay-step AU by more than z·SE); with it the last-epoch RMS AU
//     agrees with the new √(2λη/k) (auEquilibrium).
//   - (e), (f) "pseudo overfitting": without rescale the train loss dips
//     after the decay below its last-epoch value, or the test accuracy
//     peaks above its last-epoch value (an Effect); with rescale neither
//     happens (NoEffect).
//   - (h) without rescale the norm falls after the decay (its last-epoch
//     mean below the decay-step value by more than z·SE).
//
// The one-measurement ratio has no bias term: between two measurements 12
// steps apart in equilibrium the AU changes only by the gradient noise,
// which the across-trial SE contains.
func CheckFig3Decay(plain, rescaled Fig3Series) [4]Fig3Panel {
	var out [4]Fig3Panel
	k := plain.DecayFactor
	ds := plain.DecayEpoch * plain.StepsPerEpoch
	last := len(plain.Epochs) - 1
	z := claim.Z
	for _, c := range []struct {
		s    Fig3Series
		want float64
		what string
	}{{plain, 1 / k, "1/k"}, {rescaled, 1 / math.Sqrt(k), "1/√k"}} {
		i := stepIndex(c.s, ds)
		r := ratio(c.s.Steps[i].AU, c.s.Steps[i-1].AU)
		out[2].add(claim.Agree(fmt.Sprintf("%s: AU at the decay step / AU %d steps before (want %s)", c.s.Label, c.s.Steps[i].Step-c.s.Steps[i-1].Step, c.what), r, c.want, 0, z), "")
	}
	i := stepIndex(plain, ds)
	climb := claim.Sub(plain.Epochs[last].MeanAU, plain.Steps[i].AU, claim.Correlated)
	out[2].add(claim.Effect(plain.Label+": AU climbs back after the decay (last-epoch mean − decay-step AU)", climb, 0, z), "")
	out[2].add(auEquilibrium(rescaled, z), "")

	// Pseudo overfitting, post-decay epochs DecayEpoch … last.
	post := func(s Fig3Series, f func(Fig3Epoch) claim.Estimate, sign float64) claim.Estimate {
		best := claim.Estimate{Mean: math.Inf(-1)}
		for e := plain.DecayEpoch; e < last; e++ {
			d := claim.Sub(f(s.Epochs[e]), f(s.Epochs[last]), claim.Correlated)
			d.Mean *= sign
			if d.Mean > best.Mean {
				best = d
			}
		}
		return best
	}
	nPost := max(1, last-plain.DecayEpoch)
	zs := claim.ZFor(nPost)
	for col, f := range []func(Fig3Epoch) claim.Estimate{fTrainLoss, fTestAcc} {
		sign, what := -1.0, "train loss dips after the decay (last-epoch value − minimum after the decay)"
		if col == 1 {
			sign, what = 1, "test accuracy peaks after the decay (maximum after the decay − last-epoch value)"
		}
		out[col].add(claim.Effect(plain.Label+": "+what, post(plain, f, sign), 0, zs), "")
		out[col].add(claim.NoEffect(rescaled.Label+": "+what, post(rescaled, f, sign), 0, zs), "")
	}
	fall := claim.Sub(plain.Steps[i].Norm, plain.Epochs[last].Norm, claim.Correlated)
	out[3].add(claim.Effect(plain.Label+": ‖w‖ falls after the decay (decay-step − last-epoch mean)", fall, 0, z), "")
	j := stepIndex(rescaled, ds)
	rn := ratio(rescaled.Steps[j].Norm, rescaled.Steps[j-1].Norm)
	out[3].Notes = append(out[3].Notes, fmt.Sprintf("%s: ‖w‖ at the decay step / %d steps before = %s (the rescale alone: k^{-1/4} = %.4f)",
		rescaled.Label, rescaled.Steps[j].Step-rescaled.Steps[j-1].Step, rn, math.Pow(k, -0.25)))
	for i := range out {
		out[i].finish()
	}
	return out
}

// CheckFig3Init checks Figure 3 (i)–(l) on three curves: Kaiming, σ̃ ×10,
// and σ̃ ×10 with Corollary 3's (η·k², λ/k²), k = 10:
//
//   - the Corollary 3 curve reproduces the Kaiming one: train loss, test
//     accuracy and AU (per epoch) and ‖w‖/k agree at every epoch within
//     ZFor(epochs)·SE (claim.Curves; the same seeds, SEs Correlated; no
//     bias term: the transform is exact up to BN's ε and float32 rounding,
//     whose effect is a trajectory as different as another seed's, which
//     the combined SE covers);
//   - σ̃ ×10 starts slower: its first-epoch train loss is higher, its
//     first-epoch test accuracy and AU lower, and its norm larger than the
//     Kaiming run's, each by more than z·SE.
func CheckFig3Init(kaiming, big, cor3 Fig3Series, k float64) [4]Fig3Panel {
	var out [4]Fig3Panel
	z := claim.Z
	for col, f := range []func(Fig3Epoch) claim.Estimate{fTrainLoss, fTestAcc, fMeanAU, fNorm} {
		a, b := epochs(kaiming, f), epochs(cor3, f)
		what := []string{"train loss", "test accuracy", "mean AU", "‖w‖"}[col]
		cw := what
		if col == 3 {
			for i := range b {
				b[i] = claim.Estimate{Mean: b[i].Mean / k, SE: b[i].SE / k}
			}
			cw = fmt.Sprintf("‖w‖/%g", k)
		}
		c, at := claim.Curves(fmt.Sprintf("%s of %s − %s of %s, worst epoch", cw, cor3.Label, what, kaiming.Label), b, a, 0, claim.Correlated)
		c.Statement += fmt.Sprintf(" %d", at+1)
		out[col].add(c, "")
		sign := []float64{1, -1, -1, 1}[col]
		d := claim.Sub(f(big.Epochs[0]), f(kaiming.Epochs[0]), claim.Correlated)
		d.Mean *= sign
		dir := []string{"higher", "lower", "lower", "larger"}[col]
		out[col].add(claim.Effect(fmt.Sprintf("epoch-1 %s of %s %s than %s's", what, big.Label, dir, kaiming.Label), d, 0, z), "")
	}
	for i := range out {
		out[i].finish()
	}
	return out
}
