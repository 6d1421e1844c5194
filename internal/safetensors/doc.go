// Package safetensors reads and writes the safetensors checkpoint format
// (https://huggingface.co/docs/safetensors, reference implementation
// github.com/huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON
//
//	{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
//	 "__metadata__": {"key": "value", …}}
//
// then the tensors' raw little-endian bytes, offsets relative to the end of
// the header. The header parser enforces every rule of the reference
// implementation (offsets contiguous from 0 without holes or overlap, the
// last one ending at the end of the file, byte counts equal to the shape's
// element count times the dtype's size) and reports the first violation
// naming the tensor. Tensors are read one at a time, in chunks, so that a
// checkpoint larger than memory can be processed.
//
// It is written with the standard library only: the format is a page of
// rules, and no Go reader in wide use fits the "stream one tensor in
// chunks, decode F16/BF16 to float64" access that package measure needs.
package safetensors
