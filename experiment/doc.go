// Package experiment holds the YAML config schema of `smd simulate` and its
// validation, turns a config into a simulation, and writes the outputs
// (series.csv, run.json) atomically.
package experiment
