package sweep

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/sim"
)

// Measured columns of summary.csv: tail-window means and SE bounds
// (experiment.WindowMean), then the escape columns (points with a
// schedule: the risk's minimum after the last event and the dip below the
// window mean).
var measuredCols = []string{
	"window_from",
	"risk", "risk_se", "loss", "loss_se", "au_rms", "au_rms_se", "norm", "norm_se", "tail", "tail_se",
	"risk_min", "risk_min_se", "risk_min_step", "dip", "dip_se",
}

// Theory columns (see predict).
var theoryCols = []string{
	"th_risk", "th_risk_bias", "th_loss", "th_loss_bias", "th_au_rms", "th_au_rms_bias",
	"th_norm", "th_norm_bias", "th_tail", "th_dip",
}

// Row is one point of the summary.
type Row struct {
	ID string `json:"id"`
	// Status is "ok" or "missing" (outputs not there: not run yet, or a
	// shard failed).
	Status string            `json:"status"`
	Params map[string]string `json:"params"`
	// P is the dimension and LambdaEta λη (the first phase's): derived
	// columns for plots.
	P         int       `json:"p"`
	LambdaEta float64   `json:"lambda_eta"`
	Values    []float64 `json:"-"` // measuredCols then theoryCols; NaN where empty
	// Verdict is "supported", "contradicted: risk norm" (package claim's
	// words), "no theory: …", or "" (missing).
	Verdict string `json:"verdict"`
	// label keeps the params in column order.
	params []string
}

// Value returns the row's value in column col (NaN if empty or unknown).
func (r *Row) Value(col string) float64 {
	for i, c := range measuredCols {
		if c == col {
			return r.Values[i]
		}
	}
	for i, c := range theoryCols {
		if c == col {
			return r.Values[len(measuredCols)+i]
		}
	}
	return math.NaN()
}

// Summary is DIR/summary.csv and summary.json.
type Summary struct {
	Keys    []string `json:"keys"`
	Window  float64  `json:"window"`
	Z       float64  `json:"z"`
	Rows    []*Row   `json:"-"`
	Missing []string `json:"missing"` // "ID (eta=… lambda=…)"
}

// ReadManifest reads DIR/sweep.json.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	if err != nil {
		return nil, &experiment.FieldError{Field: "DIR", Msg: fmt.Sprintf("%s is not a sweep folder (no sweep.json; run smd sweep run first): %v", dir, err)}
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &experiment.FieldError{File: filepath.Join(dir, "sweep.json"), Msg: err.Error()}
	}
	return &m, nil
}

// Collect reads every point of the sweep in dir into a Summary. Missing
// points are rows with status "missing" (and listed in Missing).
func Collect(dir string) (*Summary, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	s := &Summary{Keys: m.Keys, Window: m.Window, Z: zVerdict}
	for _, p := range m.Points {
		r := &Row{ID: p.ID, Status: "ok", Params: map[string]string{}, params: p.Params,
			P: dim(p.Config), LambdaEta: *p.Config.Lambda * *p.Config.Eta}
		for i, k := range m.Keys {
			r.Params[k] = p.Params[i]
		}
		r.Values = make([]float64, len(measuredCols)+len(theoryCols))
		for i := range r.Values {
			r.Values[i] = math.NaN()
		}
		rows, err := experiment.ReadSeries(filepath.Join(PointDir(dir, p.ID), "series.csv"))
		if err != nil || !Complete(dir, p) {
			r.Status = "missing"
			s.Missing = append(s.Missing, fmt.Sprintf("%s (%s)", p.ID, p.Label(m.Keys)))
			s.Rows = append(s.Rows, r)
			continue
		}
		measure(r, p.Config, rows, m.Window)
		r.Verdict = predict(r, p.Config, rows)
		s.Rows = append(s.Rows, r)
	}
	return s, nil
}

func dim(c *experiment.Config) int {
	if len(c.Diagonal) > 0 {
		return len(c.Diagonal)
	}
	p := 0
	for _, m := range c.Multiplicity {
		p += m
	}
	return p // 0 for an a_file config
}

