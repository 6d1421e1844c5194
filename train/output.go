package train

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/smdlab/smd/internal/outdir"
	"github.com/smdlab/smd/plot"
)

// Meta is what run.json records beside the resolved config.
type Meta struct {
	Version string `json:"version"`
	Preset  string `json:"preset,omitempty"`
	// ConfigFile is the YAML file applied over the preset, if any.
	ConfigFile string `json:"config_file,omitempty"`
	DataDir    string `json:"data_dir"`
	// Synthetic is set when the data are the synthetic CIFAR-format
	// stand-in (WriteSyntheticCIFAR), not the real dataset.
	Synthetic bool      `json:"synthetic"`
	Started   time.Time `json:"started"`
}

// Output file names.
const (
	SeriesFile = "series.csv"
	LayersFile = "layers.csv"
	RunFile    = "run.json"
	PlotPNG    = "figure3.png"
	PlotSVG    = "figure3.svg"
)

// WriteOutputs writes series.csv, layers.csv, run.json and the Figure 3
// panels (PNG and SVG) of res into dir, which must exist (smd train passes
// the temporary folder of its output set, package internal/outdir). Each
// file is written atomically.
func WriteOutputs(dir string, res *Result, meta Meta) error {
	if err := outdir.WriteAtomic(filepath.Join(dir, SeriesFile), func(w io.Writer) error { return writeSeries(w, res) }); err != nil {
		return err
	}
	if err := outdir.WriteAtomic(filepath.Join(dir, LayersFile), func(w io.Writer) error { return writeLayers(w, res) }); err != nil {
		return err
	}
	p := figure3(res, meta.Synthetic)
	for _, f := range []string{PlotPNG, PlotSVG} {
		fm := map[string]plot.Format{PlotPNG: plot.PNG, PlotSVG: plot.SVG}[f]
		if err := outdir.WriteAtomic(filepath.Join(dir, f), func(w io.Writer) error {
			return plot.Encode(w, p, plot.Inches(11), plot.Inches(7), fm)
		}); err != nil {
			return err
		}
	}
	return outdir.WriteAtomic(filepath.Join(dir, RunFile), func(w io.Writer) error { return writeRun(w, res, meta) })
}

func ff(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }

func writeSeries(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"epoch", "step", "eta", "train_loss", "train_loss_sd", "train_loss_se", "test_loss", "test_loss_sd", "test_loss_se",
		"test_acc", "test_acc_sd", "test_acc_se", "mean_au", "mean_au_sd", "mean_au_se", "rms_au", "rms_au_sd", "rms_au_se", "au_theory",
		"mean_norm", "mean_norm_sd", "mean_norm_se", "mean_eff_lr"})
	for _, r := range res.Epochs {
		cw.Write([]string{strconv.Itoa(r.Epoch), strconv.Itoa(r.Step), ff(r.Eta), ff(r.TrainLoss), ff(r.TrainLossSD), ff(r.TrainLossSE),
			ff(r.TestLoss), ff(r.TestLossSD), ff(r.TestLossSE), ff(r.TestAcc), ff(r.TestAccSD), ff(r.TestAccSE),
			ff(r.MeanAU), ff(r.MeanAUSD), ff(r.MeanAUSE), ff(r.RMSAU), ff(r.RMSAUSD), ff(r.RMSAUSE), ff(r.AUTheory),
			ff(r.MeanNorm), ff(r.MeanNormSD), ff(r.MeanNormSE), ff(r.MeanEffectLR)})
	}
	cw.Flush()
	return cw.Error()
}

func writeLayers(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"step", "layer", "au", "norm", "lr", "eff_lr"})
	for _, m := range res.Measures {
		for k, name := range res.Layers {
			cw.Write([]string{strconv.Itoa(m.Step), name, ff(m.AU[k]), ff(m.Norm[k]), ff(m.EtaSI), ff(m.EffLR[k])})
		}
	}
	cw.Flush()
	return cw.Error()
}

