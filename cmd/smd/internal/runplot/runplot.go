// Package runplot draws the output folders of `smd simulate` and `smd train`
// (series.csv beside run.json) as the paper's panels, with error bands from
// the _se columns and, for plain SGD on the NRQ, the closed-form theory of
// the run's own config (experiment.Config.Theory: Theorem 2's limits,
// Lemma 1's AU along the eq 17 norm path, the eq 17 norm path; where the
// config has none, or only the paths, Run.Notes say why). It is what
// `smd plot` calls; Panels returns the plotted data so that tests can
// compare them with the CSV.
package runplot

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/plot"
)

// Kinds of run folders.
const (
	Simulate = "simulate"
	Train    = "train"
)

// ErrInput marks bad input (a missing folder, a file that is not a run's).
var ErrInput = errors.New("bad input")

func inputErr(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInput}, a...)...)
}

// Run is one output folder read back.
type Run struct {
	Dir, Label string
	Kind       string
	// Header is series.csv's header; Cols its columns by name.
	Header []string
	Cols   map[string][]float64
	// Config is the resolved config of a simulate run (nil for train).
	Config *experiment.Config
	// Flat is run.json's "config" object flattened to key → JSON text,
	// for the title's "what differs".
	Flat map[string]string
	// Notes say where a_file or noise_file was found (run.json records them
	// relative to the config's folder, which it does not name) and, after
	// Panels with theory, why a simulate run has no theory curves: one
	// line each, for stderr and the figure.
	Notes []string
}

// Load reads the run folder dir.
func Load(dir string) (*Run, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, inputErr("%s: no such folder", dir)
	}
	if !st.IsDir() {
		return nil, inputErr("%s: not a folder (smd plot takes the output folders of smd simulate or smd train)", dir)
	}
	r := &Run{Dir: dir, Label: filepath.Base(filepath.Clean(dir))}
	if _, err := os.Stat(filepath.Join(dir, "series.csv")); err != nil {
		// Folders of other commands, with the command that draws them.
		has := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
		switch {
		case has("sweep.json"):
			return nil, inputErr("%s: a sweep folder: draw it with smd sweep plot %s (or smd plot on its points/<id> folders)", dir, dir)
		case has("tensors.csv") && has("layers.csv"):
			return nil, inputErr("%s: an smd measure folder: smd measure drew it, %s", dir, filepath.Join(dir, "measure.png"))
		}
	}
	if err := r.readSeries(filepath.Join(dir, "series.csv")); err != nil {
		return nil, err
	}
	rp := filepath.Join(dir, "run.json")
	b, err := os.ReadFile(rp)
	if err != nil {
		return nil, inputErr("%s: not a run folder (no run.json)", dir)
	}
	var raw struct {
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(b, &raw); err != nil || len(raw.Config) == 0 {
		return nil, inputErr("%s: not a run's run.json (no \"config\" object)", rp)
	}
	var m map[string]any
	if err := json.Unmarshal(raw.Config, &m); err != nil {
		return nil, inputErr("%s: config: %v", rp, err)
	}
	r.Flat = map[string]string{}
	flatten("", m, r.Flat)
	if r.Kind == Simulate {
		var c experiment.Config
		if err := json.Unmarshal(raw.Config, &c); err != nil {
			return nil, inputErr("%s: config: %v", rp, err)
		}
		r.Config = &c
		r.resolveFiles()
	}
	return r, nil
}

// resolveFiles sets Config.Dir, against which a_file and noise_file are
// read: the run folder if they are there (absolute names need neither),
// else the current directory (where smd simulate most likely ran, from the
// config's folder), saying so in Notes; if neither holds them the theory
// fails later with the missing file named.
func (r *Run) resolveFiles() {
	c := r.Config
	var rel []string
	for _, f := range []string{c.AFile, c.NoiseFile} {
		if f != "" && !filepath.IsAbs(f) {
			rel = append(rel, f)
		}
	}
	c.Dir = r.Dir
	if len(rel) == 0 {
		return
	}
	in := func(dir string) bool {
		for _, f := range rel {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				return false
			}
		}
		return true
	}
	switch {
	case in(r.Dir):
	case in("."):
		c.Dir = ""
		r.Notes = append(r.Notes, fmt.Sprintf("%s: %s read from the current directory (run.json names it relative to the config's folder)", r.Label, strings.Join(rel, ", ")))
	}
}

