package experiment

import (
	"math"
	"testing"

	"github.com/smdlab/smd/claim"
)

// fig3Curve builds a 6-epoch series with one measured step per 10 steps
// (100 steps per epoch) from per-epoch functions of the epoch index, each
// value with SE se·|value| (relative).
type epochFn func(e int) float64

func fig3Curve(label string, eta, lambda float64, loss, acc, au, nrm epochFn, se float64) Fig3Series {
	s := Fig3Series{Label: label, Eta: eta, Lambda: lambda, Trials: 3, StepsPerEpoch: 100, DecayFactor: 5}
	est := func(v float64) claim.Estimate { return claim.Estimate{Mean: v, SE: se * math.Abs(v)} }
	for e := range 6 {
		th := math.Sqrt(2 * eta * lambda)
		s.Epochs = append(s.Epochs, Fig3Epoch{TrainLoss: est(loss(e)), TestAcc: est(acc(e)), MeanAU: est(au(e)), RMSAU: est(au(e)), Norm: est(nrm(e)), AUTheory: th})
		for k := range 10 {
			s.Steps = append(s.Steps, Fig3Step{Step: 100*e + 10*k, AU: est(au(e)), Norm: est(nrm(e)), AUTheory: th})
		}
	}
	return s
}

func fig3Verdicts(p [4]Fig3Panel) [4]claim.Verdict {
	return [4]claim.Verdict{p[0].Verdict, p[1].Verdict, p[2].Verdict, p[3].Verdict}
}

func wantFig3(t *testing.T, name string, got [4]Fig3Panel, w [4]claim.Verdict) {
	t.Helper()
	if fig3Verdicts(got) != w {
		t.Errorf("%s: verdicts %v, want %v", name, fig3Verdicts(got), w)
		for k, p := range got {
			for _, c := range p.Claims {
				t.Logf("  panel %d: %s", k, c)
			}
		}
	}
}

var (
	S = claim.Supported
	C = claim.Contradicted
	N = claim.NotShown
)

// TestCheckFig3Equilibrium: equal ηλ = 10⁻³; curves that start differently
// and end at the same loss, accuracy and AU √(2λη) with norms ordered by
// η/λ are supported in every panel; a curve whose AU settles at twice
// √(2λη) and whose loss stays apart contradicts (a)–(c); reversed norms
// contradict (d).
func TestCheckFig3Equilibrium(t *testing.T) {
	th := math.Sqrt(2e-3)
	mk := func(i int, auLimit, lossEnd float64, normScale float64) Fig3Series {
		eta := []float64{0.2, 0.5, 1.25}[i]
		start := 0.2 * float64(i+1) // early values differ by curve
		return fig3Curve("c", eta, 1e-3/eta,
			func(e int) float64 { return lossEnd + start*math.Exp(-float64(2*e)) },
			func(e int) float64 { return 0.88 - start*math.Exp(-float64(2*e)) },
			func(e int) float64 { return auLimit * (1 - 0.5*start*math.Exp(-float64(2*e))) },
			func(e int) float64 { return normScale * math.Pow(eta*eta/1e-3, 0.25) },
			1e-3)
	}
	good := []Fig3Series{mk(0, th, 0.3, 1), mk(1, th, 0.3, 1), mk(2, th, 0.3, 1)}
	wantFig3(t, "supported", CheckFig3Equilibrium(good), [4]claim.Verdict{S, S, S, S})
	bad := []Fig3Series{mk(0, th, 0.3, 1), mk(1, 2*th, 0.4, 1), mk(2, th, 0.3, 1)}
	wantFig3(t, "AU 2× and loss apart", CheckFig3Equilibrium(bad), [4]claim.Verdict{C, S, C, S})
	rev := []Fig3Series{mk(0, th, 0.3, 3), mk(1, th, 0.3, 1), mk(2, th, 0.3, 0.5)}
	wantFig3(t, "norms reversed", CheckFig3Equilibrium(rev), [4]claim.Verdict{S, S, S, C})
	// Still drifting in the last epoch: the AU claim is not shown.
	drift := []Fig3Series{mk(0, th, 0.3, 1), mk(1, th, 0.3, 1), mk(2, th, 0.3, 1)}
	drift[1].Epochs[5].Drift = 1e-3
	wantFig3(t, "not in equilibrium", CheckFig3Equilibrium(drift), [4]claim.Verdict{S, S, N, S})
	drift[1].Epochs[5].Drift = math.NaN()
	wantFig3(t, "drift not measured", CheckFig3Equilibrium(drift), [4]claim.Verdict{S, S, N, S})
}

