package measure

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/smdlab/smd/internal/safetensors"
	"github.com/smdlab/smd/theory"
)

func ptr(x float64) *float64 { return &x }

// rotated returns a random a ∈ ℝⁿ and b = s·‖a‖(cos θ â + sin θ û) with û
// a random unit vector orthogonal to a, computed in float64.
func rotated(rng *rand.Rand, n int, theta, s float64) (a, b []float64) {
	a, u := make([]float64, n), make([]float64, n)
	for i := range a {
		a[i], u[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	na, dot := 0.0, 0.0
	for i := range a {
		na += a[i] * a[i]
		dot += a[i] * u[i]
	}
	nu := 0.0
	for i := range u {
		u[i] -= dot / na * a[i]
		nu += u[i] * u[i]
	}
	na, nu = math.Sqrt(na), math.Sqrt(nu)
	b = make([]float64, n)
	for i := range b {
		b[i] = s * (math.Cos(theta)*a[i] + math.Sin(theta)*na*u[i]/nu)
	}
	return a, b
}

func twoFiles(t *testing.T, dt safetensors.DType, a, b []float64) string {
	dir := t.TempDir()
	meta := func(s int) map[string]string {
		return map[string]string{"step": strconv.Itoa(s), "lr": "0.1", "weight_decay": "0"}
	}
	writeFile(t, filepath.Join(dir, "a.safetensors"), dt, meta(0), tensor{"w", []int{len(a)}, a})
	writeFile(t, filepath.Join(dir, "b.safetensors"), dt, meta(1), tensor{"w", []int{len(b)}, b})
	return dir
}

// TestAngleExact checks the angle against its construction, from 10⁻⁷ rad
// to nearly π, with and without a large radial change (which forces the
// second pass): float64 storage rounds each element of b by ≤ 2⁻⁵³|b_i|,
// which moves the angle by ≤ 2⁻⁵³ rad; the sums add O(n·2⁻⁵³) relative.
// Allowed: 10⁻¹⁴ + 10⁻¹²·θ.
func TestAngleExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, scale := range []float64{1, 0.97, 1e-3} {
		for _, theta := range []float64{1e-7, 1e-4, 2.5e-3, 0.1, 1, 3} {
			a, b := rotated(rng, 3000, theta, scale)
			res := measureDir(t, Config{Dir: twoFiles(t, safetensors.F64, a, b)})
			got := res.Rows[0].AU
			if d := math.Abs(got - theta); !(d <= 1e-14+1e-12*theta) {
				t.Errorf("scale %g θ %g: AU %.17g, error %.3g", scale, theta, got, d)
			}
		}
	}
}

// TestFloat32AcosLoses shows why the angle is not computed as float32
// acos(cosine), as tools reading float32 checkpoints commonly do. Near
// AU = 2.5·10⁻³ the cosine 1 − 3.1·10⁻⁶ lies in [½, 1), where float32's
// spacing is 2⁻²⁴: even the exact cosine, rounded to float32, is off by up
// to 2⁻²⁵ ≈ 3·10⁻⁸, which moves the angle by up to 3·10⁻⁸/sin θ ≈ 1.2·10⁻⁵
// rad (0.5 %). With θ spread over [2.4, 2.6]·10⁻³ (8 spacings of the
// cosine) the rounding error is uniform, so the RMS relative error is
// 2⁻²⁵/(√3·θ·sin θ) ≈ 2.75·10⁻³; the RMS of 60 such errors lies within
// ±30 % of that at > 4 sd (mean square of a uniform: relative SD
// √(0.8/60) = 12 %, halved by the square root). Accumulating the dot
// products in float32 as well is far worse (logged). measure computes the
// angle between the same float32 vectors in float64 (atan2 form): its
// error against the exact angle of the stored vectors is at float64
// rounding level.
func TestFloat32AcosLoses(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const trials, n = 60, 4096
	var quantSq, naiveSq, predSq, maxMeasure float64
	for range trials {
		theta := 2.4e-3 + 2e-4*rng.Float64()
		a, b := rotated(rng, n, theta, 0.999)
		a32, b32 := make([]float32, n), make([]float32, n)
		for i := range a {
			a32[i], b32[i] = float32(a[i]), float32(b[i])
		}
		// Exact angle and cosine of the stored float32 vectors, in float64.
		var aa, ab, bb float64
		for i := range a32 {
			x, y := float64(a32[i]), float64(b32[i])
			aa, ab, bb = aa+x*x, ab+x*y, bb+y*y
		}
		perp := 0.0
		for i := range a32 {
			p := float64(b32[i]) - ab/aa*float64(a32[i])
			perp += p * p
		}
		truth := math.Atan2(math.Sqrt(perp), ab/math.Sqrt(aa))
		// (1) the exact cosine rounded to float32, acos in float32.
		cos := ab / math.Sqrt(aa*bb)
		quant := float64(float32(math.Acos(float64(float32(cos)))))
		quantSq += (quant - truth) * (quant - truth) / (truth * truth)
		predSq += 0x1p-50 / 3 / math.Pow(truth*math.Sin(truth), 2)
		// (2) dot products and norms accumulated in float32 too.
		var d32, na32, nb32 float32
		for i := range a32 {
			d32 += a32[i] * b32[i]
			na32 += a32[i] * a32[i]
			nb32 += b32[i] * b32[i]
		}
		cos32 := d32 / (float32(math.Sqrt(float64(na32))) * float32(math.Sqrt(float64(nb32))))
		naive := float64(float32(math.Acos(float64(min(cos32, 1)))))
		naiveSq += (naive - truth) * (naive - truth) / (truth * truth)
		got := measureDir(t, Config{Dir: twoFiles(t, safetensors.F32, a, b)}).Rows[0].AU
		maxMeasure = math.Max(maxMeasure, math.Abs(got-truth)/truth)
	}
	quant, pred, naive := math.Sqrt(quantSq/trials), math.Sqrt(predSq/trials), math.Sqrt(naiveSq/trials)
	t.Logf("AU ≈ 2.5e-3: float32 acos of the exact cosine: RMS relative error %.3g (predicted %.3g); with float32 dot products: %.3g; measure: max %.3g",
		quant, pred, naive, maxMeasure)
	if math.Abs(quant/pred-1) > 0.3 {
		t.Errorf("float32 acos RMS relative error %.3g, predicted %.3g ± 30 %%", quant, pred)
	}
	if maxMeasure > 1e-10 {
		t.Errorf("measure's relative error %.3g, want float64 rounding level (< 1e-10)", maxMeasure)
	}
}

// TestSIRatioMargin places the scale-invariance ratio on both sides of
// the tolerance: a gradient with radial part leak·λ·w gives ratio 1 + leak
// exactly (helpers_test.go), so leak = ±ε_SI/2 must be classified
// scale-invariant and ±2ε_SI not, for plain SGD and for heavy-ball
// momentum (the three-checkpoint form), in float32 storage where the
// rounding bound u/(ηλ) = 6·10⁻⁸/5·10⁻⁴ ≈ 1.2·10⁻⁴ is 1/800 of ε_SI.
func TestSIRatioMargin(t *testing.T) {
	for _, mu := range []float64{0, 0.9} {
		for _, leak := range []float64{-2, -0.5, 0.5, 2} {
			dir := t.TempDir()
			run := sgdRun{eta: 0.1, lambda: 5e-3, mu: mu, sigma: 0.3, leak: leak * DefaultSITol, steps: 60, dt: safetensors.F32, seed: 5}
			run.save = pairs(run.steps, 10, 2)
			run.write(t, dir)
			res := measureDir(t, Config{Dir: dir})
			conv := res.tensor("conv.weight")
			want := math.Abs(leak) < 1
			if conv.SI != want || conv.SISource != "ratio" {
				t.Errorf("μ %g leak %g·ε_SI: SI %v (%s), want %v", mu, leak, conv.SI, conv.SISource, want)
			}
			// The mean ratio is 1 + leak up to the rounding bound.
			if d := math.Abs(conv.SIRatio - (1 + leak*DefaultSITol)); d > 2e-4 {
				t.Errorf("μ %g leak %g·ε_SI: ratio %.6g, want %.6g", mu, leak, conv.SIRatio, 1+leak*DefaultSITol)
			}
			for _, name := range []string{"bn.weight", "fc.weight"} {
				if tr := res.tensor(name); tr.SI || !(tr.SIRatioMaxDev > 10*DefaultSITol) {
					t.Errorf("μ %g: %s SI %v, max |ratio − 1| %.3g; want not SI, far from 1", mu, name, tr.SI, tr.SIRatioMaxDev)
				}
			}
		}
	}
}

// TestMomentumWithoutTriple: with momentum and only pairs (n, n+1) saved
// the ratio is not computable; the name rule decides and says why.
func TestMomentumWithoutTriple(t *testing.T) {
	dir := t.TempDir()
	run := sgdRun{eta: 0.1, lambda: 5e-3, mu: 0.9, sigma: 0.3, steps: 30, dt: safetensors.F32, seed: 6}
	run.save = pairs(run.steps, 10)
	run.write(t, dir)
	res := measureDir(t, Config{Dir: dir})
	conv, fc := res.tensor("conv.weight"), res.tensor("fc.weight")
	if !conv.SI || fc.SI || !strings.Contains(conv.SISource, "name rule (momentum") {
		t.Errorf("conv SI %v (%s), fc SI %v; want the name rule (rank ≥ 3) for momentum without step n−1", conv.SI, conv.SISource, fc.SI)
	}
	// --si overrides everything.
	res = measureDir(t, Config{Dir: dir, SI: regexp.MustCompile(`^fc\.`)})
	if res.tensor("conv.weight").SI || !res.tensor("fc.weight").SI || res.tensor("fc.weight").SISource != "--si" {
		t.Error("--si did not decide")
	}
}

// TestEquilibrium runs SGD long past 1/(ηλ) = 200 steps: the conv's RMS AU
// settles at √(2ηλ) and the check says so; told a learning rate 4× too
// large (--lr; then only --si can mark the tensor, since the ratio is 1/4)
// the theory is 2× too large and the check says not.
func TestEquilibrium(t *testing.T) {
	dir := t.TempDir()
	run := sgdRun{eta: 0.5, lambda: 0.01, sigma: 0.05, steps: 2000, dt: safetensors.F32, seed: 8, convShape: []int{64, 4, 3, 3}}
	run.save = pairs(run.steps, 10)
	run.write(t, dir)
	res := measureDir(t, Config{Dir: dir})
	conv := res.tensor("conv.weight")
	want, _ := theory.EquilibriumAU(theory.Optimizer{Name: "sgd"}, 0.5, 0.01)
	if !conv.SI || conv.Equilibrium != "true" || conv.AUTheory != want {
		t.Errorf("conv SI %v equilibrium %q theory %g (want %g); RMS AU %g", conv.SI, conv.Equilibrium, conv.AUTheory, want, conv.RMSAU)
	}
	if tr := res.tensor("bn.weight"); tr.Equilibrium != "" || !math.IsNaN(tr.AUTheory) {
		t.Errorf("non-SI bn.weight has equilibrium %q theory %g", tr.Equilibrium, tr.AUTheory)
	}
	res = measureDir(t, Config{Dir: dir, LR: ptr(2), SI: regexp.MustCompile(`conv`)})
	if c := res.tensor("conv.weight"); c.Equilibrium != "false" {
		t.Errorf("with η 4× too large: equilibrium %q (RMS AU %g, theory %g)", c.Equilibrium, c.RMSAU, c.AUTheory)
	}
}

// TestPerNeuron checks the per-channel sums against the whole-tensor
// measurement of each channel's slice, for both channel axes.
func TestPerNeuron(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const c, inner = 5, 7
	a, b := make([]float64, c*inner), make([]float64, c*inner)
	for i := range a {
		a[i] = rng.NormFloat64()
		b[i] = a[i] + 0.05*rng.NormFloat64()
	}
	for _, axis := range []string{"first", "last"} {
		dir := t.TempDir()
		shape := []int{c, inner}
		if axis == "last" {
			shape = []int{inner, c}
		}
		meta := func(s int) map[string]string {
			return map[string]string{"step": strconv.Itoa(s), "lr": "0.1", "weight_decay": "0.01", "channel_axis": axis}
		}
		writeFile(t, filepath.Join(dir, "0.safetensors"), safetensors.F64, meta(0), tensor{"w", shape, a})
		writeFile(t, filepath.Join(dir, "1.safetensors"), safetensors.F64, meta(1), tensor{"w", shape, b})
		r, err := Scan(Config{Dir: dir, PerNeuron: true})
		if err != nil {
			t.Fatal(err)
		}
		var got []NeuronRow
		if _, err := r.Measure(context.Background(), Options{Neuron: func(n NeuronRow) error { got = append(got, n); return nil }}); err != nil {
			t.Fatal(err)
		}
		if len(got) != c {
			t.Fatalf("%s: %d neuron rows, want %d", axis, len(got), c)
		}
		for ch := range c {
			sa, sb := make([]float64, inner), make([]float64, inner)
			for j := range inner {
				i := ch*inner + j
				if axis == "last" {
					i = j*c + ch
				}
				sa[j], sb[j] = a[i], b[i]
			}
			want := measureDir(t, Config{Dir: twoFiles(t, safetensors.F64, sa, sb)}).Rows[0]
			if g := got[ch]; g.Channel != ch || math.Abs(g.AU-want.AU) > 1e-15 || math.Abs(g.Norm-want.Norm) > 1e-14 {
				t.Errorf("%s channel %d: AU %g norm %g, want %g %g", axis, ch, g.AU, g.Norm, want.AU, want.Norm)
			}
		}
	}
}

// TestScheduleAndSpans: steps from file names (no step metadata), the lr
// of every file (a schedule), spans > 1 kept apart, flags winning over
// metadata, and the integer tensor skipped with a note.
func TestScheduleAndSpans(t *testing.T) {
	dir := t.TempDir()
	run := sgdRun{eta: 0.1, lambda: 5e-3, sigma: 0.3, steps: 40, dt: safetensors.F32, seed: 10,
		etaAt: func(s int) float64 { return 0.1 / float64(1+s/20) }}
	run.save = map[int]bool{0: true, 1: true, 5: true, 20: true, 21: true, 40: true}
	run.write(t, dir)
	res := measureDir(t, Config{Dir: dir})
	spans := map[int]int{}
	for _, r := range res.Rows {
		if res.Tensors[r.Tensor].Name != "conv.weight" {
			continue
		}
		spans[r.Step] = r.Span
		if want := 0.1 / float64(1+r.Step/20); r.LR != want || math.Abs(r.EffLR-want/(r.Norm*r.Norm)) > 1e-15*r.EffLR {
			t.Errorf("step %d: lr %g eff_lr %g, want %g", r.Step, r.LR, r.EffLR, want)
		}
		if r.Span > 1 && !math.IsNaN(r.AUTheory) {
			t.Errorf("step %d span %d has a theory AU", r.Step, r.Span)
		}
	}
	if want := map[int]int{0: 1, 1: 4, 5: 15, 20: 1, 21: 19}; len(spans) != len(want) {
		t.Errorf("spans %v, want %v", spans, want)
	} else {
		for k, v := range want {
			if spans[k] != v {
				t.Errorf("spans %v, want %v", spans, want)
			}
		}
	}
	if c := res.tensor("conv.weight"); !c.SI || c.SIRatioN != 2 {
		t.Errorf("conv SI %v from %d ratios, want SI from the 2 per-step pairs", c.SI, c.SIRatioN)
	}
	noted := false
	for _, n := range res.Notes {
		noted = noted || strings.Contains(n, "bn.num_batches_tracked") && strings.Contains(n, "I64")
	}
	if !noted {
		t.Errorf("no note about the skipped integer tensor: %v", res.Notes)
	}
	r, err := Scan(Config{Dir: dir, LR: ptr(0.3)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Checkpoints[3].Hyper.LR != 0.3 || r.Sources[KeyLR] != "flag" || r.Sources[KeyMomentum] != "metadata" {
		t.Errorf("flag did not win: %+v, sources %v", r.Checkpoints[3].Hyper, r.Sources)
	}
}

// TestScanBadInput: the run-level bad inputs (the file-level ones are in
// internal/safetensors and cmd/smd): each error wraps ErrBadInput and
// names the file.
func TestScanBadInput(t *testing.T) {
	mk := func(save map[int]bool, mod func(*sgdRun)) string {
		dir := t.TempDir()
		run := sgdRun{eta: 0.1, lambda: 5e-3, sigma: 0.3, steps: 10, dt: safetensors.F32, seed: 11, save: save}
		if mod != nil {
			mod(&run)
		}
		run.write(t, dir)
		return dir
	}
	for _, c := range []struct {
		name string
		dir  string
		cfg  func(*Config)
		want string
	}{
		{"no consecutive", mk(map[int]bool{0: true, 2: true, 5: true}, nil), nil, "no two checkpoints at consecutive steps (steps 0, 2, 5)"},
		{"missing lr", mk(map[int]bool{0: true, 1: true}, func(r *sgdRun) { r.noLR = true }), nil, "ckpt_0.safetensors: missing lr: neither --lr nor __metadata__ \"lr\""},
		{"missing wd", mk(map[int]bool{0: true, 1: true}, func(r *sgdRun) { r.noWD = true }), nil, "missing weight_decay: neither --weight-decay"},
		{"one file", mk(map[int]bool{3: true}, nil), nil, "1 *.safetensors files"},
		{"bad optimizer", mk(map[int]bool{0: true, 1: true}, nil), func(c *Config) { c.Optimizer = "adam" }, "--optimizer"},
	} {
		cfg := Config{Dir: c.dir}
		if c.cfg != nil {
			c.cfg(&cfg)
		}
		_, err := Scan(cfg)
		if err == nil || !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want ErrBadInput containing %q", c.name, err, c.want)
		}
	}
	// Missing lr is fine when the flag gives it.
	if _, err := Scan(Config{Dir: mk(map[int]bool{0: true, 1: true}, func(r *sgdRun) { r.noLR = true }), LR: ptr(0.1)}); err != nil {
		t.Errorf("--lr given: %v", err)
	}
}

// TestAdamWNameRule: AdamW has no ratio identity, so the name rule decides
// (rank ≥ 3), and the theory is REQ's: AU √(2ηλ(1 − β₁)/(1 + β₁)) with
// PyTorch's β₁ = 0.9 by default, norm √(ηC/(2λ)).
func TestAdamWNameRule(t *testing.T) {
	dir := t.TempDir()
	run := sgdRun{eta: 0.1, lambda: 5e-3, sigma: 0.3, steps: 12, dt: safetensors.F32, seed: 12}
	run.save = pairs(run.steps, 4)
	run.write(t, dir)
	res := measureDir(t, Config{Dir: dir, Optimizer: AdamW})
	conv, fc := res.tensor("conv.weight"), res.tensor("fc.weight")
	if !conv.SI || conv.SISource != "name rule (adamw)" || fc.SI {
		t.Errorf("conv SI %v (%s), fc SI %v", conv.SI, conv.SISource, fc.SI)
	}
	wantAU := math.Sqrt(2 * 0.1 * 5e-3 * 0.1 / 1.9)
	wantNorm := math.Sqrt(0.1 * 216 / (2 * 5e-3))
	if math.Abs(conv.AUTheory-wantAU) > 1e-15 || math.Abs(conv.NormTheory-wantNorm) > 1e-12 {
		t.Errorf("AdamW theory AU %g norm %g, want %g %g", conv.AUTheory, conv.NormTheory, wantAU, wantNorm)
	}
	if r, _ := Scan(Config{Dir: dir, Optimizer: AdamW}); r.Sources[KeyBeta1] != "default" {
		t.Errorf("beta1 source %q, want default", r.Sources[KeyBeta1])
	}
}

// TestBF16TooCoarse: in BF16 storage the rounding bound 2⁻⁸/(ηλ) dwarfs
// ε_SI, so the ratio cannot decide and the name rule does, saying why; the
// angle itself is still measured from the BF16 values.
func TestBF16TooCoarse(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	a, b := rotated(rng, 64, 0.05, 0.999)
	bf := func(v []float64) []byte {
		out := make([]byte, 2*len(v))
		for i, x := range v {
			bits := (math.Float32bits(float32(x)) + 0x8000) >> 16 // round to bfloat16 (ties away; fine here)
			out[2*i], out[2*i+1] = byte(bits), byte(bits>>8)
		}
		return out
	}
	dir := t.TempDir()
	for s, v := range [][]float64{a, b} {
		p := filepath.Join(dir, strconv.Itoa(s)+".safetensors")
		es := []safetensors.Entry{{Name: "k", DType: safetensors.BF16, Shape: []int{4, 4, 2, 2}, Data: bf(v)}}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := safetensors.Write(f, es, map[string]string{"step": strconv.Itoa(s), "lr": "0.1", "weight_decay": "1e-3"}); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	res := measureDir(t, Config{Dir: dir})
	k := res.tensor("k")
	if !k.SI || !strings.Contains(k.SISource, "too coarse") {
		t.Errorf("SI %v by %q, want the name rule because the ratio is too coarse", k.SI, k.SISource)
	}
	// BF16 keeps 8 significant bits: each of a and b moves by ≤ 2⁻⁸ of its
	// norm, so the angle by ≤ 2·2⁻⁸ rad (absolute, not relative).
	if au := res.Rows[0].AU; math.Abs(au-0.05) > 0x1p-7 {
		t.Errorf("AU %g from BF16, want 0.05 ± 2⁻⁷", au)
	}
}

// TestStreams checks the memory claim: measuring a pair of 16 MiB float32
// checkpoints allocates about the chunk buffers (1 MiB) and the results, far
// less than one checkpoint — the tensors are never held whole.
func TestStreams(t *testing.T) {
	dir := t.TempDir()
	const n = 4 << 20
	rng := rand.New(rand.NewPCG(14, 14))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	meta := map[string]string{"step": "0", "lr": "0.1", "weight_decay": "1e-3"}
	writeFile(t, filepath.Join(dir, "0.safetensors"), safetensors.F32, meta, tensor{"w", []int{n}, v})
	for i := range v {
		v[i] += 0.01 * rng.NormFloat64()
	}
	meta["step"] = "1"
	writeFile(t, filepath.Join(dir, "1.safetensors"), safetensors.F32, meta, tensor{"w", []int{n}, v})
	r, err := Scan(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := r.Measure(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Errorf("measuring two 16 MiB checkpoints allocated %d bytes, want < 4 MiB (streaming)", got)
	}
}
