// Package par runs independent pieces of work on all cores: For hands out
// indices 0, 1, … to GOMAXPROCS goroutines, so that each piece's result
// can be stored by index and the output does not depend on the schedule.
package par
