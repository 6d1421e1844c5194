package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// File is an open safetensors file with its validated header.
type File struct {
	*Header
	Path string
	Size int64
	f    *os.File
}

// Open opens path and reads its header. Errors about the file's format
// wrap ErrFormat; all name the path.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	h, err := ReadHeader(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &File{Header: h, Path: path, Size: st.Size(), f: f}, nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// ReadRaw reads len(dst) bytes of tensor t's data starting off bytes into
// it.
func (f *File) ReadRaw(t Tensor, off int64, dst []byte) error {
	if off < 0 || off+int64(len(dst)) > t.End-t.Begin {
		panic("safetensors: ReadRaw outside the tensor")
	}
	if _, err := f.f.ReadAt(dst, f.DataStart+t.Begin+off); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%s: tensor %q: %w", f.Path, t.Name, err)
	}
	return nil
}

// Decode converts the little-endian elements of dtype dt in src into dst,
// which must hold len(src)/dt.Size() values. dt must be Decodable.
func Decode(dst []float64, src []byte, dt DType) {
	switch dt {
	case F32:
		_ = dst[len(src)/4-1:]
		for i := range len(src) / 4 {
			dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))
		}
	case F64:
		for i := range len(src) / 8 {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
		}
	case BF16:
		for i := range len(src) / 2 {
			dst[i] = float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16))
		}
	case F16:
		for i := range len(src) / 2 {
			dst[i] = Float16(binary.LittleEndian.Uint16(src[2*i:]))
		}
	default:
		panic("safetensors: Decode of " + string(dt))
	}
}

// Float16 returns the value of an IEEE 754 binary16 bit pattern (normal,
// subnormal, zero, infinity and NaN).
func Float16(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}

// Entry is a tensor to write: name, dtype, shape and its little-endian
// bytes (see F32Bytes, F64Bytes).
type Entry struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// F32Bytes returns the little-endian bytes of v.
func F32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// F64Bytes returns the little-endian bytes of v.
func F64Bytes(v []float64) []byte {
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	return b
}

// Write writes entries (in the given order) and metadata as one
// safetensors file. The header is padded with spaces to a multiple of 8
// bytes, as the reference writer does, so that the data are aligned.
func Write(w io.Writer, entries []Entry, metadata map[string]string) error {
	type info struct {
		DType       DType   `json:"dtype"`
		Shape       []int   `json:"shape"`
		DataOffsets []int64 `json:"data_offsets"`
	}
	// Build the header by hand to keep the entries' order.
	js := []byte{'{'}
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata) // sorted keys
		if err != nil {
			return err
		}
		js = append(js, `"`+MetadataKey+`":`...)
		js = append(js, m...)
	}
	off := int64(0)
	seen := map[string]bool{}
	for _, e := range entries {
		b, ok := e.DType.Bits()
		if !ok {
			return fmt.Errorf("safetensors: write %q: unknown dtype %q", e.Name, e.DType)
		}
		numel := int64(1)
		for _, d := range e.Shape {
			numel *= int64(d)
		}
		if numel*int64(b) != 8*int64(len(e.Data)) {
			return fmt.Errorf("safetensors: write %q: shape %v of %s needs %d bytes, have %d", e.Name, e.Shape, e.DType, numel*int64(b)/8, len(e.Data))
		}
		if e.Name == MetadataKey || seen[e.Name] {
			return fmt.Errorf("safetensors: write: tensor name %q reserved or repeated", e.Name)
		}
		seen[e.Name] = true
		name, _ := json.Marshal(e.Name)
		shape := e.Shape
		if shape == nil {
			shape = []int{}
		}
		v, _ := json.Marshal(info{e.DType, shape, []int64{off, off + int64(len(e.Data))}})
		if len(js) > 1 {
			js = append(js, ',')
		}
		js = append(append(append(js, name...), ':'), v...)
		off += int64(len(e.Data))
	}
	js = append(js, '}')
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(js)))
	if _, err := w.Write(slices.Concat(n[:], js)); err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := w.Write(e.Data); err != nil {
			return err
		}
	}
	return nil
}
