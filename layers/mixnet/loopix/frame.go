package loopix

import "fmt"

// FrameType is the first byte of every link frame.
type FrameType uint8

// Link frames (SPEC.md, "Wire format"). Links between a client and its
// provider, and between nodes, carry exactly these frames; the link itself
// (an authenticated encrypted channel) is a requirement, not part of the
// layer.
const (
	// FramePacket carries one packet of the geometry's PacketSize.
	FramePacket FrameType = 1
	// FramePull asks a provider for the client's stored messages.
	FramePull FrameType = 2
	// FramePullResponse answers a pull with a constant number of entries.
	FramePullResponse FrameType = 3
)

// PullRequestSize is the size of a pull frame: type and client id.
const PullRequestSize = 1 + 32

// FrameSlack is the spare capacity every encoded frame is allocated with,
// so that a host can append link metadata without copying the frame.
const FrameSlack = 32

// Entry is one entry of a pull response: a stored body, or a dummy of the
// same size.
type Entry struct {
	Real bool
	Body []byte
}

// Frame is a decoded link frame.
type Frame struct {
	Type    FrameType
	Packet  []byte  // FramePacket
	Client  NodeID  // FramePull
	Entries []Entry // FramePullResponse
}

// EncodePacketFrame frames a packet for a link.
func EncodePacketFrame(packet []byte) []byte {
	b := make([]byte, 1+len(packet), 1+len(packet)+FrameSlack)
	b[0] = byte(FramePacket)
	copy(b[1:], packet)
	return b
}

// EncodePull frames a pull request of client.
func EncodePull(client NodeID) []byte {
	b := make([]byte, PullRequestSize, PullRequestSize+FrameSlack)
	b[0] = byte(FramePull)
	copy(b[1:], client[:])
	return b
}

// PullResponseSize is the size of a pull response of n entries.
func PullResponseSize(g Geometry, n int) int { return 2 + n*(1+g.PayloadSize) }

// EncodePullResponse frames entries; every body must have the geometry's
// PayloadSize bytes.
func EncodePullResponse(g Geometry, entries []Entry) ([]byte, error) {
	if len(entries) < 1 || len(entries) > MaxPullSize {
		return nil, fmt.Errorf("%w: pull response of %d entries, must be in [1,%d]", ErrConfig, len(entries), MaxPullSize)
	}
	b := make([]byte, 2, PullResponseSize(g, len(entries))+FrameSlack)
	b[0], b[1] = byte(FramePullResponse), byte(len(entries))
	for _, e := range entries {
		if len(e.Body) != g.PayloadSize {
			return nil, fmt.Errorf("%w: entry body of %d bytes, want %d", ErrConfig, len(e.Body), g.PayloadSize)
		}
		k := byte(0)
		if e.Real {
			k = 1
		}
		b = append(b, k)
		b = append(b, e.Body...)
	}
	return b, nil
}

// DecodeFrame parses a link frame of geometry g. Every length is fixed by
// the geometry; anything else wraps ErrMalformed. Packet and entry bodies
// alias b.
func DecodeFrame(g Geometry, b []byte) (Frame, error) {
	if len(b) == 0 {
		return Frame{}, fmt.Errorf("%w: empty frame", ErrMalformed)
	}
	f := Frame{Type: FrameType(b[0])}
	switch f.Type {
	case FramePacket:
		if len(b) != 1+g.PacketSize {
			return Frame{}, fmt.Errorf("%w: packet frame of %d bytes, want %d", ErrMalformed, len(b), 1+g.PacketSize)
		}
		f.Packet = b[1:]
	case FramePull:
		if len(b) != PullRequestSize {
			return Frame{}, fmt.Errorf("%w: pull frame of %d bytes, want %d", ErrMalformed, len(b), PullRequestSize)
		}
		copy(f.Client[:], b[1:])
	case FramePullResponse:
		if len(b) < 2 {
			return Frame{}, fmt.Errorf("%w: truncated pull response", ErrMalformed)
		}
		n := int(b[1])
		if n < 1 || n > MaxPullSize || len(b) != PullResponseSize(g, n) {
			return Frame{}, fmt.Errorf("%w: pull response of %d entries in %d bytes", ErrMalformed, n, len(b))
		}
		f.Entries = make([]Entry, n)
		for i := range n {
			o := 2 + i*(1+g.PayloadSize)
			if b[o] > 1 {
				return Frame{}, fmt.Errorf("%w: entry %d of kind %d", ErrMalformed, i, b[o])
			}
			f.Entries[i] = Entry{Real: b[o] == 1, Body: b[o+1 : o+1+g.PayloadSize]}
		}
	default:
		return Frame{}, fmt.Errorf("%w: frame type %d", ErrMalformed, b[0])
	}
	return f, nil
}
