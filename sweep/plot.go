package sweep

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/plot"
)

// PlotSpec chooses what a sweep plot shows.
type PlotSpec struct {
	// X is the horizontal axis: a varied key, "p" or "lambda_eta".
	X string
	// Y is a measured column (risk, loss, au_rms, norm, tail, dip,
	// risk_min); its theory column (th_Y) is overlaid when there is one.
	Y string
	// By, if set, draws one line per value of this varied key.
	By string
	// Heat, if set, draws heat maps over (X, Heat) instead of lines:
	// measured, and theory when there is one.
	Heat       string
	LogX, LogY bool
}

// theoryOf maps a measured column to its theory column.
var theoryOf = map[string]string{
	"risk": "th_risk", "loss": "th_loss", "au_rms": "th_au_rms", "norm": "th_norm",
	"tail": "th_tail", "dip": "th_dip",
}

// column returns the value of a key, "p" or "lambda_eta" in a row, as a
// number (ok false if it is not one).
func column(r *Row, key string) (float64, bool) {
	switch key {
	case "p":
		return float64(r.P), true
	case "lambda_eta":
		return r.LambdaEta, true
	}
	s, ok := r.Params[key]
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// group key of a row for By/Heat: the value as text.
func groupText(r *Row, key string) string {
	switch key {
	case "p":
		return strconv.Itoa(r.P)
	case "lambda_eta":
		return fnum(r.LambdaEta)
	}
	return r.Params[key]
}

// cell averages the points that share (x, group): independent runs (seeds),
// so the SE of the mean is √(Σ SE²)/n.
type cell struct {
	n             int
	sum, se2, thy float64
	thn           int
}

func (c *cell) mean() (m, se, th float64) {
	th = math.NaN()
	if c.thn > 0 {
		th = c.thy / float64(c.thn)
	}
	return c.sum / float64(c.n), math.Sqrt(c.se2) / float64(c.n), th
}

// PlotRows builds the panels of a sweep plot from a summary.
func PlotRows(s *Summary, spec PlotSpec) ([]plot.Row, error) {
	bad := func(field, format string, a ...any) error {
		return &experiment.FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	known := append(append([]string{}, s.Keys...), "p", "lambda_eta")
	if !slices.Contains(known, spec.X) {
		return nil, bad("--x", "want one of %s, got %q", strings.Join(known, ", "), spec.X)
	}
	for _, f := range []struct{ name, v string }{{"--by", spec.By}, {"--heat", spec.Heat}} {
		if f.v != "" && !slices.Contains(known, f.v) {
			return nil, bad(f.name, "want one of %s, got %q", strings.Join(known, ", "), f.v)
		}
	}
	if spec.By != "" && spec.Heat != "" {
		return nil, bad("--by", "give --by (lines) or --heat (heat map), not both")
	}
	ys := []string{"risk", "loss", "au_rms", "norm", "tail", "dip", "risk_min"}
	if !slices.Contains(ys, spec.Y) {
		return nil, bad("--y", "want one of %s, got %q", strings.Join(ys, ", "), spec.Y)
	}
	thCol := theoryOf[spec.Y]
	group := spec.By
	if spec.Heat != "" {
		group = spec.Heat
	}
	cells := map[string]map[float64]*cell{}
	var groups []string
	missing := 0
	for _, r := range s.Rows {
		if r.Status != "ok" {
			missing++
			continue
		}
		x, ok := column(r, spec.X)
		if !ok {
			return nil, bad("--x", "%s = %q is not a number (point %s)", spec.X, r.Params[spec.X], r.ID)
		}
		g := ""
		if group != "" {
			g = groupText(r, group)
		}
		if cells[g] == nil {
			cells[g] = map[float64]*cell{}
			groups = append(groups, g)
		}
		c := cells[g][x]
		if c == nil {
			c = &cell{}
			cells[g][x] = c
		}
		y := r.Value(spec.Y)
		if math.IsNaN(y) {
			continue
		}
		se := r.Value(spec.Y + "_se")
		if spec.Y == "dip" {
			se = r.Value("dip_se")
		}
		c.n++
		c.sum += y
		c.se2 += se * se
		if th := r.Value(thCol); thCol != "" && !math.IsNaN(th) {
			c.thy += th
			c.thn++
		}
	}
	if len(groups) == 0 {
		return nil, bad("DIR", "no finished points to plot (%d missing)", missing)
	}
	title := fmt.Sprintf("%s over %s", spec.Y, axisLabel(spec.X, false))
	if missing > 0 {
		title += fmt.Sprintf(" (%d points missing)", missing)
	}
	xs := func(g string) []float64 {
		var v []float64
		for x, c := range cells[g] {
			if c.n > 0 {
				v = append(v, x)
			}
		}
		slices.Sort(v)
		return v
	}
	if spec.Heat != "" {
		var gy []float64
		for _, g := range groups {
			v, err := strconv.ParseFloat(g, 64)
			if err != nil {
				return nil, bad("--heat", "%s = %q is not a number", spec.Heat, g)
			}
			gy = append(gy, v)
		}
		allX := map[float64]bool{}
		for _, g := range groups {
			for _, x := range xs(g) {
				allX[x] = true
			}
		}
		var gx []float64
		for x := range allX {
			gx = append(gx, x)
		}
		slices.Sort(gx)
		order := make([]int, len(groups))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(gy[a], gy[b]) })
		meas := &plot.SweepGrid{Xs: tr(gx, spec.LogX), Vals: make([][]float64, len(groups))}
		theo := &plot.SweepGrid{Xs: meas.Xs, Vals: make([][]float64, len(groups))}
		hasTheory := false
		for ri, gi := range order {
			meas.Ys = append(meas.Ys, tr1(gy[gi], spec.LogY))
			meas.Vals[ri] = make([]float64, len(gx))
			theo.Vals[ri] = make([]float64, len(gx))
			for ci, x := range gx {
				meas.Vals[ri][ci], theo.Vals[ri][ci] = math.NaN(), math.NaN()
				if c := cells[groups[gi]][x]; c != nil && c.n > 0 {
					m, _, th := c.mean()
					meas.Vals[ri][ci], theo.Vals[ri][ci] = m, th
					hasTheory = hasTheory || !math.IsNaN(th)
				}
			}
		}
		theo.Ys = meas.Ys
		xl, yl := axisLabel(spec.X, spec.LogX), axisLabel(spec.Heat, spec.LogY)
		row := plot.Row{plot.SweepHeat("measured "+title, xl, yl, meas)}
		if hasTheory {
			row = append(row, plot.SweepHeat("theory "+thCol, xl, yl, theo))
		}
		return []plot.Row{row}, nil
	}
	var lines []plot.SweepLine
	for _, g := range groups {
		l := plot.SweepLine{Label: spec.Y}
		if group != "" {
			l.Label = shortKey(group) + " = " + g
		}
		hasTheory := false
		for _, x := range xs(g) {
			m, se, th := cells[g][x].mean()
			l.X, l.Y, l.SE = append(l.X, x), append(l.Y, m), append(l.SE, se)
			l.Theory = append(l.Theory, th)
			hasTheory = hasTheory || !math.IsNaN(th)
		}
		if !hasTheory {
			l.Theory = nil
		}
		lines = append(lines, l)
	}
	ylabel := spec.Y + " (tail-window mean ± SE)"
	thLabel := map[string]string{
		"risk": "Theorem 2 r* (corrected)", "loss": "Theorem 2 E L (corrected)", "au_rms": "Lemma 1 √(2λη)",
		"norm": "eq 3 equilibrium ‖X‖", "tail": "eq 27 ε*", "dip": "frozen-norm Thm 2 on eq 17",
	}[spec.Y] + ", dashed"
	if spec.Y == "dip" {
		ylabel = "dip: limit − min after the last event (± SE)"
	}
	return []plot.Row{{plot.SweepPanel(title, axisLabel(spec.X, false), ylabel, thLabel, spec.LogX, spec.LogY, lines)}}, nil
}

// shortKey is a key's last part: "rescale" for schedule[0].rescale.
func shortKey(k string) string {
	if i := strings.LastIndex(k, "."); i >= 0 {
		return k[i+1:]
	}
	return k
}

func axisLabel(key string, log bool) string {
	if key == "lambda_eta" {
		key = "λη"
	}
	if log {
		return "log10 " + key
	}
	return key
}

func tr(v []float64, log bool) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = tr1(x, log)
	}
	return out
}

func tr1(x float64, log bool) float64 {
	if log {
		return math.Log10(x)
	}
	return x
}
