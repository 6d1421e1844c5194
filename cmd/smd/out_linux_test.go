package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A full disk (a 64 KiB tmpfs; needs CAP_SYS_ADMIN, skipped elsewhere and
// under -short) gives one line naming the file and saying that nothing was
// written, exit 1, and leaves the earlier run's set whole with no
// temporary beside it (issue 12 class 6). Before, series.csv could be
// written without run.json.
func TestSimulateFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: mounts a tmpfs")
	}
	disk := t.TempDir()
	if err := syscall.Mount("tmpfs", disk, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v); internal/outdir's injected ENOSPC test stands in", err)
	}
	defer syscall.Unmount(disk, 0)
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
