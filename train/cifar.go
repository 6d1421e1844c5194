package train

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Dataset is a labelled image set. Fill writes the examples idx into x (NHWC,
// float32, normalized) and labels; with a non-nil rng it applies the
// training augmentation drawn from rng.
type Dataset interface {
	Len() int
	Classes() int
	// Dims is the height, width and channels of one prepared image.
	Dims() (h, w, c int)
	Fill(x []float32, labels []int32, idx []int, rng *rand.Rand) error
}

// checkFill checks Fill's buffers: per floats and one label for each of
// the images idx.
func checkFill(x []float32, labels []int32, idx []int, per int) error {
	if len(x) != len(idx)*per || len(labels) != len(idx) {
		return fmt.Errorf("train: Fill: %d floats/%d labels for %d images", len(x), len(labels), len(idx))
	}
	return nil
}

// ErrMissingData reports a dataset file or folder that is not there; the
// error's text names it.
var ErrMissingData = errors.New("dataset file not found")

// ErrBadData marks a dataset file that is there but cannot be used: a
// label out of range (naming the file and record), a directory or special
// file in place of a data file, a malformed IDX file, a corrupt image. It
// is bad input (smd train exits 2), found when the dataset is opened.
var ErrBadData = errors.New("bad dataset file")

// DataError is an ErrBadData naming the file.
type DataError struct{ Path, Msg string }

func (e *DataError) Error() string { return "train: " + e.Path + ": " + e.Msg }

func (e *DataError) Unwrap() error { return ErrBadData }

func badData(path, format string, a ...any) error {
	return &DataError{Path: path, Msg: fmt.Sprintf(format, a...)}
}

// dataFile refuses, by its Stat, anything but a regular file in place of a
// data file (a FIFO would block the read, a device never end).
func dataFile(path string, st fs.FileInfo) error {
	switch m := st.Mode(); {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return badData(path, "is a directory, not a data file")
	default:
		return badData(path, "is not a regular file (mode %v: a named pipe, device or socket), not a data file", m)
	}
}

// CIFAR-10 binary format (https://www.cs.toronto.edu/~kriz/cifar.html):
// records of one label byte followed by 32×32 red, then green, then blue
// bytes, row-major.
const (
	cifarSide    = 32
	cifarPixels  = cifarSide * cifarSide
	cifarRecord  = 1 + 3*cifarPixels
	cifarClasses = 10
	// SyntheticMarker is the file that marks a directory of synthetic
	// CIFAR-format data written by WriteSyntheticCIFAR.
	SyntheticMarker = "SYNTHETIC.txt"
)

// CIFARTrainFiles and CIFARTestFile are the files of the binary CIFAR-10
// distribution (cifar-10-binary.tar.gz unpacks them into cifar-10-batches-bin/).
var (
	CIFARTrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	CIFARTestFile   = "test_batch.bin"
)

// Per-channel mean and standard deviation of the CIFAR-10 training images
// (the values used by the usual PyTorch CIFAR recipes), on a 0–1 scale.
var (
	cifarMean = [3]float32{0.4914, 0.4822, 0.4465}
	cifarStd  = [3]float32{0.2470, 0.2435, 0.2616}
)

// CIFAR is a CIFAR-10 split held in memory in its file layout.
type CIFAR struct {
	labels []uint8
	pixels []uint8 // cifarRecord−1 bytes per image, CHW
	// Augment enables the standard training augmentation when Fill gets an
	// rng: a random 32×32 crop of the image zero-padded by 4, and a random
	// horizontal flip.
	Augment bool
}

// CheckCIFAR reports the first missing file of a CIFAR-10 directory, with
// ErrMissingData, without reading anything.
func CheckCIFAR(dir string) error {
	for _, f := range append(append([]string{}, CIFARTrainFiles...), CIFARTestFile) {
		p := filepath.Join(dir, f)
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s (CIFAR-10 binary version: see docs/train.md)", ErrMissingData, p)
		}
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		if err := dataFile(p, st); err != nil {
			return err
		}
		if st.Size()%cifarRecord != 0 || st.Size() == 0 {
			return badData(p, "%d bytes is not a whole number of %d-byte CIFAR-10 records", st.Size(), cifarRecord)
		}
	}
	return nil
}

// LoadCIFAR reads the training (data_batch_1..5.bin) or test (test_batch.bin)
// split of CIFAR-10 from dir. A missing file is an ErrMissingData naming it.
func LoadCIFAR(dir string, trainSplit bool) (*CIFAR, error) {
	files := []string{CIFARTestFile}
	if trainSplit {
		files = CIFARTrainFiles
	}
	c := &CIFAR{}
	for _, f := range files {
		p := filepath.Join(dir, f)
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s (CIFAR-10 binary version: see docs/train.md)", ErrMissingData, p)
		}
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if err := dataFile(p, st); err != nil {
			return nil, err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if err := c.add(p, b); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// add appends the records of one CIFAR-10 batch file's bytes b.
func (c *CIFAR) add(p string, b []byte) error {
	if len(b)%cifarRecord != 0 || len(b) == 0 {
		return badData(p, "%d bytes is not a whole number of %d-byte CIFAR-10 records", len(b), cifarRecord)
	}
	for off := 0; off < len(b); off += cifarRecord {
		if b[off] >= cifarClasses {
			return badData(p, "record %d has label %d, want 0–9", off/cifarRecord, b[off])
		}
		c.labels = append(c.labels, b[off])
		c.pixels = append(c.pixels, b[off+1:off+cifarRecord]...)
	}
	return nil
}

// IsSynthetic reports whether dir holds synthetic data written by
// WriteSyntheticCIFAR.
func IsSynthetic(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, SyntheticMarker))
	return err == nil
}

