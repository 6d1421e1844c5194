package main

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/smdlab/smd/cmd/smd/internal/table"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/theory"
)

// optimReport is the JSON object of `smd theory --json` for momentum,
// AdamW, Lion and the NQM (experiment.OptimizerTheory); null: not
// applicable.
type optimReport struct {
	Model        string   `json:"model"`
	Optimizer    string   `json:"optimizer"`
	Momentum     float64  `json:"momentum"`
	Beta1        float64  `json:"beta1"`
	Beta2        float64  `json:"beta2"`
	P            int      `json:"p"`
	Eta          float64  `json:"eta"`
	Lambda       float64  `json:"lambda"`
	AULimit      *float64 `json:"au_limit"`             // discrete form (derivations §10)
	REQAULimit   *float64 `json:"req_au_limit"`         // REQ as printed
	LionAUArcsin *float64 `json:"lion_au_exact_sign"`   // Lion without the linearised sign
	NormSqLimit  *float64 `json:"norm_sq_limit"`        // discrete form
	REQNormSq    *float64 `json:"req_norm_sq_limit"`    // REQ
	Time         *float64 `json:"equilibrium_time"`     // steps
	NQMNormSqEnd *float64 `json:"nqm_norm_sq_at_steps"` // exact
	NQMLossEnd   *float64 `json:"nqm_loss_at_steps"`
	// Heavy-ball momentum: the norm recursion's slow exponent per step
	// (‖X‖² − its limit ∝ e^{rate·n}, derivations §12) and its period in
	// steps when underdamped, exact (12.1) and Kunin et al.'s continuous
	// oscillator (12.3).
	NormRate      *float64 `json:"norm_rate"`
	NormPeriod    *float64 `json:"norm_period"`
	KuninNormRate *float64 `json:"kunin_norm_rate"`
	KuninPeriod   *float64 `json:"kunin_norm_period"`
	Notes         []string `json:"notes"`
}

// oscillation returns the slow root's rate (real part) and, for a complex
// pair, the period 2π/|Im| (nil when overdamped).
func oscillation(r complex128) (rate, period *float64) {
	rate = num(real(r))
	if im := math.Abs(imag(r)); im > 0 {
		period = num(2 * math.Pi / im)
	}
	return rate, period
}

func (t *TheoryCmd) runOptimizer(g *Globals, c *experiment.Config) error {
	ot, err := c.OptimizerTheory()
	if err != nil {
		var fe *experiment.FieldError
		if errors.As(err, &fe) && fe.File == "" {
			fe.File = t.Config
		}
		return badInput(err)
	}
	nz := func(v float64) *float64 {
		if v == 0 {
			return nil
		}
		return num(v)
	}
	r := optimReport{Model: c.Model, Optimizer: ot.Optimizer.Name, Momentum: ot.Optimizer.Momentum,
		Beta1: ot.Optimizer.Beta1, Beta2: ot.Optimizer.Beta2, P: ot.P, Eta: ot.Eta, Lambda: ot.Lambda,
		AULimit: nz(ot.AU), REQAULimit: nz(ot.AUREQ), LionAUArcsin: nz(ot.LionAUArcsin),
		NormSqLimit: nz(ot.NormSq), REQNormSq: nz(ot.NormSqREQ), Time: nz(ot.Time),
		NQMNormSqEnd: nz(ot.NQMNormSqEnd), NQMLossEnd: nz(ot.NQMLossEnd), Notes: append([]string{}, ot.Notes...)}
	if r.Optimizer == "sgd" && r.Momentum > 0 && c.Model != "nqm" {
		d, k, err := theory.HeavyBallNormRoots(r.Eta, r.Lambda, r.Momentum)
		if err != nil {
			return badInput(err)
		}
		r.NormRate, r.NormPeriod = oscillation(d[0])
		r.KuninNormRate, r.KuninPeriod = oscillation(k[0])
	}
	if t.JSON {
		return writeJSON(g, r)
	}
	fmt.Fprintf(g.Stdout, "%s theory: optimizer %s (μ = %g, β₁ = %g, β₂ = %g), p = %d, η = %g, λ = %g\n\n",
		strings.ToUpper(r.Model), r.Optimizer, r.Momentum, r.Beta1, r.Beta2, r.P, r.Eta, r.Lambda)
	var w table.Table
	w.Row("quantity", "source", "discrete (smd)", "as printed (REQ)")
	for _, row := range []struct {
		name, src  string
		got, paper *float64
	}{
		{"AU limit √(E Δ²)", "REQ Table 1; derivations §10", r.AULimit, r.REQAULimit},
		{"Lion AU, exact sign", "derivations (10.7)", r.LionAUArcsin, nil},
		{"equilibrium E‖X‖²", "REQ Table 1; (10.8)", r.NormSqLimit, r.REQNormSq},
		{"norm relaxation time (steps)", "derivations §10", r.Time, nil},
		{"E‖X‖² at t = steps", "NQM, derivations §11", r.NQMNormSqEnd, nil},
		{"E L at t = steps", "NQM, derivations §11", r.NQMLossEnd, nil},
		{"‖X‖² relaxation rate per step", "exact (12.1) | Kunin (12.3)", r.NormRate, r.KuninNormRate},
		{"‖X‖² oscillation period (steps)", "exact (12.1) | Kunin (12.3)", r.NormPeriod, r.KuninPeriod},
	} {
		if row.got == nil && row.paper == nil {
			continue
		}
		w.Row(row.name, row.src, cell(row.got), cell(row.paper))
	}
	if err := w.Write(g.Stdout, 2); err != nil {
		return err
	}
	for _, n := range r.Notes {
		fmt.Fprintf(g.Stdout, "note: %s\n", n)
	}
	_, err = fmt.Fprintln(g.Stdout, "\nDerivations: docs/derivations.md §10–11; measured accuracy: smd verify.")
	return err
}
