// Package gocmd holds what the runners that drive the go command share:
// splitting its output into lines, keeping the tail of it, and killing the
// whole process group of a cancelled command.
package gocmd

import (
	"bytes"
	"strings"
	"sync"
)

// LineWriter is an io.Writer that calls Fn for every complete line written
// to it (without the line terminator). Flush emits a final unterminated
// line.
type LineWriter struct {
	Fn  func(line string)
	mu  sync.Mutex
	buf []byte
}

// Write implements io.Writer.
func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.Fn(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

// Flush emits a final unterminated line.
func (w *LineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.Fn(strings.TrimRight(string(w.buf), "\r"))
		w.buf = nil
	}
}

// Tail keeps the last N lines given to it.
type Tail struct {
	N     int
	lines []string
}

// Add appends a line.
func (t *Tail) Add(line string) {
	t.lines = append(t.lines, line)
	if len(t.lines) > 2*t.N {
		t.lines = append(t.lines[:0], t.lines[len(t.lines)-t.N:]...)
	}
}

// Lines returns the last N lines.
func (t *Tail) Lines() []string {
	l := t.lines
	if len(l) > t.N {
		l = l[len(l)-t.N:]
	}
	return l
}

// String returns the last N lines, joined by newlines.
func (t *Tail) String() string { return strings.Join(t.Lines(), "\n") }