// TestCheckFig3Decay: η ÷ 5 at epoch 3. Supported: without rescale the AU
// drops by 5 at the decay and climbs back, the loss dips and the accuracy
// peaks, the norm falls; with rescale the AU drops by √5 and stays at
// √(2λη/5), with no dip. Contradicted: the rescaled run dips too, and its
// AU drops by 5 instead of √5.
func TestCheckFig3Decay(t *testing.T) {
	const k = 5.0
	au0 := math.Sqrt(2e-3)
	mk := func(label string, rescale, dip bool, drop float64) Fig3Series {
		au := func(e int) float64 {
			if e < 3 {
				return au0
			}
			return au0 / math.Sqrt(k)
		}
		s := fig3Curve(label, 0.5, 2e-3,
			func(e int) float64 {
				if e == 3 && dip {
					return 0.25
				}
				return 0.3
			},
			func(e int) float64 {
				if e == 3 && dip {
					return 0.89
				}
				return 0.88
			},
			au,
			func(e int) float64 { return 5 - 0.1*float64(e) },
			1e-3)
		s.DecayEpoch, s.Rescale = 3, rescale
		// The AU just after the decay: au0/drop, climbing back over the epoch.
		for i := range s.Steps {
			st := &s.Steps[i]
			if st.Step >= 300 && st.Step < 400 {
				f := float64(st.Step-300) / 100
				v := au0/drop + f*(au0/math.Sqrt(k)-au0/drop)
				st.AU = claim.Estimate{Mean: v, SE: 1e-3 * v}
			}
			if st.Step >= 300 {
				st.AUTheory = au0 / math.Sqrt(k)
			}
		}
		for e := 3; e < 6; e++ {
			s.Epochs[e].AUTheory = au0 / math.Sqrt(k)
		}
		return s
	}
	wantFig3(t, "supported", CheckFig3Decay(mk("no rescale", false, true, k), mk("rescale", true, false, math.Sqrt(k))), [4]claim.Verdict{S, S, S, S})
	wantFig3(t, "rescale dips and drops by k", CheckFig3Decay(mk("no rescale", false, true, k), mk("rescale", true, true, k)), [4]claim.Verdict{C, C, C, S})
	wantFig3(t, "no pseudo overfitting", CheckFig3Decay(mk("no rescale", false, false, k), mk("rescale", true, false, math.Sqrt(k))), [4]claim.Verdict{N, N, S, S})
}

// TestCheckFig3Init: the Corollary 3 curve equal to the Kaiming one (norm
// ×10) and a slower ×10 start: supported; a Corollary 3 curve that is off
// by 20 SE in one epoch contradicts that panel.
func TestCheckFig3Init(t *testing.T) {
	kaiming := fig3Curve("kaiming", 0.5, 2e-3,
		func(e int) float64 { return 0.3 + 0.2*math.Exp(-float64(e)) },
		func(e int) float64 { return 0.88 - 0.1*math.Exp(-float64(e)) },
		func(e int) float64 { return 0.04 * (1 - 0.5*math.Exp(-float64(e))) },
		func(e int) float64 { return 10 - float64(e) }, 1e-3)
	big := fig3Curve("×10", 0.5, 2e-3,
		func(e int) float64 { return 0.3 + 0.5*math.Exp(-float64(e)) },
		func(e int) float64 { return 0.88 - 0.3*math.Exp(-float64(e)) },
		func(e int) float64 { return 0.04 * (1 - 0.9*math.Exp(-float64(e))) },
		func(e int) float64 { return 100 - 15*float64(e) }, 1e-3)
	cor3 := fig3Curve("cor3", 50, 2e-5,
		func(e int) float64 { return 0.3 + 0.2*math.Exp(-float64(e)) },
		func(e int) float64 { return 0.88 - 0.1*math.Exp(-float64(e)) },
		func(e int) float64 { return 0.04 * (1 - 0.5*math.Exp(-float64(e))) },
		func(e int) float64 { return 10 * (10 - float64(e)) }, 1e-3)
	wantFig3(t, "supported", CheckFig3Init(kaiming, big, cor3, 10), [4]claim.Verdict{S, S, S, S})
	off := cor3
	off.Epochs = append([]Fig3Epoch(nil), cor3.Epochs...)
	off.Epochs[2].TestAcc.Mean += 20 * 2 * off.Epochs[2].TestAcc.SE
	wantFig3(t, "Corollary 3 curve off", CheckFig3Init(kaiming, big, off, 10), [4]claim.Verdict{S, C, S, S})
}
