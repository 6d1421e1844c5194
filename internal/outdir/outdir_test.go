package outdir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/smdlab/smd/internal/tmpfs"
)

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func set(t *testing.T, dir string, files map[string]string) *Set {
	t.Helper()
	s, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := s.WriteFile(name, func(w io.Writer) error { _, err := io.WriteString(w, body); return err }); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// A set appears as a whole on Commit, and nothing of it before; over an
// earlier set, the earlier set's own files go (a fig1-only reproduce over
// an earlier all-figures folder leaves no old fig2 panel), a file the user
// put there stays, and no temporary is left.
func TestCommitReplacesTheSetAsAWhole(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "figures")
	s := set(t, out, map[string]string{"index.html": "v1", "fig1.png": "v1", "fig2.png": "v1", "sub/a.csv": "v1"})
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("before Commit: %s exists (%v)", out, err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, want := list(t, out), []string{Manifest, "fig1.png", "fig2.png", "index.html", "sub"}; !slices.Equal(got, want) {
		t.Fatalf("first set: %v, want %v", got, want)
	}
	write(t, filepath.Join(out, "notes.txt"), "mine")
	s = set(t, out, map[string]string{"index.html": "v2", "fig1.png": "v2"})
	if got := list(t, out); !slices.Contains(got, "fig2.png") {
		t.Fatalf("before the second Commit the first set is whole: %v", got)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, want := list(t, out), []string{Manifest, "fig1.png", "index.html", "notes.txt"}; !slices.Equal(got, want) {
		t.Errorf("second set: %v, want %v", got, want)
	}
	for name, want := range map[string]string{"index.html": "v2", "fig1.png": "v2", "notes.txt": "mine"} {
		if b, _ := os.ReadFile(filepath.Join(out, name)); string(b) != want {
			t.Errorf("%s: %q, want %q", name, b, want)
		}
	}
	if got := list(t, parent); !slices.Equal(got, []string{"figures"}) {
		t.Errorf("parent holds %v, want the output folder only", got)
	}
}

// A folder without a manifest (an older smd's, or the user's): everything
// the new set does not write is kept.
func TestCommitKeepsUnlistedEntries(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	write(t, filepath.Join(out, "series.csv"), "old")
	write(t, filepath.Join(out, "config.yaml"), "mine")
	write(t, filepath.Join(out, "data", "x.bin"), "mine too")
	write(t, filepath.Join(out, ".series.csv.tmp-1234abc"), "an older smd's temporary")
	if err := set(t, out, map[string]string{"series.csv": "new", "run.json": "{}"}).Commit(); err != nil {
		t.Fatal(err)
	}
	if got, want := list(t, out), []string{Manifest, "config.yaml", "data", "run.json", "series.csv"}; !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "data", "x.bin")); string(b) != "mine too" {
		t.Errorf("data/x.bin: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "series.csv")); string(b) != "new" {
		t.Errorf("series.csv: %q", b)
	}
}

// Discard leaves the folder as it was and no temporary.
func TestDiscard(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	write(t, filepath.Join(out, "run.json"), "old")
	s := set(t, out, map[string]string{"run.json": "new"})
	s.Discard()
	if got := list(t, parent); !slices.Equal(got, []string{"out"}) {
		t.Errorf("parent: %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "run.json")); string(b) != "old" {
		t.Errorf("run.json: %q", b)
	}
	if s.Commit() == nil {
		t.Error("Commit after Discard succeeded")
	}
}

// A write error (here an injected ENOSPC) names the file and says that
// nothing was written.
func TestWriteErrorSaysNothingWritten(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	wrapWriter = func(w io.Writer) io.Writer { return failWriter{} }
	defer func() { wrapWriter = func(w io.Writer) io.Writer { return w } }()
	s, err := Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Discard()
	err = s.WriteFile("series.csv", func(w io.Writer) error { _, err := w.Write(make([]byte, 1<<17)); return err })
	want := "write " + filepath.Join(out, "series.csv") + ": no space left on device (nothing written: " + out + " is as it was)"
	if err == nil || err.Error() != want || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("error %v, want %q wrapping ENOSPC", err, want)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// A real full disk: a 64 KiB tmpfs (needs CAP_SYS_ADMIN; skipped
// elsewhere and under -short). The set that does not fit leaves the earlier set whole.
func TestFullDisk(t *testing.T) {
	dir := tmpfs.Mount(t, 64<<10) // where it cannot, the injected ENOSPC of TestWriteErrorSaysNothingWritten stands in
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

// Clean removes exactly the provably stale temporaries: of a dead process,
// of a live pid that is another process (start time differs); not this
// process's, not another host's, not an older smd's without an owner. A
// stale .smd-old- folder whose output folder is missing is put back.
func TestClean(t *testing.T) {
	dir := t.TempDir()
	host, pid := hostHash(), os.Getpid()
	dead := deadPID(t)
	names := map[string]bool{ // name → removed
		fmt.Sprintf(".smd-tmp-%s-%d-0-abc-out", host, dead):                    true,
		fmt.Sprintf(".smd-tmp-%s-%d-%d-abc-out", host, pid, startTicks(pid)+1): startTicks(pid) != 0,
		fmt.Sprintf(".smd-tmp-%s-abc-out", owner):                              false,
		fmt.Sprintf(".smd-tmp-%08x-%d-0-abc-out", 1, dead):                     false,
		fmt.Sprintf(".series.csv.tmp-%s-%d-0-abc", host, dead):                 true,
		fmt.Sprintf(".series.csv.tmp-%s-abc", owner):                           false,
		".series.csv.tmp-1234abc":                                              false,
		fmt.Sprintf(".smd-old-%s-%d-0-abc-gone", host, dead):                   true, // renamed to gone
		fmt.Sprintf(".smd-old-%s-%d-0-abc-here", host, dead):                   true,
		"here": false,
	}
	for n := range names {
		if strings.Contains(n, "csv") {
			write(t, filepath.Join(dir, n), "x")
		} else {
			write(t, filepath.Join(dir, n, "run.json"), n)
		}
	}
	Clean(dir)
	for n, removed := range names {
		_, err := os.Stat(filepath.Join(dir, n))
		if gone := err != nil; gone != removed {
			t.Errorf("%s: removed %v, want %v", n, gone, removed)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "gone", "run.json"))
	if err != nil || !strings.HasPrefix(string(b), ".smd-old-") {
		t.Errorf("the stale .smd-old- folder of a missing output folder is not put back: %q, %v", b, err)
	}
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// WriteAtomic replaces a file whole and removes the folder's stale
// temporaries.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, fmt.Sprintf(".a.txt.tmp-%s-%d-0-abc", hostHash(), deadPID(t)))
	write(t, stale, "half")
	p := filepath.Join(dir, "a.txt")
	for _, body := range []string{"one", "two"} {
		if err := WriteAtomic(p, func(w io.Writer) error { _, err := io.WriteString(w, body); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if got := list(t, dir); !slices.Equal(got, []string{"a.txt"}) {
		t.Errorf("folder holds %v", got)
	}
	st, _ := os.Stat(p)
	if b, _ := os.ReadFile(p); string(b) != "two" || st.Mode().Perm()&0o644 != 0o644 {
		t.Errorf("a.txt: %q mode %v", b, st.Mode())
	}
}

// An output folder given as a symbolic link: the set replaces the folder it
// points to and the link stays a link.
func TestCommitThroughSymlink(t *testing.T) {
	parent, elsewhere := t.TempDir(), t.TempDir()
	target := filepath.Join(elsewhere, "real")
	write(t, filepath.Join(target, "run.json"), "old")
	link := filepath.Join(parent, "out")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	if err := set(t, link, map[string]string{"run.json": "new"}).Commit(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a link (%v)", link, err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "run.json")); string(b) != "new" {
		t.Errorf("the link's target holds run.json %q, want the new set", b)
	}
	if got := list(t, elsewhere); !slices.Equal(got, []string{"real"}) {
		t.Errorf("the target's parent holds %v", got)
	}
}
