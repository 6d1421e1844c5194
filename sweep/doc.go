// Package sweep runs a grid of `smd simulate` configs ("points") from one
// sweep config: locally on all cores, one shard of a Slurm job array or of a
// Kubernetes Indexed Job, with results byte-identical either way; collects
// the points into one summary table with the theory's predictions and
// verdicts; and writes the cluster scripts. See README "Sweeps".
package sweep
