package main

import (
	"fmt"

	"github.com/smdlab/smd"
)

// VersionCmd prints the program version (module version and VCS revision).
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run(g *Globals) error {
	_, err := fmt.Fprintln(g.Stdout, smd.Version())
	return err
}
