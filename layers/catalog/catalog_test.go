package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
