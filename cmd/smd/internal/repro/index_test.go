package repro

import (
	"bytes"
	"strings"
	"testing"

	"github.com/smdlab/smd/claim"
)

// The table of index.html has one row per claim, its measured value ± SE
// to two digits of the SE, the theory to the same precision with the
// deviation allowed, and the verdict; a panel without claims gets one row
// saying so.
func TestClaimTable(t *testing.T) {
	agree := claim.Agree("limiting risk", claim.Estimate{Mean: 0.03509, SE: 0.00036}, 0.035193, 0.0001, claim.Z)
	dip := claim.Effect("escape dip", claim.Estimate{Mean: 0.032, SE: 0.001}, 0, claim.Z)
	exact := claim.Exact("Corollary 3: max |Δ risk|", 3e-13, 0, 1e-9)
	fig := &Figure{Name: "figx", Title: "X", Rows: [][]*Panel{{
		{Stem: "figxa", Label: "(a)", Claims: []claim.Claim{agree, dip}, Verdict: claim.Supported, Measured: []string{"note one"}},
		{Stem: "figxb", Label: "(b)", Claims: []claim.Claim{exact}, Verdict: claim.Supported},
		{Stem: "figxc", Label: "(c)"},
	}}}
	rows := fig.ClaimRows()
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4: %+v", len(rows), rows)
	}
	want := []ClaimRow{
		{Label: "(a)", Claim: "limiting risk", Measured: "0.03509 ± 0.00036", Theory: "0.03519", Verdict: "supported"},
		{Label: "", Claim: "escape dip", Measured: "0.0320 ± 0.0010", Theory: "an effect > 0", Verdict: "supported"},
		{Label: "(b)", Claim: "Corollary 3: max |Δ risk|", Measured: "3e-13", Theory: "0 exactly", Verdict: "supported"},
		{Label: "(c)", Claim: "illustration: nothing checked (numbers below the panel)", Measured: "—", Theory: "—"},
	}
	for i, w := range want {
		g := rows[i]
		if g.Label != w.Label || g.Claim != w.Claim || g.Measured != w.Measured || g.Theory != w.Theory || g.Verdict != w.Verdict {
			t.Errorf("row %d: %+v\nwant %+v", i, g, w)
		}
	}
	// |Δ| = 0.000103, allowed z·SE + bias = 4.417·0.00036 + 0.0001.
	if got := rows[0].Allowed; got != "|Δ| = 0.0001, allowed 0.0017" {
		t.Errorf("allowed: %q", got)
	}
	var b bytes.Buffer
	if err := WriteIndex(&b, []*Figure{fig}, 10); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, s := range []string{`<table class="claims">`, `data-label="measured ± SE">0.03509 ± 0.00036</td>`, `<span class="supported">supported</span>`, `<summary>More numbers (1)</summary>`, `title="limiting risk 0.03509 ± 0.00036 vs 0.03519:`} {
		if !strings.Contains(page, s) {
			t.Errorf("index.html lacks %q", s)
		}
	}
}
