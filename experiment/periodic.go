package experiment

import (
	"context"
	"fmt"

	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/theory"
)

// PeriodicPreset is the low-noise regime of Lobacheva et al. 2021 ("On the
// periodic behavior of neural network training with batch normalization
// and weight decay") on the NRQ: p = 10, a = (0.5, 1.5 × 9), η = 0.1,
// λ = 0.1 (ηλ = 10⁻²), ‖X₀‖ = 1, f₀ = 0.5, noise σ, one trajectory per
// seed (cycles dephase across trials, so an ensemble mean would wash them
// out), every step recorded. Weight decay shrinks ‖X‖ until the effective
// step η/‖X‖² destabilises the direction, the norm jumps, and the cycle
// repeats (docs/derivations.md §13).
func PeriodicPreset(sigma float64, seed uint64, steps int) *Config {
	return &Config{
		Model: "nrq", Spectrum: []float64{0.5, 1.5}, Multiplicity: []int{1, 9},
		Sigma: ptr(sigma), Eta: ptr(0.1), Lambda: ptr(0.1),
		Init:  Init{Norm: ptr(1.0), F0: ptr(0.5)},
		Steps: steps, Trials: 1, RecordEvery: 1, Seed: seed, Method: "full", TailXi: 0.9,
	}
}

// Cycle is one period of the periodic regime: the step where the norm
// jump starts (‖X‖² at a local minimum, about to rise), the step where it
// ends (local maximum), and the stability ratio κ = η(a_p − a₁)/((1 − ηλ)‖X‖²)
// at both.
type Cycle struct {
	Start, End    int
	KMinus, KPlus float64
}

// Periodic is the measurement of one run of PeriodicPreset.
type Periodic struct {
	Config *Config
	Steps  []int
	NormSq []float64 // ‖X_n‖² of the single trajectory
	Risk   []float64
	Cycles []Cycle
}

// RunPeriodic runs c (a PeriodicPreset) and finds its cycles: a jump
// starts at a local minimum of ‖X_n‖² and ends at the next local maximum,
// if that is ≥ 1.2 times the minimum (in the decay phase ‖X‖² only falls,
// by (1 − ηλ)² per step; smaller rises are ripples).
func RunPeriodic(ctx context.Context, c *Config) (*Periodic, error) {
	res, _, err := Run(ctx, c, Options{})
	if err != nil {
		return nil, err
	}
	p, _, err := c.TheoryModel()
	if err != nil {
		return nil, err
	}
	out := &Periodic{Config: c}
	for _, r := range res.Rows {
		out.Steps = append(out.Steps, r.Step)
		out.NormSq = append(out.NormSq, r.NormSq)
		out.Risk = append(out.Risk, r.Risk)
	}
	kappa := func(n2 float64) float64 {
		return *c.Eta * (p.AP() - p.A1()) / ((1 - *c.Eta**c.Lambda) * n2)
	}
	n := out.NormSq
	for i := 1; i+1 < len(n); i++ {
		if !(n[i+1] > n[i] && n[i] <= n[i-1]) { // a local minimum
			continue
		}
		j := i + 1
		for j+1 < len(n) && n[j+1] >= n[j] {
			j++
		}
		if j+1 >= len(n) {
			break
		}
		if n[j] < 1.2*n[i] { // a ripple, not a jump
			i = j
			continue
		}
		out.Cycles = append(out.Cycles, Cycle{Start: out.Steps[i], End: out.Steps[j], KMinus: kappa(n[i]), KPlus: kappa(n[j])})
		i = j
	}
	return out, nil
}

// PeriodStats returns the mean and SE of the period (steps between
// successive jump starts), of κ₋, κ₊ and of the jump duration, over the
// cycles after the first (the first starts from ‖X₀‖, not from a jump).
// Successive cycles of one trajectory are nearly independent once the
// noise, not the start, sets the phase; the SE treats them as such.
func (p *Periodic) PeriodStats() (period, kMinus, kPlus, jump [2]float64, n int, err error) {
	cs := p.Cycles
	if len(cs) < 3 {
		return period, kMinus, kPlus, jump, 0, fmt.Errorf("periodic: %d cycles, need ≥ 3", len(cs))
	}
	var per, km, kp, jd []float64
	for i := 1; i < len(cs); i++ {
		per = append(per, float64(cs[i].Start-cs[i-1].Start))
		km = append(km, cs[i].KMinus)
		kp = append(kp, cs[i-1].KPlus)
		jd = append(jd, float64(cs[i].End-cs[i].Start))
	}
	meanSE := func(v []float64) [2]float64 { e := claim.Mean(v); return [2]float64{e.Mean, e.SE} }
	return meanSE(per), meanSE(km), meanSE(kp), meanSE(jd), len(per), nil
}

// PeriodicPrediction is the derived period for measured κ₊ and jump
// duration: κ₋ and the decay steps from the entry–exit relation summed
// step by step (theory.EntryExitSteps), plus the jump; kCont is the
// continuous-time κ₋ (theory.EntryExitKappa), and naivePeriod the period
// if the direction destabilised at the threshold κ = 2 itself.
func PeriodicPrediction(c *Config, kPlus, jump float64) (kMinus, kCont, period, naivePeriod float64, err error) {
	n, kMinus, err := theory.EntryExitSteps(kPlus, *c.Eta, *c.Lambda)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	kCont, err = theory.EntryExitKappa(kPlus)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	period = float64(n) + jump
	naivePeriod = theory.PeriodicDecaySteps(kPlus, 2, *c.Eta, *c.Lambda) + jump
	return kMinus, kCont, period, naivePeriod, nil
}
