package measure

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/smdlab/smd/internal/safetensors"
)

// BenchmarkMeasureF32 measures a pair of float32 checkpoints of 4 tensors
// × 4 Mi elements (64 MiB per file) from the page cache on one goroutine;
// the reported MB/s is checkpoint bytes processed (both files) per second:
//
//	go test ./measure -run '^$' -bench MeasureF32 -benchtime 20x
func BenchmarkMeasureF32(b *testing.B) {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(1, 1))
	const n = 4 << 20
	mk := func(name string) tensor {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return tensor{name, []int{256, 256, 8, 8}, v}
	}
	ts := []tensor{mk("a"), mk("b"), mk("c"), mk("d")}
	meta := map[string]string{"lr": "0.1", "weight_decay": "1e-4"}
	meta["step"] = "0"
	writeFile(b, filepath.Join(dir, "0.safetensors"), safetensors.F32, meta, ts...)
	for _, x := range ts {
		for i := range x.v {
			x.v[i] += 0.01 * rng.NormFloat64()
		}
	}
	meta["step"] = "1"
	writeFile(b, filepath.Join(dir, "1.safetensors"), safetensors.F32, meta, ts...)
	r, err := Scan(Config{Dir: dir})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Measure(context.Background(), Options{}); err != nil { // warm the page cache
		b.Fatal(err)
	}
	b.SetBytes(2 * 4 * 4 * n)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := r.Measure(context.Background(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSumsF32 is the arithmetic alone on one in-cache chunk.
func BenchmarkSumsF32(b *testing.B) {
	ra, rb := make([]byte, 4*chunkElems), make([]byte, 4*chunkElems)
	for i := range ra {
		ra[i], rb[i] = byte(i*7), byte(i*13)
	}
	b.SetBytes(int64(len(ra) + len(rb)))
	for range b.N {
		sumsF32(ra, rb)
	}
}
