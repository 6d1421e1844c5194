//go:build !(js && wasm)

package explore

import (
	"net/http/httptest"
	"os"
	"path/filepath"
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
