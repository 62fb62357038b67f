package sphinx

import (
	"fmt"
	"io"
)

// SURB is a single-use reply block: a header that routes a reply to its
// creator, the first hop to send the reply to, and the seed of the key the
// replier encrypts the reply body with (SPEC.md, "SURBs"). A SURB reveals
// neither the path beyond the first hop nor the creator.
type SURB struct {
	// FirstHop is the node a reply built from the SURB is sent to.
	FirstHop NodeID
	keySeed  [SURBKeySeedSize]byte
	header   []byte
}

// SURBKeys is what the creator of a SURB keeps to decrypt the reply: the
// SURB id, the reply-key seed and every hop's payload key. Store it as a
// secret, under ID, until the reply arrives or the keys' epoch ends.
type SURBKeys struct {
	// ID is the SURB id the last hop delivers with the reply.
	ID       SURBID
	geometry Geometry
	keySeed  [SURBKeySeedSize]byte
	hops     [][LionessKeySize]byte
}

// NewSURB creates a SURB whose reply travels along path (its last hop is
// the creator's own provider) and is delivered to recipient (the creator's
// mailbox) with a fresh SURB id. It draws from rand, in order: the SURB id
// (16 bytes), the reply-key seed (32 bytes), then the header's randomness.
func NewSURB(rand io.Reader, g Geometry, path []Hop, recipient Recipient) (*SURB, *SURBKeys, error) {
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	keys := &SURBKeys{geometry: g}
	if _, err := io.ReadFull(rand, keys.ID[:]); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	if _, err := io.ReadFull(rand, keys.keySeed[:]); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	h, err := buildHeader(rand, g, path, command{typ: cmdSURBReply, addr: recipient, tail: keys.ID})
	if err != nil {
		return nil, nil, err
	}
	for _, k := range h.keys {
		keys.hops = append(keys.hops, k.sprp)
	}
	clear(h.keys)
	return &SURB{FirstHop: path[0].ID, keySeed: keys.keySeed, header: h.header}, keys, nil
}

// NewPacketFromSURB builds the reply packet that carries payload (at most
// g.PayloadSize bytes, zero padded) back to the SURB's creator; send it to
// firstHop. It needs no randomness. A SURB is single use: a second reply
// from the same SURB is dropped as a replay by its first hop.
func NewPacketFromSURB(g Geometry, surb *SURB, payload []byte) (pkt []byte, firstHop NodeID, err error) {
	if err := g.Validate(); err != nil {
		return nil, firstHop, err
	}
	if surb == nil {
		return nil, firstHop, fmt.Errorf("%w: no SURB given", ErrBadSURB)
	}
	sz := g.Sizes()
	if len(surb.header) != sz.Header || surb.header[0] != g.Mode.format() {
		return nil, firstHop, fmt.Errorf("%w: the SURB was made for another geometry", ErrBadSURB)
	}
	body, err := bodyPlaintext(g, sz, nil, payload)
	if err != nil {
		return nil, firstHop, err
	}
	k := sprpKeyFromSeed(&surb.keySeed)
	lionessEncrypt(&k, body)
	clear(k[:])
	pkt = make([]byte, 0, sz.Packet)
	pkt = append(pkt, surb.header...)
	return append(pkt, body...), surb.FirstHop, nil
}

// DecryptReply opens the body of a reply (Unwrapped.Payload of an
// ActionReply) and returns its payload (the geometry's PayloadSize bytes).
// ErrBadPayloadTag means the reply was altered on its way (or is not for
// these keys).
func (k *SURBKeys) DecryptReply(body []byte) ([]byte, error) {
	g := k.geometry
	if err := g.Validate(); err != nil || len(k.hops) == 0 {
		return nil, fmt.Errorf("%w: SURB keys not made by NewSURB or ParseSURBKeys", ErrBadSURB)
	}
	sz := g.Sizes()
	if len(body) != sz.Body {
		return nil, fmt.Errorf("%w: reply body is %d bytes, the geometry fixes %d", ErrBadLength, len(body), sz.Body)
	}
	b := make([]byte, sz.Body, sz.Body+streamSlack)
	copy(b, body)
	for i := len(k.hops) - 1; i >= 0; i-- {
		lionessEncrypt(&k.hops[i], b)
	}
	rk := sprpKeyFromSeed(&k.keySeed)
	lionessDecrypt(&rk, b)
	clear(rk[:])
	if !isZero(b[:PayloadTagSize]) {
		return nil, ErrBadPayloadTag
	}
	off := PayloadTagSize
	if g.WithSURB {
		off += 1 + sz.SURB
	}
	return b[off:], nil
}

