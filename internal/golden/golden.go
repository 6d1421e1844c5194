// Package golden is the regression tier of the tests (STYLE.md §7, in the
// style of math/rand/v2's regress_test.go): the output of a fixed-seed run
// is compared byte for byte with testdata/NAME, and rewritten with
//
//	go test ./PKG -run TestX -update
//
// A golden catches change, not wrongness: the exact and statistical tests
// check correctness. Importing this package registers -update.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/smdlab/smd/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// Check compares got with testdata/name, or writes it there under -update.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed (rerun with -update if intended); got:\n%s", path, got)
	}
}

// Rows writes "# title" and one line per row: step, η, λ | every mean and
// SE of sim.Row.Stats to 9 significant digits.
func Rows(w io.Writer, title string, rows []sim.Row) {
	fmt.Fprintf(w, "# %s\n", title)
	for _, r := range rows {
		fmt.Fprintf(w, "%d %.9g %.9g |", r.Step, r.Eta, r.Lambda)
		for _, s := range r.Stats() {
			fmt.Fprintf(w, " %.9g %.9g", s.Mean, s.SE)
		}
		fmt.Fprintln(w)
	}
}
