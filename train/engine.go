package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with its ops unqualified.
	"github.com/gomlx/gomlx/core/tensors"
)

// Hyper are the optimizer's per-step hyper-parameters: η and λ for the
// scale-invariant weights (EtaSI, LambdaSI) and for all other trainable
// tensors (Eta, Lambda). They differ only under the Corollary 3 transform.
type Hyper struct {
	EtaSI, LambdaSI float64
	Eta, Lambda     float64
}

// LayerStat is the measurement of one SGD step on one scale-invariant weight.
type LayerStat struct {
	// AU is the angular update ∠(w_t, w_{t+1}) in radians.
	AU float64
	// Norm is ‖w_t‖ before the step.
	Norm float64
}

// Net is a network compiled for one batch shape on one backend, with its
// state (weights, batch-norm statistics, momentum buffers) held as tensors
// between steps. Each SGD step runs as one graph: forward pass, gradient,
// weight decay, momentum and update.
type Net struct {
	backend  compute.Backend
	arch     Arch
	batch    int
	dims     [3]int // H, W, C of an image
	momentum float64
	conv     convFunc // nil: Conv2D

	// Specs lists the state tensors in graph order; SI indexes the
	// scale-invariant ones, Trainable the trained ones.
	Specs     []Param
	SI        []int
	Trainable []int

	state    []*tensors.Tensor
	velocity []*tensors.Tensor // parallel to Trainable; nil without momentum

	step, measure *Graph
	eval          map[int]*Graph
}

// numHyper is the number of scalar inputs of a step graph (Hyper's fields).
const numHyper = 4

// NewNet builds and compiles the training graphs of arch for batches of
// batch images of h×w×c. μ is the momentum (0 for plain SGD).
func NewNet(backend compute.Backend, arch Arch, batch, h, w, c int, momentum float64) (n *Net, err error) {
	return newNet(backend, arch, batch, h, w, c, momentum, nil)
}

// newNet is NewNet with the convolutions computed by conv (nil: Conv2D).
func newNet(backend compute.Backend, arch Arch, batch, h, w, c int, momentum float64, conv convFunc) (n *Net, err error) {
	n = &Net{backend: backend, arch: arch, batch: batch, dims: [3]int{h, w, c}, momentum: momentum, conv: conv, eval: map[int]*Graph{}}
	err = catch(func() {
		n.step = n.buildStep(false)
		n.measure = n.buildStep(true)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// catch turns a GoMLX panic into an error.
func catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("train: %w", e)
				return
			}
			err = fmt.Errorf("train: %v", r)
		}
	}()
	fn()
	return nil
}

// buildStep builds one SGD step. Inputs: images [B,H,W,C], labels [B],
// the four Hyper scalars, the state, the velocities. Outputs: the batch's
// mean loss, the new state, the new velocities and, when measuring, a
// [len(SI), 2] float64 tensor of (AU, ‖w_t‖) per scale-invariant weight.
func (n *Net) buildStep(measure bool) *Graph {
	g := NewGraph(n.backend, "sgd_step")
	if measure {
		g = g.WithName("sgd_step_measure")
	}
	x := Parameter(g, "images", shapes.Make(dtypes.Float32, n.batch, n.dims[0], n.dims[1], n.dims[2]))
	labels := Parameter(g, "labels", shapes.Make(dtypes.Int32, n.batch))
	hyper := make([]*Node, numHyper)
	for i := range hyper {
		hyper[i] = Parameter(g, fmt.Sprintf("hyper%d", i), shapes.Make(dtypes.Float32))
	}
	b := newBuilder(g, true)
	b.conv = n.conv
	logits := n.arch(b, x)
	loss := crossEntropy(logits, labels)
	if n.Specs == nil {
		n.Specs = b.specs
		for i, p := range b.specs {
			if p.Kind.Trainable() {
				n.Trainable = append(n.Trainable, i)
			}
			if p.ScaleInvariant {
				n.SI = append(n.SI, i)
			}
		}
	} else if len(n.Specs) != len(b.specs) {
		panic("train: architecture built a different set of tensors")
	}
	var vel []*Node
	if n.momentum != 0 {
		for _, i := range n.Trainable {
			vel = append(vel, Parameter(g, "velocity/"+n.Specs[i].Name, b.nodes[i].Shape()))
		}
	}
	weights := make([]*Node, len(n.Trainable))
	for k, i := range n.Trainable {
		weights[k] = b.nodes[i]
	}
	grads := Gradient(loss, weights...)

	newState := make([]*Node, len(b.nodes))
	copy(newState, b.nodes)
	for i, u := range b.updates {
		newState[i] = u
	}
	delta := make(map[int]*Node, len(n.Trainable))
	var newVel []*Node
	for k, i := range n.Trainable {
		eta, lambda := hyper[2], hyper[3]
		if n.Specs[i].ScaleInvariant {
			eta, lambda = hyper[0], hyper[1]
		}
		w := b.nodes[i]
		d := Add(grads[k], Mul(lambda, w)) // g + λw
		if vel != nil {
			v := Add(MulScalar(vel[k], n.momentum), d) // v ← μv + g + λw
			newVel = append(newVel, v)
			d = v
		}
		d = Neg(Mul(eta, d)) // Δw = −η v
		delta[i] = d
		newState[i] = Add(w, d)
	}
	outputs := append([]*Node{loss}, newState...)
	outputs = append(outputs, newVel...)
	if measure {
		stats := make([]*Node, len(n.SI))
		for k, i := range n.SI {
			stats[k] = angularUpdate(b.nodes[i], delta[i])
		}
		outputs = append(outputs, Stack(stats, 0))
	}
	if err := g.Compile(outputs...); err != nil {
		panic(err)
	}
	return g
}

