package node

import (
	"os"
	"sync"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

// TraceFile is the name of the NDJSON trace in a node's data directory.
// A restarted node appends to it.
const TraceFile = "trace.ndjson"

// traceLog is a trace.Writer on the trace file, safe for concurrent use,
// flushed every second and on close.
type traceLog struct {
	mu   sync.Mutex
	f    *os.File
	w    *trace.Writer
	node string
	stop chan struct{}
	done chan struct{}
	// errs counts events that failed to validate or write; /status
	// reports it, and a node with errors has a broken trace.
	errs int
}

func openTrace(path, node string) (*traceLog, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	t := &traceLog{f: f, w: trace.NewWriter(f), node: node, stop: make(chan struct{}), done: make(chan struct{})}
	go t.flusher()
	return t, nil
}

func (t *traceLog) flusher() {
	defer close(t.done)
	tk := time.NewTicker(time.Second)
	defer tk.Stop()
	for {
		select {
		case <-tk.C:
			t.mu.Lock()
			t.w.Flush()
			t.mu.Unlock()
		case <-t.stop:
			return
		}
	}
}

// emit writes one event stamped with the node's name and, when zero, the
// current time.
func (t *traceLog) emit(e trace.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Node = t.node
	t.mu.Lock()
	if err := t.w.Emit(e); err != nil {
		t.errs++
	}
	t.mu.Unlock()
}

func (t *traceLog) errors() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.errs
}

func (t *traceLog) close() error {
	close(t.stop)
	<-t.done
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.w.Flush(); err != nil {
		t.f.Close()
		return err
	}
	return t.f.Close()
}
