package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-lab/strata/layers/catalog"
)

// run executes the CLI in-process with args and returns stdout and stderr.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errb)
	err := root.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func TestVersion(t *testing.T) {
	out, _, err := run(t, "version")
	if err != nil || !strings.HasPrefix(out, "strata ") {
		t.Fatalf("version: %q, %v", out, err)
	}
}

func TestVectorsCheck(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, "vectors", "check", "--out", dir)
	if err != nil {
		t.Fatalf("vectors check: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ok   sync/message_ids.json") {
		t.Fatalf("no line per file:\n%s", out)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "results", "vectors-*.json")); len(m) != len(catalog.All()) {
		t.Fatalf("vectors result files: %v, want one per layer", m)
	}
}

// TestVectorsCheckFailsOnAlteredFile checks a copy of the vectors in which
// one id is changed.
func TestVectorsCheckFailsOnAlteredFile(t *testing.T) {
	root := t.TempDir()
	vdir := filepath.Join(root, "layers", "sync", "testdata", "vectors")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := filepath.Glob("../../layers/sync/testdata/vectors/*.json")
	if err != nil || len(src) == 0 {
		t.Fatalf("no vector files: %v", err)
	}
	for _, f := range src {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "message_ids.json" {
			i := bytes.Index(b, []byte(`"id": "`)) + len(`"id": "`)
			b[i] ^= 1
		}
		if err := os.WriteFile(filepath.Join(vdir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err := run(t, "vectors", "check", "--root", root, "--out", t.TempDir())
	if !errors.Is(err, errFailed) {
		t.Fatalf("altered vectors: err %v\n%s", err, out)
	}
	if !strings.Contains(out, "FAIL sync/message_ids.json") || !strings.Contains(out, "ok   sync/frames.json") {
		t.Fatalf("output does not name the failing file:\n%s", out)
	}
}

func TestReportWithoutResults(t *testing.T) {
	_, _, err := run(t, "report", "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "strata audit") {
		t.Fatalf("report without results: %v", err)
	}
}

func TestSimUnknown(t *testing.T) {
	if _, _, err := run(t, "sim", "nosuchlayer"); err == nil {
		t.Fatal("sim of an unknown layer succeeded")
	}
	if _, _, err := run(t, "sim", "sync", "--study", "nosuchstudy"); err == nil || !strings.Contains(err.Error(), "churn") {
		t.Fatalf("unknown study: %v", err)
	}
}

// TestSimReconcileAndReport runs a study and renders the report from it.
func TestSimReconcileAndReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a simulator study")
	}
	dir := t.TempDir()
	out, _, err := run(t, "sim", "sync", "--study", "churn", "--quick", "--seed", "3", "--out", dir)
	if err != nil {
		t.Fatalf("sim: %v\n%s", err, out)
	}
	if !strings.Contains(out, "trace hash over") {
		t.Fatalf("no trace hash in the summary:\n%s", out)
	}
	out, _, err = run(t, "report", "--out", dir)
	if err != nil || !strings.Contains(out, "index.html") {
		t.Fatalf("report: %v\n%s", err, out)
	}
	html, err := os.ReadFile(filepath.Join(dir, "report", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(html, []byte("<svg")); n < 3 {
		t.Fatalf("report has %d plots", n)
	}
	if !bytes.Contains(html, []byte("best_overhead_ratio")) {
		t.Fatal("report lacks the sync goals")
	}
}

func TestTrustPairSeeded(t *testing.T) {
	out1, _, err := run(t, "trust", "pair", "--seed", "7")
	if err != nil {
		t.Fatalf("trust pair: %v\n%s", err, out1)
	}
	out2, _, err := run(t, "trust", "pair", "--seed", "7")
	if err != nil || out1 != out2 {
		t.Fatalf("a seeded pairing does not replay:\n%s\n%s", out1, out2)
	}
	if !strings.Contains(out1, "paired: 4 records") {
		t.Fatalf("unexpected output:\n%s", out1)
	}
	if _, _, err := run(t, "trust", "pair", "--one-way", "--seed", "7"); err != nil {
		t.Fatalf("one-way pairing: %v", err)
	}
}

func TestTrustQR(t *testing.T) {
	png := filepath.Join(t.TempDir(), "qr.png")
	out, _, err := run(t, "trust", "qr", "--hint", "127.0.0.1:4001", "--png", png)
	if err != nil || !strings.Contains(out, "STRATA1:") {
		t.Fatalf("trust qr: %v\n%s", err, out)
	}
	b, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("no PNG written: %v", err)
	}
}

func TestAttackSession(t *testing.T) {
	dir := t.TempDir()
	out, _, err := run(t, "attack", "session", "--quick", "--out", dir)
	if err != nil {
		t.Fatalf("attack: %v\n%s", err, out)
	}
	if !strings.Contains(out, "trust/attack/mitm-key-substitution") || strings.Contains(out, "✘") {
		t.Fatalf("unexpected output:\n%s", out)
	}
	if _, _, err := run(t, "attack", "nosuchgroup"); err == nil {
		t.Fatal("an unknown group ran")
	}
}
