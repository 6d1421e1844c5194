package train

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// IDX is one array of unsigned bytes in the IDX format of the MNIST family
// (LeCun et al., http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
// 0x00 0x00 TYPE NDIM, NDIM big-endian uint32 dimensions, then the data in
// row-major order. Only TYPE 0x08 (unsigned byte), the type of every MNIST
// and Fashion-MNIST file, is read.
type IDX struct {
	Dims []int
	Data []byte
}

// idxUbyte is the IDX type code of unsigned bytes.
const idxUbyte = 0x08

// idxMaxBytes bounds the data size a header may announce (1 GiB, 15× the
// largest MNIST-family file), so that a corrupt header cannot make the
// reader allocate without limit.
const idxMaxBytes = 1 << 30

// ReadIDX reads an IDX file, gzipped or not (recognised by gzip's magic
// bytes 1f 8b, not by the name). Every error names the file: a bad magic
// number, a type other than unsigned byte, zero dimensions, a size above
// 1 GiB, a file shorter or longer than its header says, a corrupt gzip
// stream.
func ReadIDX(path string) (*IDX, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrMissingData, path)
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := dataFile(path, st); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	return parseIDX(path, f)
}

// parseIDX parses an IDX file's bytes from f (path names it in errors).
func parseIDX(path string, f io.Reader) (*IDX, error) {
	bad := func(format string, args ...any) error { return badData(path, format, args...) }
	br := bufio.NewReader(f)
	var r io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, bad("gzip: %v", err)
		}
		defer zr.Close()
		r = zr
	}
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, bad("%s reading the 4-byte magic number", short(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, bad("bad magic number % x: an IDX file starts with 00 00", magic[:])
	}
	if magic[2] != idxUbyte {
		return nil, bad("IDX type 0x%02x, want 0x08 (unsigned byte)", magic[2])
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, bad("IDX header has 0 dimensions")
	}
	hdr := make([]byte, 4*nd)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, bad("%s reading %d dimensions", short(err), nd)
	}
	x := &IDX{Dims: make([]int, nd)}
	size := 1
	for i := range nd {
		d := int(binary.BigEndian.Uint32(hdr[4*i:]))
		if d == 0 {
			return nil, bad("dimension %d is 0", i)
		}
		x.Dims[i] = d
		if size > idxMaxBytes/d {
			return nil, bad("dimensions %v: more than %d bytes", x.Dims[:i+1], idxMaxBytes)
		}
		size *= d
	}
	x.Data = make([]byte, size)
	if n, err := io.ReadFull(r, x.Data); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, bad("truncated: dimensions %v need %d data bytes, the file has %d", x.Dims, size, n)
		}
		return nil, bad("%v", err)
	}
	var one [1]byte
	if n, err := r.Read(one[:]); n > 0 {
		extra, _ := io.Copy(io.Discard, r)
		return nil, bad("%d bytes after the %d data bytes of dimensions %v", extra+1, size, x.Dims)
	} else if err != nil && err != io.EOF {
		return nil, bad("%v", err)
	}
	return x, nil
}

// short describes a read error: "truncated" for an early end of file.
func short(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "truncated:"
	}
	return err.Error() + ":"
}

// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 28×28 grey images of 10
// kinds of clothing, 60 000 for training and 10 000 for testing, in the IDX
// format. Debian's package dataset-fashion-mnist installs them, gzipped, in
// FashionMNISTDebianDir.
const (
	FashionMNISTDebianDir = "/usr/share/datasets/fashion-mnist"
	FashionMNISTPackage   = "dataset-fashion-mnist"
	mnistSide             = 28
	mnistClasses          = 10
)

