package train

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 12, class 10: a dataset that is there but unusable is ErrBadData
// (bad input, exit 2 in smd train) naming the file, found when the dataset
// is opened: a label out of range (with the record's index), a directory or
// FIFO in place of a batch file (a FIFO used to block ReadFile), an image
// whose header does not decode.
func TestBadDataFoundAtOpen(t *testing.T) {
	dir := t.TempDir()
	rec := make([]byte, cifarRecord)
	b := append(append([]byte{}, rec...), rec...)
	b[cifarRecord] = 10 // record 1's label
	for _, f := range CIFARTrainFiles {
		if err := os.WriteFile(filepath.Join(dir, f), rec, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, CIFARTrainFiles[2]), b, 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(err error, want string) {
		t.Helper()
		if !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("got %v, want an ErrBadData with %q", err, want)
		}
	}
	_, err := LoadCIFAR(dir, true)
	check(err, CIFARTrainFiles[2]+": record 1 has label 10, want 0–9")

	batch := filepath.Join(dir, CIFARTrainFiles[0])
	os.Remove(batch)
	if err := os.Mkdir(batch, 0o755); err != nil {
		t.Fatal(err)
	}
	check(CheckCIFAR(dir), CIFARTrainFiles[0]+": is a directory, not a data file")
	_, err = LoadCIFAR(dir, true)
	check(err, CIFARTrainFiles[0]+": is a directory, not a data file")
	os.Remove(batch)
	if err := mkfifo(batch); err == nil {
		_, err = LoadCIFAR(dir, true) // blocked for ever before
		check(err, CIFARTrainFiles[0]+": is not a regular file")
		_, err = ReadIDX(batch)
		check(err, "is not a regular file")
	}

	img := filepath.Join(dir, "img", "n01")
	if err := os.MkdirAll(img, 0o755); err != nil {
		t.Fatal(err)
	}
	// a JPEG start-of-image marker followed by garbage
	if err := os.WriteFile(filepath.Join(img, "a.jpg"), append([]byte{0xff, 0xd8}, bytes.Repeat([]byte{7}, 100)...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadFolder(filepath.Join(dir, "img"), 8)
	check(err, "a.jpg: not a readable image")
}

// Issue 12, class 4: counts near the integer limits are refused by
// Validate, naming the field, instead of overflowing trials × epochs ×
// steps per epoch (the progress total and the step counter).
func TestCountLimits(t *testing.T) {
	for _, c := range []struct {
		field string
		set   func(c *Config)
	}{
		{"epochs", func(c *Config) { c.Epochs = 1 << 40 }},
		{"trials", func(c *Config) { c.Trials = 1<<62 + 1 }},
		{"batch_size", func(c *Config) { c.BatchSize = 1 << 50 }},
		{"epochs", func(c *Config) { c.Epochs, c.Trials, c.StepsPerEpoch = 1<<20, 1<<20, 1<<20 }},
		{"milestones", func(c *Config) { c.Milestones = []int{1 << 60} }},
	} {
		cfg, err := Preset("cifar10-small")
		if err != nil {
			t.Fatal(err)
		}
		c.set(&cfg)
		if err := cfg.Validate(); err == nil || !strings.HasPrefix(err.Error(), c.field+": ") {
			t.Errorf("got %v, want an error of %s", err, c.field)
		}
	}
	cfg, _ := Preset("cifar10-small")
	if err := cfg.CheckTotal(1 << 62); err == nil {
		t.Errorf("CheckTotal(2^62) passed")
	}
}

// Issue 12, classes 3 and 9 for train configs: ReadConfig takes whole
// numbers only for integer keys (epochs: 2.5 was read as 2), refuses null,
// and reports every problem at once, one line each with its line number.
func TestReadConfigAllErrors(t *testing.T) {
	base, err := Preset("cifar10-small")
	if err != nil {
		t.Fatal(err)
	}
	_, err = ReadConfig(strings.NewReader("epochs: 2.5\ntrials: ~\nfoo: 1\nbatch_size: big\n"), base)
	want := []string{
		`line 1: epochs: want a whole number, got "2.5"`,
		`line 2: trials: value is null: give a value, or leave the key out for its default`,
		`line 3: foo: unknown key in the config`,
		`line 4: batch_size: want a whole number, got str "big"`,
	}
	lines := strings.Split(fmt.Sprint(err), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d: %v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: got %q, want %q…", i+1, lines[i], w)
		}
	}
	c, err := ReadConfig(strings.NewReader("epochs: 1e1\n"), base)
	if err != nil || c.Epochs != 10 || c.Trials != base.Trials {
		t.Errorf("epochs: 1e1 gave %d epochs (trials %d), %v", c.Epochs, c.Trials, err)
	}
}
