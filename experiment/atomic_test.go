//go:build unix

package experiment

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// WriteAtomic's files are 0644 less the umask, like a shell redirection's
// (os.CreateTemp alone gives 0600), and no temporary is left behind.
func TestWriteAtomicMode(t *testing.T) {
	for _, c := range []struct{ umask, want os.FileMode }{{0o022, 0o644}, {0o077, 0o600}, {0o002, 0o644}} {
		old := syscall.Umask(int(c.umask))
		dir := t.TempDir()
		path := filepath.Join(dir, "series.csv")
		err := WriteAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "x\n"); return err })
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != c.want {
			t.Errorf("umask %03o: mode %03o, want %03o", c.umask, got, c.want)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("umask %03o: %d entries in the directory, want 1", c.umask, len(ents))
		}
	}
}
