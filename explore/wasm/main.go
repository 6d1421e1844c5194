//go:build js && wasm

// Command wasm is smd's engine for the browser (`smd explore`): built with
// GOOS=js GOARCH=wasm into smd.wasm and run in the page's Web Worker. It
// sets globalThis.smd to an object with
//
//	config(query) → {query, yaml, error}
//	run(yaml, onRow(row)) → {method, rows, csv, summary, stepsPerSec, wallSec, warnings, theory, version, error}
//
// where rows are arrays in the column order of series.csv. Both call
// package explore, the code `smd explore`'s tests run natively.
package main

import (
	"context"

	"syscall/js"

	"github.com/smdlab/smd"
	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/explore"
	"github.com/smdlab/smd/sim"
)

func main() {
	api := js.Global().Get("Object").New()
	api.Set("config", js.FuncOf(config))
	api.Set("run", js.FuncOf(run))
	api.Set("version", smd.Version())
	api.Set("columns", array(experiment.SeriesHeader))
	js.Global().Set("smd", api)
	select {}
}

// array converts v to a JavaScript array (null for a nil slice: a
// missing theory curve).
func array[T any](v []T) any {
	if v == nil {
		return js.Null()
	}
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

func row(r sim.Row) []any {
	return []any{float64(r.Step), r.Eta, r.Lambda, r.Risk, r.RiskSE, r.Loss, r.LossSE,
		r.AU, r.AUSE, r.AURMS, r.AURMSSE, r.Norm, r.NormSE, r.NormSq, r.NormSqSE, r.Tail, r.TailSE}
}

func errObj(err error) map[string]any { return map[string]any{"error": err.Error()} }

// config(query): the state of a URL query, its canonical query and YAML.
func config(_ js.Value, args []js.Value) any {
	s, err := explore.ParseQuery(args[0].String())
	if err != nil {
		return errObj(err)
	}
	y, _, err := s.Config()
	if err != nil {
		return errObj(err)
	}
	return map[string]any{"query": s.Query(), "yaml": string(y), "error": js.Null()}
}

// run(yaml, onRow): runs the config; onRow(row) gets each recorded row
// and, first, onRow is preceded by the theory overlay in the result.
func run(_ js.Value, args []js.Value) any {
	y := []byte(args[0].String())
	onRow := args[1]
	c, err := explore.ParseConfig(y)
	if err != nil {
		return errObj(err)
	}
	steps, err := explore.RecordSteps(c)
	if err != nil {
		return errObj(err)
	}
	th := explore.Overlay(c, steps)
	if len(args) > 2 && args[2].Type() == js.TypeFunction {
		args[2].Invoke(theory(th))
	}
	out, err := explore.Run(context.Background(), y, func(r sim.Row) { onRow.Invoke(row(r)) })
	if err != nil {
		return errObj(err)
	}
	rows := make([]any, len(out.Rows))
	for i, r := range out.Rows {
		rows[i] = row(r)
	}
	return map[string]any{
		"method": out.Method, "rows": rows, "csv": string(out.CSV), "summary": out.Summary,
		"stepsPerSec": out.StepsPS, "wallSec": out.WallSec, "warnings": array(append([]string{}, out.Warnings...)),
		"theory": theory(th), "version": smd.Version(), "error": js.Null(),
	}
}

func theory(t *explore.Theory) map[string]any {
	return map[string]any{
		"note": t.Note, "steps": array(t.Steps), "riskLimit": array(t.RiskLimit), "riskAdiabatic": array(t.RiskAdiabatic), "lossLimit": array(t.LossLimit),
		"auPath": array(t.AUPath), "auLimit": array(t.AULimit),
		"normPath": array(t.NormPath), "normLimit": array(t.NormLimit),
	}
}
