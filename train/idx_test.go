package train

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes encodes an unsigned-byte IDX array.
func idxBytes(dims []int, data []byte) []byte {
	b := []byte{0, 0, idxUbyte, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeMNISTFiles writes n training and m test images whose pixel (r, c)
// of image i is (i + r + 2c) mod 256, label i mod 10 (test: (i+3) mod 10);
// gzipped or not.
func writeMNISTFiles(t *testing.T, dir string, n, m int, gzipped bool) {
	t.Helper()
	put := func(name string, dims []int, data []byte) {
		b := idxBytes(dims, data)
		if gzipped {
			b, name = gz(t, b), name+".gz"
		}
		writeFile(t, filepath.Join(dir, name), b)
	}
	for split, cnt := range []int{n, m} {
		img := make([]byte, 0, cnt*784)
		lbl := make([]byte, cnt)
		for i := range cnt {
			for r := range 28 {
				for c := range 28 {
					img = append(img, byte((i+r+2*c)%256))
				}
			}
			lbl[i] = byte((i + 3*split) % 10)
		}
		f := FashionMNISTFiles
		names := [2][2]string{{f.TrainImages, f.TrainLabels}, {f.TestImages, f.TestLabels}}[split]
		put(names[0], []int{cnt, 28, 28}, img)
		put(names[1], []int{cnt}, lbl)
	}
}

func TestIDXReader(t *testing.T) {
	for _, gzipped := range []bool{false, true} {
		dir := t.TempDir()
		writeMNISTFiles(t, dir, 7, 3, gzipped)
		tr, te := loadSplits(t, dir, CheckFashionMNIST, LoadFashionMNIST)
		if tr.Len() != 7 || te.Len() != 3 || tr.Classes() != 10 {
			t.Fatalf("gzip %v: Len %d, %d; Classes %d", gzipped, tr.Len(), te.Len(), tr.Classes())
		}
		if h, w, c := tr.Dims(); h != 28 || w != 28 || c != 1 {
			t.Fatalf("Dims %d %d %d", h, w, c)
		}
		if tr.Label(5) != 5 || te.Label(2) != 5 {
			t.Errorf("labels: train[5] = %d, test[2] = %d, want 5, 5", tr.Label(5), te.Label(2))
		}
		if got, want := tr.Pixel(4, 3, 11), byte(4+3+22); got != want {
			t.Errorf("Pixel(4, 3, 11) = %d, want %d", got, want)
		}
		x := make([]float32, 2*784)
		y := make([]int32, 2)
		if err := tr.Fill(x, y, []int{6, 1}, nil); err != nil {
			t.Fatal(err)
		}
		if y[0] != 6 || y[1] != 1 {
			t.Errorf("Fill labels %v, want [6 1]", y)
		}
		for _, p := range [][3]int{{0, 0, 0}, {0, 27, 27}, {1, 10, 3}} {
			i, r, c := []int{6, 1}[p[0]], p[1], p[2]
			want := (float32((i+r+2*c)%256)/255 - fashionMean) / fashionStd
			if got := x[p[0]*784+r*28+c]; got != want {
				t.Errorf("x[%d, %d, %d] = %v, want %v", p[0], r, c, got, want)
			}
		}
		if s := tr.Subset(4); s.Len() != 4 || s.Pixel(3, 1, 1) != tr.Pixel(3, 1, 1) {
			t.Errorf("Subset(4): Len %d", s.Len())
		}
	}
}

// TestIDXMalformed: every malformed file is an error naming the file and
// the reason, gzipped or not.
func TestIDXMalformed(t *testing.T) {
	good := idxBytes([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"short magic", []byte{0, 0}, "truncated"},
		{"bad magic", append([]byte{1, 0}, good[2:]...), "bad magic number"},
		{"float type", append([]byte{0, 0, 0x0d}, good[3:]...), "type 0x0d"},
		{"no dims", []byte{0, 0, 8, 0}, "0 dimensions"},
		{"short dims", good[:9], "truncated: reading 2 dimensions"},
		{"zero dim", idxBytes([]int{2, 0}, nil), "dimension 1 is 0"},
		{"huge", idxBytes([]int{1 << 16, 1 << 16}, nil), "more than"},
		{"truncated data", good[:len(good)-1], "truncated: dimensions [2 3] need 6 data bytes, the file has 5"},
		{"trailing bytes", append(append([]byte{}, good...), 9, 9), "2 bytes after the 6 data bytes"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		for _, gzipped := range []bool{false, true} {
			b, name := c.b, strings.ReplaceAll(c.name, " ", "_")
			if gzipped {
				b, name = gz(t, b), name+".gz"
			}
			p := filepath.Join(dir, name)
			writeFile(t, p, b)
			_, err := ReadIDX(p)
			if err == nil || !strings.Contains(err.Error(), p+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s (gzip %v): error %v, want one naming %s and saying %q", c.name, gzipped, err, p, c.want)
			}
		}
	}
	// A corrupt gzip stream (right magic, wrong body) and a cut one.
	p := filepath.Join(dir, "corrupt.gz")
	writeFile(t, p, []byte{0x1f, 0x8b, 0, 0, 0})
	if _, err := ReadIDX(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("corrupt gzip: %v", err)
	}
	z := gz(t, good)
	writeFile(t, p, z[:len(z)-12])
	if _, err := ReadIDX(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("cut gzip: %v", err)
	}
	if g, err := ReadIDX(writeAndPath(t, dir, "good", good)); err != nil || len(g.Data) != 6 || g.Dims[1] != 3 {
		t.Errorf("good file: %v %v", g, err)
	}
	if _, err := ReadIDX(filepath.Join(dir, "absent")); !errors.Is(err, ErrMissingData) || !strings.Contains(err.Error(), "absent") {
		t.Errorf("absent file: %v", err)
	}
}

func writeAndPath(t *testing.T, dir, name string, b []byte) string {
	p := filepath.Join(dir, name)
	writeFile(t, p, b)
	return p
}

// TestFashionMNISTBadSet: shapes and labels that do not make a dataset.
func TestFashionMNISTBadSet(t *testing.T) {
	f := FashionMNISTFiles
	setup := func(imgDims []int, labels []byte) string {
		dir := t.TempDir()
		writeMNISTFiles(t, dir, 2, 2, false)
		n := 1
		for _, d := range imgDims {
			n *= d
		}
		writeFile(t, filepath.Join(dir, f.TrainImages), idxBytes(imgDims, make([]byte, n)))
		writeFile(t, filepath.Join(dir, f.TrainLabels), idxBytes([]int{len(labels)}, labels))
		return dir
	}
	cases := []struct {
		dir, file, want string
	}{
		{setup([]int{2, 28, 27}, []byte{0, 1}), f.TrainImages, "want N×28×28"},
		{setup([]int{2, 784}, []byte{0, 1}), f.TrainImages, "want N×28×28"},
		{setup([]int{2, 28, 28}, []byte{0, 1, 2}), f.TrainLabels, "has 3 labels but"},
		{setup([]int{2, 28, 28}, []byte{0, 10}), f.TrainLabels, "label 1 is 10"},
	}
	for _, c := range cases {
		_, err := LoadFashionMNIST(c.dir, true)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(c.dir, c.file)) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one naming %s and saying %q", err, c.file, c.want)
		}
	}
	dir := t.TempDir()
	if err := CheckFashionMNIST(dir); !errors.Is(err, ErrMissingData) || !strings.Contains(err.Error(), FashionMNISTPackage) {
		t.Errorf("empty dir: %v, want ErrMissingData naming the Debian package", err)
	}
}

// skipWithoutFashionMNIST skips a test when the Debian package is absent.
func skipWithoutFashionMNIST(t *testing.T) {
	t.Helper()
	if err := CheckFashionMNIST(FashionMNISTDebianDir); err != nil {
		t.Skipf("needs the Debian package %s (apt-get install %s): %v", FashionMNISTPackage, FashionMNISTPackage, err)
	}
}

// TestFashionMNISTReal reads the installed files: 60 000 + 10 000 images,
// 6 000 and 1 000 per class (the dataset is balanced), and pixel statistics
// equal to the normalization constants to their 4 printed digits.
func TestFashionMNISTReal(t *testing.T) {
	tr, te := fashionMNIST(t)
	if tr.Len() != 60000 || te.Len() != 10000 {
		t.Fatalf("Len: %d, %d; want 60000, 10000", tr.Len(), te.Len())
	}
	for _, s := range []struct {
		m   *MNIST
		per int
	}{{tr, 6000}, {te, 1000}} {
		var count [10]int
		for i := range s.m.Len() {
			count[s.m.Label(i)]++
		}
		for c, n := range count {
			if n != s.per {
				t.Errorf("class %d: %d images, want %d", c, n, s.per)
			}
		}
	}
	var sum, sq float64
	for _, v := range tr.pixels {
		x := float64(v) / 255
		sum += x
		sq += x * x
	}
	n := float64(len(tr.pixels))
	mean := sum / n
	std := math.Sqrt(sq/n - mean*mean)
	if math.Abs(mean-fashionMean) > 5e-5 || math.Abs(std-fashionStd) > 5e-5 {
		t.Errorf("pixel mean %.5f std %.5f, want %.4f %.4f", mean, std, fashionMean, fashionStd)
	}
}

// FuzzParseIDX: the IDX parser never panics, every error is one line and
// an ErrBadData, and what it accepts has as many data bytes as its
// dimensions say. Seed corpus: the well-formed and malformed files of
// TestIDXMalformed. Run longer by hand with
//
//	go test ./train -run '^$' -fuzz FuzzParseIDX -fuzztime 5m
func FuzzParseIDX(f *testing.F) {
	good := idxBytes([]int{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	for _, b := range [][]byte{good, good[:9], idxBytes([]int{2, 0}, nil), idxBytes([]int{1 << 16, 1 << 16}, nil), append(append([]byte{}, good...), 9)} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := parseIDX("f.idx", bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrBadData) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line, an ErrBadData", err)
			}
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) || n < 1 {
			t.Errorf("dims %v, %d data bytes", x.Dims, len(x.Data))
		}
	})
}
