package experiment

import (
	"errors"
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
