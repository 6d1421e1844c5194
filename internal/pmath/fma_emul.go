//go:build !(amd64 || arm64)

package pmath

func fma(a, b, c float64) float64 { return fmaEmul(a, b, c) }
