package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A bad --out is bad input found before the run: exit 2, one line naming
// --out and the reason, nothing created (issue 12 class 7). Before, an
// unwritable directory or a dangling symlink failed only after the whole
// simulation, with exit 1.
func TestSimulateBadOut(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	writeFile(t, cfg, "spectrum: [1, 2]\nsigma: 1\neta: 0.1\nlambda: 0.001\ninit: {std: 1}\nsteps: 10\ntrials: 2\n")
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	writeFile(t, file, "")
	cases := map[string]string{
		"":                                  `--out: must name a directory, got ""`,
		dangling:                            "--out: " + dangling + " is a dangling symbolic link",
		filepath.Join(dangling, "sub"):      "--out: " + dangling + " is a dangling symbolic link",
		filepath.Join(file, "sub"):          "--out: " + file + " exists and is not a directory",
		filepath.Join(dir, "new", "a", "b"): "", // fine: created by the run
	}
	if runtime.GOOS == "linux" { // not writable even for root
		cases["/proc/smd-out"] = "--out: cannot write in /proc"
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		cases[filepath.Join(ro, "out")] = "--out: cannot write in " + ro + ": permission denied"
	}
	for out, want := range cases {
		code, _, stderr := runCLI(t, "simulate", "--config", cfg, "--out", out)
		if want == "" {
			if code != 0 {
				t.Errorf("--out %q: exit %d (%q), want 0", out, code, stderr)
			}
			continue
		}
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "smd: "+want) {
			t.Errorf("--out %q: exit %d, stderr %q; want exit 2 and one line starting %q", out, code, stderr, "smd: "+want)
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), "probe") {
			t.Errorf("probe file %s left behind", e.Name())
		}
	}
}
