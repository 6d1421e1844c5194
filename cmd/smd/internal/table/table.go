// Package table writes aligned text tables whose cells may hold combining
// characters (g̲*, r̄*, σ̃): text/tabwriter counts those as one column each
// and misaligns the row.
package table

import (
	"io"
	"strings"
	"unicode"
)

// Width returns the number of terminal columns s takes: its runes less the
// combining marks (Unicode categories Mn and Me), which draw on the
// preceding character. Wide (East Asian) characters are counted as one
// column; smd prints none.
func Width(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.In(r, unicode.Mn, unicode.Me) {
			n++
		}
	}
	return n
}

// Table is a list of rows of cells.
type Table struct{ rows [][]string }

// Row appends one row.
func (t *Table) Row(cells ...string) { t.rows = append(t.rows, cells) }

// Write writes the rows with every column left-aligned to its widest cell
// plus gap spaces; the last cell of a row is not padded.
func (t *Table) Write(w io.Writer, gap int) error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], Width(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-Width(c)+gap))
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
