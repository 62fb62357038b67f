package vectorstest

import (
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/strata-lab/strata/layers"
)

// Cases decodes the cases of d's generated vector file named file into v,
// for tests (spec re-derivations, fuzz seeds) that read the vectors.
func Cases(tb testing.TB, d layers.Descriptor, file string, v any) {
	tb.Helper()
	gen, err := d.GenerateVectors()
	if err != nil {
		tb.Fatal(err)
	}
	var vf layers.VectorFile
	if err := json.Unmarshal(gen[file], &vf); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	if err := json.Unmarshal(vf.Cases, v); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
}

// HexField returns the decoded value of the hex string field in every
// case of d's generated vector file named file that has one; it fails when
// none has (a fuzz target would otherwise start without seeds).
func HexField(tb testing.TB, d layers.Descriptor, file, field string) [][]byte {
	tb.Helper()
	var cases []map[string]any
	Cases(tb, d, file, &cases)
	var out [][]byte
	for _, c := range cases {
		if s, ok := c[field].(string); ok {
			if b, err := hex.DecodeString(s); err == nil {
				out = append(out, b)
			}
		}
	}
	if len(out) == 0 {
		tb.Fatalf("no %s values in %s", field, file)
	}
	return out
}
