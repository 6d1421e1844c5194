package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/smdlab/smd/experiment"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// runCLI runs smd with args and returns exit code, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// The README's main command on the embedded example (shortened with the
// override flags) writes both outputs with the contract's columns.
func TestSimulateEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "simulate", "--out", dir, "--steps", "300", "--trials", "8")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := readCSV(t, filepath.Join(dir, "series.csv"))
	for _, col := range []string{"step", "eta", "risk", "risk_se", "loss", "loss_se", "au", "au_se", "au_rms", "norm", "norm_se", "tail", "tail_se"} {
		if !contains(recs[0], col) {
			t.Errorf("series.csv lacks column %q (header %v)", col, recs[0])
		}
	}
	// record_every 100 from the example: rows at 0, 100, 200, 300.
	if len(recs) != 5 || recs[4][0] != "300" {
		t.Errorf("got %d rows, last step %q; want steps 0..300 by 100", len(recs)-1, recs[len(recs)-1][0])
	}
	var info experiment.RunInfo
	data := readFile(t, filepath.Join(dir, "run.json"))
	if err := json.Unmarshal(data, &info); err != nil {
		t.Fatal(err)
	}
	if info.Config.Trials != 8 || info.Config.Steps != 300 || info.Seed != 1 || info.Version == "" || info.StepsPS <= 0 {
		t.Errorf("run.json: %+v", info)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("out dir holds %d entries, want series.csv, run.json and outdir's manifest only", len(entries))
	}
}

// --workers never changes series.csv.
func TestSimulateWorkersByteIdentical(t *testing.T) {
	var ref []byte
	for _, w := range []string{"1", "2", "5"} {
		dir := filepath.Join(t.TempDir(), "w"+w)
		if code, _, stderr := runCLI(t, "simulate", "--out", dir, "--steps", "200", "--trials", "6", "--workers", w); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b := readFile(t, filepath.Join(dir, "series.csv"))
		if ref == nil {
			ref = b
		} else if !bytes.Equal(b, ref) {
			t.Fatalf("--workers %s changed series.csv", w)
		}
	}
}

// Every bad input gives exit code 2, exactly one line on stderr per problem
// naming the field and the reason (golden: testdata/bad.golden; only
// many_errors.yaml has several), and no output dir.
func TestSimulateBadInput(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal("no testdata/bad/*.yaml")
	}
	sort.Strings(files)
	var got strings.Builder
	check := func(name string, args ...string) {
		dir := filepath.Join(t.TempDir(), "out")
		code, _, stderr := runCLI(t, append([]string{"simulate", "--out", dir}, args...)...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, code, stderr)
		}
		if n := strings.Count(stderr, "\n"); n != 1 && !(name == "many_errors.yaml" && n == 5) {
			t.Errorf("%s: %d lines on stderr, want 1: %q", name, n, stderr)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: output dir was created", name)
		}
		got.WriteString(name + ": " + stderr)
	}
	for _, f := range files {
		check(filepath.Base(f), "--config", f)
	}
	check("missing config file", "--config", "testdata/bad/does-not-exist.yaml")
	check("--trials 0", "--trials", "0")
	check("--workers=-1", "--workers=-1")
	check("--method bogus", "--method", "bogus")
	golden := filepath.Join("testdata", "bad.golden")
	if *update {
		writeFile(t, golden, got.String())
	}
	want := readFile(t, golden)
	if got.String() != string(want) {
		t.Errorf("error messages changed (rerun with -update if intended):\n%s", diffLines(string(want), got.String()))
	}
}

