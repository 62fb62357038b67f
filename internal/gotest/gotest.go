// Package gotest runs studies that must live in tests. The in-process
// overlay harness needs testing/synctest's virtual time, and synctest runs
// only inside a test, so an adversary study on it is a test function that
// the command line starts through `go test` and that hands its results
// back as result documents in a directory.
//
// The study side calls FromEnv: outside such a run it reports false and
// the test runs its small version (or skips). The command side calls Run.
// Running a study this way needs the repository and the go command, as
// `strata bench` does.
package gotest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/strata-lab/strata/internal/gocmd"
	"github.com/strata-lab/strata/reports/result"
)

// The environment a study test reads its parameters from.
const (
	EnvOut   = "STRATA_STUDY_OUT"
	EnvSeed  = "STRATA_STUDY_SEED"
	EnvQuick = "STRATA_STUDY_QUICK"
	EnvOnly  = "STRATA_STUDY_ONLY"
	EnvRuns  = "STRATA_STUDY_RUNS"
)

// ErrStudy reports a study run that failed or wrote no result.
var ErrStudy = errors.New("gotest: study failed")

// Params are a study run's parameters.
type Params struct {
	Seed  int64
	Quick bool
	// Only selects one part of the study by name ("" for all).
	Only string
	// Runs selects the runs of a part whose labels carry these values,
	// each value one or more alternatives joined by "|" (nil: every
	// run); a study that cannot select runs refuses it (NoRuns). Match
	// tests a run's labels.
	Runs map[string]string
	// Out is the directory the study writes its result documents to.
	Out string
}

// FromEnv returns the parameters of a study run, or false when the test
// runs as an ordinary test.
func FromEnv() (Params, bool, error) {
	out := os.Getenv(EnvOut)
	if out == "" {
		return Params{}, false, nil
	}
	p := Params{Out: out, Only: os.Getenv(EnvOnly), Quick: os.Getenv(EnvQuick) == "1"}
	runs, err := ParseRuns(os.Getenv(EnvRuns))
	if err != nil {
		return Params{}, false, err
	}
	p.Runs = runs
	if s := os.Getenv(EnvSeed); s != "" {
		seed, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Params{}, false, fmt.Errorf("%w: %s=%q is not an integer", ErrStudy, EnvSeed, s)
		}
		p.Seed = seed
	}
	return p, true, nil
}

// ParseRuns parses a run selection, "key=value[,key=value...]", where a
// value may list alternatives as "a|b" ("" selects every run and gives
// nil).
func ParseRuns(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]string{}
	for kv := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" || v == "" || slices.Contains(strings.Split(v, "|"), "") {
			return nil, fmt.Errorf("%w: run selection %q: want key=value[,key=value...] (labels such as scoring=off)", ErrStudy, s)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%w: run selection %q names %s twice", ErrStudy, s, k)
		}
		out[k] = v
	}
	return out, nil
}

// Match reports whether labels satisfy the selection runs: for every key,
// the label's value is one of the key's alternatives.
func Match(runs, labels map[string]string) bool {
	for k, v := range runs {
		if !slices.Contains(strings.Split(v, "|"), labels[k]) {
			return false
		}
	}
	return true
}

// FormatRuns is ParseRuns' inverse, with the keys sorted.
func FormatRuns(runs map[string]string) string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(runs)) {
		kv = append(kv, k+"="+runs[k])
	}
	return strings.Join(kv, ",")
}

// NoRuns is the check of a study that runs all its runs or none: it
// refuses a run selection.
func (p Params) NoRuns() error {
	if len(p.Runs) > 0 {
		return fmt.Errorf("%w: this study cannot select runs (%s); run it without a run selection", ErrStudy, FormatRuns(p.Runs))
	}
	return nil
}

// Write writes a result document to the run's directory.
func (p Params) Write(r *result.Result) error {
	_, err := r.Write(p.Out)
	return err
}

// Run runs the test function test of package pkg (a path relative to the
// module root, "./attacks/sybil") as a study with p (p.Out is ignored: a
// temporary directory is used), streaming the test's output lines to
// progress, and returns the result documents it wrote.
func Run(ctx context.Context, root, pkg, test string, p Params, progress io.Writer) ([]*result.Result, error) {
	dir, err := os.MkdirTemp("", "strata-study-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	quick := "0"
	if p.Quick {
		quick = "1"
	}
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-timeout=0", "-v", "-run", "^"+test+"$", pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		EnvOut+"="+dir, EnvSeed+"="+strconv.FormatInt(p.Seed, 10), EnvQuick+"="+quick, EnvOnly+"="+p.Only,
		EnvRuns+"="+FormatRuns(p.Runs))
	cmd.WaitDelay = 5 * time.Second
	gocmd.KillGroup(cmd)
	tail := gocmd.Tail{N: 40}
	var mu sync.Mutex
	line := func(l string) {
		mu.Lock()
		defer mu.Unlock()
		tail.Add(l)
		if progress != nil && strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "=== ") {
			fmt.Fprintf(progress, "%s: %s\n", test, strings.TrimSpace(l))
		}
	}
	stdout, stderr := &gocmd.LineWriter{Fn: line}, &gocmd.LineWriter{Fn: line}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	runErr := cmd.Run()
	stdout.Flush()
	stderr.Flush()
	if runErr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: go test -run %s %s: %w\n%s", ErrStudy, test, pkg, runErr, tail.String())
	}
	rs, err := result.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("%w: %s in %s wrote no result (was it skipped?)\n%s", ErrStudy, test, pkg, tail.String())
	}
	return rs, nil
}
