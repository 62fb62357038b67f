package loopix

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestReadStreamFrameBounds: a frame at the limit reads; one byte more is
// refused after reading only its length prefix (nothing is allocated or
// consumed for it); a failing stream's own error comes through unchanged.
func TestReadStreamFrameBounds(t *testing.T) {
	limit := MaxStreamFrame(DefaultGeometry(), DefaultParams().PullSize)
	if want := PullResponseSize(DefaultGeometry(), DefaultParams().PullSize); limit != want || limit != 8198 {
		t.Fatalf("limit %d, want the pull response's %d (8198)", limit, want)
	}
	at := AppendStreamFrame(nil, make([]byte, limit))
	if f, err := ReadStreamFrame(bytes.NewReader(at), limit); err != nil || len(f) != limit {
		t.Fatalf("frame at the limit: %d bytes, %v", len(f), err)
	}
	over := &countingReader{r: bytes.NewReader(AppendStreamFrame(nil, make([]byte, limit+1)))}
	if _, err := ReadStreamFrame(over, limit); !errors.Is(err, ErrMalformed) || over.n != StreamHeaderSize {
		t.Fatalf("oversize frame: %v after reading %d bytes", err, over.n)
	}
	if _, err := ReadStreamFrame(bytes.NewReader(nil), limit); err != io.EOF {
		t.Fatalf("empty stream: %v, want io.EOF", err)
	}
	boom := errors.New("link down")
	if _, err := ReadStreamFrame(io.MultiReader(bytes.NewReader(at[:10]), iotestErr{boom}), limit); !errors.Is(err, boom) || errors.Is(err, ErrMalformed) {
		t.Fatalf("failing stream: %v", err)
	}
	if _, err := ReadStreamFrame(bytes.NewReader(at), 0); !errors.Is(err, ErrMalformed) {
		t.Fatalf("limit 0: %v", err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

// TestPeerNodeIDDistinct: distinct peers get distinct ids, none of which
// is the drop marker.
func TestPeerNodeIDDistinct(t *testing.T) {
	a, b := PeerNodeID(vecPeerID("peer-0")), PeerNodeID(vecPeerID("peer-1"))
	if a == b || NodeID(dropRecipient) == a || PeerNodeID(nil) == a {
		t.Fatal("node ids collide")
	}
}
