package measure

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/smdlab/smd/internal/safetensors"
)

// tensor is a named test tensor held in float64.
type tensor struct {
	name  string
	shape []int
	v     []float64
}

// writeFile writes tensors as one checkpoint of dtype dt (F32 or F64) with
// metadata meta.
func writeFile(t testing.TB, path string, dt safetensors.DType, meta map[string]string, ts ...tensor) {
	t.Helper()
	var es []safetensors.Entry
	for _, x := range ts {
		var b []byte
		if dt == safetensors.F32 {
			f := make([]float32, len(x.v))
			for i, v := range x.v {
				f[i] = float32(v)
			}
			b = safetensors.F32Bytes(f)
		} else {
			b = safetensors.F64Bytes(x.v)
		}
		es = append(es, safetensors.Entry{Name: x.name, DType: dt, Shape: x.shape, Data: b})
	}
	es = append(es, safetensors.Entry{Name: "bn.num_batches_tracked", DType: "I64", Shape: []int{}, Data: make([]byte, 8)})
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := safetensors.Write(f, es, meta); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// sgdRun simulates SGD with heavy-ball momentum on three tensors and saves
// the steps in save:
//   - "conv.weight" [8 3 3 3], scale-invariant: its gradient is σ·P⊥ξ (the
//     part of Gaussian noise ξ orthogonal to w) plus leak·λ·w, so that the
//     scale-invariance ratio is exactly 1 + leak;
//   - "bn.weight" [8] and "fc.weight" [4 8], not scale-invariant: gradient
//     w − c + σξ of the quadratic loss ½‖w − c‖² (c fixed, random).
//
// The state is rounded to the storage dtype after every step, as a
// float32 framework does.
type sgdRun struct {
	eta, lambda, mu, sigma, leak float64
	steps                        int
	save                         map[int]bool
	dt                           safetensors.DType
	seed                         uint64
	// metaLR, metaWD: whether lr and weight_decay go into the metadata.
	noLR, noWD bool
	// etaAt, if set, is the schedule η(t).
	etaAt func(t int) float64
	// shape of conv.weight (default [8 3 3 3]).
	convShape []int
}

func (r sgdRun) write(t testing.TB, dir string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(r.seed, 7))
	shape := r.convShape
	if shape == nil {
		shape = []int{8, 3, 3, 3}
	}
	mk := func(name string, shape ...int) *tensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		x := &tensor{name: name, shape: shape, v: make([]float64, n)}
		for i := range x.v {
			x.v[i] = rng.NormFloat64()
		}
		return x
	}
	conv, bn, fc := mk("conv.weight", shape...), mk("bn.weight", 8), mk("fc.weight", 4, 8)
	cs := [][]float64{nil, make([]float64, 8), make([]float64, 32)}
	for _, c := range cs[1:] {
		for i := range c {
			c[i] = 2 * rng.NormFloat64()
		}
	}
	ts := []*tensor{conv, bn, fc}
	vel := make([][]float64, 3)
	for k, x := range ts {
		vel[k] = make([]float64, len(x.v))
	}
	round := func(v float64) float64 {
		if r.dt == safetensors.F32 {
			return float64(float32(v))
		}
		return v
	}
	for k := range ts {
		for i := range ts[k].v {
			ts[k].v[i] = round(ts[k].v[i])
		}
	}
	var g []float64
	for step := 0; step <= r.steps; step++ {
		eta := r.eta
		if r.etaAt != nil {
			eta = r.etaAt(step)
		}
		if r.save[step] {
			meta := map[string]string{"step": strconv.Itoa(step), "optimizer": "sgd", "momentum": strconv.FormatFloat(r.mu, 'g', -1, 64)}
			if !r.noLR {
				meta["lr"] = strconv.FormatFloat(eta, 'g', -1, 64)
			}
			if !r.noWD {
				meta["weight_decay"] = strconv.FormatFloat(r.lambda, 'g', -1, 64)
			}
			writeFile(t, filepath.Join(dir, "ckpt_"+strconv.Itoa(step)+".safetensors"), r.dt, meta, *conv, *bn, *fc)
		}
		for k, x := range ts {
			g = make([]float64, len(x.v))
			for i := range g {
				g[i] = r.sigma * rng.NormFloat64()
			}
			if k == 0 {
				dot, nn := 0.0, 0.0
				for i, w := range x.v {
					dot += g[i] * w
					nn += w * w
				}
				for i, w := range x.v {
					g[i] += (r.leak*r.lambda - dot/nn) * w
				}
			} else {
				for i, w := range x.v {
					g[i] += w - cs[k][i]
				}
			}
			for i, w := range x.v {
				vel[k][i] = r.mu*vel[k][i] + g[i] + r.lambda*w
				x.v[i] = round(w - eta*vel[k][i])
			}
		}
	}
}

// pairs returns {n, n+1 : n = 0, every, 2·every, …} up to steps.
func pairs(steps, every int, extra ...int) map[int]bool {
	m := map[int]bool{}
	for n := 0; n+1 <= steps; n += every {
		m[n], m[n+1] = true, true
		for _, e := range extra {
			if n+e <= steps {
				m[n+e] = true
			}
		}
	}
	return m
}

// measureDir scans and measures dir.
func measureDir(t testing.TB, cfg Config) *Result {
	t.Helper()
	r, err := Scan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Measure(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (res *Result) tensor(name string) TensorResult {
	for _, t := range res.Tensors {
		if t.Name == name {
			return t
		}
	}
	return TensorResult{Name: "missing " + name, SIRatio: math.NaN()}
}
