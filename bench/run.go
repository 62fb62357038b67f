package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/strata-lab/strata/internal/gocmd"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/strata-lab/strata/layers"
)

// Errors of Run.
var (
	// ErrGoTest is returned when go test exits with an error (a build
	// failure, a failing or panicking benchmark). The error also wraps the
	// *exec.ExitError and its message ends with the tail of the output.
	ErrGoTest = errors.New("bench: go test failed")
	// ErrTimeout is returned when the run exceeded Options.Timeout.
	ErrTimeout = errors.New("bench: timed out")
)

// Run runs the benchmarks of the descriptor's package and of every package
// under it, and parses and summarises their output.
//
// Run returns ErrNoBenchmarks when nothing matched. When go test fails
// (ErrGoTest, ErrTimeout or the context's error), Run returns the suite of
// whatever results were printed before the failure together with the
// error, so that a caller can still save the raw output.
func Run(ctx context.Context, d layers.Descriptor, opts Options) (*Suite, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if d.Name == "" || d.Dir == "" || !filepath.IsLocal(d.Dir) {
		return nil, fmt.Errorf("%w: descriptor %q has no usable Dir %q", ErrInvalidOptions, d.Name, d.Dir)
	}
	s := &Suite{
		Layer:     d.Name,
		Module:    modulePath(opts.ModuleRoot),
		Pattern:   "./" + path.Clean(filepath.ToSlash(d.Dir)) + "/...",
		Count:     opts.Count,
		Benchtime: opts.Benchtime,
		Filter:    opts.Filter,
		Quick:     opts.Quick,
		Config:    map[string]string{},
	}
	args := []string{"test", s.Pattern,
		"-run", "^$",
		"-bench", opts.Filter,
		"-benchmem",
		"-count", strconv.Itoa(opts.Count),
		"-benchtime", opts.Benchtime,
		"-timeout", opts.Timeout.String(),
	}
	if opts.Short {
		args = append(args, "-short")
		s.Config["short"] = "true"
	}

	// The test binary's -timeout alarm does not cover benchmarks (only
	// tests, fuzz seeds and examples), and go test kills the binary only a
	// minute after it; so the context enforces Timeout. -timeout is still
	// passed so that go test's default of 10m does not cut a long run.
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, opts.GoCmd, args...)
	cmd.Dir = opts.ModuleRoot
	cmd.WaitDelay = waitDelay
	gocmd.KillGroup(cmd)

	var stdout bytes.Buffer
	out := gocmd.Tail{N: tailLines}
	var mu sync.Mutex // stdout and stderr are copied by two goroutines
	progress := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		out.Add(line)
		if opts.Progress != nil && strings.TrimSpace(line) != "" {
			fmt.Fprintf(opts.Progress, "bench %s: %s\n", d.Name, line)
		}
	}
	stdoutLines := &gocmd.LineWriter{Fn: progress}
	stderrLines := &gocmd.LineWriter{Fn: progress}
	cmd.Stdout = io.MultiWriter(&stdout, stdoutLines)
	cmd.Stderr = stderrLines

	s.Started = time.Now()
	runErr := cmd.Run()
	s.Finished = time.Now()
	stdoutLines.Flush()
	stderrLines.Flush()
	s.Raw = stdout.Bytes()

	parseErr := s.parse(s.Pattern)
	switch {
	case runErr == nil:
		return s, parseErr
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return s, fmt.Errorf("%w after %v: %w: go %s\n%s", ErrTimeout, opts.Timeout, ctx.Err(), strings.Join(args, " "), out.String())
	case ctx.Err() != nil:
		return s, fmt.Errorf("bench: %w", ctx.Err())
	}
	return s, fmt.Errorf("%w: go %s: %w\n%s", ErrGoTest, strings.Join(args, " "), runErr, out.String())
}

// modulePath returns the module path declared in root/go.mod, or "".
func modulePath(root string) string {
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			rest = strings.TrimSpace(rest)
			if uq, err := strconv.Unquote(rest); err == nil {
				return uq
			}
			return rest
		}
	}
	return ""
}
