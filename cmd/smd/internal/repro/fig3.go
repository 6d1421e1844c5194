package repro

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/plot"
	"github.com/smdlab/smd/train"
)

// fig3Saved is what fig3-results.gob holds.
type fig3Saved struct {
	Results [][]*train.Result
	Steps   int
	Wall    time.Duration
}

// fig3DefaultTrials is the number of trials per Figure 3 curve when
// --trials is not given: the most that fits the 20-minute budget on two
// cores (docs/train.md).
const fig3DefaultTrials = 3

// Fig3Data resolves --data for fig3: the Debian path when it is empty.
func Fig3Data(dir string) (string, error) {
	if dir == "" {
		dir = train.FashionMNISTDebianDir
	}
	if err := train.CheckFashionMNIST(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// fig3Work is the number of SGD steps of Figure 3 (the training split's
// size read from its labels file).
func fig3Work(o Options) int64 {
	if o.Fig3From != "" {
		return 0
	}
	dir, err := Fig3Data(o.Data)
	if err != nil {
		return 0
	}
	l, err := train.ReadIDX(filepath.Join(dir, train.FashionMNISTFiles.TrainLabels+".gz"))
	if err != nil {
		if l, err = train.ReadIDX(filepath.Join(dir, train.FashionMNISTFiles.TrainLabels)); err != nil {
			return 0
		}
	}
	return int64(train.Fig3Steps(train.Fig3(), l.Dims[0], fig3Options(o)))
}

func fig3Options(o Options) train.Fig3Options {
	return train.Fig3Options{Trials: o.Trials, SeedOffset: o.Seed, StepsPerEpoch: o.Fig3StepsPerEpoch, TestSamples: o.Fig3TestSamples}
}

// validateFig3 reports a missing dataset before anything runs.
func validateFig3(o Options) error {
	if o.Fig3From != "" {
		return nil
	}
	if _, err := Fig3Data(o.Data); err != nil {
		return fmt.Errorf("--data: %w", err)
	}
	return nil
}

// buildFig3 trains the curves of train.Fig3 on Fashion-MNIST (o.Data)
// and builds the twelve panels with their verdicts
// (experiment.CheckFig3Equilibrium, CheckFig3Decay, CheckFig3Init).
//
// The trained results are also saved as fig3-results.gob in o.Out (also
// when redrawn); o.Fig3From, if set, names such a file to redraw from
// instead of training.
func buildFig3(ctx context.Context, o Options, progress func(int64)) (*Figure, []Run, error) {
	rows := train.Fig3()
	var saved fig3Saved
	if o.Fig3From != "" {
		f, err := os.Open(o.Fig3From)
		if err != nil {
			return nil, nil, err
		}
		err = gob.NewDecoder(f).Decode(&saved)
		f.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", o.Fig3From, err)
		}
		if len(saved.Results) != len(rows) {
			return nil, nil, fmt.Errorf("%s: %d rows, want %d", o.Fig3From, len(saved.Results), len(rows))
		}
	} else {
		dir, err := Fig3Data(o.Data)
		if err != nil {
			return nil, nil, err
		}
		trainSet, testSet, err := train.LoadSplits(train.LoadFashionMNIST, dir)
		if err != nil {
			return nil, nil, err
		}
		opt := fig3Options(o)
		saved.Steps = train.Fig3Steps(rows, trainSet.Len(), opt)
		opt.Progress = func(done, _ int) { progress(int64(done)) }
		start := time.Now()
		saved.Results, err = train.RunFig3(ctx, rows, trainSet, testSet, opt)
		if err != nil {
			var de *train.DivergedError
			if errors.As(err, &de) {
				return nil, nil, fmt.Errorf("%w (a Figure 3 preset diverged)", err)
			}
			return nil, nil, err
		}
		saved.Wall = time.Since(start)
	}
	// Also when redrawn: the output folder is replaced as a whole, and
	// --fig3-from may name the gob of the very folder being replaced.
	if err := WriteFile(filepath.Join(o.Out, "fig3-results.gob"), func(w io.Writer) error { return gob.NewEncoder(w).Encode(&saved) }); err != nil {
		return nil, nil, err
	}
	res, total, wall := saved.Results, saved.Steps, saved.Wall
	base := train.Fig3Base()
	f := &Figure{Name: "fig3",
		Title: fmt.Sprintf("Figure 3 on Fashion-MNIST: BN-MLP 784–256–128–10, batch %d, plain SGD, mean of %d trials", base.BatchSize, res[0][0].Config.Trials),
		Caption: "The paper's Figure 3 (ResNet18 on CIFAR-10) on the data and network this machine can train: Fashion-MNIST and a multilayer perceptron whose two hidden layers are followed by batch normalization, so their weights are scale-invariant. " +
			"Rows: (a)–(d) several (η, λ) at equal ηλ; (e)–(h) a learning-rate decay without and with rescale; (i)–(l) the initial scale and Corollary 3. " +
			"Columns: train loss (mean minibatch loss of each epoch), test accuracy (10 000 test images after each epoch), mean angular update of the scale-invariant layers per measured step with √(2λη) dotted, mean weight norm of those layers. All panels share the epoch axis from 0.",
		W: 19, H: 12.5, PW: 8.2, PH: 4.2}
	var runs []Run
	for i, row := range rows {
		series := make([]experiment.Fig3Series, len(row.Curves))
		for j, cv := range row.Curves {
			series[j] = res[i][j].Series(cv.Label)
			c := res[i][j].Config
			runs = append(runs, Run{Figure: row.Name, Label: cv.Label, TrainConfig: &c, Method: "train (" + res[i][j].Backend + ")", WallSec: res[i][j].Wall.Seconds()})
		}
		var checks [4]experiment.Fig3Panel
		switch row.Name {
		case "fig3_a-d":
			checks = experiment.CheckFig3Equilibrium(series)
		case "fig3_e-h":
			checks = experiment.CheckFig3Decay(series[0], series[1])
		case "fig3_i-l":
			checks = experiment.CheckFig3Init(series[0], series[1], series[2], row.Curves[2].Config.Corollary3K)
		}
		f.Rows = append(f.Rows, fig3Row(row, series, checks))
	}
	trials := res[0][0].Config.Trials
	f.Notes = append(f.Notes, fmt.Sprintf("How Figure 3 is checked (experiment.CheckFig3Equilibrium, CheckFig3Decay, CheckFig3Init; package claim): \"±\" is the standard error across the %d trials (sample SD/√%d); "+
		"a difference between two curves adds their SEs (the curves share their seeds, so they are not independent); a value agrees with a prediction when |Δ| ≤ z·SE + bound, an effect is shown when it exceeds z·SE, "+
		"z = %.2f per check and Bonferroni over the pairs or epochs a check scans. The only bias bound is the AU's: |E Δ² − 2λη| ≤ D(1 + 2λη) + 3(λη)² + 2AU⁴ with D the measured drift of ln‖w‖² per step in the epoch (experiment.AUBias), "+
		"and the equilibrium claim is 'not shown' while D > 2λη/4. With %d trials each SE is itself estimated from %d degrees of freedom, so z = %.2f has a false-alarm probability of %s per check (Student's t) rather than 10⁻⁵: read the verdicts as indicative and rerun with more --trials to sharpen them.",
		trials, trials, claim.Z, trials, trials-1, claim.Z, tFalseAlarm(claim.Z, trials-1)))
	f.Notes = append(f.Notes, fmt.Sprintf("%d SGD steps over %d distinct runs in %s (%.1f ms per step, two runs at a time); settings: train.Fig3Equilibrium, Fig3Decay, Fig3Init and run.json.",
		total, distinctRuns(res), wall.Round(time.Second), 1000*wall.Seconds()/float64(total)))
	return f, runs, nil
}

var fig3Claims = map[string][4]string{
	"fig3_a-d": {
		"At equal ηλ the steady train loss is the same (the equilibrium AU √(2λη) sets it), while the early evolution differs.",
		"At equal ηλ the steady test accuracy is the same, while the early evolution differs.",
		"In equilibrium the angular update of every scale-invariant layer is √(2λη), whatever η and λ are separately (Lemma 1); different (η, λ) differ only early on.",
		"Equal ηλ with different η/λ gives different weight norms (‖w‖⁴ ∝ η/λ in equilibrium, eq 17) but the same AU.",
	},
	"fig3_e-h": {
		"Pseudo overfitting: without rescale the train loss falls after the decay and rises again as the AU climbs back; rescaling removes the rise.",
		"Pseudo overfitting: without rescale the test accuracy peaks shortly after the decay and then falls; with rescale it does not.",
		"After η ÷ k the AU drops to 1/k of its value and climbs back to √(2λη/k) as the norm shrinks; with rescale (w ÷ k^{1/4}) it steps straight to √(2λη/k).",
		"Without rescale the norm shrinks towards its new equilibrium after the decay; the rescale puts it there at once.",
	},
	"fig3_i-l": {
		"A 10× larger initial σ̃ makes the AU smaller at first, so the train loss falls more slowly; Corollary 3's (η·100, λ/100) reproduces the Kaiming curve.",
		"A 10× larger initial σ̃ makes the test accuracy rise more slowly; with Corollary 3's (η·100, λ/100) it follows the Kaiming curve.",
		"The initial scale changes the AU at the start (AU ∝ η/‖w‖²), not its limit; Corollary 3's transform keeps the whole AU path.",
		"The ×10 start keeps a larger norm for a while; under Corollary 3 the norm is exactly 10× the Kaiming run's.",
	},
}

var fig3Columns = [4]struct{ title, ylabel string }{
	{"train loss", "loss"}, {"test accuracy", "accuracy"}, {"mean angular update", "AU (rad per step)"}, {"mean weight norm ‖w‖", "‖w‖"},
}

// fig3Row draws one row of Figure 3 and captions it with its checks.
func fig3Row(row train.Fig3Row, ss []experiment.Fig3Series, checks [4]experiment.Fig3Panel) []*Panel {
	epochs := float64(len(ss[0].Epochs))
	var out []*Panel
	for k, col := range fig3Columns {
		id := row.Panels[k]
		p := &plot.Panel{Title: fmt.Sprintf("(%s) %s", id, col.title), XLabel: "epoch", YLabel: col.ylabel, XMin: 0, XMax: epochs, LogY: k >= 2}
		if ss[0].DecayEpoch > 0 {
			p.VLines = []float64{float64(ss[0].DecayEpoch)}
		}
		po := &Panel{Stem: "fig3" + id, Label: "(" + id + ")", Claim: fig3Claims[row.Name][k], Plot: p}
		for i, s := range ss {
			sr := Series{Name: s.Label, Kind: "sim"}
			if k < 2 {
				for e, ep := range s.Epochs {
					m := ep.TrainLoss
					if k == 1 {
						m = ep.TestAcc
					}
					sr.X, sr.Y, sr.SE = append(sr.X, float64(e+1)), append(sr.Y, m.Mean), append(sr.SE, m.SE)
				}
			} else {
				for _, st := range s.Steps {
					m := st.AU
					if k == 3 {
						m = st.Norm
					}
					sr.X, sr.Y, sr.SE = append(sr.X, float64(st.Step)/float64(s.StepsPerEpoch)), append(sr.Y, m.Mean), append(sr.SE, m.SE)
				}
			}
			po.Series = append(po.Series, sr)
			p.Curves = append(p.Curves, plot.Curve{Label: s.Label, X: sr.X, Y: sr.Y, Color: i, Marker: false})
			if k == 2 {
				th := Series{Name: s.Label + ": √(2λη)", Kind: "theory", X: sr.X}
				for _, st := range s.Steps {
					th.Y = append(th.Y, st.AUTheory)
				}
				po.Series = append(po.Series, th)
				p.Curves = append(p.Curves, plot.Curve{X: th.X, Y: th.Y, Color: i, Dash: plot.Dotted, Theory: true, Width: 1.4})
			}
		}
		if k == 2 {
			p.Curves = append(p.Curves, plot.Curve{Label: "dotted: √(2λη)", RGB: plot.Colors[6], Dash: plot.Dotted, Theory: true, Width: 1.4})
		}
		po.Claims = checks[k].Claims
		po.Measured = append(po.Measured, checks[k].Notes...)
		po.Measured = append(po.Measured, fig3Summary(ss, k)...)
		po.Verdict = checks[k].Verdict
		out = append(out, po)
	}
	return out
}

// distinctRuns counts the trained runs behind res (a run shared by two
// rows, i.e. with the same config, counts once).
func distinctRuns(res [][]*train.Result) int {
	seen := map[string]bool{}
	for _, row := range res {
		for _, r := range row {
			seen[fmt.Sprintf("%+v", r.Config)] = true
		}
	}
	return len(seen)
}

// tFalseAlarm is P(|T| > z) for Student's t with df degrees of freedom,
// formatted.
func tFalseAlarm(z float64, df int) string {
	p := 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Survival(z)
	return fmt.Sprintf("%.2g", p)
}

// fig3Summary lists each curve's first- and last-epoch value of column k.
func fig3Summary(ss []experiment.Fig3Series, k int) []string {
	var out []string
	for _, s := range ss {
		first, last := s.Epochs[0], s.Epochs[len(s.Epochs)-1]
		get := func(e experiment.Fig3Epoch) claim.Estimate {
			return [4]claim.Estimate{e.TrainLoss, e.TestAcc, e.MeanAU, e.Norm}[k]
		}
		line := fmt.Sprintf("%s: epoch 1 %s, epoch %d %s", s.Label, get(first), len(s.Epochs), get(last))
		if k == 2 {
			line += fmt.Sprintf(" (RMS %s, √(2λη) = %.4f; norm drift %.2g per step in the last epoch against 2λη = %.2g)", last.RMSAU, last.AUTheory, last.Drift, last.AUTheory*last.AUTheory)
		}
		if math.IsNaN(get(last).SE) {
			line += " (one trial: no SE)"
		}
		out = append(out, line)
	}
	return out
}
