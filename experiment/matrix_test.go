package experiment

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// endless repeats s for ever.
type endless struct {
	s string
	i int
}

func (e *endless) Read(b []byte) (int, error) {
	for n := range b {
		b[n] = e.s[e.i%len(e.s)]
		e.i++
	}
	return len(b), nil
}

// Issue 12, class 4: an endless matrix source stops at p+1 rows, or at the
// bytes p×p entries may take (a row or comments without end); a matrix
// whose dense copies exceed the memory is refused from its first row.
func TestParseSymBounded(t *testing.T) {
	for _, c := range []struct {
		src  io.Reader
		p    int
		have float64
		want string
	}{
		{&endless{s: "1, 0\n"}, 0, 0, "more than 2 rows"},
		{&endless{s: "1, 0\n"}, 2, 0, "more than 2 rows"},
		{&endless{s: "# a comment without end "}, 2, 0, "more than 1048836 bytes"},
		{io.MultiReader(strings.NewReader("1, 0\n0, 1\n"), &endless{s: "# more\n"}), 0, 0, "more than 1048836 bytes"},
		{io.MultiReader(strings.NewReader("1"), &endless{s: ", 0"}), 3, 0, "more than 1049158 bytes"},
		{strings.NewReader(strings.Repeat("0,", 999) + "0\n"), 0, 1e6, "needs about 30.5 MiB"},
	} {
		_, err := parseSym(c.src, c.p, 0, c.have)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("p = %d: got %v, want %q", c.p, err, c.want)
		}
	}
	// A file larger than p×p entries take is refused before it is read.
	if _, err := parseSym(&endless{s: "x"}, 2, 1<<30, 0); err == nil || !strings.Contains(err.Error(), "1073741824 bytes is more than a 2×2 matrix takes") {
		t.Errorf("a 1 GiB file for p = 2: %v", err)
	}
	var re *ResourceError
	if _, err := parseSym(strings.NewReader("0, 0\n0, 0\n"), 0, 0, 10); !errors.As(err, &re) {
		t.Errorf("a 2×2 matrix with 10 bytes of memory: got %v, want a *ResourceError", err)
	}
}

// Issue 12, class 4: a matrix file that is a FIFO, a device or a directory
// is refused at once, naming what it is (a FIFO no one writes to used to
// block for ever).
func TestMatrixFileSpecial(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "a.fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	for _, c := range []struct{ file, want string }{
		{fifo, "is a named pipe (FIFO)"},
		{"/dev/zero", "is a device"},
		{dir, "is a directory"},
	} {
		if _, err := os.Stat(c.file); err != nil {
			t.Logf("%s: %v", c.file, err)
			continue
		}
		yml := "spectrum: [1, 2]\nnoise_file: " + c.file + "\neta: 0.1\nlambda: 0\ninit: {std: 1}\nsteps: 10\n"
		cfg, err := Parse([]byte(yml), "s.yaml", dir)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := cfg.BuildModel(); done <- err }()
		select {
		case err := <-done:
			want := "s.yaml:2: noise_file: " + c.file + ": " + c.want
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%s: got %v, want a *FieldError", c.file, err)
			}
			fe.File = "s.yaml"
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got %v, want %s…", err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: BuildModel blocked", c.file)
		}
	}
}

// Issue 12, class 4: a parsed config reads and decomposes its matrix file
// once: validation (smd simulate's BuildModel) and the run share the model,
// so the file is not opened a second time (here it is gone by then).
func TestMatrixReadOnce(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(a, []byte("2, 1\n1, 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]byte("a_file: a.csv\nsigma: 1\neta: 0.1\nlambda: 0\ninit: {std: 1}\nsteps: 10\ntrials: 2\n"), "d.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	m1, err := c.BuildModel()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	sc, err := c.SimConfig()
	if err != nil {
		t.Fatalf("the run read the matrix file again: %v", err)
	}
	if sc.Model != m1 {
		t.Errorf("SimConfig built a second model")
	}
	c.Sigma = new(2.0) // a key of the model changed: built anew (and the file is gone)
	if _, err := c.BuildModel(); err == nil {
		t.Errorf("a changed config reused the old model")
	}
}

// Issue 12, class 8 for matrix files: an eigenvalue of a_file or a noise
// variance of noise_file near the float64 limit is refused, naming the key
// and its line, when the file is read (before the run), not at step 0.
func TestMatrixFileScale(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"a.csv": "1, 0\n0, 1e300\n", "n.csv": "1e300, 0\n0, 1\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ yml, want string }{
		{"a_file: a.csv\nsigma: 1\n", "m.yaml:1: a_file: the largest eigenvalue"},
		{"spectrum: [1, 2]\nnoise_file: n.csv\n", "m.yaml:2: noise_file: the noise variance"},
	} {
		cfg, err := Parse([]byte(c.yml+"eta: 0.1\nlambda: 0\ninit: {std: 1}\nsteps: 5\ntrials: 2\n"), "m.yaml", dir)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cfg.SimConfig()
		var fe *FieldError
		if errors.As(err, &fe) {
			fe.File = "m.yaml"
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("got %v, want %s…", err, c.want)
		}
	}
}

// A matrix file whose dense copies exceed the machine's memory is a
// *ResourceError (exit 1, like any run too big) from its first row: one row
// of p = 3·10⁵ numbers (600 kB) would need 4·8p² ≈ 2.6 TiB.
func TestMatrixFileTooBig(t *testing.T) {
	if availableMemory() == 0 {
		t.Skip("available memory unknown here")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.csv"), []byte(strings.Repeat("0,", 299999)+"0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]byte("a_file: a.csv\nsigma: 1\neta: 0.1\nlambda: 0\ninit: {std: 1}\nsteps: 5\n"), "m.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.BuildModel()
	var re *ResourceError
	if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "a_file: "+filepath.Join(dir, "a.csv")+": this run needs about 2.62 TiB") {
		t.Errorf("got %v, want a *ResourceError naming a_file", err)
	}
}

// A big matrix file logs its reading progress (at once, then every 5 s) on
// the config's logger; a small one logs nothing.
func TestMatrixReadProgress(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewTextHandler(&buf, nil))
	for _, size := range []int64{1 << 20, 64 << 20} {
		buf.Reset()
		r := &countingReader{r: strings.NewReader("1, 0\n0, 1\n"), size: size, name: "a_file", path: "a.csv", last: time.Now(), log: log}
		if _, err := parseSym(r, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
		got := strings.Count(buf.String(), "msg=\"reading a_file\" file=a.csv")
		if want := map[bool]int{false: 0, true: 1}[size >= 8*bigMatrix*bigMatrix]; got != want {
			t.Errorf("%d-byte file: %d progress lines, want %d:\n%s", size, got, want, buf.String())
		}
	}
}
