package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/outdir"
	"github.com/smdlab/smd/internal/stattest"
)

// killSmd starts the test binary as smd on one core and SIGKILLs it at
// delay, or, with delay < 0, as soon as a temporary of smd's naming
// appears in parent (polled every millisecond). It reports whether the
// process was still running when killed.
func killSmd(t *testing.T, parent string, delay time.Duration, args ...string) bool {
	t.Helper()
	cmd := smdCommand(t, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	if delay >= 0 {
		select {
		case <-done:
			return false
		case <-time.After(delay):
		}
	} else {
		for {
			if m, _ := filepath.Glob(filepath.Join(parent, ".smd-tmp-*")); len(m) > 0 {
				break
			}
			select {
			case <-done:
				return false
			case <-time.After(time.Millisecond):
			}
		}
	}
	cmd.Process.Kill()
	<-done
	return cmd.ProcessState.ExitCode() == -1 // ended by the signal
}

// smdBinary runs the test binary as smd on one core to its end.
func smdBinary(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := smdCommand(t, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// checkSet checks that folder out holds a whole output set: exactly the
// files its manifest lists (plus keep), no temporary, each complete.
func checkSet(t *testing.T, out string, keep []string, check func(names []string)) {
	t.Helper()
	all, _ := filepath.Glob(filepath.Join(out, "*")) // sorted; * matches dot files too
	var names []string
	for _, p := range all {
		// A SIGKILL between outdir.Probe's create and remove leaves its
		// probe file; the next complete run's set replaces the folder and
		// takes it away (noTemporaries checks the end state).
		if n := filepath.Base(p); n != outdir.Manifest && !slices.Contains(keep, n) && !strings.HasPrefix(n, ".smd-probe-") {
			names = append(names, n)
		}
	}
	manifest, err := os.ReadFile(filepath.Join(out, outdir.Manifest))
	if err != nil {
		t.Fatalf("%s: no manifest: %v", out, err)
	}
	if got := strings.Join(names, "\n") + "\n"; got != string(manifest) {
		t.Fatalf("%s holds %q, its manifest lists %q: a mixed set", out, got, manifest)
	}
	check(names)
}

// noTemporaries fails if parent holds anything but the output folder, or
// the folder an outdir probe file.
func noTemporaries(t *testing.T, parent, out string) {
	t.Helper()
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		if e.Name() != filepath.Base(out) {
			t.Errorf("%s left in %s after a complete run", e.Name(), parent)
		}
	}
	if probes, _ := filepath.Glob(filepath.Join(out, ".smd-probe-*")); len(probes) > 0 {
		t.Errorf("%v left in %s after a complete run", probes, out)
	}
}

// SIGKILL at random times, and right after the first temporary appears,
// never leaves a half or mixed output set of simulate: series.csv parses
// and has the rows run.json's config implies (each run has other steps,
// so a mix of two runs' files is seen), the user's file in the folder
// stays, and the next complete run removes every stale temporary (issue
// 12 class 6). About 1 CPU-second: 8 runs of 0.1 s, killed, and two
// complete ones.
func TestSimulateKilled(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	cfg := filepath.Join(t.TempDir(), "kill.yaml")
	if err := os.WriteFile(cfg, []byte("spectrum: [1, 2]\nmultiplicity: [1, 99]\nsigma: 1\neta: 0.1\nlambda: 0.001\ninit: {std: 1}\nsteps: 1000\ntrials: 64\nmethod: full\nrecord_every: 10\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := func(steps int) []string {
		return []string{"simulate", "--config", cfg, "--out", out, "--steps", fmt.Sprint(steps)}
	}
	begin := time.Now()
	if code, stderr := smdBinary(t, args(1000)...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	span := time.Since(begin) // kill times are drawn in [0, span): the machine's load sets it
	if err := os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(names []string) {
		var info experiment.RunInfo
		readJSON(t, filepath.Join(out, "run.json"), &info)
		rows := readCSV(t, filepath.Join(out, "series.csv"))
		if want := info.Config.Steps/10 + 1; len(rows) != want+1 || !slices.Equal(rows[0], experiment.SeriesHeader) {
			t.Fatalf("series.csv has %d rows, run.json's steps %d want %d: a mixed or half set", len(rows)-1, info.Config.Steps, want)
		}
	}
	rng := rand.New(rand.NewPCG(stattest.Seed(1), 12))
	killed, tries := 0, 0
	for ; killed < 8 && tries < 20; tries++ { // 8 kills; a run that ends first does not count
		delay := time.Duration(rng.Float64() * float64(span))
		if tries%4 == 0 {
			delay = -1 // right after the first temporary appears
		}
		if killSmd(t, parent, delay, args(1000+10*(tries+1))...) {
			killed++
		}
		checkSet(t, out, []string{"notes.txt"}, check)
	}
	if killed < 8 {
		t.Errorf("only %d of %d runs were killed before they ended", killed, tries)
	}
	if code, stderr := smdBinary(t, args(2000)...); code != 0 { // a new process: Clean runs once per process
		t.Fatalf("last run: exit %d: %s", code, stderr)
	}
	checkSet(t, out, []string{"notes.txt"}, check)
	noTemporaries(t, parent, out)
}

// The same for reproduce fig1 over an earlier run's folder: after each
// SIGKILL the folder holds one whole set (every file its manifest lists,
// each complete: PNGs decode, CSVs and run.json parse, every file
// index.html links exists), never new panels beside an old index.html; the
// next complete run cleans up. The earlier run's folder is a copy of
// sharedFig1's complete run (before: a run of its own, the same command on
// the same core), whose wall time sets the range of the kill times. About
// 2.5 CPU-seconds: 3 runs of fig1, killed, and one complete one (1 CPU-second
// each).
func TestReproduceKilled(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "figures")
	args := []string{"reproduce", "fig1", "--out", out}
	earlier, span := sharedFig1(t) // kill times are drawn in [0, span): the machine's load sets it
	if err := os.CopyFS(out, os.DirFS(earlier)); err != nil {
		t.Fatal(err)
	}
	started := func() string {
		var rj struct{ Started string }
		readJSON(t, filepath.Join(out, "run.json"), &rj)
		return rj.Started
	}
	link := regexp.MustCompile(`(?:src|href)="([^"#:]+)"`)
	check := func(names []string) {
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			switch filepath.Ext(name) {
			case ".png":
				_, err = png.Decode(bytes.NewReader(b))
			case ".csv":
				_, err = csv.NewReader(bytes.NewReader(b)).ReadAll()
			case ".json":
				err = json.Unmarshal(b, new(map[string]any))
			case ".svg", ".html":
				if !bytes.HasSuffix(bytes.TrimSpace(b), []byte(">")) {
					err = fmt.Errorf("truncated")
				}
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		index, _ := os.ReadFile(filepath.Join(out, "index.html"))
		for _, m := range link.FindAllSubmatch(index, -1) {
			if !slices.Contains(names, string(m[1])) {
				t.Fatalf("index.html links %s, not in the set", m[1])
			}
		}
	}
	first := started()
	rng := rand.New(rand.NewPCG(stattest.Seed(1), 13))
	killed, tries := 0, 0
	for ; killed < 3 && tries < 10; tries++ { // 3 kills; a run that ends first does not count
		delay := time.Duration(rng.Float64() * float64(span))
		if tries == 0 {
			delay = -1 // right after the first temporary appears
		}
		if killSmd(t, parent, delay, args...) {
			killed++
		}
		checkSet(t, out, nil, check)
	}
	if killed < 3 {
		t.Errorf("only %d of %d runs were killed before they ended", killed, tries)
	}
	if code, stderr := smdBinary(t, args...); code != 0 { // a new process: Clean runs once per process
		t.Fatalf("last run: exit %d: %s", code, stderr)
	}
	checkSet(t, out, nil, check)
	noTemporaries(t, parent, out)
	if started() == first {
		t.Error("the last complete run did not replace the set")
	}
}

// fig1Run is one complete `smd reproduce fig1` (the test binary as smd on
// one core, as in TestReproduceKilled), made once per test binary by
// sharedFig1.
var fig1Run struct {
	once   sync.Once
	parent string // removed by TestMain
	dir    string
	span   time.Duration
	code   int
	stderr string
}

// sharedFig1 returns the folder of fig1Run and its wall time, running it
// on the first call: TestReproduceFig1Only checks its outputs and
// TestReproduceKilled starts from a copy of it, so that Figure 1 is
// simulated and drawn once for both. The folder is read-only to callers.
func sharedFig1(t *testing.T) (string, time.Duration) {
	t.Helper()
	fig1Run.once.Do(func() {
		fig1Run.code, fig1Run.stderr = -1, "not run"
		parent, err := os.MkdirTemp("", "smd-fig1-")
		if err != nil {
			fig1Run.stderr = err.Error()
			return
		}
		fig1Run.parent, fig1Run.dir = parent, filepath.Join(parent, "figures")
		begin := time.Now()
		fig1Run.code, fig1Run.stderr = smdBinary(t, "reproduce", "fig1", "--out", fig1Run.dir)
		fig1Run.span = time.Since(begin)
	})
	if fig1Run.code != 0 {
		t.Fatalf("smd reproduce fig1: exit %d: %s", fig1Run.code, fig1Run.stderr)
	}
	return fig1Run.dir, fig1Run.span
}
