package rng

import "math/rand/v2"

func newStdlib() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }
