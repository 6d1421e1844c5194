package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/smdlab/smd/internal/tmpfs"
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

// A full disk (a 64 KiB tmpfs; needs CAP_SYS_ADMIN, skipped elsewhere and
// under -short) gives one line naming the file and saying that nothing was
// written, exit 1, and leaves the earlier run's set whole with no
// temporary beside it (issue 12 class 6). Before, series.csv could be
// written without run.json.
func TestSimulateFullDisk(t *testing.T) {
	disk := tmpfs.Mount(t, 64<<10) // where it cannot, internal/outdir's injected ENOSPC test stands in
	out := filepath.Join(disk, "out")
	small := []string{"simulate", "--out", out, "--steps", "10", "--trials", "2"}
	if code, _, stderr := runCLI(t, small...); code != 0 {
		t.Fatalf("small run: exit %d: %s", code, stderr)
	}
	before, _ := os.ReadFile(filepath.Join(out, "series.csv"))
	cfg := filepath.Join(t.TempDir(), "big.yaml") // 5001 rows, about 1.5 MB of series.csv
	if err := os.WriteFile(cfg, []byte("spectrum: [1, 2]\nsigma: 1\neta: 0.1\nlambda: 0.001\ninit: {std: 1}\nsteps: 5000\ntrials: 2\nrecord_every: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "simulate", "--config", cfg, "--out", out)
	want := "smd: write " + filepath.Join(out, "series.csv") + ": no space left on device (nothing written: " + out + " is as it was)\n"
	if code != 1 || !strings.HasSuffix(stderr, "\n"+want) || strings.Count(stderr, "smd: ") != 1 {
		t.Errorf("exit %d, stderr %q; want 1 and one error line %q (after the progress line)", code, stderr, want)
	}
	if after, _ := os.ReadFile(filepath.Join(out, "series.csv")); !bytes.Equal(after, before) {
		t.Error("the earlier run's series.csv changed")
	}
	if ents, _ := os.ReadDir(disk); len(ents) != 1 {
		t.Errorf("the disk holds %d entries, want the output folder only", len(ents))
	}
}