// FashionMNISTFiles are the base names of the four files (each read as
// NAME.gz or, failing that, NAME).
var FashionMNISTFiles = struct{ TrainImages, TrainLabels, TestImages, TestLabels string }{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// Mean and standard deviation of the Fashion-MNIST training pixels on a
// 0–1 scale (the values of the usual PyTorch recipes; TestFashionMNISTReal
// recomputes them from the files).
const (
	fashionMean = 0.2860
	fashionStd  = 0.3530
)

// MNIST is a split of an MNIST-family dataset (28×28 grey images, 10
// classes) held in memory.
type MNIST struct {
	labels []uint8
	pixels []uint8 // 28·28 bytes per image, row-major
	// Mean and Std normalize the pixels (0–1 scale) in Fill.
	Mean, Std float32
}

// idxPath returns dir/name.gz if it exists, else dir/name.
func idxPath(dir, name string) string {
	p := filepath.Join(dir, name+".gz")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return filepath.Join(dir, name)
}

// CheckFashionMNIST reports the first missing file of a Fashion-MNIST
// directory, with ErrMissingData, without reading anything.
func CheckFashionMNIST(dir string) error {
	f := FashionMNISTFiles
	for _, name := range []string{f.TrainImages, f.TrainLabels, f.TestImages, f.TestLabels} {
		p := idxPath(dir, name)
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w: %s (or %s.gz; Debian: apt-get install %s)", ErrMissingData, p, p, FashionMNISTPackage)
		}
	}
	return nil
}

// LoadFashionMNIST reads the training or test split of Fashion-MNIST (or
// any MNIST-family dataset with the same file names) from dir. The images
// must be N×28×28, the labels N values in 0–9, with the same N.
func LoadFashionMNIST(dir string, trainSplit bool) (*MNIST, error) {
	imgName, lblName := FashionMNISTFiles.TestImages, FashionMNISTFiles.TestLabels
	if trainSplit {
		imgName, lblName = FashionMNISTFiles.TrainImages, FashionMNISTFiles.TrainLabels
	}
	ip, lp := idxPath(dir, imgName), idxPath(dir, lblName)
	img, err := ReadIDX(ip)
	if err != nil {
		return nil, err
	}
	if len(img.Dims) != 3 || img.Dims[1] != mnistSide || img.Dims[2] != mnistSide {
		return nil, badData(ip, "dimensions %v, want N×28×28 images", img.Dims)
	}
	lbl, err := ReadIDX(lp)
	if err != nil {
		return nil, err
	}
	if len(lbl.Dims) != 1 {
		return nil, badData(lp, "dimensions %v, want one dimension of labels", lbl.Dims)
	}
	if lbl.Dims[0] != img.Dims[0] {
		return nil, badData(lp, "has %d labels but %s has %d images", lbl.Dims[0], ip, img.Dims[0])
	}
	for i, l := range lbl.Data {
		if l >= mnistClasses {
			return nil, badData(lp, "label %d is %d, want 0–9", i, l)
		}
	}
	return &MNIST{labels: lbl.Data, pixels: img.Data, Mean: fashionMean, Std: fashionStd}, nil
}

// Len is the number of images.
func (m *MNIST) Len() int { return len(m.labels) }

// Classes is 10.
func (m *MNIST) Classes() int { return mnistClasses }

// Dims is 28×28×1.
func (m *MNIST) Dims() (h, w, c int) { return mnistSide, mnistSide, 1 }

// Label returns the label of image i.
func (m *MNIST) Label(i int) int { return int(m.labels[i]) }

// Pixel returns pixel (row, col) of image i as stored.
func (m *MNIST) Pixel(i, row, col int) uint8 {
	return m.pixels[i*mnistSide*mnistSide+row*mnistSide+col]
}

// Subset returns the first n images (all if n ≥ Len), sharing storage.
func (m *MNIST) Subset(n int) *MNIST {
	n = min(n, m.Len())
	const per = mnistSide * mnistSide
	return &MNIST{labels: m.labels[:n], pixels: m.pixels[:n*per], Mean: m.Mean, Std: m.Std}
}

// Fill writes images idx as NHWC floats (v/255 − Mean)/Std. There is no
// augmentation: rng is ignored.
func (m *MNIST) Fill(x []float32, labels []int32, idx []int, _ *rand.Rand) error {
	const per = mnistSide * mnistSide
	if err := checkFill(x, labels, idx, per); err != nil {
		return err
	}
	for k, i := range idx {
		labels[k] = int32(m.labels[i])
		src := m.pixels[i*per : (i+1)*per]
		dst := x[k*per : (k+1)*per]
		for j, v := range src {
			dst[j] = (float32(v)/255 - m.Mean) / m.Std
		}
	}
	return nil
}
