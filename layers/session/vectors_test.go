package session

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate the vector files in testdata/vectors")

const vectorDir = "testdata/vectors"

// TestVectors checks every vector file, and that the generator reproduces
// the committed files byte for byte; with -update it rewrites them.
func TestVectors(t *testing.T) {
	gen, err := GenerateVectors()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(vectorDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range gen {
			if err := os.WriteFile(filepath.Join(vectorDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
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
			if err := CheckVector(name, b); err != nil {
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

// TestVectorCheckDetectsTampering alters each file in two ways, a flipped
// hex digit in the first case and a changed expectation, and expects
// CheckVector to fail on both.
func TestVectorCheckDetectsTampering(t *testing.T) {
	gen, err := GenerateVectors()
	if err != nil {
		t.Fatal(err)
	}
	longHex := regexp.MustCompile(`"[0-9a-f]{16,}"`)
	for name, b := range gen {
		c := bytes.Index(b, []byte(`"cases"`))
		loc := longHex.FindIndex(b[c:])
		if loc == nil {
			t.Fatalf("%s: no hex value to tamper with", name)
		}
		pos := c + loc[0] + 5
		flipped := slices.Clone(b)
		flipped[pos] = "01"[b2i(flipped[pos] == '0')]
		if err := CheckVector(name, flipped); err == nil {
			t.Errorf("%s: a flipped hex digit passes", name)
		}
		expect := bytes.Replace(b, []byte(`"expect": "valid"`), []byte(`"expect": "ErrMalformed"`), 1)
		if err := CheckVector(name, expect); err == nil {
			t.Errorf("%s: a changed expectation passes", name)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
