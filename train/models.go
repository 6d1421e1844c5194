package train

import (
	"fmt"

	"github.com/gomlx/compute/shapes"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with its ops unqualified.
)

// Model names accepted by Config.Model.
const (
	ModelSmallCNN = "small-cnn"
	ModelResNet18 = "resnet18"
	ModelResNet50 = "resnet50"
	// ModelBNMLP and ModelFashionCNN are the Fashion-MNIST networks of
	// `smd reproduce fig3`.
	ModelBNMLP      = "bn-mlp"
	ModelFashionCNN = "fashion-cnn"
)

// ModelNames lists the models Config.Model accepts.
var ModelNames = []string{ModelSmallCNN, ModelResNet18, ModelResNet50, ModelBNMLP, ModelFashionCNN}

// ArchFor returns the network named by model with the given number of
// classes. zeroGamma initializes the last batch-norm γ of every residual
// branch to zero (Goyal et al. 2017, section 5.1).
func ArchFor(model string, classes int, zeroGamma bool) (Arch, error) {
	switch model {
	case ModelSmallCNN:
		return SmallCNN(classes), nil
	case ModelResNet18:
		return ResNet18(classes, zeroGamma), nil
	case ModelResNet50:
		return ResNet50(classes, zeroGamma), nil
	case ModelBNMLP:
		return BNMLP(classes, BNMLPWidths...), nil
	case ModelFashionCNN:
		return FashionCNN(classes), nil
	}
	return nil, fmt.Errorf("train: unknown model %q (want one of %v)", model, ModelNames)
}

// BNMLPWidths are the hidden widths of the bn-mlp model.
var BNMLPWidths = []int{256, 128}

// BNMLP is a multilayer perceptron normalized like the paper's networks:
// the image flattened, then per hidden width a bias-free linear layer,
// batch normalization and ReLU, then a dense classifier. Every hidden
// weight is followed by batch normalization, so it is scale-invariant; the
// classifier is not.
func BNMLP(classes int, widths ...int) Arch {
	return func(b *Builder, x *Node) *Node {
		d := x.Shape().Dimensions
		x = Reshape(x, d[0], d[1]*d[2]*d[3])
		for i, w := range widths {
			x = Relu(b.LinearBN(x, fmt.Sprintf("h%d", i+1), w))
		}
		return b.Dense(x, "fc", classes)
	}
}

// FashionCNN is a small normalized CNN for 28×28 grey images: 3×3
// convolutions with 32, 64 and 64 channels (strides 1, 2, 2: 28, 14 and 7
// pixels), each followed by batch normalization and ReLU, global average
// pooling and a dense classifier; its three kernels are scale-invariant.
func FashionCNN(classes int) Arch { return convBNNet(classes, [3]int{32, 64, 64}, [3]int{1, 2, 2}) }

// SmallCNN is a small normalized network for CPU runs on 32×32 images:
// three 3×3 convolutions (16, 32, 64 channels; strides 2, 2, 2: 16, 8 and
// 4 pixels), each followed by batch normalization and ReLU, global average
// pooling and a dense classifier. Its three kernels are scale-invariant.
func SmallCNN(classes int) Arch { return convBNNet(classes, [3]int{16, 32, 64}, [3]int{2, 2, 2}) }

// convBNNet is three 3×3 convolutions c1, c2, c3 with the given channels
// and strides, each followed by batch normalization and ReLU, then global
// average pooling and a dense classifier fc.
func convBNNet(classes int, channels, strides [3]int) Arch {
	return func(b *Builder, x *Node) *Node {
		for i := range 3 {
			x = Relu(b.ConvBN(x, fmt.Sprintf("c%d", i+1), 3, channels[i], strides[i], false))
		}
		return b.Dense(GlobalAvgPool(x), "fc", classes)
	}
}

// ResNet18 is the CIFAR variant of ResNet-18 (He et al. 2016) used in the
// paper's Figure 3: a 3×3 stem convolution with 64 channels and no max
// pooling, four stages of two basic blocks (64, 128, 256, 512 channels;
// strides 1, 2, 2, 2) with 1×1 projection shortcuts where the shape
// changes, global average pooling and a dense classifier. All 20
// convolutions are followed by batch normalization, so all are
// scale-invariant.
func ResNet18(classes int, zeroGamma bool) Arch {
	return func(b *Builder, x *Node) *Node {
		x = Relu(b.ConvBN(x, "stem", 3, 64, 1, false))
		widths := []int{64, 128, 256, 512}
		for s, w := range widths {
			for i := range 2 {
				stride := 1
				if i == 0 && s > 0 {
					stride = 2
				}
				x = basicBlock(b, x, fmt.Sprintf("layer%d.%d", s+1, i), w, stride, zeroGamma)
			}
		}
		return b.Dense(GlobalAvgPool(x), "fc", classes)
	}
}

