package experiment

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// readSym reads a CSV square symmetric matrix (relative to the config's dir).
func (c *Config) readSym(field, name string) (*mat.SymDense, error) {
	path := name
	if !filepath.IsAbs(path) && c.Dir != "" {
		path = filepath.Join(c.Dir, path)
	}
	fail := func(format string, a ...any) error {
		return &FieldError{Field: field, Msg: fmt.Sprintf("%s: ", path) + fmt.Sprintf(format, a...)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail("%v", unwrapPathErr(err))
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	r.TrimLeadingSpace = true
	var rows [][]float64
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fail("%v", err)
		}
		row := make([]float64, len(rec))
		for j, s := range rec {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fail("row %d column %d: want a finite number, got %q", len(rows)+1, j+1, s)
			}
			row[j] = v
		}
		rows = append(rows, row)
	}
	p := len(rows)
	if p == 0 {
		return nil, fail("empty matrix")
	}
	scale := 0.0
	for i, row := range rows {
		if len(row) != p {
			return nil, fail("row %d has %d numbers, want %d (a square matrix)", i+1, len(row), p)
		}
		for _, v := range row {
			scale = math.Max(scale, math.Abs(v))
		}
	}
	s := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			if d := math.Abs(rows[i][j] - rows[j][i]); d > 1e-12*scale {
				return nil, fail("not symmetric: entry (%d,%d) = %v but (%d,%d) = %v", i+1, j+1, rows[i][j], j+1, i+1, rows[j][i])
			}
			s.SetSym(i, j, (rows[i][j]+rows[j][i])/2)
		}
	}
	return s, nil
}
