package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Run lengths. See the package documentation for why quick runs keep six
// samples.
const (
	FullCount      = 6
	FullBenchtime  = "1s"
	QuickCount     = 6
	QuickBenchtime = "100ms"
	// DefaultFilter selects every benchmark.
	DefaultFilter = "."
	// DefaultTimeout bounds a full run; DefaultQuickTimeout a quick one.
	DefaultTimeout      = 30 * time.Minute
	DefaultQuickTimeout = 10 * time.Minute
	// MaxCount bounds Count.
	MaxCount = 1000
)

// Implementation constants.
const (
	// waitDelay bounds how long Wait waits for output pipes after the
	// process was killed.
	waitDelay = 5 * time.Second
	// tailLines is how many lines of output an ErrGoTest carries.
	tailLines = 40
)

// Options configures a benchmark run. The zero value of a field means its
// default; see WithDefaults.
type Options struct {
	// ModuleRoot is the directory holding go.mod; go test runs there.
	// Required.
	ModuleRoot string
	// Count is the number of samples per benchmark (-count). Default
	// FullCount, or QuickCount when Quick.
	Count int
	// Benchtime is the go test -benchtime value ("1s", "100ms", "500x").
	// Default FullBenchtime, or QuickBenchtime when Quick.
	Benchtime string
	// Filter is the -bench regexp. Default DefaultFilter (all). The caller
	// sets it to run only a subset, e.g. the cheap benchmarks in quick
	// mode: a descriptor does not say which ones are cheap.
	Filter string
	// Short passes -short to go test; benchmarks may skip their largest
	// configurations under testing.Short().
	Short bool
	// Quick selects the quick defaults for Count, Benchtime and Timeout.
	Quick bool
	// Timeout bounds the whole go test invocation, build included: the
	// go command and the test binary are killed when it expires.
	// Default DefaultTimeout, or DefaultQuickTimeout when Quick.
	Timeout time.Duration
	// Progress, if not nil, receives go test's output line by line as it
	// is produced, each line prefixed with "bench <layer>: ".
	Progress io.Writer
	// GoCmd is the go command to run. Default "go".
	GoCmd string
}

// ErrInvalidOptions is returned by Validate and Run for unusable options.
var ErrInvalidOptions = errors.New("bench: invalid options")

var benchtimeRE = regexp.MustCompile(`^([0-9]+x|([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)$`)

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	if o.Count == 0 {
		o.Count = FullCount
		if o.Quick {
			o.Count = QuickCount
		}
	}
	if o.Benchtime == "" {
		o.Benchtime = FullBenchtime
		if o.Quick {
			o.Benchtime = QuickBenchtime
		}
	}
	if o.Filter == "" {
		o.Filter = DefaultFilter
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
		if o.Quick {
			o.Timeout = DefaultQuickTimeout
		}
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
	case o.Count < 1 || o.Count > MaxCount:
		return fmt.Errorf("%w: Count %d is not in [1, %d]", ErrInvalidOptions, o.Count, MaxCount)
	case !benchtimeRE.MatchString(o.Benchtime):
		return fmt.Errorf("%w: Benchtime %q is neither a duration nor <n>x", ErrInvalidOptions, o.Benchtime)
	case o.Timeout < 0:
		return fmt.Errorf("%w: Timeout %v is negative", ErrInvalidOptions, o.Timeout)
	case o.GoCmd == "":
		return fmt.Errorf("%w: GoCmd is not set", ErrInvalidOptions)
	}
	if _, err := regexp.Compile(o.Filter); err != nil {
		return fmt.Errorf("%w: Filter: %v", ErrInvalidOptions, err)
	}
	if _, err := os.Stat(filepath.Join(o.ModuleRoot, "go.mod")); err != nil {
		return fmt.Errorf("%w: ModuleRoot: %v", ErrInvalidOptions, err)
	}
	return nil
}
