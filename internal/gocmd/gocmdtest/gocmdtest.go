// Package gocmdtest holds what the tests of the go-command runners (bench,
// fuzz) share: a throw-away module to run the go command in, and a
// progress sink safe for the runners' concurrent writers.
package gocmdtest

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TempModule writes files (path → contents) into a new temporary
// directory, with a go.mod for module "tmp" unless files has one, and
// returns the directory.
func TempModule(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	if _, ok := files["go.mod"]; !ok {
		files["go.mod"] = "module tmp\n\ngo 1.26\n"
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// SyncWriter collects progress lines from concurrent writers.
type SyncWriter struct {
	mu sync.Mutex
	sb strings.Builder
}

// Write implements io.Writer.
func (w *SyncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sb.Write(p)
}

// String returns everything written so far.
func (w *SyncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sb.String()
}
