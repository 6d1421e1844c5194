package main

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/smdlab/smd/cmd/smd/internal/table"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/theory"
)

// TheoryCmd is `smd theory`.
type TheoryCmd struct {
	Config string `help:"YAML config (the schema of smd simulate)." required:"" type:"existingfile" placeholder:"FILE"`
	JSON   bool   `help:"Print one JSON object instead of a table."`
}

// Help is shown by `smd theory --help`.
func (TheoryCmd) Help() string {
	return `Prints the closed-form predictions of package theory for a config: the
corrected formulas (docs/derivations.md) and, where the paper's printed
formula differs, the printed value beside it (paper_... keys). Limits are for
the (eta, lambda) in force after the last schedule event; norm_path_end and
au_path_end follow eq 17 through the whole schedule to t = steps. Needs an
NRQ config with a diagonal A (spectrum or diagonal) and isotropic noise
(sigma): Assumptions 1-2. stationary_* are null unless A has exactly two
distinct eigenvalues with the smaller one simple (Theorem 2).`
}

// theoryReport is the JSON object of `smd theory --json`. Pointer fields
// are null where a result does not apply (or is infinite, e.g. λ = 0).
type theoryReport struct {
	P      int     `json:"p"`
	Eta    float64 `json:"eta"`
	Lambda float64 `json:"lambda"`
	Sigma  float64 `json:"sigma"`
	Xi     float64 `json:"tail_xi"`

	AULimit           *float64 `json:"au_limit"`            // Lemma 1: √(2λη)
	MeanAULimit       *float64 `json:"mean_au_limit"`       // c_p √(2λη)
	NormLimit         *float64 `json:"norm_limit"`          // eq 17: (η(p−1)σ²/(2λ))^{1/4}
	PaperNormLimit    *float64 `json:"paper_norm_limit"`    // eq 17 read with M = ‖X‖
	DiscreteNormLimit *float64 `json:"discrete_norm_limit"` // (5.3)
	DiscreteTan2Limit *float64 `json:"discrete_tan2_limit"` // (1 − λη)⁻² − 1
	InitNorm          *float64 `json:"init_norm"`
	InitAU            *float64 `json:"init_au"`
	NormPathEnd       *float64 `json:"norm_path_end"`
	AUPathEnd         *float64 `json:"au_path_end"`

	Kappa                    *float64 `json:"kappa"`
	PaperKappa               *float64 `json:"paper_kappa"`
	StationaryRisk           *float64 `json:"stationary_risk"`
	StationaryRiskLeading    *float64 `json:"stationary_risk_leading"`
	PaperStationaryRisk      *float64 `json:"paper_stationary_risk"`       // eq 26 as printed
	PaperKappaStationaryRisk *float64 `json:"paper_kappa_stationary_risk"` // exact r* with the printed κ
	StationaryTail           *float64 `json:"stationary_tail"`
	PaperStationaryTail      *float64 `json:"paper_stationary_tail"`
	StationaryLoss           *float64 `json:"stationary_loss"`

	RateLower            *float64 `json:"rate_lower"` // eq 23
	RateUpper            *float64 `json:"rate_upper"`
	PaperRateLower       *float64 `json:"paper_rate_lower"`
	PaperRateUpper       *float64 `json:"paper_rate_upper"`
	RiskLowerLimit       *float64 `json:"risk_lower_limit"` // eq 24
	RiskUpperLimit       *float64 `json:"risk_upper_limit"`
	PaperRiskLowerLimit  *float64 `json:"paper_risk_lower_limit"`
	PaperRiskUpperLimit  *float64 `json:"paper_risk_upper_limit"`
	EscapeThresholdNorm  *float64 `json:"escape_threshold_norm"` // Corollary 2, on ‖X₀‖
	PaperEscapeThreshold *float64 `json:"paper_escape_threshold_norm"`

	Notes []string `json:"notes"`
}

