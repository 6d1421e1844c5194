// Package train trains real normalized networks (ResNet18 on CIFAR-10,
// ResNet50 on ImageNet, a small normalized CNN for CPU runs) with plain SGD
// and weight decay, and measures their spherical motion dynamics per
// scale-invariant layer: the angular update Δ_t = ∠(w_t, w_{t+1}), the weight
// norm ‖w_t‖ and the effective learning rate η/‖w_t‖², against the
// equilibrium value √(2λη) (√(2λη/(1+μ)) with momentum μ). It reproduces the
// real-data experiments of the NRQ paper (section 4, Figures 3 and 4).
//
// It is the only package of the module that imports GoMLX
// (github.com/gomlx/gomlx v0.28.2). Computation runs on the backend named by
// $GOMLX_BACKEND; the default is the pure-Go backend with sequential op
// execution (DefaultBackend, "go:ops_sequential"), which needs no
// C library. The XLA backend (PJRT plugins, e.g. CUDA) is compiled in with
// the build tag "xla" and selected with GOMLX_BACKEND=xla:cuda.
//
// A weight is scale-invariant when it is followed by batch normalization:
// every convolution kernel of the models here. The rescale strategy of
// Wan et al. (2021) divides exactly those weights by k^{1/4} when the
// learning rate is divided by k.
package train