// jsonFloat writes NaN and ±Inf as null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func writeRun(w io.Writer, res *Result, meta Meta) error {
	last := res.Epochs[len(res.Epochs)-1]
	out := struct {
		Meta
		Config        Config    `json:"config"`
		Seed          uint64    `json:"seed"`
		Trials        int       `json:"trials"`
		Backend       string    `json:"backend"`
		Layers        []string  `json:"layers"`
		StepsPerEpoch int       `json:"steps_per_epoch"`
		TotalSteps    int       `json:"total_steps"`
		WallSeconds   float64   `json:"wall_seconds"`
		StepSeconds   float64   `json:"seconds_per_step"`
		FinalTestAcc  jsonFloat `json:"final_test_acc"`
		FinalMeanAU   jsonFloat `json:"final_epoch_mean_au"`
		FinalTheory   jsonFloat `json:"final_au_theory"`
		Warnings      []string  `json:"warnings"`
		Partial       bool      `json:"partial"`
		Reason        string    `json:"partial_reason,omitempty"`
	}{
		Meta: meta, Config: res.Config, Seed: res.Config.Seed, Trials: res.Config.Trials, Backend: res.Backend,
		Layers: res.Layers, StepsPerEpoch: res.StepsPerEpoch, TotalSteps: res.StepsPerEpoch * res.Config.Epochs,
		WallSeconds: res.Wall.Seconds(), StepSeconds: res.StepSeconds,
		FinalTestAcc: jsonFloat(last.TestAcc), FinalMeanAU: jsonFloat(last.MeanAU), FinalTheory: jsonFloat(last.AUTheory),
		Warnings: res.Warnings, Partial: res.Partial != "", Reason: res.Partial,
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteCheckpointsOnly writes the run.json of a run interrupted before its
// first epoch finished into dir, beside its checkpoints: meta, the config
// and "partial": true with reason.
func WriteCheckpointsOnly(dir string, cfg Config, meta Meta, reason string) error {
	return outdir.WriteAtomic(filepath.Join(dir, RunFile), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Meta
			Config  Config `json:"config"`
			Partial bool   `json:"partial"`
			Reason  string `json:"partial_reason"`
		}{meta, cfg, true, reason})
	})
}

// figure3 draws Figure 3's panels of res (package plot): (a) train loss
// and (b) test accuracy per epoch, (c) the mean angular update per measured
// step with √(2λη/(1+μ)) dashed on top, (d) the mean weight norm; ± 1 SE
// bands over trials where there are several.
func figure3(res *Result, synthetic bool) []plot.Row {
	tag := ""
	if synthetic {
		tag = " (synthetic data)"
	}
	var ex, loss, lossSE, acc, accSE []float64
	for _, r := range res.Epochs {
		ex = append(ex, float64(r.Epoch))
		loss, lossSE = append(loss, r.TrainLoss), append(lossSE, r.TrainLossSE)
		acc, accSE = append(acc, r.TestAcc), append(accSE, r.TestAccSE)
	}
	var mx, au, auSE, th, norm, normSE []float64
	for _, m := range res.Measures {
		mx = append(mx, float64(m.Step)/float64(res.StepsPerEpoch))
		au, auSE, th = append(au, m.MeanAU), append(auSE, m.MeanAUSE), append(th, m.AUTheory)
		norm, normSE = append(norm, layerMean(m.Norm)), append(normSE, m.MeanNormSE)
	}
	panel := func(title, ylabel string, logY bool, x, y, se []float64, label string) *plot.Panel {
		return &plot.Panel{Title: title + tag, XLabel: "epoch", YLabel: ylabel, LogY: logY,
			XMin: 0, XMax: float64(len(res.Epochs)),
			Curves: []plot.Curve{plot.SEBand(x, y, se, 0), {Label: label, X: x, Y: y}}}
	}
	a := panel("(a) train loss", "loss", true, ex, loss, lossSE, "")
	b := panel("(b) test accuracy", "accuracy", false, ex, acc, accSE, "")
	c := panel("(c) mean angular update", "AU (rad per step)", true, mx, au, auSE, "measured (mean over layers)")
	c.Curves = append(c.Curves, plot.Curve{Label: "√(2λη/(1+μ))", X: mx, Y: th, Color: 1, Dash: plot.Dashed, Theory: true, Width: 1.4})
	if slices.ContainsFunc(lossSE, func(v float64) bool { return v > 0 }) { // NaN with one trial
		c.Curves = append(c.Curves, plot.Curve{Label: "band: ± 1 SE over trials", Lo: []float64{}, RGB: plot.BandColor(0)})
	}
	d := panel("(d) mean weight norm", "‖w‖", true, mx, norm, normSE, "")
	return []plot.Row{{a, b}, {c, d}}
}
