package fuzz

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-lab/strata/internal/gocmd/gocmdtest"
	"github.com/strata-lab/strata/layers"
)

const bugTarget = `package lay

import "testing"

func FuzzBug(f *testing.F) {
	f.Add("bugs") // one deletion away from the bug
	f.Fuzz(func(t *testing.T, s string) {
		if s == "bug" {
			panic("found bug")
		}
	})
}

func TestUnrelated(t *testing.T) { t.Fatal("must not run") }
`

const okTarget = `package sub

import "testing"

func FuzzOK(f *testing.F) {
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1 && b[0] == 'a' {
			_ = b[1]
		}
	})
}

func FuzzOther(f *testing.F) {
	f.Fuzz(func(t *testing.T, n int) {})
}
`

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test -fuzz")
	}
	root := gocmdtest.TempModule(t, map[string]string{
		"lay/lay_test.go":         bugTarget,
		"lay/sub/sub_test.go":     okTarget,
		"lay/nofuzz/x.go":         "package nofuzz\n",
		"outside/outside_test.go": "package outside\n\nimport \"testing\"\n\nfunc FuzzOutside(f *testing.F) { f.Fuzz(func(t *testing.T, b []byte) {}) }\n",
		"broken/broken_test.go":   "package broken\n\nimport \"testing\"\n\nfunc FuzzB(f *testing.F) { undefined() }\n",
	})
	ctx := context.Background()
	d := layers.Descriptor{Name: "lay", Dir: "lay"}

	targets, err := List(ctx, root, d)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := []Target{
		{Pkg: "tmp/lay", Dir: "lay", Name: "FuzzBug"},
		{Pkg: "tmp/lay/sub", Dir: "lay/sub", Sub: "sub", Name: "FuzzOK"},
		{Pkg: "tmp/lay/sub", Dir: "lay/sub", Sub: "sub", Name: "FuzzOther"},
	}
	if len(targets) != len(want) {
		t.Fatalf("targets = %+v, want %+v", targets, want)
	}
	for i := range want {
		if targets[i] != want[i] {
			t.Errorf("target %d = %+v, want %+v", i, targets[i], want[i])
		}
	}
	if sel, err := Select(targets, "^FuzzOK$"); err != nil || len(sel) != 1 || sel[0].Name != "FuzzOK" {
		t.Errorf("Select = %v, %v", sel, err)
	}
	if sel, _ := Select(targets, `lay/sub\.`); len(sel) != 2 {
		t.Errorf("Select by package = %v", sel)
	}

	t.Run("Pass", func(t *testing.T) {
		var progress gocmdtest.SyncWriter
		o, err := Run(ctx, targets[1], Options{ModuleRoot: root, Execs: 2000, Progress: &progress})
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, progress.String())
		}
		if o.Failed || o.Execs < 2000 || o.TotalCorpus < 1 || len(o.Crashers) != 0 || o.Workers != 1 {
			t.Errorf("outcome = %+v", o)
		}
		if !strings.Contains(progress.String(), "lay/sub.FuzzOK: elapsed: ") || !strings.Contains(progress.String(), "; ok") {
			t.Errorf("progress:\n%s", progress.String())
		}
	})

	t.Run("Crasher", func(t *testing.T) {
		var progress gocmdtest.SyncWriter
		opts := Options{ModuleRoot: root, Time: 30 * time.Second, MinimizeTime: 5 * time.Second, Progress: &progress}
		o, err := Run(ctx, targets[0], opts)
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, progress.String())
		}
		if !o.Failed || len(o.Crashers) != 1 || len(o.Warnings) != 0 {
			t.Fatalf("outcome = %+v\n%s", o, progress.String())
		}
		c := o.Crashers[0]
		if !strings.HasPrefix(c, "lay/testdata/fuzz/FuzzBug/") {
			t.Errorf("crasher path %q", c)
		}
		b, err := os.ReadFile(filepath.Join(root, c))
		if err != nil || !strings.Contains(string(b), `string("bug")`) {
			t.Errorf("crasher file: %q, %v", b, err)
		}
		if !strings.Contains(o.Failure, "panic: found bug") {
			t.Errorf("failure report = %q", o.Failure)
		}
		if r := ToResult([]*Outcome{o}, "lay", 0)[0]; r.GoalsMet() || len(r.Artifacts) != 1 {
			t.Errorf("result goals met %v artifacts %v", r.GoalsMet(), r.Artifacts)
		}

		// The crasher is now a regression seed: the next campaign fails
		// on it during the baseline.
		o, err = Run(ctx, targets[0], opts)
		if err != nil {
			t.Fatalf("rerun: %v", err)
		}
		if !o.Failed || o.SeedFailure != "FuzzBug/"+filepath.Base(c) || len(o.Crashers) != 1 || o.Crashers[0] != c || o.Failures() != 1 {
			t.Errorf("rerun outcome = %+v", o)
		}
	})

	t.Run("NoTarget", func(t *testing.T) {
		o, err := Run(ctx, Target{Dir: "lay", Name: "FuzzMissing"}, Options{ModuleRoot: root, Execs: 10})
		if !errors.Is(err, ErrNoTarget) || o == nil || o.Error == "" {
			t.Errorf("err = %v, outcome %+v", err, o)
		}
	})

	t.Run("BuildFailure", func(t *testing.T) {
		bd := layers.Descriptor{Name: "broken", Dir: "broken"}
		if _, err := List(ctx, root, bd); !errors.Is(err, ErrGoTest) || !strings.Contains(err.Error(), "undefined") {
			t.Errorf("List err = %v", err)
		}
		_, err := Run(ctx, Target{Dir: "broken", Name: "FuzzB"}, Options{ModuleRoot: root, Execs: 10})
		var exit interface{ ExitCode() int }
		if !errors.Is(err, ErrGoTest) || !errors.As(err, &exit) || !strings.Contains(err.Error(), "undefined") {
			t.Errorf("Run err = %v", err)
		}
	})
}

func TestOptions(t *testing.T) {
	root := gocmdtest.TempModule(t, map[string]string{})
	o := Options{ModuleRoot: root}.WithDefaults()
	if o.Time != DefaultTime || o.Parallel != 1 || o.GoCmd != "go" || o.Timeout != DefaultTime+time.Minute+BuildAllowance {
		t.Errorf("defaults = %+v", o)
	}
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
	if o := (Options{ModuleRoot: root, Execs: 100}).WithDefaults(); o.Time != 0 || o.fuzztime() != "100x" || o.budget() != "100 execs" {
		t.Errorf("execs budget = %+v", o)
	}
	for _, bad := range []Options{
		{},
		{ModuleRoot: root, Time: -time.Second},
		{ModuleRoot: root, Parallel: -1},
		{ModuleRoot: root, MinimizeTime: -1},
		{ModuleRoot: filepath.Join(root, "nope")},
	} {
		if err := bad.WithDefaults().Validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if _, err := Run(context.Background(), Target{Dir: "../x", Name: "FuzzX"}, Options{ModuleRoot: root}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("escaping Dir: %v", err)
	}
	if _, err := List(context.Background(), root, layers.Descriptor{Name: "x"}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("List without Dir: %v", err)
	}
	if _, err := Select(nil, "("); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Select bad pattern: %v", err)
	}
}
