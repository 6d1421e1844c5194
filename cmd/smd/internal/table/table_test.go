package table

import (
	"strings"
	"testing"
)

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "g̲*": 2, "r̄*": 2, "σ̃": 1, "‖X₀‖": 4, "√(2λη)": 6, "—": 1, "": 0} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
}

// Columns start at the same display column on every row, with or without
// combining characters in the cells before them.
func TestAligned(t *testing.T) {
	var tb Table
	tb.Row("quantity", "eq", "value")
	tb.Row("rate g̲*", "eq 23", "1")
	tb.Row("limiting risk upper r̄*", "eq 24", "2")
	tb.Row("κ", "Theorem 2", "3")
	var b strings.Builder
	if err := tb.Write(&b, 2); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	col := func(line, cell string) int { return Width(line[:strings.Index(line, cell)]) }
	want := []string{"eq", "eq 23", "eq 24", "Theorem 2"}
	for i, l := range lines {
		if c := col(l, want[i]); c != col(lines[0], "eq") {
			t.Errorf("row %d: column 2 starts at %d, want %d:\n%s", i, c, col(lines[0], "eq"), b.String())
		}
		if strings.HasSuffix(l, " ") {
			t.Errorf("row %d has trailing spaces", i)
		}
	}
}
