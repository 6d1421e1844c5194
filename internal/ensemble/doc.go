// Package ensemble is the driver shared by smd's sampling engines
// (sim.Full, sim.Reduced, sde.EM, sde.Reduced): it advances many
// independent trials in lockstep from one recorded step to the next and
// averages their per-trial Samples into rows of means and standard errors.
// It is engine-author plumbing, kept out of sim's user-facing API; the rows
// it returns are sim.Row values (docs/design.md, "Ensembles").
package ensemble
