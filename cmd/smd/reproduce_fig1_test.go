package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/smdlab/smd/experiment"
)

// `smd reproduce fig1` writes Figure 1 only; the landscape CSV holds F.
func TestReproduceFig1Only(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "reproduce", "fig1", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"fig1.png", "fig1a.csv", "fig1b.svg", "index.html"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "fig2.png")); err == nil {
		t.Error("fig1 wrote fig2.png")
	}
	recs := readCSV(t, filepath.Join(dir, "fig1b.csv"))
	for _, r := range recs[1:] {
		x, _ := strconv.ParseFloat(r[0], 64)
		y, _ := strconv.ParseFloat(r[1], 64)
		v, _ := strconv.ParseFloat(r[2], 64)
		want := (x*x+2*y*y)/(x*x+y*y) + x*x + y*y
		if math.Abs(v-want) > 1e-12*want {
			t.Fatalf("F(%g, %g) = %g, want %g", x, y, v, want)
		}
	}
	// The trajectory ends near the equilibrium sphere (eq 17, p = 3).
	traj, err := os.ReadFile(filepath.Join(dir, "fig1a.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(traj)), "\n")
	last := strings.Split(lines[len(lines)-1], ",")
	norm, _ := strconv.ParseFloat(last[4], 64)
	sp, err := experiment.Fig1Sphere(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// One trajectory: ‖X‖² fluctuates by O(√(λη)) relatively around R²
	// (≈ 5% for λη = 0.0025); 20% is a loose sanity bound, not a test of
	// the theory (the Figure 2 checks are).
	if math.Abs(norm/sp.Radius-1) > 0.2 {
		t.Errorf("final ‖X‖ = %.3f, equilibrium radius %.3f", norm, sp.Radius)
	}
}

// Bad input: exit 2, one line on stderr, nothing written.
func TestReproduceBadInput(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"reproduce", "--trials", "1", "--out", filepath.Join(tmp, "a")},
		{"reproduce", "--workers", "-1", "--out", filepath.Join(tmp, "b")},
		{"reproduce", "fig9", "--out", filepath.Join(tmp, "c")},
		{"reproduce", "--out", file},
		{"reproduce", "fig3", "--data", tmp, "--out", filepath.Join(tmp, "d")},
		{"reproduce", "fig3", "--trials", "1", "--data", tmp, "--out", filepath.Join(tmp, "e")},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
		if stderr == "" {
			t.Errorf("%v: no message", args)
		}
		if len(args) > 3 && args[1] == "fig3" && args[2] == "--data" && !strings.Contains(stderr, "dataset-fashion-mnist") {
			t.Errorf("%v: message %q does not name the Debian package", args, stderr)
		}
	}
	for _, d := range []string{"a", "b", "c", "d", "e"} {
		if _, err := os.Stat(filepath.Join(tmp, d)); err == nil {
			t.Errorf("bad input created %s", d)
		}
	}
}
