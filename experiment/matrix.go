package experiment

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"
)

// maxEntryBytes bounds the bytes one matrix entry may take in a CSV file:
// a float64 needs at most 24 characters (-2.2250738585072014e-308), and
// this leaves room for padding and a comma. A p×p file larger than
// p·(p·maxEntryBytes + 2) plus a little for comments is refused.
const maxEntryBytes = 64

// bigMatrix is the p from which reading and decomposing a matrix file logs
// what it does (8p² = 32 MiB per dense copy).
const bigMatrix = 2048

// readSym reads the CSV square symmetric matrix of field (a_file,
// noise_file; relative to the config's dir). p > 0 is the dimension the
// rest of the config implies (0: not known yet). The file must be a regular
// file (a FIFO, a device or a directory is refused before anything is read,
// so nothing blocks), no larger than a p×p matrix can be written in, and
// its matrix must fit in memory: the limits are checked as soon as p is
// known (from the config or the first row), so an endless or huge file is
// never read to its end. A big file logs its progress every 5 s.
func (c *Config) readSym(field, name string, p int) (*mat.SymDense, error) {
	path := name
	if !filepath.IsAbs(path) && c.Dir != "" {
		path = filepath.Join(c.Dir, path)
	}
	fail := func(format string, a ...any) error {
		return &FieldError{Line: lineOf(c.keyLines, field), Field: field, Msg: fmt.Sprintf("%s: ", path) + fmt.Sprintf(format, a...)}
	}
	if st, err := os.Stat(path); err != nil {
		return nil, fail("%v", unwrapPathErr(err))
	} else if err := regularFile(st); err != nil {
		return nil, fail("%v", err)
	}
	// O_NONBLOCK: a FIFO swapped in after the Stat does not block the open.
	f, err := os.OpenFile(path, openMatrixFlags, 0)
	if err != nil {
		return nil, fail("%v", unwrapPathErr(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fail("%v", unwrapPathErr(err))
	}
	if err := regularFile(st); err != nil {
		return nil, fail("%v", err)
	}
	r := &countingReader{r: f, size: st.Size(), name: field, path: path, last: time.Now(), log: c.log()}
	a, err := parseSym(r, p, st.Size(), availableMemory())
	var re *ResourceError
	if errors.As(err, &re) { // too big for this machine: a resource refusal, as for a run (exit 1)
		return nil, fmt.Errorf("%s: %s: %w", field, path, re)
	}
	if err != nil {
		return nil, fail("%v", err)
	}
	return a, nil
}

// regularFile refuses anything but a regular file, naming what it is.
func regularFile(st fs.FileInfo) error {
	m := st.Mode()
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return errors.New("is a directory, not a matrix file")
	case m&fs.ModeNamedPipe != 0:
		return errors.New("is a named pipe (FIFO), not a regular file: give a file")
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return errors.New("is a device, not a regular file: give a file")
	case m&fs.ModeSocket != 0:
		return errors.New("is a socket, not a regular file: give a file")
	}
	return fmt.Errorf("is not a regular file (mode %v)", m)
}

// maxMatrixBytes is the largest CSV a p×p matrix may take (maxEntryBytes
// per entry, a line end per row, 1 MiB for comments and blank lines).
func maxMatrixBytes(p int) float64 {
	fp := float64(p)
	return fp*(fp*maxEntryBytes+2) + 1<<20
}

// matrixMemory is what a p×p dense matrix costs with its copies and
// factors (4 copies of 8p² bytes, as MemoryEstimate counts them).
func matrixMemory(p int) float64 { return 4 * 8 * float64(p) * float64(p) }

// parseSym parses a CSV square symmetric matrix ('#' comments, spaces
// allowed) of dimension p (0: the first row's length), from a source of
// size bytes (0: unknown), refusing a matrix whose dense copies exceed
// have bytes of memory (0: unknown). It reads at most p rows: a longer or
// endless source is an error once p+1 rows or the byte limit are reached.
func parseSym(src io.Reader, p int, size int64, have float64) (*mat.SymDense, error) {
	limits := func(p int) error {
		if size > 0 && float64(size) > maxMatrixBytes(p) {
			return fmt.Errorf("%d bytes is more than a %d×%d matrix takes (at most %.0f bytes: %d per entry)", size, p, p, maxMatrixBytes(p), maxEntryBytes)
		}
		if need := matrixMemory(p); have > 0 && need > have {
			return &ResourceError{Need: need, Have: have, What: fmt.Sprintf("dense %d×%d matrices", p, p)}
		}
		return nil
	}
	// Read at most one byte past the limit (the file's size; once p is
	// known, what p×p entries may take), so that a file growing while it
	// is read, or an endless source, stops.
	n0 := int64(math.MaxInt64)
	if size > 0 {
		n0 = size + 1
	} else if have > 0 { // size unknown (a /proc file): no more than the memory
		n0 = int64(have)
	}
	lr := &io.LimitedReader{R: src, N: n0}
	bound := func(p int) { // lower the limit to what p×p entries may take
		if lim := int64(maxMatrixBytes(p)) + 1; lim < n0 {
			lr.N -= n0 - lim
			n0 = lim
		}
	}
	if p > 0 {
		if err := limits(p); err != nil {
			return nil, err
		}
		bound(p)
	}
	over := func() error { // the limit was reached: that, not the cut row, is the error
		if lr.N <= 0 {
			return fmt.Errorf("more than %d bytes: the file grew while it was read, or is larger than a %d×%d matrix takes", n0-1, p, p)
		}
		return nil
	}
	r := csv.NewReader(bufio.NewReader(lr))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1 // rows of the wrong length get this file's message
	r.ReuseRecord = true
	var s *mat.SymDense
	rows := 0
	type asym struct {
		d    float64 // |upper − lower|
		i, j int     // the upper entry's row and column (0-based)
		u, l float64
	}
	var worst asym // the largest asymmetry, judged against the whole matrix's scale
	scale := 0.0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if oe := over(); oe != nil {
				return nil, oe
			}
			return nil, err
		}
		if rows == 0 {
			if p == 0 {
				p = len(rec)
				if err := limits(p); err != nil {
					return nil, err
				}
				bound(p)
			}
			s = mat.NewSymDense(p, nil)
		}
		if rows == p {
			return nil, fmt.Errorf("more than %d rows (a square matrix has as many rows as numbers in a row)", p)
		}
		if err := over(); err != nil {
			return nil, err
		}
		if len(rec) != p {
			return nil, fmt.Errorf("row %d has %d numbers, want %d (a square matrix)", rows+1, len(rec), p)
		}
		for j, f := range rec {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("row %d column %d: want a finite number, got %q", rows+1, j+1, f)
			}
			scale = math.Max(scale, math.Abs(v))
			if j < rows { // the lower triangle: compare with the upper one, read already
				u := s.At(j, rows)
				if d := math.Abs(v - u); d > worst.d {
					worst = asym{d, j, rows, u, v}
				}
				v = (u + v) / 2
			}
			s.SetSym(rows, j, v)
		}
		rows++
	}
	if err := over(); err != nil {
		return nil, err
	}
	if rows == 0 {
		return nil, errors.New("empty matrix")
	}
	if rows < p {
		return nil, fmt.Errorf("%d rows, want %d (a square matrix)", rows, p)
	}
	if worst.d > 1e-12*scale {
		return nil, fmt.Errorf("not symmetric: entry (%d,%d) = %v but (%d,%d) = %v", worst.i+1, worst.j+1, worst.u, worst.j+1, worst.i+1, worst.l)
	}
	return s, nil
}

// countingReader logs the progress of reading a big matrix file every 5 s.
type countingReader struct {
	r          io.Reader
	size, done int64
	name, path string
	last       time.Time
	logged     bool
	log        *slog.Logger
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.done += int64(n)
	if c.size >= 8*bigMatrix*bigMatrix && time.Since(c.last) >= 5*time.Second || !c.logged && c.size >= 8*bigMatrix*bigMatrix {
		c.log.Info("reading "+c.name, "file", c.path, "read", humanBytes(float64(c.done)), "of", humanBytes(float64(c.size)))
		c.last, c.logged = time.Now(), true
	}
	return n, err
}
