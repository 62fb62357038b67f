package trust

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/strata-lab/strata/layers"
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
	expectRE := regexp.MustCompile(`"expect": "[A-Za-z]+"`)
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
		e := expectRE.FindIndex(b)
		if e == nil {
			t.Fatalf("%s: no expectation", name)
		}
		repl := []byte(`"expect": "ErrMalformed"`)
		if bytes.Equal(b[e[0]:e[1]], repl) {
			repl = []byte(`"expect": "valid"`)
		}
		changed := slices.Concat(b[:e[0]], repl, b[e[1]:])
		if err := CheckVector(name, changed); err == nil {
			t.Errorf("%s: a changed expectation passes", name)
		}
	}
	if err := CheckVector("payloads.json", []byte(`{"schema":"strata.vectors/v1","layer":"trust","description":"","cases":[]}`)); err == nil {
		t.Error("a file without cases passes")
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDescriptor: the descriptor validates and the tooling's vector check
// (layers.CheckVectorDir) passes on the committed files.
func TestDescriptor(t *testing.T) {
	if err := Descriptor.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := layers.CheckVectorDir(Descriptor, "../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 {
		t.Fatal("no vector files checked")
	}
	for _, r := range res {
		if r.Err != nil {
			t.Error(r.Err)
		}
	}
}