// num returns &v, or nil for NaN and ±Inf (JSON has no such numbers).
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// theoryParams maps a config to theory parameters for the (η, λ) after the
// last schedule event (experiment.Config.TheoryModel), and returns the
// schedule.
func theoryParams(c *experiment.Config) (theory.Params, theory.Schedule, error) {
	p, s, err := c.TheoryModel()
	if err != nil {
		return p, nil, err
	}
	last := s[len(s)-1]
	p.Eta, p.Lambda = last.Eta, last.Lambda
	if err := p.Validate(); err != nil {
		return p, nil, err
	}
	return p, s, nil
}

func buildTheoryReport(c *experiment.Config) (*theoryReport, error) {
	p, s, err := theoryParams(c)
	if err != nil {
		return nil, err
	}
	xi := c.TailXi
	r := &theoryReport{P: p.P, Eta: p.Eta, Lambda: p.Lambda, Sigma: p.Sigma, Xi: xi, Notes: []string{}}
	if len(s) > 1 {
		r.Notes = append(r.Notes, fmt.Sprintf("limits use the last phase (from step %g): η = %g, λ = %g", s[len(s)-1].Start, p.Eta, p.Lambda))
	}
	r.AULimit = num(p.AULimit())
	r.MeanAULimit = num(theory.MeanAUFactor(p.P) * p.AULimit())
	r.NormLimit = num(p.NormLimit())
	r.PaperNormLimit = num(p.PaperNormLimit())
	r.DiscreteTan2Limit = num(p.DiscreteAUTan2Limit())
	grad2 := 0.0
	if g2, err := p.StationaryGrad2(); err == nil {
		grad2 = g2
	}
	r.DiscreteNormLimit = num(p.DiscreteNormLimit(grad2))
	norm0 := c.InitNormDim(p.P) // p from the model: an a_file's too
	r.InitNorm = num(norm0)
	p0 := p
	p0.Eta, p0.Lambda = s[0].Eta, s[0].Lambda
	r.InitAU = num(p0.AU(norm0 * norm0 * s[0].Scale * s[0].Scale))
	if path, err := p.Path(s, norm0); err == nil {
		r.NormPathEnd = num(path.Norm(float64(c.Steps)))
		r.AUPathEnd = num(path.AU(float64(c.Steps)))
	}
	if k, err := p.Kappa(); err == nil {
		r.Kappa = num(k)
		r.PaperKappa = num(p.PaperKappa())
		rs, _ := p.StationaryRisk()
		r.StationaryRisk = num(rs)
		lead, _ := p.StationaryRiskLeading()
		r.StationaryRiskLeading = num(lead)
		r.PaperStationaryRisk = num(p.PaperStationaryRisk())
		r.PaperKappaStationaryRisk = num(theory.StationaryRiskKappa(p.P, p.PaperKappa()))
		tail, _ := p.StationaryTail(xi)
		r.StationaryTail = num(tail)
		r.PaperStationaryTail = num(p.PaperStationaryTail(xi))
		loss, _ := p.StationaryLoss()
		r.StationaryLoss = num(loss)
	} else {
		r.Notes = append(r.Notes, "stationary_*: "+err.Error())
	}
	if len(p.A.Values) >= 2 && p.A.Mult[0] == 1 && p.Sigma > 0 {
		gl, gu := p.EquilibriumRates(xi)
		r.RateLower, r.RateUpper = num(gl), num(gu)
		pgl, pgu := p.PaperEquilibriumRates(xi)
		r.PaperRateLower, r.PaperRateUpper = num(pgl), num(pgu)
		rl, ru := p.LimitingRiskBounds(xi)
		r.RiskLowerLimit, r.RiskUpperLimit = num(rl), num(ru)
		prl, pru := p.PaperLimitingRiskBounds(xi)
		r.PaperRiskLowerLimit, r.PaperRiskUpperLimit = num(prl), num(pru)
		eps := 0.0
		if r.StationaryTail != nil {
			eps = *r.StationaryTail
		}
		if m, err := p.EscapeThreshold(xi, eps); err == nil {
			r.EscapeThresholdNorm = num(math.Sqrt(m))
			if pm := p.PaperEscapeThreshold(xi, eps); pm > 0 {
				r.PaperEscapeThreshold = num(math.Sqrt(pm))
			}
		} else {
			r.Notes = append(r.Notes, "escape_threshold_norm: "+err.Error())
		}
	} else {
		r.Notes = append(r.Notes, "Theorem 1/Corollaries 1–2 need a₁ < a₂ with a₁ simple and σ > 0")
	}
	return r, nil
}