// windowFrom is the first step of the tail window: steps − ⌊window·steps⌋.
func windowFrom(c *experiment.Config, window float64) int {
	return c.Steps - int(math.Floor(window*float64(c.Steps)))
}

// lastEvent is the step of the last schedule event at or before the last
// step (-1 if none).
func lastEvent(c *experiment.Config) int {
	d := -1
	for _, e := range c.Schedule {
		if e.Step <= c.Steps {
			d = e.Step
		}
	}
	return d
}

func (r *Row) set(col string, v float64) {
	for i, c := range measuredCols {
		if c == col {
			r.Values[i] = v
			return
		}
	}
	for i, c := range theoryCols {
		if c == col {
			r.Values[len(measuredCols)+i] = v
			return
		}
	}
	panic("sweep: unknown column " + col)
}

// measure fills the measured columns.
func measure(r *Row, c *experiment.Config, rows []sim.Row, window float64) {
	from := windowFrom(c, window)
	r.set("window_from", float64(from))
	for _, f := range []struct {
		col   string
		field experiment.Field
	}{
		{"risk", experiment.FieldRisk}, {"loss", experiment.FieldLoss},
		{"au_rms", experiment.FieldAURMS}, {"norm", experiment.FieldNorm},
		{"tail", func(x sim.Row) (float64, float64) { return x.Tail, x.TailSE }},
	} {
		m, se, _ := experiment.WindowMean(rows, from, f.field)
		r.set(f.col, m)
		r.set(f.col+"_se", se)
	}
	if d := lastEvent(c); d >= 0 {
		row, mn, se := experiment.Min(rows, d, math.MaxInt, experiment.FieldRisk)
		r.set("risk_min", mn)
		r.set("risk_min_se", se)
		r.set("risk_min_step", float64(row.Step))
		r.set("dip", r.Value("risk")-mn)
		// The window mean and the minimum are correlated (same trials):
		// their SDs add at most (Minkowski).
		r.set("dip_se", r.Value("risk_se")+se)
	}
}

// Header returns summary.csv's columns: id, status, the varied keys, p,
// lambda_eta, the measured and theory columns, verdict.
func (s *Summary) Header() []string {
	h := append([]string{"id", "status"}, s.Keys...)
	h = append(h, "p", "lambda_eta")
	h = append(h, measuredCols...)
	h = append(h, theoryCols...)
	return append(h, "verdict")
}

// WriteCSV writes the summary as CSV (numbers round-trip; empty where no
// value). The bytes depend only on the points' series.csv and configs.
func (s *Summary) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(s.Header(), ",") + "\n")
	for _, r := range s.Rows {
		f := []string{r.ID, r.Status}
		for _, p := range r.params {
			f = append(f, csvField(p))
		}
		f = append(f, strconv.Itoa(r.P), fnum(r.LambdaEta))
		for _, v := range r.Values {
			f = append(f, fnum(v))
		}
		f = append(f, csvField(r.Verdict))
		bw.WriteString(strings.Join(f, ",") + "\n")
	}
	return bw.Flush()
}

func fnum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// WriteJSON writes the summary as one JSON object: keys, window, z,
// missing and rows (numbers null where empty).
func (s *Summary) WriteJSON(w io.Writer) error {
	type jrow struct {
		*Row
		Values map[string]*float64 `json:"values"`
	}
	out := struct {
		*Summary
		Rows []jrow `json:"rows"`
	}{Summary: s}
	if s.Missing == nil {
		s.Missing = []string{}
	}
	for _, r := range s.Rows {
		jr := jrow{Row: r, Values: map[string]*float64{}}
		for i, c := range append(append([]string{}, measuredCols...), theoryCols...) {
			if v := r.Values[i]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				jr.Values[c] = &v
			}
		}
		out.Rows = append(out.Rows, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Write writes DIR/summary.csv and DIR/summary.json atomically.
func (s *Summary) Write(dir string) error {
	if err := experiment.WriteAtomic(filepath.Join(dir, "summary.csv"), s.WriteCSV); err != nil {
		return err
	}
	return experiment.WriteAtomic(filepath.Join(dir, "summary.json"), s.WriteJSON)
}
