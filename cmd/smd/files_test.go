package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"strconv"
	"testing"
)

// readCSV reads a whole CSV file (a test failure if it cannot).
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// readFile returns a file's bytes (a test failure if it cannot be read).
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeFile writes data to path and returns path (a test failure if it
// cannot).
func writeFile[D string | []byte](t *testing.T, path string, data D) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readJSON decodes a JSON file into v and returns its bytes.
func readJSON(t *testing.T, path string, v any) []byte {
	t.Helper()
	b := readFile(t, path)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// parseNum parses a CSV cell as a float64 (a test failure if it is not one).
func parseNum(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}