// Geometry is the geometry the SURB was made for.
func (k *SURBKeys) Geometry() Geometry { return k.geometry }

// MarshalBinary encodes the keys: geometry (8) ‖ SURB id (16) ‖ reply-key
// seed (32) ‖ path length (1) ‖ one LIONESS key (128) per hop.
func (k *SURBKeys) MarshalBinary() ([]byte, error) {
	gb, err := k.geometry.MarshalBinary()
	if err != nil {
		return nil, err
	}
	b := append(gb, k.ID[:]...)
	b = append(b, k.keySeed[:]...)
	b = append(b, byte(len(k.hops)))
	for _, h := range k.hops {
		b = append(b, h[:]...)
	}
	return b, nil
}

// ParseSURBKeys decodes keys encoded by MarshalBinary.
func ParseSURBKeys(b []byte) (*SURBKeys, error) {
	const fixed = GeometryEncodingSize + SURBIDSize + SURBKeySeedSize + 1
	if len(b) < fixed {
		return nil, fmt.Errorf("%w: SURB keys are %d bytes, want at least %d", ErrBadSURB, len(b), fixed)
	}
	g, err := ParseGeometry(b[:GeometryEncodingSize])
	if err != nil {
		return nil, fmt.Errorf("%w: geometry: %v", ErrBadSURB, err)
	}
	k := &SURBKeys{geometry: g}
	off := GeometryEncodingSize
	off += copy(k.ID[:], b[off:])
	off += copy(k.keySeed[:], b[off:])
	n := int(b[off])
	off++
	if n < 1 || n > g.Hops {
		return nil, fmt.Errorf("%w: SURB keys for %d hops, the geometry allows 1..%d", ErrBadSURB, n, g.Hops)
	}
	if len(b) != off+n*LionessKeySize {
		return nil, fmt.Errorf("%w: SURB keys for %d hops are %d bytes, want %d", ErrBadSURB, n, len(b), off+n*LionessKeySize)
	}
	k.hops = make([][LionessKeySize]byte, n)
	for i := range k.hops {
		off += copy(k.hops[i][:], b[off:])
	}
	return k, nil
}

// MarshalBinary encodes the SURB: first hop (32) ‖ reply-key seed (32) ‖
// header (the geometry's header size).
func (s *SURB) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, NodeIDSize+SURBKeySeedSize+len(s.header))
	b = append(b, s.FirstHop[:]...)
	b = append(b, s.keySeed[:]...)
	return append(b, s.header...), nil
}

// encode is MarshalBinary after checking that the SURB fits g.
func (s *SURB) encode(g Geometry) ([]byte, error) {
	if len(s.header) != g.HeaderSize() || s.header[0] != g.Mode.format() {
		return nil, fmt.Errorf("%w: the SURB was made for another geometry", ErrBadSURB)
	}
	return s.MarshalBinary()
}

// ParseSURB decodes a SURB of geometry g. It checks the sizes and the
// header's format byte; the header itself is authenticated only by the
// hops that process it.
func ParseSURB(g Geometry, b []byte) (*SURB, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	sz := g.Sizes()
	if len(b) != sz.SURB {
		return nil, fmt.Errorf("%w: SURB is %d bytes, the geometry fixes %d", ErrBadSURB, len(b), sz.SURB)
	}
	s := &SURB{header: make([]byte, sz.Header)}
	off := copy(s.FirstHop[:], b)
	off += copy(s.keySeed[:], b[off:])
	copy(s.header, b[off:])
	if s.header[0] != g.Mode.format() {
		return nil, fmt.Errorf("%w: SURB header format byte %#x, want %#x", ErrBadSURB, s.header[0], g.Mode.format())
	}
	return s, nil
}

// parseSlot decodes the body's SURB slot: marker ‖ SURB. An empty slot
// (marker 0x00) must be all zero.
func parseSlot(g Geometry, sz Sizes, slot []byte) (*SURB, error) {
	switch slot[0] {
	case slotEmpty:
		if !isZero(slot[1:]) {
			return nil, fmt.Errorf("%w: empty SURB slot with non-zero bytes", ErrBadSURB)
		}
		return nil, nil
	case slotPresent:
		return ParseSURB(g, slot[1:])
	}
	return nil, fmt.Errorf("%w: SURB slot marker %#x", ErrBadSURB, slot[0])
}
