package repro

import (
	"context"
	"fmt"
	stdcolor "image/color"
	"math"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/plot"
)

func fig2Work(o Options) int64 { return experiment.Fig2Work(experiment.Fig2(), o.Trials) }

// buildFig2 runs Figure 2's three groups (experiment.Fig2), checks their
// claims (experiment.CheckFig2) and builds their panels.
func buildFig2(ctx context.Context, o Options, progress func(int64)) (*Figure, []Run, error) {
	f := &Figure{Name: "fig2", Title: fmt.Sprintf("Figure 2: experiments on NRQ (p = 100, a_l = 1, a_h = 2, σ = 1), mean of %d trials", o.Trials),
		Caption: "Rows: (a)–(d) evolution inside equilibrium; (e)–(h) the escape after a learning-rate decay; (i)–(l) Corollary 3 and the initial scale. Columns: risk r_t = 1 − E f_t, loss E L(X_t), angular update √(E Δ_t²), weight norm E‖X_t‖. Dotted lines: theory (Theorem 2's limiting risk and loss with the corrected κ, Lemma 1's AU along the eq 17 norm path, the eq 17 norm path); shaded bands: Theorem 1's bounds on the risk (eqs 18–21 corrected), one per colour, drawn clipped to the data's range.",
		W:       19, H: 12.5, PW: 8.2, PH: 4.2}
	var runs []Run
	var offset int64
	for _, gr := range experiment.Fig2() {
		base := offset
		crs, err := experiment.RunFig2(ctx, gr, experiment.Fig2Options{Trials: o.Trials, Workers: o.Workers, Seed: o.Seed,
			Progress: func(done int64) { progress(base + done) }})
		if err != nil {
			return nil, nil, err
		}
		offset += experiment.Fig2Work([]experiment.Fig2Group{gr}, o.Trials)
		for _, cr := range crs {
			runs = append(runs, Run{Figure: gr.Name, Label: cr.Curve.Label, Config: cr.Curve.Config, Method: cr.Curve.Config.Method, WallSec: cr.WallSec})
		}
		row, err := fig2Row(gr, crs)
		if err != nil {
			return nil, nil, err
		}
		f.Rows = append(f.Rows, row)
		f.Notes = append(f.Notes, fmt.Sprintf("(%s)–(%s): %s. Limits are measured over t ≥ %d.", gr.Panels[0], gr.Panels[3], gr.Title, gr.Window))
	}
	return f, runs, nil
}

// column describes one of the four Figure 2 panels of a group.
type column struct {
	name, title, ylabel string
	logY                bool
	field               experiment.Field
	theory              func(o *experiment.Overlay) []float64
	theoryName          string
}

var fig2Columns = [4]column{
	{"risk", "risk r_t = 1 − E f_t", "risk", true, experiment.FieldRisk,
		func(o *experiment.Overlay) []float64 { return o.RiskLimit }, "Theorem 2 limiting risk r*"},
	{"loss", "loss E L(X_t)", "loss", false, experiment.FieldLoss,
		func(o *experiment.Overlay) []float64 { return o.LossLimit }, "Theorem 2 limiting loss"},
	{"au", "angular update √(E Δ_t²)", "AU (rad per step)", true, experiment.FieldAURMS,
		func(o *experiment.Overlay) []float64 { return o.AUPath }, "Lemma 1 AU on the eq 17 path (→ √(2λη))"},
	{"norm", "weight norm E‖X_t‖", "‖X_t‖", true, experiment.FieldNorm,
		func(o *experiment.Overlay) []float64 { return o.NormPath }, "eq 17 norm path"},
}

// style returns a curve's colour and dash within its group.
func style(group string, i int) (color, dash int) {
	switch group {
	case "fig2_a-d": // pairs of equal λη share a colour
		return i / 2, i % 2
	case "fig2_e-h": // paper: blue without rescale, red with
		return i, plot.Solid
	default: // the Corollary 3 transform dashed over the base
		return []int{0, 4, 1, 2}[i%4], []int{plot.Solid, plot.Dashed, plot.Solid, plot.Solid}[i%4]
	}
}

