//go:build !linux

package outdir

// exchange swaps the folders tmp and final by two renames (no atomic
// exchange outside Linux here).
func exchange(tmp, final string) error { return swapByRenames(tmp, final) }
