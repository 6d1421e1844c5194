// Package sim runs discrete-time ensembles of SGD with weight decay (eq 3)
// on the models of package nrq: many independent trials in parallel, each
// with its own random stream derived from (seed, trial), recording the
// risk, loss, angular update, weight norm and tail probability as mean and
// standard error over trials every RecordEvery steps. Output is identical
// whatever the worker count, and memory is O(trials·p), flat in the number
// of steps.
package sim
