package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A run far too big for any test machine (≥ 300 GiB) is refused at once,
// before anything is allocated: exit 1, one line saying what it would need
// and what the machine has, no output (issue 12 class 2). Before, smd
// allocated until the kernel or the Go runtime killed it ("fatal error:
// runtime: out of memory", exit 2).
func TestSimulateTooBig(t *testing.T) {
	base := "spectrum: [1, 2]\nsigma: 1\neta: 0.1\nlambda: 0.001\ninit: {std: 1}\nmethod: full\n"
	for name, extra := range map[string]string{
		"trials":       "steps: 100\ntrials: 1000000000\nmultiplicity: [1, 3]\n",
		"p":            "steps: 100\ntrials: 10\nmultiplicity: [1, 1000000000000]\n",
		"record_every": "steps: 1000000000000\nrecord_every: 1\ntrials: 10\nmultiplicity: [1, 3]\n",
	} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "big.yaml")
		writeFile(t, cfg, base+extra)
		out := filepath.Join(dir, "out")
		start := time.Now()
		code, _, stderr := runCLI(t, "simulate", "--config", cfg, "--out", out)
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "smd: this run needs about ") ||
			!strings.Contains(stderr, "available") {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and one line \"smd: this run needs about …\"", name, code, stderr)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: refused after %v, want at once", name, took)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output dir created", name)
		}
	}
}
