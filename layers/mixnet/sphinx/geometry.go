package sphinx

import (
	"encoding/binary"
	"fmt"
)

// Mode selects the per-hop key agreement of a geometry.
type Mode uint8

const (
	// ModeX25519 carries one X25519 group element that each hop blinds
	// (compact header; two scalar multiplications per hop).
	ModeX25519 Mode = 1
	// ModeMLKEM768 carries one ML-KEM-768 ciphertext per hop (no
	// blinding; post-quantum; a header about 22 times larger).
	ModeMLKEM768 Mode = 2
)

// String returns "x25519" or "mlkem768".
func (m Mode) String() string {
	switch m {
	case ModeX25519:
		return "x25519"
	case ModeMLKEM768:
		return "mlkem768"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// format returns the packet format byte of the mode.
func (m Mode) format() byte {
	if m == ModeMLKEM768 {
		return formatMLKEM768
	}
	return formatX25519
}

// elementSize is the size of the header's key-agreement field: the group
// element α or the first hop's KEM ciphertext.
func (m Mode) elementSize() int {
	if m == ModeMLKEM768 {
		return KEMCiphertextSize
	}
	return X25519Size
}

// Geometry fixes the shape of every packet of a network: the maximum path
// length, the payload size, whether the body has room for a SURB, and the
// key-agreement mode. Every packet of a geometry has the same size, so
// sizes leak nothing about path length or content. Build one with
// NewGeometry or DefaultGeometry; every function that takes a Geometry
// validates it first (ErrBadGeometry).
type Geometry struct {
	// Hops is the maximum path length (1..MaxHops). Shorter paths are
	// padded and indistinguishable on the wire.
	Hops int
	// PayloadSize is the size of the application payload every packet
	// carries (MinPayloadSize..MaxPayloadSize).
	PayloadSize int
	// Mode is ModeX25519 or ModeMLKEM768.
	Mode Mode
	// WithSURB reserves room in the body for one SURB (a reply block).
	WithSURB bool
}

// NewGeometry returns a validated geometry.
func NewGeometry(hops, payloadSize int, mode Mode, withSURB bool) (Geometry, error) {
	g := Geometry{Hops: hops, PayloadSize: payloadSize, Mode: mode, WithSURB: withSURB}
	return g, g.Validate()
}

// DefaultGeometry is 5 hops, a 2048-byte payload, X25519, no SURB slot.
func DefaultGeometry() Geometry {
	return Geometry{Hops: DefaultHops, PayloadSize: DefaultPayloadSize, Mode: ModeX25519}
}

// Validate reports whether g is in range.
func (g Geometry) Validate() error {
	switch {
	case g.Hops < 1 || g.Hops > MaxHops:
		return fmt.Errorf("%w: %d hops (want 1..%d)", ErrBadGeometry, g.Hops, MaxHops)
	case g.PayloadSize < MinPayloadSize || g.PayloadSize > MaxPayloadSize:
		return fmt.Errorf("%w: payload size %d (want %d..%d)", ErrBadGeometry, g.PayloadSize, MinPayloadSize, MaxPayloadSize)
	case g.Mode != ModeX25519 && g.Mode != ModeMLKEM768:
		return fmt.Errorf("%w: unknown mode %d (want %d for X25519 or %d for ML-KEM-768)", ErrBadGeometry, g.Mode, ModeX25519, ModeMLKEM768)
	}
	return nil
}

// Sizes are the byte sizes a geometry fixes.
type Sizes struct {
	// Slot is the per-hop routing information: one command, plus the next
	// hop's KEM ciphertext in ModeMLKEM768.
	Slot int
	// Routing is β: Hops slots.
	Routing int
	// Header is AD ‖ α (or the first KEM ciphertext) ‖ β ‖ γ.
	Header int
	// SURB is an encoded SURB: first hop ‖ reply-key seed ‖ header.
	SURB int
	// Body is the encrypted body: zero tag ‖ SURB slot (1 + SURB, when
	// WithSURB) ‖ payload.
	Body int
	// Packet is Header + Body.
	Packet int
	// Payload is the application payload.
	Payload int
}

// Sizes computes every size of g (SPEC.md, "Geometry"). g must be valid.
func (g Geometry) Sizes() Sizes {
	var s Sizes
	s.Slot = CommandSize
	if g.Mode == ModeMLKEM768 {
		s.Slot += KEMCiphertextSize
	}
	s.Routing = g.Hops * s.Slot
	s.Header = ADSize + g.Mode.elementSize() + s.Routing + MACSize
	s.SURB = NodeIDSize + SURBKeySeedSize + s.Header
	s.Body = PayloadTagSize + g.PayloadSize
	if g.WithSURB {
		s.Body += 1 + s.SURB
	}
	s.Packet = s.Header + s.Body
	s.Payload = g.PayloadSize
	return s
}

// HeaderSize is Sizes().Header.
func (g Geometry) HeaderSize() int { return g.Sizes().Header }

// BodySize is Sizes().Body.
func (g Geometry) BodySize() int { return g.Sizes().Body }

// PacketSize is Sizes().Packet.
func (g Geometry) PacketSize() int { return g.Sizes().Packet }

// SURBSize is Sizes().SURB.
func (g Geometry) SURBSize() int { return g.Sizes().SURB }

// String describes g ("x25519/hops=5/payload=2048/surb=false").
func (g Geometry) String() string {
	return fmt.Sprintf("%s/hops=%d/payload=%d/surb=%t", g.Mode, g.Hops, g.PayloadSize, g.WithSURB)
}

// MarshalBinary encodes g in GeometryEncodingSize bytes: version (0x01) ‖
// mode ‖ hops ‖ flags (bit 0: WithSURB) ‖ payload size (uint32, big
// endian). Directories publish it so that every node agrees on the sizes.
func (g Geometry) MarshalBinary() ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, GeometryEncodingSize)
	b[0] = geometryVersion
	b[1] = byte(g.Mode)
	b[2] = byte(g.Hops)
	if g.WithSURB {
		b[3] = 1
	}
	binary.BigEndian.PutUint32(b[4:], uint32(g.PayloadSize))
	return b, nil
}

// ParseGeometry decodes an encoded geometry; it accepts only the canonical
// encoding of a valid geometry.
func ParseGeometry(b []byte) (Geometry, error) {
	if len(b) != GeometryEncodingSize {
		return Geometry{}, fmt.Errorf("%w: encoded geometry is %d bytes, want %d", ErrBadGeometry, len(b), GeometryEncodingSize)
	}
	if b[0] != geometryVersion {
		return Geometry{}, fmt.Errorf("%w: geometry version %d, want %d", ErrBadGeometry, b[0], geometryVersion)
	}
	if b[3]&^1 != 0 {
		return Geometry{}, fmt.Errorf("%w: unknown geometry flags %#x", ErrBadGeometry, b[3])
	}
	ps := binary.BigEndian.Uint32(b[4:])
	if ps > MaxPayloadSize {
		return Geometry{}, fmt.Errorf("%w: payload size %d (want at most %d)", ErrBadGeometry, ps, MaxPayloadSize)
	}
	g := Geometry{Mode: Mode(b[1]), Hops: int(b[2]), WithSURB: b[3] == 1, PayloadSize: int(ps)}
	return g, g.Validate()
}
