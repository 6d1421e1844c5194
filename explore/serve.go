//go:build !(js && wasm)

package explore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"time"

	"github.com/smdlab/smd/internal/crash"
)

// CheckLoopback reports whether addr (host:port) is a loopback address:
// the explorer is served to this machine only.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, got %q", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (use 127.0.0.1 or [::1]): the explorer is served to this machine only", host)
	}
	return nil
}

// Handler serves the site in dir with the MIME types the page needs
// (application/wasm for WebAssembly.instantiateStreaming) and no caching,
// so a rebuilt smd.wasm is always the one loaded.
func Handler(dir string) http.Handler {
	fsrv := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch path.Ext(r.URL.Path) {
		case ".wasm":
			w.Header().Set("Content-Type", "application/wasm")
		case ".js":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		case ".json":
			w.Header().Set("Content-Type", "application/json")
		}
		w.Header().Set("Cache-Control", "no-cache")
		fsrv.ServeHTTP(w, r)
	})
}

// Serve serves h (Handler of the site's folder) on ln until ctx is done,
// then shuts down. A panic in a request is one line on log (crash.Report,
// the stack saved to a file) and a 500 for that request, never net/http's
// logged stack trace; net/http's own error lines go to log too.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: recovering(h, log), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		if e := <-done; !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = e
		}
		return err
	}
}

// recovering wraps h so that a panic in a request is answered 500 and
// logged as one line; http.ErrAbortHandler (a handler's way to abort a
// response) is re-raised for net/http, which drops the connection without
// logging.
func recovering(h http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Error("explore: "+crash.Report(v, debug.Stack(), []string{"explore --serve:", r.Method, r.URL.Path}), "method", r.Method, "path", r.URL.Path)
			http.Error(w, "500 internal server error (logged by smd explore)", http.StatusInternalServerError)
		}()
		h.ServeHTTP(w, r)
	})
}
