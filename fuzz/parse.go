package fuzz

import (
	"github.com/strata-lab/strata/internal/gocmd"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	statusRE   = regexp.MustCompile(`^fuzz: elapsed: (\S+), execs: (\d+) \((\d+)/sec\), new interesting: (\d+) \(total: (\d+)\)`)
	baselineRE = regexp.MustCompile(`^fuzz: elapsed: (\S+), gathering baseline coverage: (\d+)/(\d+) completed(?:, now fuzzing with (\d+) workers)?`)
	elapsedRE  = regexp.MustCompile(`^fuzz: elapsed: (\S+),`)
	crasherRE  = regexp.MustCompile(`^\s*Failing input written to (\S+)\s*$`)
	seedFailRE = regexp.MustCompile(`^failure while testing seed corpus entry: (\S+)\s*$`)
	failRE     = regexp.MustCompile(`^--- FAIL: (\S+)`)
)

// Markers of go test output.
const (
	noTargetMarker = "testing: warning: no fuzz tests to fuzz"
	statusPrefix   = "fuzz: "
)

// parser accumulates an Outcome from go test -fuzz output, line by line.
type parser struct {
	o *Outcome
	// rate is the last printed execs/sec, which is the rate over the
	// last interval, not the campaign's.
	rate      float64
	sawStatus bool
	noTarget  bool
	failure   strings.Builder
	inFailure bool
	tail      gocmd.Tail
}

func newParser(o *Outcome) *parser {
	return &parser{o: o, tail: gocmd.Tail{N: tailLines}}
}

// line consumes one line of output and reports whether it is a status or
// failure line worth showing as progress.
func (p *parser) line(l string) (progress bool) {
	p.tail.Add(l)
	o := p.o
	if p.inFailure || failRE.MatchString(l) {
		if !p.inFailure {
			o.Failed = true
			p.inFailure = true
		}
		if p.failure.Len() < maxFailureBytes {
			p.failure.WriteString(l)
			p.failure.WriteByte('\n')
		}
	}
	switch {
	case strings.HasPrefix(l, statusPrefix):
		if m := statusRE.FindStringSubmatch(l); m != nil {
			p.sawStatus = true
			o.Elapsed = parseElapsed(m[1])
			o.Execs, _ = strconv.ParseInt(m[2], 10, 64)
			p.rate, _ = strconv.ParseFloat(m[3], 64)
			o.NewInteresting, _ = strconv.Atoi(m[4])
			o.TotalCorpus, _ = strconv.Atoi(m[5])
		} else if m := baselineRE.FindStringSubmatch(l); m != nil {
			p.sawStatus = true
			o.Elapsed = parseElapsed(m[1])
			o.BaselineDone, _ = strconv.Atoi(m[2])
			o.BaselineEntries, _ = strconv.Atoi(m[3])
			if m[4] != "" {
				o.Workers, _ = strconv.Atoi(m[4])
			}
		} else if m := elapsedRE.FindStringSubmatch(l); m != nil {
			o.Elapsed = max(o.Elapsed, parseElapsed(m[1]))
		}
		return true
	case strings.HasPrefix(l, noTargetMarker):
		p.noTarget = true
	}
	if m := crasherRE.FindStringSubmatch(l); m != nil {
		o.Failed = true
		o.crasherRel = append(o.crasherRel, m[1])
		return true
	}
	if m := seedFailRE.FindStringSubmatch(l); m != nil {
		o.Failed = true
		o.SeedFailure = m[1]
		return true
	}
	return false
}

// finish completes the outcome after the last line.
func (p *parser) finish() {
	o := p.o
	if p.deadlineRace() {
		o.Failed = false
		o.DeadlineRace = true
		o.Warnings = append(o.Warnings, "go test reported a bare 'context deadline exceeded' failure "+
			"at the end of -fuzztime and wrote no failing input: the fuzz coordinator's "+
			"shutdown race of Go < 1.27 (golang/go#75804), counted as a pass")
		p.failure.Reset()
	}
	switch {
	case o.Elapsed > 0 && o.Execs > 0:
		o.ExecsPerSec = float64(o.Execs) / o.Elapsed.Seconds()
	default:
		o.ExecsPerSec = p.rate
	}
	o.Failure = p.failure.String()
	o.Tail = p.tail.Lines()
}

// deadlineRace reports whether the only failure is the bare "context
// deadline exceeded" that Go's fuzz coordinator (before Go 1.27) reports
// when -fuzztime expires while a worker is busy (golang/go#75804): no
// failing input was written and the failure report says nothing else.
func (p *parser) deadlineRace() bool {
	o := p.o
	if !o.Failed || len(o.crasherRel) > 0 || o.SeedFailure != "" {
		return false
	}
	found := false
	for _, l := range strings.Split(p.failure.String(), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "context deadline exceeded":
			found = true
		case l == "", l == "FAIL", strings.HasPrefix(l, "--- FAIL: "),
			strings.HasPrefix(l, "FAIL\t"), strings.HasPrefix(l, "exit status "):
		default:
			return false
		}
	}
	return found
}

// parseElapsed parses the fuzzer's elapsed time ("3s", "1m2s"); 0 if it
// does not parse.
func parseElapsed(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0
	}
	return d
}
