package experiment

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: the config parser never panics; every error is bad input
// (wraps ErrConfig), made of *FieldErrors of one line each; an accepted config validates again and has
// no fractional or null integer field left to chance. Seed corpus: every
// YAML under testdata/ and cmd/smd/testdata/bad/. Run longer by hand with
//
//	go test ./experiment -run '^$' -fuzz FuzzParse -fuzztime 5m
func FuzzParse(f *testing.F) {
	for _, pat := range []string{"testdata/*.yaml", "../cmd/smd/testdata/bad/*.yaml", "presets/*.yaml"} {
		files, _ := filepath.Glob(pat)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.yaml", "testdata")
		if err != nil {
			fes := fieldErrors(err)
			if len(fes) == 0 {
				t.Errorf("error %v is not a *FieldError", err)
			}
			for _, fe := range fes {
				if msg := fe.Error(); strings.Contains(msg, "\n") {
					t.Errorf("two-line error %q", msg)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(fes) {
				t.Errorf("%d errors in %d lines: %q", len(fes), n, err.Error())
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v is not bad input (ErrConfig)", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("accepted config fails Validate again: %v", err)
		}
		if c.Trials < 1 || c.Steps < 0 || c.RecordEvery < 1 {
			t.Errorf("accepted trials %d, steps %d, record_every %d", c.Trials, c.Steps, c.RecordEvery)
		}
	})
}

// FuzzReadMatrix: the matrix-file reader never panics and never reads past
// its limits; what it accepts is a square symmetric matrix of finite
// numbers. Seed corpus: the CSV files under testdata/ and
// cmd/smd/testdata/bad/. Run longer by hand with
//
//	go test ./experiment -run '^$' -fuzz FuzzReadMatrix -fuzztime 5m
func FuzzReadMatrix(f *testing.F) {
	for _, pat := range []string{"testdata/*.csv", "../cmd/smd/testdata/bad/*.csv"} {
		files, _ := filepath.Glob(pat)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b, 0)
			f.Add(b, 4)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, p int) {
		p = max(p, 0) % 64
		a, err := parseSym(bytes.NewReader(data), p, int64(len(data)), 1<<20)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("two-line error %q", err)
			}
			return
		}
		n := a.SymmetricDim()
		if n < 1 || (p > 0 && n != p) {
			t.Errorf("accepted a %d×%d matrix for p = %d", n, n, p)
		}
		for i := range n {
			for j := range n {
				if v := a.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("entry (%d,%d) = %v", i, j, v)
				}
			}
		}
	})
}