func basicBlock(b *Builder, x *Node, name string, width, stride int, zeroGamma bool) *Node {
	out := Relu(b.ConvBN(x, name+"/a", 3, width, stride, false))
	out = b.ConvBN(out, name+"/b", 3, width, 1, zeroGamma)
	short := x
	if stride != 1 || x.Shape().Dimensions[3] != width {
		short = b.ConvBN(x, name+"/proj", 1, width, stride, false)
	}
	return Relu(Add(out, short))
}

// ResNet50 is ResNet-50 for ImageNet (He et al. 2016) as trained by Goyal
// et al. (2017) and in the paper's Figure 4: a 7×7 stride-2 stem with 64
// channels, 3×3 stride-2 max pooling, four stages of bottleneck blocks
// (3, 4, 6, 3 blocks; widths 64, 128, 256, 512, expansion 4; the stride on
// the 3×3 convolution), projection shortcuts on the first block of each
// stage, global average pooling and a dense classifier. All 53
// convolutions are scale-invariant.
//
// The pure-Go backend has no gradient for max pooling; train this network
// with the XLA backend.
func ResNet50(classes int, zeroGamma bool) Arch {
	return func(b *Builder, x *Node) *Node {
		x = Relu(b.ConvBN(x, "stem", 7, 64, 2, false))
		x = MaxPool3x3s2(x)
		blocks := []int{3, 4, 6, 3}
		widths := []int{64, 128, 256, 512}
		for s, n := range blocks {
			for i := range n {
				stride := 1
				if i == 0 && s > 0 {
					stride = 2
				}
				x = bottleneck(b, x, fmt.Sprintf("layer%d.%d", s+1, i), widths[s], stride, zeroGamma)
			}
		}
		return b.Dense(GlobalAvgPool(x), "fc", classes)
	}
}

// MaxPool3x3s2 is 3×3 max pooling with stride 2 and padding 1 of a
// non-negative NHWC tensor (ResNet50 pools right after a ReLU), written as
// the maximum of nine strided slices of the zero-padded input so that it has
// a gradient on every backend: the pure-Go backend has none for its pooling
// op, nor for Pad. On non-negative inputs zero padding gives max pooling's
// values; the gradient goes to the maximal element, as max pooling's does,
// except on exact ties (where the ReLU's gradient is 0 anyway when the tie
// is at 0).
func MaxPool3x3s2(x *Node) *Node {
	dims := x.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	ho, wo := (h-1)/2+1, (w-1)/2+1
	g := x.Graph()
	zrow := Zeros(g, shapes.Make(x.DType(), b, 1, w, c))
	x = Concatenate([]*Node{zrow, x, zrow}, 1)
	zcol := Zeros(g, shapes.Make(x.DType(), b, h+2, 1, c))
	x = Concatenate([]*Node{zcol, x, zcol}, 2)
	var out *Node
	for dy := range 3 {
		for dx := range 3 {
			s := Slice(x, AxisRange(), AxisRange(dy, dy+2*(ho-1)+1).Stride(2), AxisRange(dx, dx+2*(wo-1)+1).Stride(2), AxisRange())
			if out == nil {
				out = s
			} else {
				out = Max(out, s)
			}
		}
	}
	return out
}

func bottleneck(b *Builder, x *Node, name string, width, stride int, zeroGamma bool) *Node {
	const expansion = 4
	out := Relu(b.ConvBN(x, name+"/a", 1, width, 1, false))
	out = Relu(b.ConvBN(out, name+"/b", 3, width, stride, false))
	out = b.ConvBN(out, name+"/c", 1, width*expansion, 1, zeroGamma)
	short := x
	if stride != 1 || x.Shape().Dimensions[3] != width*expansion {
		short = b.ConvBN(x, name+"/proj", 1, width*expansion, stride, false)
	}
	return Relu(Add(out, short))
}
