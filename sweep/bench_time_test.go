package sweep

import "syscall"

// cpuSeconds is the process's CPU time so far (user + system, all
// threads): on a shared machine the fair measure of work, where wall time
// counts other processes' turns.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
