// Package vectorstest holds the checks every layer runs on its test
// vectors from its own tests: the committed files check, the generator
// reproduces them byte for byte (or rewrites them with -update), and the
// layer's CheckVector fails on altered files.
package vectorstest

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/strata-lab/strata/layers"
)

// Dir is where a layer's tests find its vector files: testdata/vectors,
// relative to the package directory the tests run in.
const Dir = "testdata/vectors"

// Check checks every vector file of d in Dir, and that d's generator
// reproduces the committed files byte for byte; with update it first
// rewrites them from the generator.
func Check(t *testing.T, d layers.Descriptor, update bool) {
	t.Helper()
	gen, err := d.GenerateVectors()
	if err != nil {
		t.Fatal(err)
	}
	if update {
		if err := os.MkdirAll(Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range gen {
			if err := os.WriteFile(filepath.Join(Dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(Dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no vector files found: run go test -run TestVectors -update")
	}
	var names []string
	for _, f := range files {
		name := filepath.Base(f)
		names = append(names, name)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.CheckVector(name, b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, gen[name]) {
				t.Fatalf("%s differs from what the generator produces: run go test -run TestVectors -update and review the diff", name)
			}
		})
	}
	for name := range gen {
		if !slices.Contains(names, name) {
			t.Errorf("generated file %s is not committed", name)
		}
	}
}

var (
	longHex  = regexp.MustCompile(`"[0-9a-f]{16,}"`)
	expectRE = regexp.MustCompile(`"expect": "[A-Za-z]+"`)
)

// Tamper alters every generated file of d in two ways, a flipped hex digit
// in the first long hex value of its cases and a changed expectation, and
// fails unless d.CheckVector rejects both.
func Tamper(t *testing.T, d layers.Descriptor) {
	t.Helper()
	gen, err := d.GenerateVectors()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range gen {
		c := bytes.Index(b, []byte(`"cases"`))
		if c < 0 {
			t.Fatalf("%s: no cases", name)
		}
		loc := longHex.FindIndex(b[c:])
		if loc == nil {
			t.Fatalf("%s: no hex value to tamper with", name)
		}
		pos := c + loc[0] + 5
		flipped := slices.Clone(b)
		if flipped[pos] == '0' {
			flipped[pos] = '1'
		} else {
			flipped[pos] = '0'
		}
		if err := d.CheckVector(name, flipped); err == nil {
			t.Errorf("%s: a flipped hex digit passes", name)
		}
		e := expectRE.FindIndex(b)
		if e == nil {
			t.Fatalf("%s: no expectation", name)
		}
		repl := []byte(`"expect": "ErrMalformed"`)
		if bytes.Equal(b[e[0]:e[1]], repl) {
			repl = []byte(`"expect": "valid"`)
		}
		changed := slices.Concat(b[:e[0]], repl, b[e[1]:])
		if err := d.CheckVector(name, changed); err == nil {
			t.Errorf("%s: a changed expectation passes", name)
		}
	}
}
