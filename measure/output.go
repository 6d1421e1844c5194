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

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/smdlab/smd/experiment"
	smdplot "github.com/smdlab/smd/plot"
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
		{PlotPNG, func(w io.Writer) error { return render(w, res.panels(), false) }},
		{PlotSVG, func(w io.Writer) error { return render(w, res.panels(), true) }},
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

var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255}, color.RGBA{214, 39, 40, 255},
	color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255}, color.RGBA{227, 119, 194, 255}, color.RGBA{127, 127, 127, 255},
	color.RGBA{188, 189, 34, 255}, color.RGBA{23, 190, 207, 255},
}

// panels draws Figure 3's measurement panels for the scale-invariant
// tensors: (a) AU per step with the theory line, (b) ‖w‖, (c) η/‖w‖², and
// (d) the scale-invariance evidence |ratio − 1| of every tensor against
// the tolerance.
func (res *Result) panels() []*plot.Plot {
	panel := func(title, x, y string) *plot.Plot {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = x
		p.Y.Label.Text = y
		p.X.Tick.Marker = plainTicks{}
		p.Add(plotter.NewGrid())
		return p
	}
	au := panel("(a) angular update per step", "step", "AU (rad)")
	norm := panel("(b) weight norm", "step", "‖w‖")
	eff := panel("(c) effective learning rate", "step", "η/‖w‖²")
	nSI, nEff := 0, 0
	for k, t := range res.Tensors {
		if !t.SI {
			continue
		}
		var a, th, nm, el plotter.XYs
		for _, r := range res.Rows {
			if r.Tensor != k || r.Span != 1 || math.IsNaN(r.AU) {
				continue
			}
			a = append(a, plotter.XY{X: float64(r.Step), Y: r.AU})
			if !math.IsNaN(r.AUTheory) {
				th = append(th, plotter.XY{X: float64(r.Step), Y: r.AUTheory})
			}
			nm = append(nm, plotter.XY{X: float64(r.Step), Y: r.Norm})
			if r.EffLR > 0 && !math.IsInf(r.EffLR, 0) {
				el = append(el, plotter.XY{X: float64(r.Step), Y: r.EffLR})
			}
		}
		c := palette[nSI%len(palette)]
		name := ""
		if nSI < 10 {
			name = t.Name
		}
		addLine(au, a, c, false, name)
		if nSI == 0 {
			addLine(au, th, color.Black, true, "theory")
		}
		addLine(norm, nm, c, false, "")
		addLine(eff, el, c, false, "")
		nSI++
		nEff += len(el)
	}
	if nEff > 0 {
		eff.Y.Scale, eff.Y.Tick.Marker = plot.LogScale{}, decades{}
	}
	if nSI == 0 {
		au.Title.Text += " (no scale-invariant tensor)"
	}
	si := panel("(d) scale-invariance evidence", "tensor (file order)", "max |ratio − 1|")
	var yes, no plotter.XYs
	for k, t := range res.Tensors {
		if math.IsNaN(t.SIRatioMaxDev) {
			continue
		}
		xy := plotter.XY{X: float64(k), Y: math.Max(t.SIRatioMaxDev, 1e-12)}
		if t.SI {
			yes = append(yes, xy)
		} else {
			no = append(no, xy)
		}
	}
	for _, s := range []struct {
		xy   plotter.XYs
		c    color.Color
		name string
	}{{yes, palette[0], "scale-invariant"}, {no, palette[3], "not"}} {
		if len(s.xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(s.xy)
		if err == nil {
			sc.Color = s.c
			si.Add(sc)
			si.Legend.Add(s.name, sc)
		}
	}
	if len(yes)+len(no) > 0 {
		si.Y.Scale, si.Y.Tick.Marker = plot.LogScale{}, decades{}
		tol := plotter.XYs{{X: 0, Y: res.Run.Config.SITol}, {X: float64(len(res.Tensors) - 1), Y: res.Run.Config.SITol}}
		addLine(si, tol, color.Black, true, fmt.Sprintf("ε_SI = %g", res.Run.Config.SITol))
	} else {
		si.Title.Text += " (no ratio: see tensors.csv si_source)"
	}
	au.Legend.Top, au.Legend.Left = true, true
	return []*plot.Plot{au, norm, eff, si}
}

var addLine = smdplot.AddLine

func render(w io.Writer, panels []*plot.Plot, svg bool) error {
	return smdplot.WriteGrid(w, [][]*plot.Plot{{panels[0], panels[1]}, {panels[2], panels[3]}}, 11*vg.Inch, 7.5*vg.Inch, svg)
}

// decades labels the powers of ten of a log axis (1e-05, 0.001, 1, 100).
type decades struct{}

func (decades) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for k := math.Floor(math.Log10(lo)); k <= math.Ceil(math.Log10(hi)); k++ {
		v := math.Pow(10, k)
		if v >= lo*(1-1e-9) && v <= hi*(1+1e-9) {
			ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
		}
		for m := 2.0; m < 10; m++ {
			if w := m * v; w > lo && w < hi {
				ts = append(ts, plot.Tick{Value: w})
			}
		}
	}
	if countLabels(ts) < 2 { // less than a decade: label 2× and 5× too
		for i, t := range ts {
			if m := t.Value / math.Pow(10, math.Floor(math.Log10(t.Value)+1e-9)); math.Abs(m-2) < 1e-6 || math.Abs(m-5) < 1e-6 {
				ts[i].Label = strconv.FormatFloat(t.Value, 'g', 3, 64)
			}
		}
	}
	return ts
}

func countLabels(ts []plot.Tick) int {
	n := 0
	for _, t := range ts {
		if t.Label != "" {
			n++
		}
	}
	return n
}

// plainTicks is gonum's default ticks labelled with %g (2500, not 2500.00).
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', -1, 64)
		}
	}
	return ts
}
