package loopix

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"slices"
)

// ---- stream.json

// streamCase is one case of stream.json: either a byte stream of framed
// link frames ("stream") or a libp2p peer id and its NodeID ("node-id").
type streamCase struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// stream cases: the geometry and pull size that set the limit, the
	// stream, and the frames it carries (valid) or the error.
	PacketSize  int      `json:"packet_size,omitempty"`
	PayloadSize int      `json:"payload_size,omitempty"`
	PullSize    int      `json:"pull_size,omitempty"`
	Limit       int      `json:"limit,omitempty"`
	Stream      string   `json:"stream,omitempty"`
	Frames      []string `json:"frames,omitempty"`
	Expect      string   `json:"expect"`
	// node-id cases: the binary peer id and the NodeID it maps to.
	Peer   string `json:"peer,omitempty"`
	NodeID string `json:"node_id,omitempty"`
}

// vecPeerID is the binary libp2p peer id of the Ed25519 key derived from
// label: the identity multihash (0x00, length 0x24) of the protobuf
// public key (0x08 0x01 = Ed25519, 0x12 0x20 = 32 bytes of key).
func vecPeerID(label string) []byte {
	pub := vecKey(label).Public().(ed25519.PublicKey)
	return append([]byte{0x00, 0x24, 0x08, 0x01, 0x12, 0x20}, pub...)
}

// readStream reads every frame of a stream; the error is nil at a clean
// end.
func readStream(b []byte, limit int) ([][]byte, error) {
	r := bytes.NewReader(b)
	var out [][]byte
	for {
		f, err := ReadStreamFrame(r, limit)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, f)
	}
}

func genStreamCases() (any, error) {
	g := vecSimGeometry
	const pullSize = 2
	limit := MaxStreamFrame(g, pullSize)
	client := vecID("client-0")
	pkt := EncodePacketFrame(bytes.Repeat([]byte{0xab}, g.PacketSize))
	pull := EncodePull(client)
	resp, err := EncodePullResponse(g, []Entry{{Real: true, Body: bytes.Repeat([]byte{1}, g.PayloadSize)}, {Body: make([]byte, g.PayloadSize)}})
	if err != nil {
		return nil, err
	}
	if len(pkt) != limit {
		return nil, fmt.Errorf("packet frame of %d bytes, limit %d", len(pkt), limit)
	}
	sc := func(name string, stream []byte, frames [][]byte, expect string) streamCase {
		c := streamCase{Name: name, Kind: "stream", PacketSize: g.PacketSize, PayloadSize: g.PayloadSize, PullSize: pullSize,
			Limit: limit, Stream: hx(stream), Expect: expect}
		for _, f := range frames {
			c.Frames = append(c.Frames, hx(f))
		}
		return c
	}
	frame := func(fs ...[]byte) []byte {
		var b []byte
		for _, f := range fs {
			b = AppendStreamFrame(b, f)
		}
		return b
	}
	two := frame(pkt, pull)
	oversize := AppendStreamFrame(nil, make([]byte, limit+1))
	cases := []streamCase{
		sc("packet-at-limit-then-pull", two, [][]byte{pkt, pull}, expectValid),
		sc("pull-response", frame(resp), [][]byte{resp}, expectValid),
		// The prefix only bounds the length; an undecodable frame inside
		// it is the core's to refuse (DecodeFrame), so it reads.
		sc("undecodable-frame-within-limit", frame([]byte{9}), [][]byte{{9}}, expectValid),
		sc("empty-stream", nil, nil, expectValid),
		sc("length-zero", []byte{0, 0, 0, 0}, nil, "ErrMalformed"),
		sc("length-over-limit", oversize[:StreamHeaderSize], nil, "ErrMalformed"),
		sc("length-2^32-1", []byte{0xff, 0xff, 0xff, 0xff}, nil, "ErrMalformed"),
		sc("ends-inside-prefix", append(frame(pull), 0, 0), [][]byte{pull}, "ErrMalformed"),
		sc("ends-inside-frame", two[:len(two)-1], [][]byte{pkt}, "ErrMalformed"),
	}
	for i := range 2 {
		peer := vecPeerID(fmt.Sprintf("peer-%d", i))
		id := PeerNodeID(peer)
		cases = append(cases, streamCase{Name: fmt.Sprintf("node-id-of-ed25519-peer-%d", i), Kind: "node-id", Peer: hx(peer),
			NodeID: hxID(id), Expect: expectValid})
	}
	return cases, nil
}

func checkStreamCase(c streamCase) error {
	switch c.Kind {
	case "node-id":
		peer, err := unhex(c.Peer)
		if err != nil {
			return err
		}
		if c.Expect != expectValid {
			return fmt.Errorf("%s: a node id case is always valid", c.Name)
		}
		if got := PeerNodeID(peer); hxID(got) != c.NodeID {
			return fmt.Errorf("%s: node id %x, want %s", c.Name, got, c.NodeID)
		}
		return nil
	case "stream":
	default:
		return fmt.Errorf("%s: kind %q", c.Name, c.Kind)
	}
	g := Geometry{Format: FormatSim, PacketSize: c.PacketSize, PayloadSize: c.PayloadSize, MaxHops: 5}
	if limit := MaxStreamFrame(g, c.PullSize); limit != c.Limit {
		return fmt.Errorf("%s: limit %d, want %d", c.Name, limit, c.Limit)
	}
	b, err := unhex(c.Stream)
	if err != nil {
		return err
	}
	frames, err := readStream(b, c.Limit)
	if got := ErrorName(err); got != c.Expect {
		return fmt.Errorf("%s: %s, want %s", c.Name, got, c.Expect)
	}
	var hexes []string
	for _, f := range frames {
		hexes = append(hexes, hx(f))
	}
	if !slices.Equal(hexes, c.Frames) {
		return fmt.Errorf("%s: read %d frames %v, want %v", c.Name, len(frames), hexes, c.Frames)
	}
	if err == nil {
		var re []byte
		for _, f := range frames {
			re = AppendStreamFrame(re, f)
		}
		if !bytes.Equal(re, b) {
			return fmt.Errorf("%s: frames do not re-encode to the stream", c.Name)
		}
	}
	return nil
}
