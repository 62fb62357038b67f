package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/strata-lab/strata/internal/gocmd/gocmdtest"
	"github.com/strata-lab/strata/layers"
)

const tinyBench = `package tiny

import (
	"strconv"
	"testing"
)

var sink []byte

func BenchmarkAlloc(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(64)
	for i := 0; i < b.N; i++ {
		sink = make([]byte, 64)
	}
	b.ReportMetric(3, "roundtrips")
}

func BenchmarkSweep(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sink = make([]byte, n)
			}
		})
	}
}
`

const subBench = `package sub

import "testing"

func BenchmarkSub(b *testing.B) {
	for i := 0; i < b.N; i++ {
	}
	b.ReportMetric(42, "events/s")
}
`

const badBench = `package bad

import (
	"testing"
	"time"
)

func BenchmarkFails(b *testing.B) { b.Fatal("boom") }

func BenchmarkSlow(b *testing.B) { time.Sleep(time.Minute) }
`

func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test -bench")
	}
	t.Parallel()
	root := gocmdtest.TempModule(t, map[string]string{
		"tiny/tiny_test.go":     tinyBench,
		"tiny/sub/sub_test.go":  subBench,
		"tiny/nobench/x.go":     "package nobench\n",
		"other/other_test.go":   "package other\n\nimport \"testing\"\n\nfunc BenchmarkOther(b *testing.B) {}\n",
		"bad/bad_test.go":       badBench,
		"bad/sub/doc.go":        "package sub\n",
		"tiny/testdata/ignored": "",
	})
	var progress gocmdtest.SyncWriter
	d := layers.Descriptor{Name: "tiny", Dir: "tiny"}
	opts := Options{ModuleRoot: root, Count: 2, Benchtime: "1000x", Progress: &progress, Timeout: time.Minute}
	ctx := context.Background()
	s, err := Run(ctx, d, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if s.Module != "tmp" || s.Pattern != "./tiny/..." || s.Count != 2 || s.Benchtime != "1000x" {
		t.Errorf("suite = %+v", s)
	}
	alloc := s.Lookup("tmp/tiny", "Alloc")
	if alloc == nil {
		t.Fatalf("Alloc missing; have %v\n%s", names(s), s.Raw)
	}
	for _, unit := range []string{"sec/op", "B/s", "roundtrips", "B/op", "allocs/op"} {
		m := alloc.Measure(unit)
		if m == nil || m.Summary.N != 2 {
			t.Errorf("Alloc %s = %+v", unit, m)
		}
	}
	if m := alloc.Measure("roundtrips"); m != nil && m.Summary.Center != 3 {
		t.Errorf("roundtrips = %g, want 3", m.Summary.Center)
	}
	// With few iterations, the runtime's own allocations add to B/op.
	if m := alloc.Measure("B/op"); m != nil && m.Summary.Center < 64 {
		t.Errorf("B/op = %g, want at least 64", m.Summary.Center)
	}
	for _, n := range []string{"10", "100"} {
		b := s.Lookup("tmp/tiny", "Sweep/n="+n)
		if b == nil || len(b.Params()) != 1 || b.Params()[0] != [2]string{"n", n} {
			t.Errorf("sub-benchmark n=%s: %+v; have %v", n, b, names(s))
		}
	}
	sub := s.Lookup("tmp/tiny/sub", "Sub")
	if sub == nil || sub.Measure("events/s") == nil || sub.Measure("events/s").Summary.Center != 42 {
		t.Errorf("subpackage benchmark with custom unit: %+v", sub)
	}
	if s.Lookup("", "Other") != nil {
		t.Errorf("ran a package outside the layer")
	}
	if !strings.Contains(progress.String(), "bench tiny: BenchmarkAlloc") {
		t.Errorf("progress:\n%s", progress.String())
	}
	raw, err := s.WriteRaw(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadBaseline(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c := Compare(s, again, 0); len(c.Deltas) == 0 || len(c.OnlyBaseline)+len(c.OnlyCurrent) != 0 {
		t.Errorf("self-comparison: %+v", c)
	}
	now := time.Now()
	if _, err := ToResult(s, nil, 1, now, now, "test").Write(t.TempDir()); err != nil {
		t.Errorf("result: %v", err)
	}

	t.Run("NoBenchmarks", func(t *testing.T) {
		o := opts
		o.Filter = "^BenchmarkNothingMatches$"
		_, err := Run(ctx, d, o)
		if !errors.Is(err, ErrNoBenchmarks) {
			t.Errorf("err = %v, want ErrNoBenchmarks", err)
		}
	})
	t.Run("Failure", func(t *testing.T) {
		o := opts
		o.Filter = "Fails"
		o.Progress = nil
		_, err := Run(ctx, layers.Descriptor{Name: "bad", Dir: "bad"}, o)
		var exit interface{ ExitCode() int }
		if !errors.Is(err, ErrGoTest) || !errors.As(err, &exit) || !strings.Contains(err.Error(), "boom") {
			t.Errorf("err = %v, want ErrGoTest with exit status and output tail", err)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		o := opts
		o.Filter = "Slow"
		o.Progress = nil
		o.Timeout = 2 * time.Second
		start := time.Now()
		_, err := Run(ctx, layers.Descriptor{Name: "bad", Dir: "bad"}, o)
		if !errors.Is(err, ErrTimeout) {
			t.Errorf("err = %v, want ErrTimeout", err)
		}
		if time.Since(start) > 30*time.Second {
			t.Errorf("timeout took %v", time.Since(start))
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		o := opts
		o.Filter = "Slow"
		o.Progress = nil
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		start := time.Now()
		_, err := Run(ctx, layers.Descriptor{Name: "bad", Dir: "bad"}, o)
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the context's deadline", err)
		}
		if time.Since(start) > 15*time.Second {
			t.Errorf("cancel took %v", time.Since(start))
		}
	})
}

func TestRunInvalid(t *testing.T) {
	root := gocmdtest.TempModule(t, map[string]string{})
	for _, d := range []layers.Descriptor{{Name: "x"}, {Name: "x", Dir: "../up"}, {Dir: "x"}} {
		if _, err := Run(context.Background(), d, Options{ModuleRoot: root}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: %v, want ErrInvalidOptions", d, err)
		}
	}
}
