//go:build !(js && wasm)

package explore

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/internal/outdir"
)

//go:embed web
var web embed.FS

// WasmPackage is the main package built into smd.wasm.
const WasmPackage = "./explore/wasm"

// SiteFiles lists what WriteSite writes: the page, its script and worker,
// Go's wasm_exec.js, the engine and the native speed reference.
var SiteFiles = []string{"index.html", "app.js", "worker.js", "wasm_exec.js", "smd.wasm", "native.json"}

// SourceDir returns the root of the smd module this binary was built from,
// found from this file's compiled-in path: the checkout for `go run
// ./cmd/smd` and `go install ./cmd/smd`, the module cache for `go install
// github.com/smdlab/smd/cmd/smd@version`. A -trimpath build has no such
// path.
func SourceDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return "", errors.New("this smd binary does not know its source directory (built with -trimpath?); run `go run ./cmd/smd explore` in a clone of the smd repository")
	}
	dir := filepath.Dir(filepath.Dir(file))
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !bytes.HasPrefix(mod, []byte("module github.com/smdlab/smd\n")) {
		return "", fmt.Errorf("the smd source this binary was built from is no longer at %s; run `go run ./cmd/smd explore` in a clone of the smd repository", dir)
	}
	return dir, nil
}

// goCommand returns the go command on PATH (runtime.GOROOT, deprecated
// since Go 1.24, is not consulted: it names the build machine's toolchain).
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	return "", errors.New("smd explore builds smd.wasm from the smd source with the Go toolchain, but no `go` command is on PATH")
}

// BuildWasm builds smd.wasm (GOOS=js GOARCH=wasm go build WasmPackage) from
// the module source into wasmPath and copies that toolchain's wasm_exec.js
// (the JavaScript half of the same Go release) to jsPath, both mode 0644.
// It writes the two paths in place: WriteSite gives it paths inside the
// site's output set, which appears as a whole. Go's build cache makes a
// rebuild of unchanged source take about a second; the first build takes
// about 20 CPU-seconds.
func BuildWasm(ctx context.Context, wasmPath, jsPath string) error {
	src, err := SourceDir()
	if err != nil {
		return err
	}
	gocmd, err := goCommand()
	if err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, gocmd, "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %v", err)
	}
	goroot := strings.TrimSpace(string(out))
	var wasmExec []byte
	for _, p := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} { // Go ≥ 1.24, older
		if wasmExec, err = os.ReadFile(filepath.Join(goroot, p)); err == nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("wasm_exec.js not found in GOROOT %s: %v", goroot, err)
	}
	cmd := exec.CommandContext(ctx, gocmd, "build", "-o", wasmPath, WasmPackage)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("GOOS=js GOARCH=wasm go build %s (in %s): %v\n%s", WasmPackage, src, err, stderr.String())
	}
	if err := os.Chmod(wasmPath, 0o644); err != nil { // go build makes it executable
		return err
	}
	return os.WriteFile(jsPath, wasmExec, 0o644)
}

// Native is native.json: the speed of this binary on the page's default
// config, for the page to show next to the browser's.
type Native struct {
	Version string `json:"version"`
	// Query is the default view the figures were measured on.
	Query  string `json:"query"`
	Method string `json:"method"`
	// StepsPS1 is trial-steps/s on one goroutine (the browser runs one
	// thread); StepsPSAll on Workers goroutines (all cores).
	StepsPS1   float64 `json:"trial_steps_per_s_1_worker"`
	StepsPSAll float64 `json:"trial_steps_per_s_all_workers"`
	Workers    int     `json:"workers"`
	Summary    string  `json:"summary"`
}

// MeasureNative runs the default view natively on one and on all cores.
func MeasureNative(ctx context.Context) (*Native, error) {
	s := Default()
	_, c, err := s.Config()
	if err != nil {
		return nil, err
	}
	n := &Native{Version: smd.Version(), Query: s.Query(), Workers: runtime.GOMAXPROCS(0)}
	for _, w := range []int{1, n.Workers} {
		res, info, err := experiment.Run(ctx, c, experiment.Options{Workers: w})
		if err != nil {
			return nil, err
		}
		n.Method, n.Summary = info.Method, experiment.SummaryText(res.Rows)
		if w == 1 {
			n.StepsPS1 = info.StepsPS
		} else {
			n.StepsPSAll = info.StepsPS
		}
	}
	return n, nil
}

// WriteSite writes the static site into dir: the embedded page, smd.wasm
// and wasm_exec.js from BuildWasm, and native.json from MeasureNative, as
// one output set (package internal/outdir, the mechanism of every smd
// command that writes a folder): the site appears as a whole, replacing an
// earlier one in dir, or, when it cannot be written or is interrupted, dir
// is left as it was.
func WriteSite(ctx context.Context, dir string) error {
	// What BuildWasm needs is checked first: a failure leaves nothing behind.
	if _, err := SourceDir(); err != nil {
		return err
	}
	if _, err := goCommand(); err != nil {
		return err
	}
	return writeSite(ctx, dir, BuildWasm, MeasureNative)
}

// writeSite is WriteSite with its two costly steps as arguments (a test
// gives quick ones, one of which fails).
func writeSite(ctx context.Context, dir string, build func(ctx context.Context, wasmPath, jsPath string) error, native func(context.Context) (*Native, error)) error {
	set, err := outdir.Create(dir)
	if err != nil {
		return err
	}
	defer set.Discard()
	if err := build(ctx, set.Path("smd.wasm"), set.Path("wasm_exec.js")); err != nil {
		return err
	}
	write := func(name string, data []byte) error {
		return set.WriteFile(name, func(w io.Writer) error {
			_, err := w.Write(data)
			return err
		})
	}
	err = fs.WalkDir(web, "web", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := web.ReadFile(path)
		if err != nil {
			return err
		}
		return write(filepath.Base(path), data)
	})
	if err != nil {
		return err
	}
	n, err := native(ctx)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	if err := write("native.json", append(data, '\n')); err != nil {
		return err
	}
	return set.Commit()
}
