package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// file builds a safetensors file from a raw JSON header and data.
func file(header string, data []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestRoundTrip(t *testing.T) {
	f32 := []float32{1, -2.5, 3e-8, float32(math.Pi), 0, -0, 7, 8, 9, 10, 11, 12}
	f64 := []float64{math.E, -1e300}
	entries := []Entry{
		{Name: "conv.weight", DType: F32, Shape: []int{2, 3, 2}, Data: F32Bytes(f32)},
		{Name: "bn.num_batches_tracked", DType: "I64", Shape: []int{}, Data: make([]byte, 8)},
		{Name: "x", DType: F64, Shape: []int{2}, Data: F64Bytes(f64)},
		{Name: "empty", DType: F32, Shape: []int{0, 3}, Data: nil},
	}
	var buf bytes.Buffer
	if err := Write(&buf, entries, map[string]string{"step": "12", "lr": "0.1"}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if n := binary.LittleEndian.Uint64(b); n%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", n)
	}
	path := filepath.Join(t.TempDir(), "a.safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !reflect.DeepEqual(f.Metadata, map[string]string{"step": "12", "lr": "0.1"}) {
		t.Errorf("metadata %v", f.Metadata)
	}
	if len(f.Tensors) != 4 {
		t.Fatalf("%d tensors", len(f.Tensors))
	}
	for i, e := range entries {
		ti, ok := f.Lookup(e.Name)
		if !ok || ti.DType != e.DType || !reflect.DeepEqual(ti.Shape, append([]int{}, e.Shape...)) || ti.Name != f.Tensors[i].Name {
			t.Errorf("tensor %d: %+v, want %+v", i, ti, e)
		}
	}
	read := func(name string) []float64 {
		ti, _ := f.Lookup(name)
		raw := make([]byte, ti.End-ti.Begin)
		if err := f.ReadRaw(ti, 0, raw); err != nil {
			t.Fatal(err)
		}
		v := make([]float64, ti.Numel())
		Decode(v, raw, ti.DType)
		return v
	}
	for i, v := range read("conv.weight") {
		if v != float64(f32[i]) {
			t.Errorf("conv.weight[%d] = %g, want %g", i, v, f32[i])
		}
	}
	if v := read("x"); v[0] != f64[0] || v[1] != f64[1] {
		t.Errorf("x = %v", v)
	}
}

// TestHalfTypes checks the F16 and BF16 decoders on known bit patterns.
func TestHalfTypes(t *testing.T) {
	f16 := map[uint16]float64{
		0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0400: math.Ldexp(1, -14), // largest normal, smallest normal
		0x0001: math.Ldexp(1, -24), 0x03ff: math.Ldexp(1023, -24), // subnormals
		0x3555: 0.333251953125, 0x0000: 0, 0x7c00: math.Inf(1), 0xfc00: math.Inf(-1),
	}
	for h, want := range f16 {
		if got := Float16(h); got != want {
			t.Errorf("Float16(%#04x) = %g, want %g", h, got, want)
		}
	}
	if !math.IsNaN(Float16(0x7e00)) {
		t.Error("Float16(0x7e00) is not NaN")
	}
	// BF16 is the top half of a float32.
	bf := []byte{0x80, 0x3f, 0x49, 0x40, 0x80, 0xbf} // 1, 3.140625, -1
	v := make([]float64, 3)
	Decode(v, bf, BF16)
	if v[0] != 1 || v[1] != 3.140625 || v[2] != -1 {
		t.Errorf("BF16 %v", v)
	}
	h := []byte{0x00, 0x3c, 0x00, 0xc0}
	Decode(v[:2], h, F16)
	if v[0] != 1 || v[1] != -2 {
		t.Errorf("F16 %v", v)
	}
}

// badHeaders are the malformed inputs of issue 9, each with a phrase its
// error must contain. f16x2 is a valid data section for one [2] F16 tensor.
var badHeaders = []struct {
	name, header string
	data         []byte
	want         string
}{
	{"invalid JSON", `{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]`, make([]byte, 4), "invalid JSON"},
	{"not an object", `[1, 2]`, nil, "not a JSON object"},
	{"unknown dtype", `{"a": {"dtype": "F17", "shape": [2], "data_offsets": [0, 4]}}`, make([]byte, 4), `tensor "a": unknown dtype "F17"`},
	{"shape vs bytes", `{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}`, make([]byte, 4), `tensor "a": shape [2] of F32 needs 8 bytes`},
	{"overlap", `{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}, "b": {"dtype": "F16", "shape": [2], "data_offsets": [2, 6]}}`, make([]byte, 6), `tensor "b": data_offsets [2, 6] overlap tensor "a"`},
	{"past the data", `{"a": {"dtype": "F16", "shape": [4], "data_offsets": [0, 8]}}`, make([]byte, 4), `tensor "a": data_offsets [0, 8] run past the data`},
	{"hole", `{"a": {"dtype": "F16", "shape": [1], "data_offsets": [2, 4]}}`, make([]byte, 4), `leave bytes [0, 2) unused`},
	{"trailing bytes", `{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}`, make([]byte, 6), "index only 4"},
	{"end before begin", `{"a": {"dtype": "F16", "shape": [0], "data_offsets": [4, 0]}}`, make([]byte, 4), "not 0 ≤ begin ≤ end"},
	{"negative dim", `{"a": {"dtype": "F16", "shape": [-2], "data_offsets": [0, 4]}}`, make([]byte, 4), "negative dimension"},
	{"overflowing shape", `{"a": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}}`, make([]byte, 4), "overflows"},
	{"no dtype", `{"a": {"shape": [2], "data_offsets": [0, 4]}}`, make([]byte, 4), "no dtype"},
	{"no offsets", `{"a": {"dtype": "F16", "shape": [2]}}`, make([]byte, 4), "no data_offsets"},
	{"three offsets", `{"a": {"dtype": "F16", "shape": [2], "data_offsets": [0, 2, 4]}}`, make([]byte, 4), "has 3 values"},
	{"duplicate tensor", `{"a": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}, "a": {"dtype": "F16", "shape": [1], "data_offsets": [2, 4]}}`, make([]byte, 4), `tensor "a" appears twice`},
	{"metadata not strings", `{"__metadata__": {"step": 3}}`, nil, "__metadata__: want an object of string values"},
	{"metadata null", `{"__metadata__": null}`, nil, "__metadata__: want an object of string values"},
	{"data after object", `{} {}`, nil, "data after the object"},
	{"wrong field type", `{"a": {"dtype": 7, "shape": [2], "data_offsets": [0, 4]}}`, make([]byte, 4), `tensor "a"`},
}

func TestBadHeaders(t *testing.T) {
	for _, c := range badHeaders {
		b := file(c.header, c.data)
		_, err := ReadHeader(bytes.NewReader(b), int64(len(b)))
		if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrFormat containing %q", c.name, err, c.want)
		}
	}
}