func flatten(prefix string, v any, out map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			flatten(key, x, out)
		}
	default:
		b, _ := json.Marshal(v)
		out[prefix] = string(b)
	}
}

func (r *Run) readSeries(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return inputErr("%s: not a run folder (no series.csv)", r.Dir)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	hdr, err := cr.Read()
	if err != nil {
		return inputErr("%s: line 1: no header: %v", path, err)
	}
	r.Header = hdr
	switch {
	case slices.Contains(hdr, "risk") && slices.Contains(hdr, "step"):
		r.Kind = Simulate
	case slices.Contains(hdr, "train_loss") && slices.Contains(hdr, "step"):
		r.Kind = Train
	default:
		return inputErr("%s: line 1: not the series.csv of smd simulate or smd train (header %s)", path, strings.Join(hdr, ","))
	}
	r.Cols = map[string][]float64{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return inputErr("%s: %v", path, err)
		}
		for i, s := range rec {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return inputErr("%s: line %d: column %s: %q is not a number", path, line, hdr[i], s)
			}
			r.Cols[hdr[i]] = append(r.Cols[hdr[i]], v)
		}
	}
	if len(r.Cols["step"]) == 0 {
		return inputErr("%s: no rows", path)
	}
	return nil
}

// DefaultColumns are the panels drawn for a kind of run: the paper's four
// (Figure 2's risk, loss, √(EΔ²), ‖X‖; Figure 3's train loss, test
// accuracy, AU, norm).
func DefaultColumns(kind string) []string {
	if kind == Train {
		return []string{"train_loss", "test_acc", "rms_au", "mean_norm"}
	}
	return []string{"risk", "loss", "au_rms", "norm"}
}

// panelInfo is how a column is drawn.
type panelInfo struct {
	title, ylabel string
	logY          bool
}

var info = map[string]panelInfo{
	"risk":        {"risk r_t = 1 − E f_t", "risk", true},
	"loss":        {"loss E L(X_t)", "loss", false},
	"au":          {"angular update E Δ_t", "AU (rad per step)", true},
	"au_rms":      {"angular update √(E Δ_t²)", "AU (rad per step)", true},
	"norm":        {"weight norm E‖X_t‖", "‖X_t‖", true},
	"norm_sq":     {"E‖X_t‖²", "‖X_t‖²", true},
	"tail":        {"tail P(f_t < ξ)", "probability", false},
	"train_loss":  {"train loss", "loss", true},
	"test_loss":   {"test loss", "loss", true},
	"test_acc":    {"test accuracy", "accuracy", false},
	"rms_au":      {"angular update √(E Δ²) (RMS over layers)", "AU (rad per step)", true},
	"mean_au":     {"angular update E Δ (mean over layers)", "AU (rad per step)", true},
	"mean_norm":   {"weight norm ‖W‖ (mean over layers)", "‖W‖", true},
	"mean_eff_lr": {"effective learning rate η/‖W‖² (mean)", "η/‖W‖²", true},
}

// Series is one plotted line: data (with SE, from the CSV) or theory.
type Series struct {
	Run    int // index into the runs
	Label  string
	Theory bool
	X, Y   []float64
	SE     []float64 // nil for theory and for columns without _se
}

// Panel is one panel's data.
type Panel struct {
	Column, Title, YLabel string
	LogY                  bool
	Series                []Series
	// TheoryName names the theory curves of this panel ("" if none).
	TheoryName string
}

