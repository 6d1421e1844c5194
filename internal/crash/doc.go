// Package crash carries a panic out of a worker goroutine to the goroutine
// that waits for the workers, with the worker's stack, so that one recover
// at the top of a command (cmd/smd's run) sees every panic: a panic in any
// other goroutine would end the process with a Go stack trace (issue 12,
// class 5 of the brief: "a panic never reaches the user").
//
//	var p crash.Box
//	for range workers {
//		go func() {
//			defer wg.Done()
//			defer p.Catch()
//			…
//		}()
//	}
//	wg.Wait()
//	p.Rethrow()
package crash
