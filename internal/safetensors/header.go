package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// ErrFormat is wrapped by every error about a malformed file.
var ErrFormat = errors.New("not a valid safetensors file")

// MaxHeaderSize is the largest JSON header accepted, the reference
// implementation's limit (100 MB, N_MAX in safetensors/src/tensor.rs).
const MaxHeaderSize = 100_000_000

// MetadataKey is the reserved header key of the string→string metadata.
const MetadataKey = "__metadata__"

// DType is a tensor's element type as spelled in the header.
type DType string

// The dtypes of the format. Only the four float types are decoded; the
// others are recognized (their byte counts are checked) so that they can
// be skipped.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
)

// bitsOf is the width in bits of every dtype the format defines
// (safetensors/src/tensor.rs, enum Dtype).
var bitsOf = map[DType]int{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

// Bits returns the width of one element in bits and whether d is a dtype
// of the format.
func (d DType) Bits() (int, bool) {
	b, ok := bitsOf[d]
	return b, ok
}

// Decodable reports whether d is one of F64, F32, F16, BF16, the types
// Decode converts to float64.
func (d DType) Decodable() bool { return d == F64 || d == F32 || d == F16 || d == BF16 }

// Size returns the bytes per element of a decodable dtype.
func (d DType) Size() int {
	b, _ := d.Bits()
	return b / 8
}

// Tensor is one entry of a header. Begin and End are byte offsets relative
// to the start of the data (the end of the header).
type Tensor struct {
	Name       string
	DType      DType
	Shape      []int
	Begin, End int64
}

// Numel is the number of elements (1 for a scalar of shape []).
func (t Tensor) Numel() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

// Header is a parsed and validated header.
type Header struct {
	// Tensors in the order of their data (increasing Begin).
	Tensors []Tensor
	// Metadata is the __metadata__ map (empty when absent).
	Metadata map[string]string
	// DataStart is the file offset of the data: 8 + the header length.
	DataStart int64
	index     map[string]int
}

// Lookup returns the tensor called name.
func (h *Header) Lookup(name string) (Tensor, bool) {
	i, ok := h.index[name]
	if !ok {
		return Tensor{}, false
	}
	return h.Tensors[i], true
}

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

// ReadHeader reads and validates the header of a safetensors file of size
// bytes. Every byte of the data must belong to exactly one tensor.
func ReadHeader(r io.ReaderAt, size int64) (*Header, error) {
	var lenBuf [8]byte
	if size < 8 {
		return nil, formatErr("truncated: %d bytes, shorter than the 8-byte header length", size)
	}
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("read header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > uint64(size-8) {
		return nil, formatErr("header length %d runs past the end of the file (%d bytes after the length field)", n, size-8)
	}
	if n > MaxHeaderSize {
		return nil, formatErr("header length %d exceeds the format's limit of %d bytes", n, MaxHeaderSize)
	}
	js := make([]byte, n)
	if _, err := r.ReadAt(js, 8); err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	return ParseHeader(js, size-8-int64(n))
}

// ParseHeader parses and validates the JSON header js of a file whose data
// section (everything after the header) has dataLen bytes.
func ParseHeader(js []byte, dataLen int64) (*Header, error) {
	if len(js) == 0 || js[0] != '{' {
		return nil, formatErr("header is not a JSON object (it must start with '{')")
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, formatErr("invalid JSON header: %v", err)
	}
	h := &Header{Metadata: map[string]string{}, DataStart: 8 + int64(len(js)), index: map[string]int{}}
	seenMeta := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, formatErr("invalid JSON header: %v", err)
		}
		name, _ := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, formatErr("invalid JSON header at key %q: %v", name, err)
		}
		if name == MetadataKey {
			if seenMeta {
				return nil, formatErr("%s appears twice", MetadataKey)
			}
			seenMeta = true
			if err := json.Unmarshal(raw, &h.Metadata); err != nil || h.Metadata == nil {
				return nil, formatErr("%s: want an object of string values: %v", MetadataKey, errOr(err, "null"))
			}
			continue
		}
		if _, dup := h.index[name]; dup {
			return nil, formatErr("tensor %q appears twice", name)
		}
		t, err := parseEntry(name, raw)
		if err != nil {
			return nil, err
		}
		h.index[name] = len(h.Tensors)
		h.Tensors = append(h.Tensors, t)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, formatErr("invalid JSON header: %v", err)
	}
	off := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, formatErr("invalid JSON header: data after the object: %.20q", strings.TrimSpace(string(js[off:])))
	}
	if err := h.checkOffsets(dataLen); err != nil {
		return nil, err
	}
	return h, nil
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