// angularUpdate returns [∠(w, w+d), ‖w‖] in float64. The angle is
// atan2(‖d⊥‖, ‖w‖ + ⟨d, ŵ⟩), where d⊥ = d − ⟨d, ŵ⟩ŵ is the part of the
// update perpendicular to w (which is also the part of w+d perpendicular
// to w): no small-angle approximation, and no cancellation between two
// nearly equal norms.
func angularUpdate(w, d *Node) *Node {
	w = ConvertDType(w, dtypes.Float64)
	d = ConvertDType(d, dtypes.Float64)
	nw2 := ReduceAllSum(Square(w))
	dot := ReduceAllSum(Mul(w, d))
	perp := Sub(d, Mul(Div(dot, nw2), w))
	pn := Sqrt(ReduceAllSum(Square(perp)))
	nw := Sqrt(nw2)
	along := Add(nw, Div(dot, nw))
	return Stack([]*Node{Atan2(pn, along), nw}, 0)
}

// crossEntropy is the mean softmax cross-entropy of logits [B, K] against
// integer labels [B].
func crossEntropy(logits, labels *Node) *Node {
	k := logits.Shape().Dimensions[1]
	logp := LogSoftmax(logits, 1)
	picked := ReduceSum(Mul(logp, OneHot(labels, k, logp.DType())), 1)
	return Neg(ReduceAllMean(picked))
}

// buildEval builds the evaluation graph for batches of size bsz: inputs
// images, labels and the state; outputs the summed loss and the number of
// correct top-1 predictions, using the batch-norm running statistics.
func (n *Net) buildEval(bsz int) *Graph {
	g := NewGraph(n.backend, "eval")
	x := Parameter(g, "images", shapes.Make(dtypes.Float32, bsz, n.dims[0], n.dims[1], n.dims[2]))
	labels := Parameter(g, "labels", shapes.Make(dtypes.Int32, bsz))
	b := newBuilder(g, false)
	b.conv = n.conv
	logits := n.arch(b, x)
	if len(b.specs) != len(n.Specs) {
		panic("train: architecture built a different set of tensors")
	}
	loss := MulScalar(crossEntropy(logits, labels), float64(bsz))
	pred := ArgMax(logits, 1, dtypes.Int32)
	correct := ReduceAllSum(ConvertDType(Equal(pred, labels), dtypes.Float32))
	if err := g.Compile(loss, correct); err != nil {
		panic(err)
	}
	return g
}

// Init draws a fresh state from rng: convolution kernels and linear
// weights followed by normalization N(0, σ²) with
// σ = scale·initStd, or scale·√(2/fan_in) (Kaiming) when initStd is 0,
// scale-invariant kernels then multiplied by k (the Corollary 3 factor, 1
// for none); dense
// weights and biases U(−1/√fan_in, 1/√fan_in) (PyTorch's default); γ = 1
// (0 where zero-initialized), β = 0, running mean 0 and variance 1.
// Momentum buffers start at zero.
func (n *Net) Init(rng *rand.Rand, initStd, scale, k float64) {
	for _, t := range n.state {
		t.FinalizeAll()
	}
	for _, t := range n.velocity {
		t.FinalizeAll()
	}
	n.state = make([]*tensors.Tensor, len(n.Specs))
	for i, p := range n.Specs {
		v := make([]float32, p.Size())
		switch p.Kind {
		case KindConv, KindLinear:
			std := initStd
			if std == 0 {
				std = math.Sqrt(2 / float64(p.FanIn))
			}
			std *= scale
			if p.ScaleInvariant {
				std *= k
			}
			for j := range v {
				v[j] = float32(std * rng.NormFloat64())
			}
		case KindDense, KindBias:
			bound := 1 / math.Sqrt(float64(p.FanIn))
			for j := range v {
				v[j] = float32(bound * (2*rng.Float64() - 1))
			}
		case KindGamma:
			if !p.ZeroInit {
				for j := range v {
					v[j] = 1
				}
			}
		case KindVar:
			for j := range v {
				v[j] = 1
			}
		}
		n.state[i] = tensors.FromFlatDataAndDimensions(v, p.Dims...)
	}
	n.velocity = nil
	if n.momentum != 0 {
		for _, i := range n.Trainable {
			n.velocity = append(n.velocity, tensors.FromFlatDataAndDimensions(make([]float32, n.Specs[i].Size()), n.Specs[i].Dims...))
		}
	}
}

