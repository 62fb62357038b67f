package fuzz

import (
	"context"
	"errors"
	"fmt"
	"github.com/strata-lab/strata/internal/gocmd"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Outcome is what one fuzz campaign found.
type Outcome struct {
	Target Target
	// Command is the go test command line that was run (from the module
	// root).
	Command string
	// Budget is the requested fuzzing budget ("30s", "2000 execs").
	Budget string
	// Started and Finished bracket the go test invocation, build
	// included.
	Started, Finished time.Time
	// Elapsed is the fuzzing time reported by the last status line.
	Elapsed time.Duration
	// Execs is the number of executions reported by the last status line.
	Execs int64
	// ExecsPerSec is Execs / Elapsed (the status lines print the rate of
	// the last interval only); the printed rate when Elapsed is zero.
	ExecsPerSec float64
	// NewInteresting is the number of inputs that this campaign added to
	// the corpus; TotalCorpus is the size of the corpus (seeds included).
	NewInteresting int
	TotalCorpus    int
	// BaselineEntries is the number of corpus entries replayed to gather
	// baseline coverage; BaselineDone is how many of them completed (fewer
	// when one failed).
	BaselineEntries int
	BaselineDone    int
	// Workers is the number of fuzzing workers reported.
	Workers int
	// Failed reports that the target failed: a crasher was found, or a
	// seed corpus entry failed.
	Failed bool
	// Crashers are the failing inputs, relative to the module root
	// ("layers/sync/testdata/fuzz/FuzzDecodeFrame/8f8be9ed7f098e0c"):
	// those the fuzzer wrote, and a failing seed corpus file.
	Crashers []string
	// SeedFailure names the seed corpus entry that failed
	// ("FuzzX/seed#0", "FuzzX/8f8be9ed7f098e0c"), if any.
	SeedFailure string
	// Failure is the failure report, from the first "--- FAIL" line on,
	// capped at 16 KiB.
	Failure string
	// Tail is the last 40 lines of output.
	Tail []string
	// DeadlineRace reports that go test failed with a bare "context
	// deadline exceeded" at the end of the fuzzing time and wrote no
	// failing input: a race in Go's fuzz coordinator before Go 1.27
	// (golang/go#75804), not a finding. The outcome counts as a pass and
	// Warnings says so.
	DeadlineRace bool
	// Warnings note inconsistencies, such as a reported crasher file that
	// does not exist.
	Warnings []string
	// Error is set when the run itself failed (the error Run returned).
	Error string

	// crasherRel are the crasher paths as printed, relative to the
	// package directory.
	crasherRel []string
}

// Failures returns the number of failing inputs: len(Crashers), plus one
// for a seed failure that is not a file, and at least one if the target
// failed.
func (o *Outcome) Failures() int {
	n := len(o.Crashers)
	if o.SeedFailure != "" && !o.seedIsFile() {
		n++
	}
	if o.Failed && n == 0 {
		n = 1
	}
	return n
}

func (o *Outcome) seedIsFile() bool {
	_, name, _ := strings.Cut(o.SeedFailure, "/")
	for _, c := range o.Crashers {
		if path.Base(c) == name {
			return true
		}
	}
	return false
}

// Run fuzzes one target. A target that fails (a crasher, or a failing
// seed) is not an error: the Outcome reports it. Run returns an error when
// the campaign could not run: invalid options, ErrNoTarget, ErrGoTest (a
// build failure, say), ErrTimeout, or the context's error. With an error
// other than invalid options it also returns the partial Outcome, whose
// Error and Tail say what happened.
func Run(ctx context.Context, t Target, opts Options) (*Outcome, error) {
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if !fuzzFuncRE.MatchString(t.Name) || t.Dir == "" || !filepath.IsLocal(t.Dir) {
		return nil, fmt.Errorf("%w: target %+v", ErrInvalidOptions, t)
	}
	args := []string{"test", "./" + path.Clean(t.Dir),
		"-run", "^$",
		"-fuzz", "^" + t.Name + "$",
		"-fuzztime", opts.fuzztime(),
		"-parallel", strconv.Itoa(opts.Parallel),
	}
	if opts.MinimizeTime > 0 {
		args = append(args, "-fuzzminimizetime", opts.MinimizeTime.String())
	}
	o := &Outcome{
		Target:  t,
		Command: opts.GoCmd + " " + strings.Join(quoteArgs(args), " "),
		Budget:  opts.budget(),
	}

	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, opts.GoCmd, args...)
	cmd.Dir = opts.ModuleRoot
	cmd.WaitDelay = waitDelay
	if opts.CacheDir != "" {
		cmd.Env = append(os.Environ(), "GOCACHE="+opts.CacheDir)
	}
	gocmd.KillGroup(cmd)

	p := newParser(o)
	lw := &gocmd.LineWriter{Fn: func(l string) {
		if p.line(l) && opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "%s: %s\n", t, strings.TrimPrefix(strings.TrimSpace(l), statusPrefix))
		}
	}}
	// One writer for both streams keeps their lines in order, and exec
	// then copies both from a single goroutine.
	cmd.Stdout, cmd.Stderr = lw, lw

	o.Started = time.Now()
	runErr := cmd.Run()
	o.Finished = time.Now()
	lw.Flush()
	p.finish()
	o.resolveCrashers(opts.ModuleRoot)

	err := classify(ctx, runErr, p, o, opts)
	if err != nil {
		o.Error = err.Error()
	}
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "%s: %s\n", t, o.summary())
	}
	return o, err
}