// parseEntry decodes and checks one tensor entry, except its offsets'
// relation to the other tensors.
func parseEntry(name string, raw json.RawMessage) (Tensor, error) {
	var e struct {
		DType       *string  `json:"dtype"`
		Shape       *[]int64 `json:"shape"`
		DataOffsets *[]int64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return Tensor{}, formatErr("tensor %q: %v", name, err)
	}
	switch {
	case e.DType == nil:
		return Tensor{}, formatErr("tensor %q: no dtype", name)
	case e.Shape == nil:
		return Tensor{}, formatErr("tensor %q: no shape", name)
	case e.DataOffsets == nil:
		return Tensor{}, formatErr("tensor %q: no data_offsets", name)
	case len(*e.DataOffsets) != 2:
		return Tensor{}, formatErr("tensor %q: data_offsets has %d values, want [begin, end]", name, len(*e.DataOffsets))
	}
	t := Tensor{Name: name, DType: DType(*e.DType), Begin: (*e.DataOffsets)[0], End: (*e.DataOffsets)[1]}
	b, ok := t.DType.Bits()
	if !ok {
		return Tensor{}, formatErr("tensor %q: unknown dtype %q", name, *e.DType)
	}
	if t.Begin < 0 || t.End < t.Begin {
		return Tensor{}, formatErr("tensor %q: data_offsets [%d, %d] are not 0 ≤ begin ≤ end", name, t.Begin, t.End)
	}
	t.Shape = make([]int, 0, len(*e.Shape))
	numel := uint64(1)
	for _, d := range *e.Shape {
		if d < 0 {
			return Tensor{}, formatErr("tensor %q: shape %v has a negative dimension", name, *e.Shape)
		}
		hi, lo := bits.Mul64(numel, uint64(d))
		if hi != 0 || lo > math.MaxInt64/64 {
			return Tensor{}, formatErr("tensor %q: shape %v overflows", name, *e.Shape)
		}
		numel = lo
		t.Shape = append(t.Shape, int(d))
	}
	nbits := numel * uint64(b)
	if nbits%8 != 0 {
		return Tensor{}, formatErr("tensor %q: %d elements of %s do not fill whole bytes", name, numel, t.DType)
	}
	if want := int64(nbits / 8); t.End-t.Begin != want {
		return Tensor{}, formatErr("tensor %q: shape %v of %s needs %d bytes, but data_offsets [%d, %d] hold %d", name, t.Shape, t.DType, want, t.Begin, t.End, t.End-t.Begin)
	}
	return t, nil
}

// checkOffsets sorts the tensors by offset and checks that they tile the
// data section [0, dataLen) exactly: no overlap, no hole, nothing past the
// end, nothing unindexed at the end.
func (h *Header) checkOffsets(dataLen int64) error {
	slices.SortStableFunc(h.Tensors, func(a, b Tensor) int {
		if a.Begin != b.Begin {
			return cmp.Compare(a.Begin, b.Begin)
		}
		return cmp.Compare(a.End, b.End)
	})
	end := int64(0)
	prev := ""
	for i, t := range h.Tensors {
		h.index[t.Name] = i
		switch {
		case t.Begin < end:
			return formatErr("tensor %q: data_offsets [%d, %d] overlap tensor %q (ends at %d)", t.Name, t.Begin, t.End, prev, end)
		case t.Begin > end:
			return formatErr("tensor %q: data_offsets [%d, %d] leave bytes [%d, %d) unused", t.Name, t.Begin, t.End, end, t.Begin)
		case t.End > dataLen:
			return formatErr("tensor %q: data_offsets [%d, %d] run past the data (%d bytes; truncated file?)", t.Name, t.Begin, t.End, dataLen)
		}
		end, prev = t.End, t.Name
	}
	if end != dataLen {
		return formatErr("the data section has %d bytes but the tensors index only %d", dataLen, end)
	}
	return nil
}
