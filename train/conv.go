package train

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph code reads best with its ops unqualified.
)

// Conv2D is a bias-free 2-D convolution of an NHWC tensor x [B, H, W, Cin]
// with a kernel [kh, kw, Cin, Cout], the given stride on both spatial axes
// and symmetric zero padding pad: the output is [B, Ho, Wo, Cout] with
// Ho = (H + 2·pad − kh)/stride + 1 (and likewise Wo), out[b, i, j, o] =
// Σ_{dy, dx, c} xpad[b, stride·i + dy, stride·j + dx, c]·kernel[dy, dx, c, o]
// — the cross-correlation that GoMLX's Convolve and PyTorch's conv2d
// compute.
//
// It is written as im2col and one matrix product, so that the work lands in
// the backend's matmul kernel: GoMLX's Convolve op is a scalar loop on the
// pure-Go backend (0.19 GFLOP/s forward and backward for a 64→64 3×3 layer,
// against 2.4 GFLOP/s this way, 6 with GOEXPERIMENT=simd; docs/train.md).
// Every op used has a gradient on every backend: the zero padding is a
// Concatenate with Zeros blocks (the pure-Go backend has no gradient for
// Pad), the kh·kw windows are strided Slices, concatenated on the channel
// axis in (dy, dx, c) order to match the kernel's row-major layout, and the
// patch tensor [B·Ho·Wo, kh·kw·Cin] is multiplied by the kernel reshaped to
// [kh·kw·Cin, Cout] in a single Dot. (Nine shifted 1×1 Dots, one per window,
// avoid the patch copy but deadlocked the pure-Go backend's parallel
// executor: independent matmul nodes took all of its shared worker slots and
// waited on each other.) A 1×1 convolution needs no patches: a strided
// Slice when stride > 1, then the Dot.
func Conv2D(x, kernel *Node, stride, pad int) *Node {
	if x.Rank() != 4 || kernel.Rank() != 4 {
		panic(fmt.Errorf("Conv2D: input %s and kernel %s must both have rank 4", x.Shape(), kernel.Shape()))
	}
	dims, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	b, h, w, cin := dims[0], dims[1], dims[2], dims[3]
	kh, kw, cout := kd[0], kd[1], kd[3]
	if kd[2] != cin || stride < 1 || pad < 0 {
		panic(fmt.Errorf("Conv2D: input %s, kernel %s, stride %d, padding %d", x.Shape(), kernel.Shape(), stride, pad))
	}
	hp, wp := h+2*pad, w+2*pad
	if hp < kh || wp < kw {
		panic(fmt.Errorf("Conv2D: padded input %d×%d smaller than the %d×%d kernel", hp, wp, kh, kw))
	}
	ho, wo := (hp-kh)/stride+1, (wp-kw)/stride+1
	if pad > 0 {
		g := x.Graph()
		zrow := Zeros(g, shapes.Make(x.DType(), b, pad, w, cin))
		x = Concatenate([]*Node{zrow, x, zrow}, 1)
		zcol := Zeros(g, shapes.Make(x.DType(), b, hp, pad, cin))
		x = Concatenate([]*Node{zcol, x, zcol}, 2)
	}
	windows := make([]*Node, 0, kh*kw)
	for dy := range kh {
		for dx := range kw {
			s := x
			if stride != 1 || ho != hp || wo != wp {
				s = Slice(x, AxisRange(),
					AxisRange(dy, dy+stride*(ho-1)+1).Stride(stride),
					AxisRange(dx, dx+stride*(wo-1)+1).Stride(stride),
					AxisRange())
			}
			windows = append(windows, s)
		}
	}
	patches := windows[0]
	if len(windows) > 1 {
		patches = Concatenate(windows, 3)
	}
	out := Dot(Reshape(patches, b*ho*wo, kh*kw*cin), Reshape(kernel, kh*kw*cin, cout)).Product()
	return Reshape(out, b, ho, wo, cout)
}
