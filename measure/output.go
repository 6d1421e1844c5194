package measure

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/plot"
)

// Output file names (the contract of issue 9).
const (
	LayersFile  = "layers.csv"
	TensorsFile = "tensors.csv"
	NeuronsFile = "neurons.csv"
	RunFile     = "run.json"
	PlotPNG     = "measure.png"
	PlotSVG     = "measure.svg"
)

// Column headers.
var (
	LayersHeader  = []string{"step", "span", "tensor", "numel", "scale_invariant", "au", "norm", "eff_lr", "lr", "au_theory"}
	TensorsHeader = []string{"tensor", "shape", "numel", "scale_invariant", "si_ratio", "si_ratio_spread", "mean_au", "mean_au_se", "rms_au", "au_theory", "norm_first", "norm_last", "equilibrium",
		// Beyond the contract: how SI was decided, the largest |ratio − 1|,
		// the equilibrium norm and time where theory predicts them.
		"si_source", "si_ratio_max_dev", "norm_theory", "equilibrium_steps"}
	NeuronsHeader = []string{"step", "tensor", "channel", "au", "norm"}
)

// ff formats a float exactly (the shortest decimal that reads back as the
// same float64); NaN is written as an empty field ("no value": not
// scale-invariant, not computable).
func ff(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// Meta is what run.json records beside the measurement.
type Meta struct {
	Version string    `json:"version"`
	Args    []string  `json:"args,omitempty"`
	Started time.Time `json:"started"`
	Wall    float64   `json:"wall_seconds"`
}

// WriteOutputs writes layers.csv, tensors.csv, run.json and measure.png/svg
// into dir, which must exist; each atomically.
func WriteOutputs(dir string, res *Result, meta Meta) error {
	for _, f := range []struct {
		name string
		fn   func(io.Writer) error
	}{
		{LayersFile, res.writeLayers},
		{TensorsFile, res.writeTensors},
		{PlotPNG, func(w io.Writer) error { return plot.Encode(w, res.panels(), plotW, plotH, plot.PNG) }},
		{PlotSVG, func(w io.Writer) error { return plot.Encode(w, res.panels(), plotW, plotH, plot.SVG) }},
		{RunFile, func(w io.Writer) error { return res.writeRun(w, meta) }},
	} {
		if err := experiment.WriteAtomic(filepath.Join(dir, f.name), f.fn); err != nil {
			return err
		}
	}
	return nil
}

func (res *Result) writeLayers(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(LayersHeader)
	for _, r := range res.Rows {
		t := res.Tensors[r.Tensor]
		cw.Write([]string{strconv.Itoa(r.Step), strconv.Itoa(r.Span), t.Name, strconv.FormatInt(t.Numel, 10), strconv.FormatBool(t.SI),
			ff(r.AU), ff(r.Norm), ff(r.EffLR), ff(r.LR), ff(r.AUTheory)})
	}
	cw.Flush()
	return cw.Error()
}

func shapeString(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(p, " ") + "]"
}

func (res *Result) writeTensors(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(TensorsHeader)
	for _, t := range res.Tensors {
		cw.Write([]string{t.Name, shapeString(t.Shape), strconv.FormatInt(t.Numel, 10), strconv.FormatBool(t.SI),
			ff(t.SIRatio), ff(t.SIRatioSpread), ff(t.MeanAU), ff(t.MeanAUSE), ff(t.RMSAU), ff(t.AUTheory),
			ff(t.NormFirst), ff(t.NormLast), t.Equilibrium, t.SISource, ff(t.SIRatioMaxDev), ff(t.NormTheory), ff(t.EquilibriumSteps)})
	}
	cw.Flush()
	return cw.Error()
}

// NeuronWriter returns an Options.Neuron callback writing neurons.csv rows
// to w, and the function that flushes them.
func NeuronWriter(w io.Writer) (write func(NeuronRow) error, flush func() error) {
	cw := csv.NewWriter(w)
	cw.Write(NeuronsHeader)
	write = func(r NeuronRow) error {
		return cw.Write([]string{strconv.Itoa(r.Step), r.Tensor, strconv.Itoa(r.Channel), ff(r.AU), ff(r.Norm)})
	}
	flush = func() error { cw.Flush(); return cw.Error() }
	return write, flush
}

// jsonFloat writes NaN and ±Inf as null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (res *Result) writeRun(w io.Writer, meta Meta) error {
	r := res.Run
	type file struct {
		Path  string    `json:"path"`
		Step  int       `json:"step"`
		Bytes int64     `json:"bytes"`
		LR    jsonFloat `json:"lr"`
		WD    jsonFloat `json:"weight_decay"`
	}
	type hp struct {
		Value  any    `json:"value"`
		Source string `json:"source"`
	}
	var files []file
	lrMin, lrMax := math.Inf(1), math.Inf(-1)
	for _, c := range r.Checkpoints {
		files = append(files, file{c.Path, c.Step, c.Size, jsonFloat(c.Hyper.LR), jsonFloat(c.Hyper.WeightDecay)})
		lrMin, lrMax = math.Min(lrMin, c.Hyper.LR), math.Max(lrMax, c.Hyper.LR)
	}
	h0 := r.Checkpoints[0].Hyper
	hyper := map[string]hp{
		KeyOptimizer:   {h0.Optimizer, r.Sources[KeyOptimizer]},
		KeyLR:          {map[string]jsonFloat{"first": jsonFloat(h0.LR), "min": jsonFloat(lrMin), "max": jsonFloat(lrMax)}, r.Sources[KeyLR]},
		KeyWeightDecay: {jsonFloat(h0.WeightDecay), r.Sources[KeyWeightDecay]},
	}
	if h0.Optimizer == SGD {
		hyper[KeyMomentum] = hp{jsonFloat(h0.Momentum), r.Sources[KeyMomentum]}
	} else {
		hyper[KeyBeta1] = hp{jsonFloat(h0.Beta1), r.Sources[KeyBeta1]}
		hyper[KeyBeta2] = hp{jsonFloat(h0.Beta2), r.Sources[KeyBeta2]}
	}
	si := ""
	if r.Config.SI != nil {
		si = r.Config.SI.String()
	}
	notes := res.Notes
	if notes == nil {
		notes = []string{}
	}
	out := struct {
		Meta
		Checkpoints string            `json:"checkpoints"`
		Files       []file            `json:"files"`
		Hyper       map[string]hp     `json:"hyperparameters"`
		SIRegex     string            `json:"si_regex,omitempty"`
		SITol       float64           `json:"si_tolerance"`
		PerNeuron   bool              `json:"per_neuron"`
		Z           float64           `json:"z"`
		BytesRead   int64             `json:"bytes_read"`
		GBPerSecond jsonFloat         `json:"gb_per_second"`
		Tensors     int               `json:"tensors"`
		SITensors   []string          `json:"scale_invariant_tensors"`
		Notes       []string          `json:"notes"`
		Theory      map[string]string `json:"theory"`
		Partial     bool              `json:"partial"`
		Reason      string            `json:"partial_reason,omitempty"`
	}{
		Meta: meta, Checkpoints: r.Config.Dir, Files: files, Hyper: hyper, SIRegex: si, SITol: r.Config.SITol,
		PerNeuron: r.Config.PerNeuron, Z: res.Z, BytesRead: res.BytesRead, GBPerSecond: jsonFloat(float64(res.BytesRead) / 1e9 / meta.Wall),
		Tensors: len(res.Tensors), SITensors: []string{}, Notes: notes, Partial: res.Partial != "", Reason: res.Partial,
		Theory: map[string]string{
			"au":          "theory.EquilibriumAU: sgd √(2ηλ/(1+μ)); adamw √(2ηλ(1−β₁)/(1+β₁)); lion √(πηλ((1−β₁)²+β₁²(1−β₂)/(1+β₂))) (docs/measure.md §3)",
			"equilibrium": "RMS AU over the last quarter of the steps within z·SE + ηλ of theory (docs/measure.md §4)",
		},
	}
	for _, t := range res.Tensors {
		if t.SI {
			out.SITensors = append(out.SITensors, t.Name)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// panels draws the measurement panels of the scale-invariant tensors
// (package plot): (a) AU per step with the theory dashed on top, (b) ‖w‖,
// (c) η/‖w‖², and (d) the scale-invariance evidence |ratio − 1| of every
// tensor against the tolerance ε_SI.
func (res *Result) panels() []plot.Row {
	au := &plot.Panel{Title: "(a) angular update per step", XLabel: "step", YLabel: "AU (rad per step)", LogY: true}
	norm := &plot.Panel{Title: "(b) weight norm", XLabel: "step", YLabel: "‖w‖", LogY: true}
	eff := &plot.Panel{Title: "(c) effective learning rate", XLabel: "step", YLabel: "η/‖w‖²", LogY: true}
	var theory []plot.Curve
	nSI := 0
	for k, t := range res.Tensors {
		if !t.SI {
			continue
		}
		var x, a, th, nm, el []float64
		for _, r := range res.Rows {
			if r.Tensor != k || r.Span != 1 || math.IsNaN(r.AU) {
				continue
			}
			// NaN and non-positive values are skipped on the log axes.
			x, a, th = append(x, float64(r.Step)), append(a, r.AU), append(th, r.AUTheory)
			nm, el = append(nm, r.Norm), append(el, r.EffLR)
		}
		name := ""
		if nSI < 10 {
			name = t.Name
		}
		au.Curves = append(au.Curves, plot.Curve{Label: name, X: x, Y: a, Color: nSI})
		if nSI == 0 {
			theory = append(theory, plot.Curve{Label: "theory (equilibrium AU)", X: x, Y: th, RGB: color.Black, Dash: plot.Dashed, Theory: true, Width: 1.3})
		}
		norm.Curves = append(norm.Curves, plot.Curve{X: x, Y: nm, Color: nSI})
		eff.Curves = append(eff.Curves, plot.Curve{X: x, Y: el, Color: nSI})
		nSI++
	}
	au.Curves = append(au.Curves, theory...) // on top of the data
	if nSI == 0 {
		au.Title += " (no scale-invariant tensor)"
	}
	si := &plot.Panel{Title: "(d) scale-invariance evidence", XLabel: "tensor (file order)", YLabel: "max |ratio − 1|", LogY: true,
		XMin: -0.5, XMax: float64(len(res.Tensors)) - 0.5} // whole markers at the ends
	var yx, yy, nx, ny []float64
	for k, t := range res.Tensors {
		if math.IsNaN(t.SIRatioMaxDev) {
			continue
		}
		v := math.Max(t.SIRatioMaxDev, 1e-12)
		if t.SI {
			yx, yy = append(yx, float64(k)), append(yy, v)
		} else {
			nx, ny = append(nx, float64(k)), append(ny, v)
		}
	}
	if len(yx)+len(nx) > 0 {
		tol := res.Run.Config.SITol
		si.Curves = append(si.Curves,
			plot.Curve{Label: "scale-invariant", X: yx, Y: yy, Color: 0, Marker: true},
			plot.Curve{Label: "not scale-invariant", X: nx, Y: ny, Color: 1, Marker: true},
			plot.Curve{Label: fmt.Sprintf("ε_SI = %g", tol), X: []float64{0, float64(len(res.Tensors) - 1)}, Y: []float64{tol, tol}, RGB: color.Black, Dash: plot.Dashed, Theory: true, Width: 1.3})
	} else {
		si.Title += " (no ratio: see tensors.csv si_source)"
	}
	return []plot.Row{{au, norm}, {eff, si}}
}

// plotW, plotH are the size of measure.png/svg.
var plotW, plotH = plot.Inches(12), plot.Inches(7.5)