func TestBadLength(t *testing.T) {
	good := file(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4))
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"shorter than the length field", good[:5], "truncated: 5 bytes"},
		{"length past the end", good[:20], "runs past the end of the file"},
		{"truncated data", good[:len(good)-1], "run past the data"},
		{"huge length", append(binary.LittleEndian.AppendUint64(nil, 1<<62), good[8:]...), "runs past the end"},
	} {
		_, err := ReadHeader(bytes.NewReader(c.b), int64(len(c.b)))
		if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrFormat containing %q", c.name, err, c.want)
		}
	}
	if _, err := ReadHeader(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Errorf("good file: %v", err)
	}
}

// FuzzReadHeader checks that no input makes the parser panic, and that
// every accepted header tiles the data exactly and survives a rewrite.
// Seeds: testdata/fuzz/FuzzReadHeader plus the bad inputs above.
func FuzzReadHeader(f *testing.F) {
	for _, c := range badHeaders {
		f.Add(file(c.header, c.data))
	}
	f.Add(file(`{"__metadata__":{"step":"3"},"w":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ReadHeader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error not wrapping ErrFormat: %v", err)
			}
			return
		}
		end := int64(0)
		var entries []Entry
		for _, ti := range h.Tensors {
			if ti.Begin != end {
				t.Fatalf("accepted a hole or overlap at %q", ti.Name)
			}
			end = ti.End
			entries = append(entries, Entry{Name: ti.Name, DType: ti.DType, Shape: ti.Shape, Data: b[h.DataStart+ti.Begin : h.DataStart+ti.End]})
		}
		if h.DataStart+end != int64(len(b)) {
			t.Fatalf("accepted unindexed bytes")
		}
		var buf bytes.Buffer
		if err := Write(&buf, entries, h.Metadata); err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		h2, err := ReadHeader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("reread: %v", err)
		}
		if len(h2.Tensors) != len(h.Tensors) || len(h2.Metadata) != len(h.Metadata) {
			t.Fatalf("rewrite changed the header")
		}
		for i := range h.Tensors {
			a, c := h.Tensors[i], h2.Tensors[i]
			if a.Name != c.Name || a.DType != c.DType || !reflect.DeepEqual(append([]int{}, a.Shape...), append([]int{}, c.Shape...)) || a.End-a.Begin != c.End-c.Begin {
				t.Fatalf("rewrite changed tensor %d: %+v → %+v", i, a, c)
			}
		}
	})
}
