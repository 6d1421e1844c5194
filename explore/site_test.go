//go:build !(js && wasm)

package explore

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:8080": true, "[::1]:0": true, "localhost:9000": true, "127.0.0.2:80": true,
		"0.0.0.0:8080": false, ":8080": false, "192.168.1.2:80": false, "example.com:80": false, "8080": false} {
		if err := CheckLoopback(addr); (err == nil) != ok {
			t.Errorf("CheckLoopback(%q) = %v", addr, err)
		}
	}
}

// The server gives .wasm the MIME type WebAssembly.compileStreaming needs.
func TestHandlerTypes(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"smd.wasm", "app.js", "native.json", "index.html"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]string{"/smd.wasm": "application/wasm", "/app.js": "text/javascript; charset=utf-8",
		"/native.json": "application/json", "/": "text/html; charset=utf-8"} {
		rec := httptest.NewRecorder()
		Handler(dir).ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if got := rec.Header().Get("Content-Type"); rec.Code != 200 || got != want {
			t.Errorf("GET %s: %d %q, want 200 %q", path, rec.Code, got, want)
		}
	}
}

func TestSourceDir(t *testing.T) {
	dir, err := SourceDir()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "explore", "wasm", "main.go")); err != nil {
		t.Errorf("SourceDir %s: %v", dir, err)
	}
}

// Issue 12: a panic in a request of Serve is answered 500 and logged as one
// line naming the file with the stack (net/http would log the stack trace
// itself and drop the connection); the server goes on serving, and
// http.ErrAbortHandler still just aborts its response, unlogged.
func TestServePanicIsOneLine(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // where crash.Report saves the stack
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/boom":
			panic("injected bug")
		case "/abort":
			panic(http.ErrAbortHandler)
		}
		io.WriteString(w, "ok")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, log) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	get := func(path string) (int, error) {
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	if code, err := get("/boom"); code != http.StatusInternalServerError {
		t.Errorf("GET /boom: status %d (%v), want 500", code, err)
	}
	if _, err := get("/abort"); err == nil {
		t.Errorf("GET /abort: a response, want the connection aborted")
	}
	if code, err := get("/ok"); code != http.StatusOK {
		t.Errorf("GET /ok after the panic: status %d (%v), want 200", code, err)
	}
	lines := strings.Split(strings.TrimSuffix(logBuf.String(), "\n"), "\n")
	m := regexp.MustCompile(`internal error: injected bug, please report with the stack in (\S+smd-crash-\S+\.txt)`).FindStringSubmatch(logBuf.String())
	if len(lines) != 1 || m == nil || strings.Contains(logBuf.String(), "goroutine ") {
		t.Fatalf("log:\n%s\nwant one line \"… internal error: injected bug, please report with the stack in FILE\", no stack", logBuf.String())
	}
	stack, err := os.ReadFile(m[1])
	if err != nil || !bytes.Contains(stack, []byte("goroutine ")) || !bytes.Contains(stack, []byte("GET /boom")) {
		t.Errorf("crash file %s: %v\n%s", m[1], err, stack)
	}
}

// Issue 12, class 6: the site is one output set. A site that fails after
// some of its files are made (here at native.json) leaves an earlier site
// in its folder byte for byte as it was and no temporary beside it; one
// that succeeds replaces the earlier site's files as a whole and keeps a
// file of the user's. The wasm build and the native measurement are
// replaced by quick stand-ins (the real ones take seconds).
func TestWriteSiteAsAWhole(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "site")
	old := map[string]string{"index.html": "old page", "native.json": "{}", "smd.wasm": "old wasm", "notes.txt": "mine"}
	for name, data := range old {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := func(_ context.Context, wasmPath, jsPath string) error {
		if err := os.WriteFile(wasmPath, []byte("new wasm"), 0o644); err != nil {
			return err
		}
		return os.WriteFile(jsPath, []byte("new js"), 0o644)
	}
	failing := func(context.Context) (*Native, error) { return nil, errors.New("injected failure") }
	if err := writeSite(context.Background(), dir, build, failing); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("writeSite with a failing step: %v", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(old) {
		t.Errorf("after a failed site %s holds %d entries, want the earlier %d", dir, len(ents), len(old))
	}
	for name, data := range old {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != data {
			t.Errorf("after a failed site %s is %q (%v), want %q as before", name, b, err, data)
		}
	}
	if sibs, _ := os.ReadDir(parent); len(sibs) != 1 {
		t.Errorf("after a failed site %s holds %d entries, want only site/ (no temporary)", parent, len(sibs))
	}
	ok := func(context.Context) (*Native, error) { return &Native{Version: "test"}, nil }
	if err := writeSite(context.Background(), dir, build, ok); err != nil {
		t.Fatal(err)
	}
	for _, name := range SiteFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("site file %s: %v", name, err)
		}
	}
	page, _ := web.ReadFile("web/index.html")
	for name, want := range map[string]string{"index.html": string(page), "smd.wasm": "new wasm", "notes.txt": "mine"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("after the site %s is %.40q (%v), want %.40q", name, b, err, want)
		}
	}
}
