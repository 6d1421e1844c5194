package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/smdlab/smd"
)

// `smd` alone prints the whole command list (every subcommand of the cli
// struct, read by reflection so that new ones are covered) and exits 0.
func TestNoArgsListsAllCommands(t *testing.T) {
	code, out, errOut := runCLI(t)
	if code != 0 {
		t.Fatalf("smd alone: exit %d, stderr %q", code, errOut)
	}
	ty := reflect.TypeFor[cli]()
	n := 0
	for i := range ty.NumField() {
		f := ty.Field(i)
		if _, ok := f.Tag.Lookup("cmd"); !ok {
			continue
		}
		n++
		name := strings.ToLower(f.Name)
		if tag, ok := f.Tag.Lookup("name"); ok {
			name = tag
		}
		if !strings.Contains(out, "  "+name+" ") {
			t.Errorf("smd alone does not list %q:\n%s", name, out)
		}
	}
	if n < 6 {
		t.Fatalf("found only %d subcommands in the cli struct", n)
	}
}

// `smd --version` prints what `smd version` prints, exit 0, also after a
// subcommand name.
func TestVersionFlag(t *testing.T) {
	want := smd.Version() + "\n"
	for _, args := range [][]string{{"--version"}, {"version"}, {"simulate", "--version"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || out != want {
			t.Errorf("smd %s: exit %d, stdout %q (want %q), stderr %q", strings.Join(args, " "), code, out, want, errOut)
		}
	}
}
