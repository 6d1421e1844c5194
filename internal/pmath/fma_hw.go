//go:build amd64 || arm64

package pmath

import "math"

// fma returns a·b + c rounded once: math.FMA, which the compiler turns
// into the CPU's fused multiply-add on arm64 and, behind a CPU check, on
// amd64 (8× faster for Exp than the emulation in fma_soft.go, measured
// with BenchmarkExp; both equal math.FMA, TestFMA).
func fma(a, b, c float64) float64 { return math.FMA(a, b, c) }
