package crash

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/smdlab/smd"
)

// Panic is a panic caught in a worker goroutine: its value and the
// worker's stack at the panic.
type Panic struct {
	Value any
	Stack []byte
}

func (p *Panic) Error() string { return fmt.Sprint(p.Value) }

// Box holds the first panic of a group of workers. The zero value is
// ready to use.
type Box struct {
	// OnPanic, if set, is called once, at the first panic (e.g. a
	// context's cancel, to stop the other workers early).
	OnPanic func()

	mu sync.Mutex
	p  *Panic
}

// Catch records the calling goroutine's panic, if any, and lets the
// goroutine end normally; it must be deferred directly (recover only works
// there). A *Panic from a nested Box keeps its original stack.
func (b *Box) Catch() {
	r := recover()
	if r == nil {
		return
	}
	p, ok := r.(*Panic)
	if !ok {
		p = &Panic{Value: r, Stack: debug.Stack()}
	}
	b.mu.Lock()
	first := b.p == nil
	if first {
		b.p = p
	}
	b.mu.Unlock()
	if first && b.OnPanic != nil {
		b.OnPanic()
	}
}

// Rethrow panics with the recorded *Panic, if any, in the calling
// goroutine; call it after the workers are waited for.
func (b *Box) Rethrow() {
	b.mu.Lock()
	p := b.p
	b.mu.Unlock()
	if p != nil {
		panic(p)
	}
}

// Report is the one line a panic r becomes, "internal error: VALUE, please
// report with the stack in FILE" (no "smd: ": the caller prefixes it), with
// stack (r's own when r is a *Panic) saved beside the version and what ran
// (args: the command's arguments, or an HTTP request) in a new file
// smd-crash-*.txt of the temporary directory. A panic never reaches the
// user as a Go stack trace, only as this line: cmd/smd's run for a
// command, explore's server for a request.
func Report(r any, stack []byte, args []string) string {
	if p, ok := r.(*Panic); ok {
		r, stack = p.Value, p.Stack
	}
	line := "internal error: " + strings.Join(strings.Fields(fmt.Sprint(r)), " ") + ", please report"
	f, err := os.CreateTemp("", "smd-crash-*.txt")
	if err != nil {
		return line + " (the stack could not be saved: " + err.Error() + ")"
	}
	fmt.Fprintf(f, "%s\nsmd %s\npanic: %v\n\n%s", smd.Version(), strings.Join(args, " "), r, stack)
	if err := f.Close(); err != nil {
		return line + " (the stack could not be saved: " + err.Error() + ")"
	}
	return line + " with the stack in " + f.Name()
}
