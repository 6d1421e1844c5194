// Package rng provides the fast random numbers of the simulators' hot loops:
// a xoshiro256++ generator whose stream for trial i is derived from
// (seed, i), and a 256-layer ziggurat sampler for standard normals that fills
// whole buffers at a time.
//
// The ziggurat is Marsaglia & Tsang, "The Ziggurat Method for Generating
// Random Variables", J. Stat. Softw. 5(8), 2000, in the form of Doornik,
// "An Improved Ziggurat Method to Generate Normal Random Samples", 2005
// (one 64-bit draw gives both the layer index and an independent 53-bit
// uniform). xoshiro256++ is Blackman & Vigna, "Scrambled Linear Pseudorandom
// Number Generators", ACM TOMS 47(4), 2021.
package rng