// Step runs one SGD step on a batch (images NHWC, flat; labels) and returns
// the batch's mean loss before the step. With measure set it also returns
// the angular update and norm of every scale-invariant weight (in SI
// order); stats must then have len(SI) elements.
func (n *Net) Step(images []float32, labels []int32, h Hyper, measure bool, stats []LayerStat) (loss float64, err error) {
	if len(images) != n.batch*n.dims[0]*n.dims[1]*n.dims[2] || len(labels) != n.batch {
		return 0, fmt.Errorf("train: batch of %d images/%d labels, want %d", len(images)/(n.dims[0]*n.dims[1]*n.dims[2]), len(labels), n.batch)
	}
	g := n.step
	if measure {
		g = n.measure
		if len(stats) != len(n.SI) {
			return 0, fmt.Errorf("train: stats has %d slots for %d scale-invariant weights", len(stats), len(n.SI))
		}
	}
	inputs := make([]any, 0, 2+numHyper+len(n.state)+len(n.velocity))
	inputs = append(inputs,
		tensors.FromFlatDataAndDimensions(images, n.batch, n.dims[0], n.dims[1], n.dims[2]),
		tensors.FromFlatDataAndDimensions(labels, n.batch))
	for _, v := range []float64{h.EtaSI, h.LambdaSI, h.Eta, h.Lambda} {
		inputs = append(inputs, tensors.FromFlatDataAndDimensions([]float32{float32(v)}))
	}
	for _, t := range n.state {
		inputs = append(inputs, t)
	}
	for _, t := range n.velocity {
		inputs = append(inputs, t)
	}
	var out []*tensors.Tensor
	if err := catch(func() { out = g.Run(inputs...) }); err != nil {
		return 0, err
	}
	loss = float64(tensors.MustCopyFlatData[float32](out[0])[0])
	old := n.state
	n.state = out[1 : 1+len(n.state)]
	for _, t := range old {
		t.FinalizeAll()
	}
	rest := out[1+len(old):]
	if n.velocity != nil {
		oldV := n.velocity
		n.velocity = rest[:len(oldV)]
		for _, t := range oldV {
			t.FinalizeAll()
		}
		rest = rest[len(oldV):]
	}
	if measure {
		s := tensors.MustCopyFlatData[float64](rest[0])
		for k := range stats {
			stats[k] = LayerStat{AU: s[2*k], Norm: s[2*k+1]}
		}
		rest[0].FinalizeAll()
	}
	out[0].FinalizeAll()
	return loss, nil
}

// Eval returns the summed loss and the number of correct predictions on a
// batch of bsz images, in inference mode (batch-norm running statistics).
func (n *Net) Eval(images []float32, labels []int32) (lossSum, correct float64, err error) {
	bsz := len(labels)
	err = catch(func() {
		g, ok := n.eval[bsz]
		if !ok {
			g = n.buildEval(bsz)
			n.eval[bsz] = g
		}
		inputs := make([]any, 0, 2+len(n.state))
		inputs = append(inputs,
			tensors.FromFlatDataAndDimensions(images, bsz, n.dims[0], n.dims[1], n.dims[2]),
			tensors.FromFlatDataAndDimensions(labels, bsz))
		for _, t := range n.state {
			inputs = append(inputs, t)
		}
		out := g.Run(inputs...)
		lossSum = float64(tensors.MustCopyFlatData[float32](out[0])[0])
		correct = float64(tensors.MustCopyFlatData[float32](out[1])[0])
		out[0].FinalizeAll()
		out[1].FinalizeAll()
	})
	return lossSum, correct, err
}

// Weights returns a float64 copy of state tensor i.
func (n *Net) Weights(i int) []float64 {
	f := tensors.MustCopyFlatData[float32](n.state[i])
	w := make([]float64, len(f))
	for j, v := range f {
		w[j] = float64(v)
	}
	return w
}

// Rescale multiplies every scale-invariant weight by c (the rescale
// strategy uses c = k^{-1/4} when η is divided by k). Momentum buffers are
// left as they are.
func (n *Net) Rescale(c float64) {
	for _, i := range n.SI {
		f := tensors.MustCopyFlatData[float32](n.state[i])
		for j, v := range f {
			f[j] = float32(c * float64(v))
		}
		n.state[i].FinalizeAll()
		n.state[i] = tensors.FromFlatDataAndDimensions(f, n.Specs[i].Dims...)
	}
}

// Finalize frees the compiled graphs and state.
func (n *Net) Finalize() {
	for _, t := range n.state {
		t.FinalizeAll()
	}
	for _, t := range n.velocity {
		t.FinalizeAll()
	}
	n.state, n.velocity = nil, nil
	n.step.Finalize()
	n.measure.Finalize()
	for _, g := range n.eval {
		g.Finalize()
	}
}