// Run prints the predictions.
func (t *TheoryCmd) Run(g *Globals) error {
	c, err := experiment.Load(t.Config)
	if err != nil {
		return badInput(err)
	}
	if !c.PlainSGD() || c.Model == "nqm" {
		return t.runOptimizer(g, c)
	}
	r, err := buildTheoryReport(c)
	if err != nil {
		return badInput(err)
	}
	if t.JSON {
		return writeJSON(g, r)
	}
	return writeTheoryTable(g, r)
}

// writeJSON prints v as one indented JSON object (`smd theory --json`).
func writeJSON(g *Globals, v any) error {
	enc := json.NewEncoder(g.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// cell formats a table value: "—" where it does not apply.
func cell(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.6g", *v)
}

func writeTheoryTable(g *Globals, r *theoryReport) error {
	fmt.Fprintf(g.Stdout, "NRQ theory: p = %d, η = %g, λ = %g, σ = %g, ξ = %g\n\n", r.P, r.Eta, r.Lambda, r.Sigma, r.Xi)
	var w table.Table
	w.Row("quantity", "equation", "corrected", "as printed")
	rows := []struct {
		name, eq   string
		got, paper *float64
	}{
		{"AU limit √(2λη) (RMS)", "Lemma 1", r.AULimit, nil},
		{"mean AU limit c_p√(2λη)", "§2.3", r.MeanAULimit, nil},
		{"equilibrium ‖X‖", "eq 17", r.NormLimit, r.PaperNormLimit},
		{"discrete equilibrium ‖X‖", "eq 3", r.DiscreteNormLimit, nil},
		{"discrete E tan²Δ limit", "eqs 13–14", r.DiscreteTan2Limit, nil},
		{"‖X₀‖", "init", r.InitNorm, nil},
		{"AU at t = 0", "Lemma 1", r.InitAU, nil},
		{"‖X‖ at t = steps", "eq 17", r.NormPathEnd, nil},
		{"AU at t = steps", "Lemma 1", r.AUPathEnd, nil},
		{"κ", "Theorem 2", r.Kappa, r.PaperKappa},
		{"stationary risk r*", "eqs 25–26", r.StationaryRisk, r.PaperStationaryRisk},
		{"r* leading order", "eq 26", r.StationaryRiskLeading, nil},
		{"r* with the printed κ", "eq 25", nil, r.PaperKappaStationaryRisk},
		{"stationary tail ε* = P(f < ξ)", "eq 27", r.StationaryTail, r.PaperStationaryTail},
		{"stationary loss E L", "eqs 1, 25", r.StationaryLoss, nil},
		{"rate g̲*", "eq 23", r.RateLower, r.PaperRateLower},
		{"rate ḡ*", "eq 23", r.RateUpper, r.PaperRateUpper},
		{"limiting risk lower r̲*", "eq 24", r.RiskLowerLimit, r.PaperRiskLowerLimit},
		{"limiting risk upper r̄*", "eq 24", r.RiskUpperLimit, r.PaperRiskUpperLimit},
		{"escape threshold on ‖X₀‖", "Corollary 2", r.EscapeThresholdNorm, r.PaperEscapeThreshold},
	}
	for _, row := range rows {
		w.Row(row.name, row.eq, cell(row.got), cell(row.paper))
	}
	if err := w.Write(g.Stdout, 2); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintf(g.Stdout, "note: %s\n", n)
	}
	_, err := fmt.Fprintln(g.Stdout, "\nCorrections and derivations: docs/derivations.md.")
	return err
}
