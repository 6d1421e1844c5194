package outdir

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// A real full disk: a 64 KiB tmpfs (needs CAP_SYS_ADMIN; skipped
// elsewhere). The set that does not fit leaves the earlier set whole.
func TestFullDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: mounts a tmpfs")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): the injected ENOSPC of TestWriteErrorSaysNothingWritten stands in", err)
	}
	defer syscall.Unmount(dir, 0)
	out := filepath.Join(dir, "out")
	if err := set(t, out, map[string]string{"run.json": "old"}).Commit(); err != nil {
		t.Fatal(err)
	}
	s, err := Create(out)
	if err != nil {
		t.Fatal(err)
	}
	err = s.WriteFile("series.csv", func(w io.Writer) error { _, err := w.Write(make([]byte, 1<<20)); return err })
	s.Discard()
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("1 MiB into 64 KiB: %v", err)
	}
	if got := list(t, dir); !slices.Equal(got, []string{"out"}) {
		t.Errorf("tmpfs holds %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "run.json")); string(b) != "old" {
		t.Errorf("run.json: %q", b)
	}
}
