package verify

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/smdlab/smd/claim"
	"github.com/smdlab/smd/internal/stattest"
)

// The quick grid runs in `go test`: every corrected formula must pass, the
// printed formulas the paper gets wrong must fail, and the reports must
// hold every row.
func TestQuickVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("verify --quick takes ~15 s")
	}
	// -seed=N (internal/stattest) reruns the grid on other seeds.
	rep, err := Run(context.Background(), true, stattest.Seed(0)/1_000_003, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if !r.Pass {
			t.Errorf("%s / %s (%s): predicted %.6g, simulated %.6g ± %.3g, bound %.3g: %s", r.Result, r.Case, r.Eq, r.Predicted, r.Simulated, r.SE, r.Bound, r.Detail)
		}
	}
	// The simulation must be able to tell the printed forms apart where the
	// paper is wrong (otherwise the grid tests nothing): eq 17's norm
	// (M = ‖X‖ vs ‖X‖²), eq 25's κ on a gap ≠ 1, eq 26, eqs 18–21, eq 24.
	mustFailPrinted := map[string]string{
		"norm limit E‖X‖":                        "p100",
		"stationary risk r* (exact quadrature)":  "p10-gap2",
		"stationary risk r* (leading term)":      "p100",
		"limiting risk bounds r̲* ≤ r ≤ r̄* + ε": "p100",
		"loss bounds through f":                  "p100",
		// Kunin's continuous form without its inertia term (12.4).
		"Kunin oscillator (12.3): E‖X_n‖² given the step energies": "kunin-μ0.9",
	}
	seen := map[string]bool{}
	for _, r := range rep.Rows {
		if c, ok := mustFailPrinted[r.Result]; ok && c == r.Case {
			seen[r.Result] = true
			if r.PrintedPass {
				t.Errorf("%s on %s: the printed formula (%.6g) passes against %.6g ± %.3g; the grid cannot detect the erratum", r.Result, r.Case, r.Printed, r.Simulated, r.SE)
			}
		}
	}
	for res := range mustFailPrinted {
		if !seen[res] {
			t.Errorf("no row %q", res)
		}
	}
	// Every result named by issue 3 appears.
	for _, want := range []string{"AU limit √(E Δ²)", "norm path E‖X_t‖²", "AU path √(E Δ_t²)", "stationary tail",
		"risk lower bound along the path", "risk upper bound along the path", "escape after LR decay", "no escape with rescale",
		"Corollary 3 transform", "heavy-ball norm identity (12.1)", "heavy-ball E‖X_n‖² transient"} {
		found := false
		for _, r := range rep.Rows {
			if strings.HasPrefix(r.Result, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("the report has no %q row", want)
		}
	}
	var md, csv bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(csv.String(), "\n"); n != len(rep.Rows)+1 {
		t.Errorf("report.csv has %d lines for %d rows", n, len(rep.Rows))
	}
	if !strings.Contains(md.String(), "0 failed") {
		t.Errorf("report.md does not say 0 failed")
	}
}

// pathZ keeps a path's false-alarm rate at that of one check (claim.Z).
func TestPathZ(t *testing.T) {
	if z := pathZ(1); z != claim.Z {
		t.Errorf("pathZ(1) = %v, want claim.Z = %v", z, claim.Z)
	}
	if z := pathZ(100); z < 5.2 || z > 5.4 {
		t.Errorf("pathZ(100) = %v, want Φ⁻¹(1 − 0.5·10⁻⁷) ≈ 5.33", z)
	}
}
