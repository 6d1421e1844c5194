package par

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/smdlab/smd/internal/crash"
)

// For calls f(i) for every i in [0, n) on min(GOMAXPROCS, n) goroutines,
// handing the indices out in increasing order (put the costliest first),
// and returns when every call has returned. A panic in f is re-raised in
// the caller (crash.Box) once the others have finished. f must be safe
// for concurrent use; it stops early on its own (e.g. by checking a
// context) if it needs to.
func For(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var box crash.Box
	for range workers {
		wg.Go(func() {
			defer box.Catch()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
	box.Rethrow()
}