// Len is the number of images.
func (c *CIFAR) Len() int { return len(c.labels) }

// Classes is 10.
func (c *CIFAR) Classes() int { return cifarClasses }

// Dims is 32×32×3.
func (c *CIFAR) Dims() (h, w, ch int) { return cifarSide, cifarSide, 3 }

// Label returns the label of image i.
func (c *CIFAR) Label(i int) int { return int(c.labels[i]) }

// Pixel returns channel ch of pixel (row, col) of image i as stored.
func (c *CIFAR) Pixel(i, ch, row, col int) uint8 {
	return c.pixels[i*(cifarRecord-1)+ch*cifarPixels+row*cifarSide+col]
}

// Fill writes images idx as NHWC floats normalized by the CIFAR-10 channel
// statistics.
func (c *CIFAR) Fill(x []float32, labels []int32, idx []int, rng *rand.Rand) error {
	const per = 3 * cifarPixels
	if err := checkFill(x, labels, idx, per); err != nil {
		return err
	}
	for k, i := range idx {
		labels[k] = int32(c.labels[i])
		src := c.pixels[i*per : (i+1)*per]
		dst := x[k*per : (k+1)*per]
		dy, dx, flip := 0, 0, false
		if rng != nil && c.Augment {
			dy, dx, flip = rng.IntN(9)-4, rng.IntN(9)-4, rng.IntN(2) == 1
		}
		for row := range cifarSide {
			sr := row + dy
			for col := range cifarSide {
				sc := col + dx
				if flip {
					sc = cifarSide - 1 - col + dx
				}
				o := (row*cifarSide + col) * 3
				for ch := range 3 {
					v := float32(0) // zero padding, before normalization
					if sr >= 0 && sr < cifarSide && sc >= 0 && sc < cifarSide {
						v = float32(src[ch*cifarPixels+sr*cifarSide+sc]) / 255
					}
					dst[o+ch] = (v - cifarMean[ch]) / cifarStd[ch]
				}
			}
		}
	}
	return nil
}

// WriteSyntheticCIFAR writes a synthetic stand-in for CIFAR-10 in its binary
// format into dir: perFile images in each of data_batch_1..5.bin and in
// test_batch.bin, plus the SyntheticMarker file. Images of class c are a
// class prototype (a few random smooth colour waves) at a random contrast,
// plus pixel noise; a fraction labelNoise of the labels is replaced by a
// uniformly random class, so the loss cannot reach zero. It is
// deterministic in seed. Nothing here resembles real photographs: use it to
// exercise the code path and the SMD measurements, not to quote accuracies.
func WriteSyntheticCIFAR(dir string, perFile int, seed uint64, labelNoise float64) error {
	if perFile < 1 {
		return fmt.Errorf("train: synthetic CIFAR needs at least one image per file, got %d", perFile)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	// Prototypes: per class and channel, a sum of three random plane waves.
	var proto [cifarClasses][3 * cifarPixels]float64
	for c := range proto {
		for ch := range 3 {
			for range 3 {
				fy, fx := rng.Float64()*0.6, rng.Float64()*0.6
				ph, amp := 2*math.Pi*rng.Float64(), 0.5+rng.Float64()
				for row := range cifarSide {
					for col := range cifarSide {
						proto[c][ch*cifarPixels+row*cifarSide+col] += amp * math.Cos(fy*float64(row)+fx*float64(col)+ph)
					}
				}
			}
		}
	}
	files := append(append([]string{}, CIFARTrainFiles...), CIFARTestFile)
	buf := make([]byte, perFile*cifarRecord)
	for _, f := range files {
		for i := range perFile {
			rec := buf[i*cifarRecord : (i+1)*cifarRecord]
			c := rng.IntN(cifarClasses)
			label := c
			if rng.Float64() < labelNoise {
				label = rng.IntN(cifarClasses)
			}
			rec[0] = byte(label)
			contrast := 0.5 + rng.Float64()
			for j := range 3 * cifarPixels {
				v := 128 + 25*contrast*proto[c][j] + 40*rng.NormFloat64()
				rec[1+j] = byte(math.Max(0, math.Min(255, math.Round(v))))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, f), buf, 0o644); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	note := []string{
		"SYNTHETIC CIFAR-10-FORMAT DATA — not CIFAR-10.",
		fmt.Sprintf("Written by smd (train.WriteSyntheticCIFAR): %d images per file, seed %d, label noise %g.", perFile, seed, labelNoise),
		"Class prototypes are random smooth colour waves plus pixel noise.",
		"",
	}
	return os.WriteFile(filepath.Join(dir, SyntheticMarker), []byte(strings.Join(note, "\n")), 0o644)
}