// fig2Row builds the four panels of a group with their captions.
func fig2Row(gr experiment.Fig2Group, crs []experiment.Fig2Run) ([]*Panel, error) {
	var out []*Panel
	for k, col := range fig2Columns {
		id := gr.Panels[k]
		p := &plot.Panel{Title: fmt.Sprintf("(%s) %s", id, col.title), XLabel: "t (steps)", YLabel: col.ylabel, LogY: col.logY}
		if gr.Decay > 0 {
			p.VLines = []float64{float64(gr.Decay)}
		}
		po := &Panel{Stem: "fig2" + id, Label: "(" + id + ")", Claim: panelClaim(gr, k), Plot: p}
		for i, cr := range crs {
			clr, dash := style(gr.Name, i)
			s := Series{Name: cr.Curve.Label, Kind: "sim"}
			for _, r := range cr.Rows {
				m, se := col.field(r)
				s.X, s.Y, s.SE = append(s.X, float64(r.Step)), append(s.Y, m), append(s.SE, se)
			}
			po.Series = append(po.Series, s)
			p.Curves = append(p.Curves, plot.Curve{Label: cr.Curve.Label, X: s.X, Y: s.Y, Color: clr, Dash: dash})
		}
		bandDone := map[int]bool{}
		var bands []plot.Curve
		for i, cr := range crs {
			clr, _ := style(gr.Name, i)
			th := Series{Name: cr.Curve.Label + ": " + col.theoryName, Kind: "theory", X: po.Series[i].X, Y: col.theory(cr.Overlay)}
			po.Series = append(po.Series, th)
			p.Curves = append(p.Curves, plot.Curve{X: th.X, Y: th.Y, Color: clr, Dash: plot.Dotted, Theory: true, Width: 1.4})
			if col.name == "risk" && gr.Decay > 0 && !cr.Curve.Config.Schedule[0].Rescale {
				ad := Series{Name: cr.Curve.Label + ": Theorem 2 r* at the current norm ‖X_t‖² (eq 17 path)", Kind: "theory", X: th.X, Y: cr.Overlay.Adiabatic}
				po.Series = append(po.Series, ad)
				p.Curves = append(p.Curves, plot.Curve{Label: "dash-dot: Theorem 2 r* at the current norm", X: ad.X, Y: ad.Y, Color: clr, Dash: plot.DashDot, Theory: true, Width: 1.1})
			}
			if col.name == "risk" {
				for j, b := range [][]float64{cr.Lo, cr.Hi} {
					name := []string{"lower", "upper"}[j]
					po.Series = append(po.Series, Series{Name: cr.Curve.Label + ": Theorem 1 " + name + " bound (eqs 18–21 corrected)", Kind: "theory", X: th.X, Y: b})
				}
				// One band per colour: curves sharing a colour share
				// their AU path (equal λη, or Corollary 3), so their
				// bounds differ only through the measured tail.
				if !bandDone[clr] {
					bandDone[clr] = true
					hi, lo := clipBand(cr.Hi, cr.Lo, po.Series[:len(crs)])
					bands = append(bands, plot.Curve{X: th.X, Y: hi, Lo: lo, RGB: faded(plot.Colors[clr]),
						Label: "band: Theorem 1, " + cr.Curve.Label})
				}
			}
		}
		p.Curves = append(p.Curves, plot.Curve{Label: "dotted: " + col.theoryName, RGB: plot.Colors[6], Dash: plot.Dotted, Theory: true, Width: 1.4})
		if len(bands) > 0 { // drawn first, behind the data, each with its legend swatch
			p.Curves = append(bands, p.Curves...)
		}
		out = append(out, po)
	}
	checks, err := experiment.CheckFig2(gr, crs)
	for k := range out {
		out[k].Claims, out[k].Measured, out[k].Verdict = checks[k].Claims, checks[k].Notes, checks[k].Verdict
	}
	return out, err
}

// panelClaim is the claim a panel shows: the group's for the risk, what
// the theory says of that quantity for the other three.
func panelClaim(gr experiment.Fig2Group, col int) string {
	switch col {
	case 1:
		return "The loss follows the risk exactly for two levels, 2L = a_l + (a_h − a_l)(1 − f), so it shows the same rate and limit: (a_l + (a_h − a_l) r*)/2 (Theorem 2). " + groupContext(gr)
	case 2:
		switch gr.Name {
		case "fig2_e-h":
			return "The AU controls the dynamics: after the decay without rescale it drops to √(2λη)/10 and climbs back to the new √(2λη') as the norm shrinks (Lemma 1 on the eq 17 path); with rescale it jumps straight to √(2λη')."
		case "fig2_i-l":
			return "The initial scale changes the AU at the start (Δ = ησ√(p − 1)/‖X‖², Lemma 1) but not its limit √(2λη); Corollary 3's transform keeps the whole AU path."
		}
		return "In equilibrium the angular update is √(2λη), whatever η and λ are separately (Lemma 1)."
	case 3:
		switch gr.Name {
		case "fig2_e-h":
			return "Without rescale ‖X‖⁴ relaxes to the new η(p − 1)σ²/(2λ) at rate 4λη' per step (eq 17); dividing X by 10^{1/4} puts it there at once."
		case "fig2_i-l":
			return "The norm follows eq 17 from ‖X₀‖ ≈ σ̃√p to (η(p − 1)σ²/(2λ))^{1/4}; the Corollary 3 transform multiplies it by k = 10."
		}
		return "The norm stays at its equilibrium ‖X‖⁴ = η(p − 1)σ²/(2λ) (eq 17 with M_t = ‖X_t‖²): equal λη with different η/λ gives different norms but the same AU."
	}
	return gr.Claim
}

func groupContext(gr experiment.Fig2Group) string {
	return "Group claim: " + gr.Claim
}

// faded returns c at 9% opacity (bands drawn behind the data, light
// enough that overlapping bands do not hide it).
func faded(c stdcolor.Color) stdcolor.Color { return plot.Faded(c, 24.0/255) }

// clipBand clips Theorem 1's band [lo, hi] to the range of the panel's
// data (the positive values of sims), so that a loose bound (the upper
// bound is 1 until the tail is small) cannot stretch the panel. Only the
// drawing is clipped: the panel's CSV keeps the bounds as computed.
func clipBand(hi, lo []float64, sims []Series) (chi, clo []float64) {
	dmin, dmax := math.Inf(1), math.Inf(-1)
	for _, s := range sims {
		for _, v := range s.Y {
			if v > 0 && !math.IsInf(v, 0) {
				dmin, dmax = math.Min(dmin, v), math.Max(dmax, v)
			}
		}
	}
	chi, clo = make([]float64, len(hi)), make([]float64, len(lo))
	for i := range hi {
		chi[i] = math.Min(math.Max(hi[i], dmin), dmax)
		clo[i] = math.Min(math.Max(lo[i], dmin), dmax)
	}
	return chi, clo
}
