// Package explore is the engine side of `smd explore`: an interactive page
// that runs the NRQ ensembles of `smd simulate` in the browser, with the
// same engines compiled to WebAssembly (GOOS=js GOARCH=wasm, main package
// explore/wasm).
//
// The page's state is a small set of controls (State), encoded in the URL
// query. State.YAML turns it into the `smd simulate` config the page runs:
// the page parses that YAML with experiment.Parse and runs it with
// experiment.Run, the path of `smd simulate`, so the numbers are the CLI's
// to the last bit (Run). Theory overlays come from package theory through
// experiment.Config.Theory (Overlay). WriteSite writes the static site and
// builds smd.wasm from the module's source with the Go toolchain
// (BuildWasm); Serve serves it on loopback.
package explore
