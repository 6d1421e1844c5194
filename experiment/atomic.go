package experiment

import (
	"io"

	"github.com/smdlab/smd/internal/outdir"
)

// WriteAtomic writes one file through write into a temporary file of the
// same directory and renames it onto path, so that a killed run never
// leaves a half file behind; the directory must exist. Files are created
// with mode 0644 less the umask. A run's whole output folder is written
// with package internal/outdir instead (WriteOutputs), so that its files
// appear together.
func WriteAtomic(path string, write func(w io.Writer) error) error {
	return outdir.WriteAtomic(path, write)
}