// `smd --help` and `smd simulate --help` document every config key.
// simulate --help is the one home of the config schema: it names every
// YAML key of experiment.Config (found by reflection, nested keys too), every
// method and every flag.
func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, "simulate", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var keys []string
	var walk func(rt reflect.Type)
	walk = func(rt reflect.Type) {
		for f := range rt.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			keys = append(keys, name)
			ft := f.Type
			for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(ft)
			}
		}
	}
	walk(reflect.TypeFor[experiment.Config]())
	if len(keys) < 25 {
		t.Fatalf("found only %d keys by reflection: %v", len(keys), keys)
	}
	keys = append(keys, experiment.Methods...)
	for _, key := range append(keys, "--config", "--out", "--trials", "--steps", "--seed", "--workers", "--method") {
		if !strings.Contains(out, key) {
			t.Errorf("simulate --help does not mention %q", key)
		}
	}
	if code, out, _ := runCLI(t, "--help"); code != 0 || !strings.Contains(out, "simulate") {
		t.Errorf("smd --help: exit %d, output %q", code, out)
	}
}

// The embedded example is printed verbatim and is a valid config.
func TestPrintExample(t *testing.T) {
	code, out, _ := runCLI(t, "simulate", "--print-example")
	if code != 0 || out != string(experiment.ExampleYAML()) {
		t.Fatalf("exit %d, output differs from the embedded example", code)
	}
	if _, err := experiment.Parse([]byte(out), "example", ""); err != nil {
		t.Fatal(err)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var d strings.Builder
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			d.WriteString("- " + x + "\n+ " + y + "\n")
		}
	}
	return d.String()
}

// --steps recomputes a defaulted record_every (max(1, steps/200)) but
// keeps one the config sets; record_every > steps warns; the closing log
// line names the step its final numbers are from.
func TestStepsRecordEvery(t *testing.T) {
	tmp := t.TempDir()
	ex := string(experiment.ExampleYAML())
	var kept []string
	for _, l := range strings.Split(ex, "\n") {
		if !strings.HasPrefix(l, "record_every:") {
			kept = append(kept, l)
		}
	}
	noRec := filepath.Join(tmp, "norec.yaml")
	writeFile(t, noRec, strings.Join(kept, "\n"))
	for _, tc := range []struct {
		config, steps string
		rows          int
		last          string
		warn          bool
	}{
		{noRec, "50", 51, "50", false},      // default for 50 steps: 1 → rows 0..50
		{noRec, "1000", 201, "1000", false}, // 1000/200 = 5
		{"", "50", 1, "0", true},            // the example sets record_every 100 > 50
	} {
		out := filepath.Join(tmp, "out"+tc.steps+filepath.Base(tc.config))
		args := []string{"simulate", "--out", out, "--steps", tc.steps, "--trials", "4"}
		if tc.config != "" {
			args = append(args, "--config", tc.config)
		}
		code, _, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		recs := readCSV(t, filepath.Join(out, "series.csv"))
		if len(recs)-1 != tc.rows || recs[len(recs)-1][0] != tc.last {
			t.Errorf("%v: %d rows ending at step %s, want %d ending at %s", args, len(recs)-1, recs[len(recs)-1][0], tc.rows, tc.last)
		}
		if !strings.Contains(stderr, "final_step="+tc.last+" final_risk=") {
			t.Errorf("%v: closing line lacks final_step=%s: %s", args, tc.last, stderr)
		}
		if w := strings.Contains(stderr, "record_every 100 > steps 50"); w != tc.warn {
			t.Errorf("%v: warning shown %v, want %v: %s", args, w, tc.warn, stderr)
		}
	}
}

// The help texts users read are golden files (go test -run TestHelpGolden
// -update rewrites them): a change to a flag, a default or a required key
// shows up in review.
func TestHelpGolden(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"simulate", "--help"}, {"plot", "--help"}} {
		code, out, _ := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d", args, code)
		}
		name := filepath.Join("testdata", "help-"+strings.Join(append([]string{"smd"}, args[:len(args)-1]...), "-")+".golden")
		if *update {
			writeFile(t, name, out)
			continue
		}
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%v (run go test -run TestHelpGolden -update)", err)
		}
		if out != string(want) {
			t.Errorf("%v differs from %s:\n%s", args, name, diffLines(string(want), out))
		}
	}
}
