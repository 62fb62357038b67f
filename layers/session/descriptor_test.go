package session

import (
	"bytes"
	"testing"

	"github.com/strata-lab/strata/layers"
)

func TestDescriptor(t *testing.T) {
	if err := Descriptor.Validate(); err != nil {
		t.Fatal(err)
	}
	res, err := layers.CheckVectorDir(Descriptor, "../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 {
		t.Fatal("no vector files")
	}
	for _, r := range res {
		if r.Err != nil {
			t.Error(r.Err)
		}
	}
	for _, sec := range []string{"## Requires", "## Provides", "## Threat model", "## Trade-offs", "## Wire format", "## Procedures", "## Security considerations", "## Test vectors"} {
		if !bytes.Contains(Descriptor.Spec, []byte("\n"+sec+"\n")) {
			t.Errorf("SPEC.md lacks section %q", sec)
		}
	}
}
