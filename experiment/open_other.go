//go:build !unix

package experiment

import "os"

// openMatrixFlags: no FIFOs to guard against beyond the Stat here.
const openMatrixFlags = os.O_RDONLY
