package catalog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-lab/strata/layers"
)

func TestDescriptorsValid(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range All() {
		if err := d.Validate(); err != nil {
			t.Error(err)
		}
		if seen[d.Name] {
			t.Errorf("layer %s listed twice", d.Name)
		}
		seen[d.Name] = true
		// Dir must point at the layer's directory from the module root.
		if _, err := os.Stat(filepath.Join("..", "..", d.Dir, "SPEC.md")); err != nil {
			t.Errorf("%s: Dir %q: %v", d.Name, d.Dir, err)
		}
	}
}

// TestLayerContract checks, for every layer, what the tooling relies on:
// the vector files check through the descriptor (as strata vectors check
// runs them) and SPEC.md has every section the contract names.
func TestLayerContract(t *testing.T) {
	sections := []string{"## Requires", "## Provides", "## Threat model", "## Trade-offs",
		"## Wire format", "## Procedures", "## Security considerations", "## Test vectors"}
	for _, d := range All() {
		res, err := layers.CheckVectorDir(d, filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 {
			t.Errorf("%s: no vector files", d.Name)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Errorf("%s: %v", d.Name, r.Err)
			}
		}
		for _, sec := range sections {
			if !bytes.Contains(d.Spec, []byte("\n"+sec+"\n")) {
				t.Errorf("%s: SPEC.md lacks section %q", d.Name, sec)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	if _, err := Lookup("sync"); err != nil {
		t.Fatal(err)
	}
	if _, err := Lookup("nope"); err == nil {
		t.Fatal("Lookup of an unknown layer succeeded")
	}
}

func TestBenchGoalsName(t *testing.T) {
	for _, d := range All() {
		for _, g := range d.BenchGoals {
			if strings.HasPrefix(g.Bench, "Benchmark") || strings.Contains(g.Bench, " ") {
				t.Errorf("%s: bench goal %q: name the benchmark without its Benchmark prefix", d.Name, g.Bench)
			}
		}
	}
}
