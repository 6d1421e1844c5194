package train

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeCIFARFiles writes n records per file whose bytes encode their
// position: label (file·n + i) mod 10, channel ch of pixel (r, c) equal to
// (i + 3ch + r + 2c) mod 256.
func writeCIFARFiles(t *testing.T, dir string, n int) {
	t.Helper()
	for f, name := range append(append([]string{}, CIFARTrainFiles...), CIFARTestFile) {
		var b []byte
		for i := range n {
			b = append(b, byte((f*n+i)%10))
			for ch := range 3 {
				for r := range 32 {
					for c := range 32 {
						b = append(b, byte((i+3*ch+r+2*c)%256))
					}
				}
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCIFARReader(t *testing.T) {
	dir := t.TempDir()
	const n = 3
	writeCIFARFiles(t, dir, n)
	tr, te := loadSplits(t, dir, CheckCIFAR, LoadCIFAR)
	if tr.Len() != 5*n || te.Len() != n {
		t.Fatalf("Len: train %d test %d, want %d %d", tr.Len(), te.Len(), 5*n, n)
	}
	for j := range tr.Len() {
		if got, want := tr.Label(j), j%10; got != want {
			t.Errorf("train label %d = %d, want %d", j, got, want)
		}
	}
	if got, want := te.Label(1), (5*n+1)%10; got != want {
		t.Errorf("test label 1 = %d, want %d", got, want)
	}
	// Image 4 is record 1 of data_batch_2: its pixels encode i = 1.
	if got, want := tr.Pixel(4, 2, 5, 7), byte(1+6+5+14); got != want {
		t.Errorf("Pixel(4, blue, 5, 7) = %d, want %d", got, want)
	}
	// Fill without augmentation: NHWC, (v/255 − mean)/std.
	x := make([]float32, 2*32*32*3)
	y := make([]int32, 2)
	if err := tr.Fill(x, y, []int{4, 0}, nil); err != nil {
		t.Fatal(err)
	}
	if y[0] != 4 || y[1] != 0 {
		t.Errorf("labels %v, want [4 0]", y)
	}
	for _, p := range [][3]int{{0, 0, 0}, {5, 7, 2}, {31, 31, 1}} {
		r, c, ch := p[0], p[1], p[2]
		v := float32((1+3*ch+r+2*c)%256) / 255
		want := (v - cifarMean[ch]) / cifarStd[ch]
		if got := x[(r*32+c)*3+ch]; got != want {
			t.Errorf("x[img 0, %d, %d, %d] = %v, want %v", r, c, ch, got, want)
		}
	}
	// Augmentation: each image is the original shifted by (dy, dx) ∈
	// [−4, 4]² with zero padding, possibly mirrored, and keeps its label.
	plain := append([]float32(nil), x...)
	tr.Augment = true
	rng := rand.New(rand.NewPCG(1, 2))
	moved := false
	for range 5 {
		if err := tr.Fill(x, y, []int{4, 0}, rng); err != nil {
			t.Fatal(err)
		}
		if y[0] != 4 || y[1] != 0 {
			t.Errorf("augmented labels %v, want [4 0]", y)
		}
		for k, img := range []int{4, 0} {
			if !matchesShift(tr, img, x[k*32*32*3:(k+1)*32*32*3]) {
				t.Errorf("augmented image %d is no shifted/mirrored copy of the original", img)
			}
		}
		for j := range x {
			moved = moved || x[j] != plain[j]
		}
	}
	if !moved {
		t.Error("augmentation never changed an image")
	}
}

// matchesShift reports whether got is image i shifted by some (dy, dx) in
// [−4, 4]², zero-padded, and possibly mirrored.
func matchesShift(c *CIFAR, i int, got []float32) bool {
	for dy := -4; dy <= 4; dy++ {
		for dx := -4; dx <= 4; dx++ {
			for _, flip := range []bool{false, true} {
				ok := true
				for r := 0; r < 32 && ok; r++ {
					for col := 0; col < 32 && ok; col++ {
						sr, sc := r+dy, col+dx
						if flip {
							sc = 31 - col + dx
						}
						for ch := range 3 {
							v := float32(0)
							if sr >= 0 && sr < 32 && sc >= 0 && sc < 32 {
								v = float32(c.Pixel(i, ch, sr, sc)) / 255
							}
							if got[(r*32+col)*3+ch] != (v-cifarMean[ch])/cifarStd[ch] {
								ok = false
							}
						}
					}
				}
				if ok {
					return true
				}
			}
		}
	}
	return false
}

func TestCIFARMissingAndBadFiles(t *testing.T) {
	dir := t.TempDir()
	writeCIFARFiles(t, dir, 1)
	missing := filepath.Join(dir, "data_batch_3.bin")
	if err := os.Remove(missing); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{CheckCIFAR(dir), func() error { _, err := LoadCIFAR(dir, true); return err }()} {
		if !errors.Is(err, ErrMissingData) || !strings.Contains(err.Error(), missing) {
			t.Errorf("missing file: got %v, want ErrMissingData naming %s", err, missing)
		}
	}
	if _, err := LoadCIFAR(dir, false); err != nil {
		t.Errorf("test split does not need data_batch_3.bin: %v", err)
	}
	if err := os.WriteFile(missing, make([]byte, cifarRecord+5), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCIFAR(dir, true); err == nil || !strings.Contains(err.Error(), "whole number") {
		t.Errorf("truncated file: got %v, want a record-size error", err)
	}
	bad := make([]byte, cifarRecord)
	bad[0] = 10
	if err := os.WriteFile(missing, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCIFAR(dir, true); err == nil || !strings.Contains(err.Error(), "label 10") {
		t.Errorf("label 10: got %v, want a label error", err)
	}
}

func TestSyntheticCIFARReadsBack(t *testing.T) {
	dir := t.TempDir()
	if err := WriteSyntheticCIFAR(dir, 20, 7, 0.1); err != nil {
		t.Fatal(err)
	}
	if !IsSynthetic(dir) {
		t.Error("synthetic directory not marked")
	}
	tr, err := LoadCIFAR(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 100 {
		t.Fatalf("Len %d, want 100", tr.Len())
	}
	// Deterministic in the seed.
	dir2 := t.TempDir()
	if err := WriteSyntheticCIFAR(dir2, 20, 7, 0.1); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "data_batch_4.bin"))
	b, _ := os.ReadFile(filepath.Join(dir2, "data_batch_4.bin"))
	if string(a) != string(b) {
		t.Error("same seed wrote different files")
	}
	// Every class occurs and pixels are not constant.
	seen := map[int]bool{}
	lo, hi := 255.0, 0.0
	for i := range tr.Len() {
		seen[tr.Label(i)] = true
		v := float64(tr.Pixel(i, 0, 16, 16))
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if len(seen) < 8 || hi-lo < 50 {
		t.Errorf("synthetic data degenerate: %d classes, pixel range [%g, %g]", len(seen), lo, hi)
	}
}

// FuzzCIFARRecords: the CIFAR-10 batch parser never panics; it accepts only
// whole 3073-byte records with labels 0–9, errors otherwise in one line as
// an ErrBadData. Seed corpus: a record, a bad label, a short file. Run longer
// by hand with
//
//	go test ./train -run '^$' -fuzz FuzzCIFARRecords -fuzztime 5m
func FuzzCIFARRecords(f *testing.F) {
	rec := make([]byte, cifarRecord)
	bad := append([]byte{10}, rec[1:]...)
	for _, b := range [][]byte{rec, bad, rec[:100], append(append([]byte{}, rec...), bad...)} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c := &CIFAR{}
		if err := c.add("f.bin", b); err != nil {
			if !errors.Is(err, ErrBadData) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line, an ErrBadData", err)
			}
			return
		}
		if len(b)%cifarRecord != 0 || c.Len() != len(b)/cifarRecord || len(c.pixels) != c.Len()*(cifarRecord-1) {
			t.Errorf("%d bytes gave %d images", len(b), c.Len())
		}
		for i := range c.Len() {
			if c.Label(i) > 9 {
				t.Errorf("label %d", c.Label(i))
			}
		}
	})
}