// Panels returns the panels of columns (DefaultColumns of the runs' kind
// when empty) for runs, all of one kind; with theory, the closed-form
// curves of each run's config where they exist.
func Panels(runs []*Run, columns []string, theory bool) ([]Panel, error) {
	if len(runs) == 0 {
		return nil, inputErr("no run folders")
	}
	kind := runs[0].Kind
	for _, r := range runs[1:] {
		if r.Kind != kind {
			return nil, inputErr("%s is a %s run and %s a %s run: overlay runs of one kind", runs[0].Dir, kind, r.Dir, r.Kind)
		}
	}
	if len(columns) == 0 {
		columns = DefaultColumns(kind)
	}
	overlays := make([]*experiment.Overlay, len(runs))
	if theory && kind == Simulate {
		for i, r := range runs {
			var why error
			overlays[i], why = r.overlay()
			if why != nil {
				r.Notes = append(r.Notes, fmt.Sprintf("%s: no theory: %v", r.Label, why))
			}
		}
	}
	var out []Panel
	for _, col := range columns {
		pi, ok := info[col]
		if !ok {
			pi = panelInfo{col, col, false}
		}
		p := Panel{Column: col, Title: pi.title, YLabel: pi.ylabel, LogY: pi.logY}
		for i, r := range runs {
			y, ok := r.Cols[col]
			if !ok || col == "step" {
				return nil, inputErr("%s: series.csv has no column %q (it has %s)", r.Dir, col, strings.Join(dataColumns(r.Header), ", "))
			}
			s := Series{Run: i, Label: r.Label, X: r.Cols["step"], Y: y, SE: r.Cols[col+"_se"]}
			p.Series = append(p.Series, s)
		}
		if theory {
			for i, r := range runs {
				name, y := theoryCurve(r, overlays[i], col)
				if y == nil {
					continue
				}
				p.TheoryName = name
				p.Series = append(p.Series, Series{Run: i, Label: r.Label + ": " + name, Theory: true, X: r.Cols["step"], Y: y})
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// dataColumns lists the plottable columns of a header.
func dataColumns(h []string) []string {
	var out []string
	for _, c := range h {
		if c != "step" && c != "epoch" && !strings.HasSuffix(c, "_se") && !strings.HasSuffix(c, "_sd") {
			out = append(out, c)
		}
	}
	return out
}

// overlay is the theory of a simulate run's config at its recorded steps
// (experiment.Config.Theory; a dense a_file through its eigenvalues), or
// why there is none: not plain SGD, not the NRQ with isotropic noise, a
// per-step schedule, a matrix file that cannot be read.
func (r *Run) overlay() (*experiment.Overlay, error) {
	if r.Config == nil {
		return nil, errors.New("run.json has no simulate config")
	}
	if !r.Config.PlainSGD() {
		return nil, fmt.Errorf("the curves here are plain SGD's (Theorem 2, Lemma 1, eq 17); optimizer %q, momentum %g: see smd theory for its limits", r.Config.Optimizer, r.Config.Momentum)
	}
	steps := make([]int, len(r.Cols["step"]))
	for i, s := range r.Cols["step"] {
		steps[i] = int(s)
	}
	o, err := r.Config.Theory(steps)
	if err == nil {
		return o, nil
	}
	// Lemma 1 and eq 17 hold for any spectrum; Theorem 2's limits do not.
	if o, perr := r.Config.TheoryPaths(steps); perr == nil {
		r.Notes = append(r.Notes, fmt.Sprintf("%s: no risk or loss theory: %v (AU and norm: Lemma 1 on the eq 17 path)", r.Label, err))
		return o, nil
	}
	return nil, err
}

// theoryCurve is the theory drawn over column col of run r.
func theoryCurve(r *Run, o *experiment.Overlay, col string) (string, []float64) {
	if r.Kind == Train {
		if col == "rms_au" || col == "mean_au" {
			if y, ok := r.Cols["au_theory"]; ok {
				return "√(2λη)", y
			}
		}
		return "", nil
	}
	if o == nil {
		return "", nil
	}
	switch col {
	case "risk": // nil without Theorem 2 (TheoryPaths)
		return "Theorem 2 limiting risk r*", o.RiskLimit
	case "loss":
		return "Theorem 2 limiting loss", o.LossLimit
	case "au_rms":
		return "Lemma 1 AU on the eq 17 path (→ √(2λη))", o.AUPath
	case "norm":
		return "eq 17 norm path (→ equilibrium norm)", o.NormPath
	case "norm_sq":
		sq := make([]float64, len(o.NormPath))
		for i, n := range o.NormPath {
			sq[i] = n * n
		}
		return "eq 17 path ‖X_t‖²", sq
	}
	return "", nil
}

// Title says what differs between the runs' configs (or, for one run, its
// folder), with the runs' Notes on the lines below.
func Title(runs []*Run) string {
	t := title(runs)
	for _, r := range runs {
		for _, n := range r.Notes {
			t += "\n" + shorten(n, 160)
		}
	}
	return t
}

func shorten(s string, n int) string {
	if len([]rune(s)) > n {
		return string([]rune(s)[:n-1]) + "…"
	}
	return s
}

func title(runs []*Run) string {
	if len(runs) == 1 {
		return runs[0].Dir
	}
	keys := map[string]bool{}
	for _, r := range runs {
		for k := range r.Flat {
			keys[k] = true
		}
	}
	var diff []string
	for k := range keys {
		if k == "seed" {
			continue
		}
		v0 := runs[0].Flat[k]
		for _, r := range runs[1:] {
			if r.Flat[k] != v0 {
				diff = append(diff, k)
				break
			}
		}
	}
	if len(diff) == 0 {
		return "runs with equal configs (seed aside)"
	}
	slices.Sort(diff)
	var parts []string
	for _, k := range diff {
		var vs []string
		for _, r := range runs {
			v, ok := r.Flat[k]
			if !ok {
				v = "–"
			}
			vs = append(vs, v)
		}
		parts = append(parts, k+" = "+strings.Join(vs, " / "))
	}
	return shorten("differs: "+strings.Join(parts, "; "), 158)
}

// Rows lays panels out two by two (a single row for one or two panels),
// the legend beside the first row.
func Rows(panels []Panel) []plot.Row {
	var rows []plot.Row
	var row plot.Row
	for k, pd := range panels {
		first := k < 2
		p := &plot.Panel{Title: pd.Title, XLabel: "step", YLabel: pd.YLabel, LogY: pd.LogY}
		// SE bands first (behind), then the data, then theory on top.
		for _, s := range pd.Series {
			if s.Theory || s.SE == nil {
				continue
			}
			p.Curves = append(p.Curves, plot.SEBand(s.X, s.Y, s.SE, s.Run))
		}
		for _, s := range pd.Series {
			if s.Theory {
				continue
			}
			lbl := ""
			if first {
				lbl = s.Label
			}
			p.Curves = append(p.Curves, plot.Curve{Label: lbl, X: s.X, Y: s.Y, Color: s.Run, Width: 2.2})
		}
		for _, s := range pd.Series {
			if s.Theory {
				p.Curves = append(p.Curves, plot.Curve{X: s.X, Y: s.Y, Color: s.Run, Dash: plot.Dashed, Theory: true, Width: 1.2})
			}
		}
		if first && k == 0 {
			p.Curves = append(p.Curves, plot.Curve{Label: "band: ± 1 SE over trials", Lo: []float64{}, RGB: plot.BandColor(6)})
			for _, q := range panels {
				if q.TheoryName != "" {
					p.Curves = append(p.Curves, plot.Curve{Label: "dashed: theory of the run's config", RGB: plot.Colors[6], Dash: plot.Dashed, Theory: true, Width: 1.3})
					break
				}
			}
		}
		row = append(row, p)
		if len(row) == 2 {
			rows, row = append(rows, row), nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// Render draws the panels of runs in format f.
func Render(runs []*Run, panels []Panel, f plot.Format) ([]byte, error) {
	rows := Rows(panels)
	lines := strings.Count(Title(runs), "\n")
	w, h := plot.Inches(13), plot.Inches(0.4+0.22*float64(lines)+3.6*float64(len(rows)))
	return plot.BytesTitled(Title(runs), rows, w, h, f)
}
