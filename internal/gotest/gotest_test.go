package gotest

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strata-lab/strata/internal/gocmd/gocmdtest"
	"github.com/strata-lab/strata/reports/result"
)

// study is a temporary module's test that checks the parameters it gets
// and writes the result document doc.
const study = `package study

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStudyX(t *testing.T) {
	out := os.Getenv("STRATA_STUDY_OUT")
	if out == "" {
		t.Skip("not a study run")
	}
	if os.Getenv("STRATA_STUDY_SEED") != "7" || os.Getenv("STRATA_STUDY_QUICK") != "1" || os.Getenv("STRATA_STUDY_ONLY") != "part" || os.Getenv("STRATA_STUDY_RUNS") != "run=attack,scoring=off" {
		t.Fatalf("parameters %q %q %q %q", os.Getenv("STRATA_STUDY_SEED"), os.Getenv("STRATA_STUDY_QUICK"), os.Getenv("STRATA_STUDY_ONLY"), os.Getenv("STRATA_STUDY_RUNS"))
	}
	t.Log("halfway")
	if err := os.MkdirAll(filepath.Join(out, "results"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "results", "x.json"), []byte(DOC), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestStudyFails(t *testing.T) { t.Fatal("the study broke") }

func TestStudySkips(t *testing.T) { t.Skip("nothing to do") }
`

func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	r := result.New(result.KindAttack, "overlay", "overlay/attack/x", 7, time.Unix(0, 0).UTC())
	r.Add("delivery_rate", "ratio", 1, nil)
	r.Finished = r.Started
	b, err := result.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	root := gocmdtest.TempModule(t, map[string]string{"study/study_test.go": strings.Replace(study, "DOC", strconv.Quote(string(b)), 1)})
	ctx := context.Background()
	p := Params{Seed: 7, Quick: true, Only: "part", Runs: map[string]string{"scoring": "off", "run": "attack"}}
	var progress gocmdtest.SyncWriter
	rs, err := Run(ctx, root, "./study", "TestStudyX", p, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Name != "overlay/attack/x" {
		t.Fatalf("results %v", rs)
	}
	if !strings.Contains(progress.String(), "TestStudyX: study_test.go:") || !strings.Contains(progress.String(), "halfway") {
		t.Fatalf("progress does not carry the test's log:\n%s", progress.String())
	}
	if _, err := Run(ctx, root, "./study", "TestStudyFails", p, nil); !errors.Is(err, ErrStudy) || !strings.Contains(err.Error(), "the study broke") {
		t.Fatalf("failing study: %v", err)
	}
	if _, err := Run(ctx, root, "./study", "TestStudySkips", p, nil); !errors.Is(err, ErrStudy) || !strings.Contains(err.Error(), "wrote no result") {
		t.Fatalf("skipped study: %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(EnvOut, "")
	if _, ok, err := FromEnv(); ok || err != nil {
		t.Fatalf("outside a study: ok %v err %v", ok, err)
	}
	t.Setenv(EnvOut, "/tmp/x")
	t.Setenv(EnvSeed, "-3")
	t.Setenv(EnvQuick, "1")
	t.Setenv(EnvOnly, "censor")
	t.Setenv(EnvRuns, "")
	p, ok, err := FromEnv()
	if !ok || err != nil || !reflect.DeepEqual(p, Params{Seed: -3, Quick: true, Only: "censor", Out: "/tmp/x"}) {
		t.Fatalf("%+v %v %v", p, ok, err)
	}
	if err := p.NoRuns(); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvRuns, " scoring=off, ratio=10")
	p, _, err = FromEnv()
	if err != nil || !reflect.DeepEqual(p.Runs, map[string]string{"scoring": "off", "ratio": "10"}) {
		t.Fatalf("runs %v %v", p.Runs, err)
	}
	if err := p.NoRuns(); !errors.Is(err, ErrStudy) {
		t.Fatalf("a study without run selection took one: %v", err)
	}
	if s := FormatRuns(p.Runs); s != "ratio=10,scoring=off" {
		t.Fatalf("FormatRuns %q", s)
	}
	t.Setenv(EnvRuns, "ratio=0|40,scoring=on")
	p, _, _ = FromEnv()
	for labels, want := range map[[2]string]bool{{"0", "on"}: true, {"40", "on"}: true, {"10", "on"}: false, {"40", "off"}: false, {"", "on"}: false} {
		if got := Match(p.Runs, map[string]string{"ratio": labels[0], "scoring": labels[1]}); got != want {
			t.Errorf("Match(ratio=%s, scoring=%s) = %v", labels[0], labels[1], got)
		}
	}
	if !Match(nil, map[string]string{"run": "attack"}) {
		t.Error("an empty selection must match every run")
	}
	for _, bad := range []string{"scoring", "=off", "scoring=", "a=1,a=2", "a=1,,b=2", "ratio=0|", "ratio=|40"} {
		t.Setenv(EnvRuns, bad)
		if _, _, err := FromEnv(); !errors.Is(err, ErrStudy) {
			t.Fatalf("run selection %q: %v", bad, err)
		}
	}
	t.Setenv(EnvRuns, "")
	t.Setenv(EnvSeed, "x")
	if _, _, err := FromEnv(); !errors.Is(err, ErrStudy) {
		t.Fatalf("bad seed: %v", err)
	}
}
