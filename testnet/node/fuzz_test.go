package node

import (
	"bytes"
	"errors"
	"testing"

	"github.com/strata-lab/strata/layers/sync"
)

// FuzzEnvelope checks that whatever decodes as a gossip envelope encodes
// back to the same bytes, and that failures are classified.
func FuzzEnvelope(f *testing.F) {
	da, db := f.TempDir(), f.TempDir()
	pa, pb := identity(f, da, 61), identity(f, db, 62)
	f.Add(encodeEnvelope(1, pa, pb, []byte("frame")))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		to, from, frame, err := decodeEnvelope(b)
		if err != nil {
			if !errors.Is(err, sync.ErrMalformed) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		nonce := uint64(0)
		for _, c := range b[1:9] {
			nonce = nonce<<8 | uint64(c)
		}
		if again := encodeEnvelope(nonce, to, from, frame); !bytes.Equal(again, b) {
			t.Fatalf("%x decodes and re-encodes as %x", b, again)
		}
	})
}

// FuzzReadFrame checks the stream framing: a frame is returned only with
// its announced length, which is bounded.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 'a', 'b', 'c'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		frame, err := readFrame(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(frame) == 0 || len(frame) > sync.MaxFrameBytes || !bytes.Equal(frame, b[4:4+len(frame)]) {
			t.Fatalf("frame of %d bytes from %d input bytes", len(frame), len(b))
		}
	})
}
