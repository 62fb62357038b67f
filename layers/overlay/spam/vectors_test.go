package spam

import (
	"flag"
	"testing"

	"github.com/strata-lab/strata/layers/vectorstest"
)

var update = flag.Bool("update", false, "regenerate the vector files in testdata/vectors")

// TestVectors checks every vector file, and that the generator reproduces
// the committed files byte for byte; with -update it rewrites them.
func TestVectors(t *testing.T) { vectorstest.Check(t, Descriptor, *update) }

// TestVectorCheckDetectsTampering expects the checker to fail on altered
// files.
func TestVectorCheckDetectsTampering(t *testing.T) { vectorstest.Tamper(t, Descriptor) }
