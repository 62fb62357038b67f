package loopix

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Hosting on libp2p (SPEC.md, "Wire format", "Streams"): how link frames
// travel between two endpoints over a libp2p stream, and how an
// endpoint's NodeID follows from its libp2p peer id. The cores do not use
// any of this; a host does.
const (
	// StreamProtocol is the libp2p protocol id of the stream that carries
	// link frames from one endpoint to another.
	StreamProtocol = "/strata/mixnet/1.0.0"
	// StreamHeaderSize is the size of a stream frame's length prefix.
	StreamHeaderSize = 4
	// peerNodeIDDomain prefixes the hashed peer id of PeerNodeID.
	peerNodeIDDomain = "strata-mixnet-peer-v1"
)

// PeerNodeID is the NodeID of the endpoint at the libp2p peer whose
// binary peer id (the multihash bytes) is peer:
// SHA-256("strata-mixnet-peer-v1" ‖ peer). A host attributes every frame
// that arrives on a stream to the NodeID of the peer the stream's
// connection authenticated.
func PeerNodeID(peer []byte) NodeID {
	h := sha256.New()
	h.Write([]byte(peerNodeIDDomain))
	h.Write(peer)
	var id NodeID
	copy(id[:], h.Sum(nil))
	return id
}

// MaxStreamFrame is the largest link frame of geometry g with pull
// responses of pullSize entries: the bound a reader applies to every
// length prefix.
func MaxStreamFrame(g Geometry, pullSize int) int {
	return max(1+g.PacketSize, PullRequestSize, PullResponseSize(g, pullSize))
}

// AppendStreamFrame appends frame to dst as it travels on a stream:
// u32be(len(frame)) ‖ frame.
func AppendStreamFrame(dst, frame []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(frame)))
	return append(dst, frame...)
}

// ReadStreamFrame reads one stream frame from r. It returns io.EOF when r
// ends exactly at a frame boundary; a length of 0 or above limit, or a
// stream that ends inside a frame, wraps ErrMalformed. It reads the
// length prefix first and allocates only lengths within limit. The frame
// itself is not decoded (DecodeFrame does that).
func ReadStreamFrame(r io.Reader, limit int) ([]byte, error) {
	var hdr [StreamHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: stream ends inside a length prefix: %w", ErrMalformed, err)
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || uint64(n) > uint64(max(limit, 0)) {
		return nil, fmt.Errorf("%w: stream frame of %d bytes, must be in [1,%d]", ErrMalformed, n, limit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: stream ends inside a frame of %d bytes: %w", ErrMalformed, n, io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	return b, nil
}
