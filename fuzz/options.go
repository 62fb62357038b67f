package fuzz

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Defaults.
const (
	// DefaultTime is the fuzzing time per target.
	DefaultTime = 30 * time.Second
	// DefaultParallel is the number of fuzzing workers: one, so that
	// campaigns on a two-core machine leave a core to everything else.
	DefaultParallel = 1
	// BuildAllowance is added to the fuzzing and minimisation time to
	// make the default Timeout: building the coverage-instrumented test
	// binary from a cold cache takes tens of seconds.
	BuildAllowance = 5 * time.Minute
	// goMinimizeTime is go test's default -fuzzminimizetime.
	goMinimizeTime = 60 * time.Second
)

// Implementation constants.
const (
	waitDelay = 5 * time.Second
	tailLines = 40
	// maxFailureBytes caps Outcome.Failure.
	maxFailureBytes = 16 << 10
	// listTimeout bounds List.
	listTimeout = 5 * time.Minute
)

// Options configures a fuzz campaign of one target. The zero value of a
// field means its default; see WithDefaults.
type Options struct {
	// ModuleRoot is the directory holding go.mod; go test runs there.
	// Required.
	ModuleRoot string
	// Time is how long to fuzz (-fuzztime). Default DefaultTime.
	Time time.Duration
	// Execs, when positive, fuzzes for that many executions
	// (-fuzztime <Execs>x) instead of for Time.
	Execs int64
	// Parallel is the number of fuzzing workers (-parallel). Default
	// DefaultParallel.
	Parallel int
	// MinimizeTime bounds the minimisation of a failing input
	// (-fuzzminimizetime). Zero leaves go test's default (60s).
	MinimizeTime time.Duration
	// Timeout bounds the whole go test invocation, build included.
	// Default Time + MinimizeTime (or 60s) + BuildAllowance.
	Timeout time.Duration
	// Progress, if not nil, receives one line per fuzzer status update,
	// prefixed with the target ("layers/sync.FuzzDecodeFrame: elapsed:
	// 3s, execs: ..."), and the lines that report a failure.
	Progress io.Writer
	// CacheDir, if set, is used as GOCACHE for the run, which moves the
	// generated corpus ($GOCACHE/fuzz) — and the build cache with it, so
	// the first run rebuilds. Empty keeps the inherited GOCACHE.
	CacheDir string
	// GoCmd is the go command to run. Default "go".
	GoCmd string
}

// ErrInvalidOptions is returned by Validate and Run for unusable options.
var ErrInvalidOptions = errors.New("fuzz: invalid options")

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	if o.Time == 0 && o.Execs <= 0 {
		o.Time = DefaultTime
	}
	if o.Parallel == 0 {
		o.Parallel = DefaultParallel
	}
	if o.Timeout == 0 {
		m := o.MinimizeTime
		if m == 0 {
			m = goMinimizeTime
		}
		o.Timeout = o.Time + m + BuildAllowance
	}
	if o.GoCmd == "" {
		o.GoCmd = "go"
	}
	return o
}

// Validate reports whether the options (after WithDefaults) are usable.
func (o Options) Validate() error {
	switch {
	case o.ModuleRoot == "":
		return fmt.Errorf("%w: ModuleRoot is not set", ErrInvalidOptions)
	case o.Time < 0 || o.Execs < 0:
		return fmt.Errorf("%w: negative Time %v or Execs %d", ErrInvalidOptions, o.Time, o.Execs)
	case o.Parallel < 1:
		return fmt.Errorf("%w: Parallel %d < 1", ErrInvalidOptions, o.Parallel)
	case o.MinimizeTime < 0:
		return fmt.Errorf("%w: MinimizeTime %v is negative", ErrInvalidOptions, o.MinimizeTime)
	case o.Timeout <= 0:
		return fmt.Errorf("%w: Timeout %v", ErrInvalidOptions, o.Timeout)
	case o.GoCmd == "":
		return fmt.Errorf("%w: GoCmd is not set", ErrInvalidOptions)
	}
	if _, err := os.Stat(filepath.Join(o.ModuleRoot, "go.mod")); err != nil {
		return fmt.Errorf("%w: ModuleRoot: %v", ErrInvalidOptions, err)
	}
	return nil
}

// budget describes the fuzzing budget for messages and goal anchors:
// "30s" or "100000 execs".
func (o Options) budget() string {
	if o.Execs > 0 {
		return fmt.Sprintf("%d execs", o.Execs)
	}
	return o.Time.String()
}

// fuzztime is the -fuzztime argument.
func (o Options) fuzztime() string {
	if o.Execs > 0 {
		return fmt.Sprintf("%dx", o.Execs)
	}
	return o.Time.String()
}
