package train

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with its ops unqualified.
)

// Kind says what role a state tensor plays in a network.
type Kind int

// Kinds of state tensor.
const (
	KindConv  Kind = iota // convolution kernel [kh, kw, cin, cout]
	KindDense             // dense weight [in, out]
	KindBias              // dense bias [out]
	KindGamma             // batch-norm scale [c]
	KindBeta              // batch-norm shift [c]
	KindMean              // batch-norm running mean [c] (not trained)
	KindVar               // batch-norm running variance [c] (not trained)
	// KindLinear is a bias-free dense weight [in, out] followed by
	// normalization (scale-invariant), initialized like a convolution
	// kernel (Kaiming normal).
	KindLinear
)

func (k Kind) String() string {
	switch k {
	case KindConv:
		return "conv"
	case KindDense:
		return "dense"
	case KindBias:
		return "bias"
	case KindGamma:
		return "gamma"
	case KindBeta:
		return "beta"
	case KindMean:
		return "mean"
	case KindVar:
		return "var"
	case KindLinear:
		return "linear"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Trainable reports whether SGD updates tensors of this kind.
func (k Kind) Trainable() bool { return k != KindMean && k != KindVar }

// Param describes one state tensor of a network: a trainable weight or a
// batch-norm running statistic.
type Param struct {
	Name string
	Dims []int
	Kind Kind
	// FanIn is the number of inputs feeding one output unit (kh·kw·cin for a
	// convolution, in for a dense layer): Kaiming's std is √(2/FanIn).
	FanIn int
	// ScaleInvariant is set for weights followed by normalization: the loss
	// does not change when they are multiplied by a positive constant.
	ScaleInvariant bool
	// ZeroInit asks for a zero initial value (Goyal et al.'s zero-γ for the
	// last batch norm of a residual branch); ones otherwise for a γ.
	ZeroInit bool
}

// Size is the number of elements.
func (p Param) Size() int {
	n := 1
	for _, d := range p.Dims {
		n *= d
	}
	return n
}

// Arch builds a network's logits from a batch of images [B, H, W, C]. It is
// called once per graph (training step, evaluation), always creating the
// same state tensors in the same order through the builder.
type Arch func(b *Builder, x *Node) *Node

// Builder creates the state tensors of a network as graph parameters while
// the network's forward pass is built, and holds the batch-norm statistics
// updates of a training graph.
type Builder struct {
	g        *Graph
	training bool
	// BNMomentum is the weight of the batch statistic in the running
	// average (PyTorch's 0.1); BNEpsilon is added to the variance.
	bnMomentum, bnEpsilon float64

	specs   []Param
	nodes   []*Node
	updates map[int]*Node // state index → new value (running statistics)

	// conv computes the convolutions; nil means Conv2D. Only the test
	// comparing against GoMLX's Convolve sets it.
	conv convFunc
}

// convFunc computes a bias-free convolution of x [B, H, W, Cin] with kernel
// [kh, kw, Cin, Cout], stride and zero padding (Conv2D's contract).
type convFunc func(x, kernel *Node, stride, pad int) *Node

func newBuilder(g *Graph, training bool) *Builder {
	return &Builder{g: g, training: training, bnMomentum: 0.1, bnEpsilon: 1e-5, updates: map[int]*Node{}}
}

func (b *Builder) param(p Param) *Node {
	n := Parameter(b.g, p.Name, shapes.Make(dtypes.Float32, p.Dims...))
	b.specs = append(b.specs, p)
	b.nodes = append(b.nodes, n)
	return n
}

// Conv is a bias-free 2-D convolution with a k×k kernel, the given stride
// and symmetric zero padding k/2 (PyTorch's convention). scaleInvariant
// marks a kernel followed by batch normalization.
func (b *Builder) Conv(x *Node, name string, k, cout, stride int, scaleInvariant bool) *Node {
	cin := x.Shape().Dimensions[3]
	w := b.param(Param{Name: name, Dims: []int{k, k, cin, cout}, Kind: KindConv, FanIn: k * k * cin, ScaleInvariant: scaleInvariant})
	conv := b.conv
	if conv == nil {
		conv = Conv2D
	}
	return conv(x, w, stride, k/2)
}

// BN is batch normalization over the batch and spatial axes of an NHWC
// tensor, with a learned scale γ and shift β. A training graph normalizes
// with the batch statistics and records running averages (unbiased
// variance); an evaluation graph uses the running averages. zeroGamma
// initializes γ to 0 instead of 1.
func (b *Builder) BN(x *Node, name string, zeroGamma bool) *Node {
	c := x.Shape().Dimensions[x.Rank()-1]
	gamma := b.param(Param{Name: name + "/gamma", Dims: []int{c}, Kind: KindGamma, ZeroInit: zeroGamma})
	beta := b.param(Param{Name: name + "/beta", Dims: []int{c}, Kind: KindBeta})
	iMean := len(b.nodes)
	runMean := b.param(Param{Name: name + "/mean", Dims: []int{c}, Kind: KindMean})
	iVar := len(b.nodes)
	runVar := b.param(Param{Name: name + "/var", Dims: []int{c}, Kind: KindVar})
	axes := make([]int, x.Rank()-1)
	bshape := make([]int, x.Rank())
	n := 1
	for i := range axes {
		axes[i] = i
		bshape[i] = 1
		n *= x.Shape().Dimensions[i]
	}
	bshape[x.Rank()-1] = c
	var mean, variance *Node
	if b.training {
		mean = ReduceMean(x, axes...)
		centered := Sub(x, Reshape(mean, bshape...))
		variance = ReduceMean(Square(centered), axes...)
		m := b.bnMomentum
		unbiased := variance
		if n > 1 {
			unbiased = MulScalar(variance, float64(n)/float64(n-1))
		}
		b.updates[iMean] = Add(MulScalar(StopGradient(runMean), 1-m), MulScalar(StopGradient(mean), m))
		b.updates[iVar] = Add(MulScalar(StopGradient(runVar), 1-m), MulScalar(StopGradient(unbiased), m))
	} else {
		mean, variance = runMean, runVar
	}
	scale := Div(gamma, Sqrt(AddScalar(variance, b.bnEpsilon))) // Rsqrt has no gradient in GoMLX v0.28
	return Add(Mul(Sub(x, Reshape(mean, bshape...)), Reshape(scale, bshape...)), Reshape(beta, bshape...))
}

// ConvBN is a scale-invariant convolution followed by batch normalization.
func (b *Builder) ConvBN(x *Node, name string, k, cout, stride int, zeroGamma bool) *Node {
	return b.BN(b.Conv(x, name+"/conv", k, cout, stride, true), name+"/bn", zeroGamma)
}

// Dense is an affine layer x·W + c on a [B, in] tensor.
func (b *Builder) Dense(x *Node, name string, out int) *Node {
	in := x.Shape().Dimensions[1]
	w := b.param(Param{Name: name + "/w", Dims: []int{in, out}, Kind: KindDense, FanIn: in})
	c := b.param(Param{Name: name + "/b", Dims: []int{out}, Kind: KindBias, FanIn: in})
	return Add(Dot(x, w).Product(), Reshape(c, 1, out))
}

// Linear is a bias-free dense layer x·W on a [B, in] tensor; scaleInvariant
// marks a weight followed by batch normalization (a bias would be removed
// by it anyway).
func (b *Builder) Linear(x *Node, name string, out int, scaleInvariant bool) *Node {
	in := x.Shape().Dimensions[1]
	w := b.param(Param{Name: name, Dims: []int{in, out}, Kind: KindLinear, FanIn: in, ScaleInvariant: scaleInvariant})
	return Dot(x, w).Product()
}

// LinearBN is a scale-invariant linear layer followed by batch
// normalization over the batch axis.
func (b *Builder) LinearBN(x *Node, name string, out int) *Node {
	return b.BN(b.Linear(x, name+"/w", out, true), name+"/bn", false)
}

// Relu is max(x, 0).
func Relu(x *Node) *Node { return Max(x, ZerosLike(x)) }

// GlobalAvgPool averages an NHWC tensor over its spatial axes: [B, C].
func GlobalAvgPool(x *Node) *Node { return ReduceMean(x, 1, 2) }
