package experiment

import (
	"fmt"
	"strings"

	"github.com/smdlab/smd/sim"
)

// SummaryField is one key=value pair of a run's closing summary.
type SummaryField struct{ Key, Value string }

// Summary returns the closing figures of a run: the last recorded row's
// step, and its risk and √(EΔ²) with their standard errors: the fields that close
// `smd simulate`'s log line and that `smd explore`'s page shows in its
// summary element. It is the one formatting of these numbers.
func Summary(rows []sim.Row) []SummaryField {
	if len(rows) == 0 {
		return nil
	}
	last := rows[len(rows)-1]
	return []SummaryField{
		{"final_step", fmt.Sprint(last.Step)},
		{"final_risk", fmt.Sprintf("%.4g±%.2g", last.Risk, last.RiskSE)},
		{"final_au_rms", fmt.Sprintf("%.4g±%.2g", last.AURMS, last.AURMSSE)},
	}
}

// SummaryText joins Summary as "key=value key=value", the text these
// fields take in `smd simulate`'s log line (slog's text format never quotes
// them: they hold no space, '=' or '"').
func SummaryText(rows []sim.Row) string {
	var b strings.Builder
	for i, f := range Summary(rows) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.Key + "=" + f.Value)
	}
	return b.String()
}
