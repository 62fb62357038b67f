package trust

import (
	"flag"
	"testing"

	"github.com/strata-lab/strata/layers"
	"github.com/strata-lab/strata/layers/vectorstest"
)

var update = flag.Bool("update", false, "regenerate the vector files in testdata/vectors")

// TestVectors checks every vector file, and that the generator reproduces
// the committed files byte for byte; with -update it rewrites them.
func TestVectors(t *testing.T) { vectorstest.Check(t, Descriptor, *update) }

// TestVectorCheckDetectsTampering expects CheckVector to fail on altered
// files and on a file without cases.
func TestVectorCheckDetectsTampering(t *testing.T) {
	vectorstest.Tamper(t, Descriptor)
	if err := CheckVector("payloads.json", []byte(`{"schema":"strata.vectors/v1","layer":"trust","description":"","cases":[]}`)); err == nil {
		t.Error("a file without cases passes")
	}
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