// classify turns the way go test ended into Run's error.
func classify(ctx context.Context, runErr error, p *parser, o *Outcome, opts Options) error {
	tail := strings.Join(o.Tail, "\n")
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w after %v: %w: %s\n%s", ErrTimeout, opts.Timeout, ctx.Err(), o.Command, tail)
	case ctx.Err() != nil:
		return fmt.Errorf("fuzz: %s: %w", o.Target, ctx.Err())
	case runErr == nil && p.noTarget:
		return fmt.Errorf("%w: %s", ErrNoTarget, o.Target)
	case runErr == nil:
		return nil
	case o.Failed, o.DeadlineRace:
		// go test exits with status 1 when the target fails.
		return nil
	}
	return fmt.Errorf("%w: %s: %w\n%s", ErrGoTest, o.Command, runErr, tail)
}

// resolveCrashers turns the crasher paths go test printed (relative to the
// package directory) into module-relative paths and checks that the files
// exist. A seed failure whose entry is a file under testdata/fuzz counts
// as a crasher.
func (o *Outcome) resolveCrashers(root string) {
	rels := o.crasherRel
	if o.SeedFailure != "" {
		if name, entry, ok := strings.Cut(o.SeedFailure, "/"); ok && !strings.HasPrefix(entry, "seed#") {
			rel := path.Join("testdata/fuzz", name, entry)
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(o.Target.Dir), filepath.FromSlash(rel))); err == nil {
				rels = append(rels, rel)
			}
		}
	}
	for _, rel := range rels {
		p := path.Join(o.Target.Dir, filepath.ToSlash(rel))
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
			o.Warnings = append(o.Warnings, fmt.Sprintf("crasher %s: %v", p, err))
		}
		o.Crashers = append(o.Crashers, p)
	}
}

// summary is the final progress line.
func (o *Outcome) summary() string {
	s := fmt.Sprintf("fuzzed %v (budget %s): %d execs (%.0f/s), %d new interesting, corpus %d",
		o.Elapsed, o.Budget, o.Execs, o.ExecsPerSec, o.NewInteresting, o.TotalCorpus)
	switch {
	case o.Error != "":
		first, _, _ := strings.Cut(o.Error, "\n")
		return s + "; ERROR " + first
	case len(o.Crashers) > 0:
		return s + "; FAILED, crashers: " + strings.Join(o.Crashers, ", ")
	case o.Failed:
		return s + "; FAILED on seed corpus entry " + o.SeedFailure
	}
	return s + "; ok"
}

// quoteArgs quotes the arguments that a shell would mangle.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, "^$*?[]() \t'\"\\|&;<>") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}
