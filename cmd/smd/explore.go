package main

import (
	"fmt"
	"net"
	"time"

	"github.com/alecthomas/kong"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/explore"
)

// ExploreCmd is `smd explore`.
type ExploreCmd struct {
	Out   string    `help:"Directory to write the static site into (default: ${default})." default:"smd-explore" placeholder:"DIR"`
	Serve serveAddr `help:"--serve[=ADDR]: also serve the site, until Ctrl-C, on ADDR (a loopback address, given with '='; --serve alone: 127.0.0.1:8080)." placeholder:"ADDR"`
}

// Help is shown by `smd explore --help`.
func (ExploreCmd) Help() string {
	return `Writes a self-contained static site into --out: index.html, app.js, worker.js,
the engines compiled to WebAssembly (smd.wasm, built now from this smd's source
with GOOS=js GOARCH=wasm go build: about 20 CPU-seconds the first time, a
second afterwards from Go's build cache), Go's wasm_exec.js and native.json
(this machine's native speed on the default view). Nothing is fetched from the
internet, by the tool or by the page. Browsers do not run Web Workers from
file:// pages: open the site through --serve or any static web server.

The page runs the config its controls describe (the embedded example by
default, with engine auto) in a Web Worker, with the same library path as
smd simulate, so its series.csv export and its summary line equal smd
simulate's for the config its "Download config" button gives. The view is
encoded in the URL.

  smd explore --serve          # then open http://127.0.0.1:8080/
  go run ./cmd/smd explore --serve=127.0.0.1:9000

Needs the Go toolchain (go on PATH) and the smd source this binary was built
from (a clone, or the module cache for go install ...@version).`
}

// serveAddr is --serve[=ADDR]: a flag that takes an optional value.
type serveAddr string

// Decode implements kong.MapperValue: --serve alone means 127.0.0.1:8080.
func (s *serveAddr) Decode(ctx *kong.DecodeContext) error {
	if ctx.Scan.Peek().Type == kong.FlagValueToken {
		return ctx.Scan.PopValueInto("serve", (*string)(s))
	}
	*s = "127.0.0.1:8080"
	return nil
}

// IsBool lets --serve appear without a value.
func (serveAddr) IsBool() bool { return true }

// Run writes the site and, with --serve, serves it.
func (e *ExploreCmd) Run(g *Globals) error {
	addr := string(e.Serve)
	if addr != "" {
		if err := explore.CheckLoopback(addr); err != nil {
			return badInput(fmt.Errorf("--serve: %v", err))
		}
	}
	if err := experiment.PrepareOutDir(e.Out); err != nil {
		return badInput(err)
	}
	start := time.Now()
	g.Log.Info("explore: building smd.wasm and writing the site", "out", e.Out)
	if err := explore.WriteSite(g.Ctx, e.Out); err != nil {
		return err
	}
	g.Log.Info("explore: site written", "out", e.Out, "wall", time.Since(start).Round(time.Millisecond))
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return badInput(fmt.Errorf("--serve: %v", err))
	}
	url := "http://" + ln.Addr().String() + "/"
	g.Log.Info("explore: serving (Ctrl-C stops)", "url", url)
	fmt.Fprintln(g.Stdout, url)
	return explore.Serve(g.Ctx, ln, explore.Handler(e.Out), g.Log)
}
