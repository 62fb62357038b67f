package trust

import (
	"bytes"
	"crypto/sha3"
	"fmt"
	"io"
	"testing"
)

func writeHex(w io.Writer, prefix string, val []byte) {
	const indent, width = "  ", 74
	h := fmt.Sprintf("%x", val)
	if len(prefix)+len(h)+5 < width {
		fmt.Fprintf(w, "%s     %s\n", prefix, h)
		return
	}
	fmt.Fprintf(w, "%s\n", prefix)
	for len(h) != 0 {
		n := min(len(h), width-len(indent))
		fmt.Fprintf(w, "%s%s\n", indent, h[:n])
		h = h[n:]
	}
}

// TestXWingDraftVectors reproduces the X-Wing draft's test-vector file
// (the same construction as circl's kem/xwing TestVectors) and compares
// its SHAKE128 digest with the one circl pins for
// spec/test-vectors.txt of draft-connolly-cfrg-xwing-kem.
func TestXWingDraftVectors(t *testing.T) {
	h := sha3.NewSHAKE128()
	w := new(bytes.Buffer)
	for range 3 {
		seed := make([]byte, xwingSeedSize)
		h.Read(seed)
		writeHex(w, "seed", seed)
		sk, pk, err := xwingDerive(seed)
		if err != nil {
			t.Fatal(err)
		}
		writeHex(w, "sk", seed)
		writeHex(w, "pk", pk)
		eseed := make([]byte, xwingEncapSeedSize)
		h.Read(eseed)
		writeHex(w, "eseed", eseed)
		ss, ct, err := xwingEncapsulate(pk, eseed)
		if err != nil {
			t.Fatal(err)
		}
		writeHex(w, "ct", ct)
		writeHex(w, "ss", ss)
		ss2, err := sk.decapsulate(ct)
		if err != nil || !bytes.Equal(ss, ss2) {
			t.Fatalf("decapsulation differs: %v", err)
		}
		fmt.Fprintf(w, "\n")
	}
	d := sha3.NewSHAKE128()
	d.Write(w.Bytes())
	cs := make([]byte, 32)
	d.Read(cs)
	if got, want := fmt.Sprintf("%x", cs), "1bcd0057d861d6b866239936cadcaeee1ec0164dedc181c386e9e54fe46156fe"; got != want {
		t.Fatalf("X-Wing vectors digest %s, want %s", got, want)
	}
}
