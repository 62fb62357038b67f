package sphinx

import (
	"crypto/subtle"
	"fmt"
	"io"
	"time"
)

// Hop is one mix on a path, as the sender knows it from the directory.
type Hop struct {
	// ID is the node's address; the previous hop forwards to it.
	ID NodeID
	// PublicKey is the node's packet key for Epoch (NodeKey.PublicKey):
	// 32 bytes for ModeX25519, KEMPublicKeySize for ModeMLKEM768.
	PublicKey []byte
	// Epoch is the epoch of PublicKey. Every hop of a path must use keys
	// of the same epoch; its low byte travels in the header so that a node
	// picks the matching key without trial decryption.
	Epoch uint64
	// Delay is how long this hop holds the packet before sending it on (or
	// delivering it, at the last hop). The wire carries whole
	// milliseconds: Delay is truncated toward zero; 0..MaxDelay.
	Delay time.Duration
}

// Action is what a node does with an unwrapped packet.
type Action uint8

const (
	// ActionForward: send Unwrapped.Packet to Unwrapped.NextHop after
	// Unwrapped.Delay.
	ActionForward Action = 1
	// ActionDeliver: hand Unwrapped.Payload (the plaintext payload, and
	// Unwrapped.SURB when the sender attached one) to
	// Unwrapped.Recipient after Unwrapped.Delay.
	ActionDeliver Action = 2
	// ActionReply: hand Unwrapped.Payload (the still-encrypted reply body)
	// and Unwrapped.SURBID to Unwrapped.Recipient after Unwrapped.Delay;
	// the recipient opens it with SURBKeys.DecryptReply.
	ActionReply Action = 3
)

// String returns "forward", "deliver" or "reply".
func (a Action) String() string {
	switch a {
	case ActionForward:
		return "forward"
	case ActionDeliver:
		return "deliver"
	case ActionReply:
		return "reply"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Unwrapped is the result of processing a packet at one hop.
type Unwrapped struct {
	Action Action
	// Delay is the delay the sender chose for this hop.
	Delay time.Duration
	// NextHop and Packet are set for ActionForward; Packet has the
	// geometry's packet size.
	NextHop NodeID
	Packet  []byte
	// Recipient is set for ActionDeliver and ActionReply.
	Recipient Recipient
	// Payload is the geometry's PayloadSize bytes of plaintext
	// (ActionDeliver; shorter payloads were padded with zeros) or the
	// BodySize bytes of an encrypted reply body (ActionReply).
	Payload []byte
	// SURB is the reply block the sender attached (ActionDeliver in a
	// geometry WithSURB), or nil.
	SURB *SURB
	// SURBID names the creator's reply keys (ActionReply).
	SURBID SURBID
	// ReplayTag is the tag the replay filter recorded.
	ReplayTag [ReplayTagSize]byte
}

// NewPacket builds a packet that travels along path and is delivered to
// recipient by the last hop. payload holds at most g.PayloadSize bytes and
// is padded with zeros to exactly that size. It draws all randomness from
// rand (SPEC.md, "Creating a packet"); the packet goes to path[0].ID.
func NewPacket(rand io.Reader, g Geometry, path []Hop, recipient Recipient, payload []byte) ([]byte, error) {
	return newPacket(rand, g, path, recipient, nil, payload)
}

// NewPacketWithSURB is NewPacket with surb attached, so that the recipient
// can reply; g must have WithSURB set.
func NewPacketWithSURB(rand io.Reader, g Geometry, path []Hop, recipient Recipient, surb *SURB, payload []byte) ([]byte, error) {
	if surb == nil {
		return nil, fmt.Errorf("%w: no SURB given", ErrBadSURB)
	}
	if !g.WithSURB {
		return nil, fmt.Errorf("%w: the geometry has no SURB slot (set WithSURB)", ErrBadGeometry)
	}
	return newPacket(rand, g, path, recipient, surb, payload)
}

func newPacket(rand io.Reader, g Geometry, path []Hop, recipient Recipient, surb *SURB, payload []byte) ([]byte, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	sz := g.Sizes()
	body, err := bodyPlaintext(g, sz, surb, payload)
	if err != nil {
		return nil, err
	}
	h, err := buildHeader(rand, g, path, command{typ: cmdDeliver, addr: recipient})
	if err != nil {
		return nil, err
	}
	for i := len(h.keys) - 1; i >= 0; i-- {
		lionessEncrypt(&h.keys[i].sprp, body)
	}
	clear(h.keys)
	pkt := make([]byte, 0, sz.Packet)
	pkt = append(pkt, h.header...)
	return append(pkt, body...), nil
}

// bodyPlaintext returns zero tag ‖ SURB slot ‖ payload (zero padded), with
// streamSlack spare capacity.
func bodyPlaintext(g Geometry, sz Sizes, surb *SURB, payload []byte) ([]byte, error) {
	if len(payload) > g.PayloadSize {
		return nil, fmt.Errorf("%w: payload is %d bytes, the geometry carries at most %d", ErrBadLength, len(payload), g.PayloadSize)
	}
	body := make([]byte, sz.Body, sz.Body+streamSlack)
	off := PayloadTagSize
	if g.WithSURB {
		if surb != nil {
			b, err := surb.encode(g)
			if err != nil {
				return nil, err
			}
			body[off] = slotPresent
			copy(body[off+1:], b)
		}
		off += 1 + sz.SURB
	}
	copy(body[off:], payload)
	return body, nil
}

// Unwrap processes one packet at this node (SPEC.md, "Processing a
// packet"). replay must be the filter of k's epoch; the packet's replay tag
// is recorded in it once the header MAC verifies. Errors: ErrBadGeometry,
// ErrBadLength, ErrBadReplayFilter, ErrBadVersion, ErrWrongEpoch,
// ErrLowOrderPoint, ErrBadMAC, ErrReplay, ErrBadCommand, ErrBadPayloadTag,
// ErrBadSURB. Unwrap does not modify pkt, and is safe for concurrent use
// with one shared filter (a Rotate that races with it makes it fail with
// ErrWrongEpoch rather than record the tag in the wrong epoch).
func (k *NodeKey) Unwrap(g Geometry, pkt []byte, replay *ReplayFilter) (Unwrapped, error) {
	return k.unwrap(nil, g, pkt, replay, nil)
}

// UnwrapTo is Unwrap writing the forwarded packet, or the final body, into
// dst when its capacity is at least the packet size plus UnwrapSlack (and
// into a new buffer otherwise), so that a node can recycle its buffers
// instead of allocating one per packet. dst must not overlap pkt. The
// Packet or Payload of the result alias dst.
func (k *NodeKey) UnwrapTo(dst []byte, g Geometry, pkt []byte, replay *ReplayFilter) (Unwrapped, error) {
	return k.unwrap(dst, g, pkt, replay, nil)
}

// UnwrapSlack is the spare capacity UnwrapTo needs in dst after the packet
// size: scratch for the stream cipher's fast path.
const UnwrapSlack = streamSlack

// buffer returns dst[:n] when dst has room for n bytes and the stream
// slack, and a new buffer otherwise.
func buffer(dst []byte, n int) []byte {
	if cap(dst) >= n+streamSlack {
		return dst[:n]
	}
	return make([]byte, n, n+streamSlack)
}

// unwrapTrace receives a hop's intermediate secrets (test vectors only).
type unwrapTrace struct {
	shared, streamKey [32]byte
}

func (k *NodeKey) unwrap(dst []byte, g Geometry, pkt []byte, replay *ReplayFilter, tr *unwrapTrace) (Unwrapped, error) {
	var u Unwrapped
	if err := g.Validate(); err != nil {
		return u, err
	}
	if g.Mode != k.mode {
		return u, fmt.Errorf("%w: a %s key cannot unwrap %s packets", ErrBadGeometry, k.mode, g.Mode)
	}
	sz := g.Sizes()
	if len(pkt) != sz.Packet {
		return u, fmt.Errorf("%w: packet is %d bytes, the geometry fixes %d", ErrBadLength, len(pkt), sz.Packet)
	}
	if replay == nil {
		return u, fmt.Errorf("%w: no replay filter given", ErrWrongEpoch)
	}
	if replay.Bits() == 0 {
		return u, fmt.Errorf("%w: the replay filter was not made by NewReplayFilter", ErrBadReplayFilter)
	}
	if e := replay.Epoch(); e != k.epoch {
		return u, fmt.Errorf("%w: replay filter of epoch %d, key of epoch %d (rotate the filter with the key)", ErrWrongEpoch, e, k.epoch)
	}
	if pkt[0] != g.Mode.format() {
		return u, fmt.Errorf("%w: format byte %#x, want %#x for %s", ErrBadVersion, pkt[0], g.Mode.format(), g.Mode)
	}
	if pkt[1] != byte(k.epoch) {
		return u, fmt.Errorf("%w: packet for an epoch ≡ %d (mod 256), key epoch %d", ErrWrongEpoch, pkt[1], k.epoch)
	}
	H, R, E := g.Hops, sz.Slot, g.Mode.elementSize()
	elem := pkt[ADSize : ADSize+E]
	beta := pkt[ADSize+E : ADSize+E+H*R]
	macEnd := sz.Header - MACSize

	var s [32]byte
	switch k.mode {
	case ModeX25519:
		var ok bool
		if s, ok = x25519Mul(&k.xpriv, (*[32]byte)(elem)); !ok {
			return u, fmt.Errorf("%w: in the packet header", ErrLowOrderPoint)
		}
	case ModeMLKEM768:
		k.kem.DecapsulateTo(s[:], elem)
	}
	tag, kk := kdf(k.mode, &s)
	if tr != nil {
		tr.shared, tr.streamKey = s, kk
	}
	clear(s[:])
	zp := getScratch(keysBytes + (H+1)*R + streamSlack)
	defer putScratch(zp)
	z := (*zp)[:keysBytes+(H+1)*R]
	keyStream(&kk, z)
	clear(kk[:])

	want := mac(z[offMAC:offMAC+32], pkt[:macEnd])
	if subtle.ConstantTimeCompare(want[:], pkt[macEnd:sz.Header]) != 1 {
		return u, ErrBadMAC
	}
	if err := replay.record(&tag, k.epoch); err != nil {
		return u, err
	}
	u.ReplayTag = tag

	rho := z[offRho:]
	var slot [CommandSize]byte
	xorInto(slot[:], beta[:CommandSize], rho[:CommandSize])
	reserved := make([]byte, R-CommandSize) // the next ciphertext, ModeMLKEM768
	xorInto(reserved, beta[CommandSize:R], rho[CommandSize:R])
	cmd, err := parseCommand(slot[:], reserved)
	if err != nil {
		return u, err
	}
	u.Delay = time.Duration(cmd.delayMs) * time.Millisecond
	sprp := (*[LionessKeySize]byte)(z[offSPRP:offRho])

	if cmd.typ == cmdForward {
		out := buffer(dst, sz.Packet)
		out[0], out[1] = pkt[0], pkt[1]
		switch k.mode {
		case ModeX25519:
			alpha, _ := x25519Mul((*[32]byte)(z[offBlind:offBlind+32]), (*[32]byte)(elem))
			copy(out[ADSize:], alpha[:])
		case ModeMLKEM768:
			copy(out[ADSize:], reserved)
		}
		next := out[ADSize+E : ADSize+E+H*R]
		xorInto(next[:(H-1)*R], beta[R:], rho[R:H*R])
		copy(next[(H-1)*R:], rho[H*R:(H+1)*R])
		copy(out[macEnd:], cmd.tail[:])
		lionessDecryptTo(sprp, out[sz.Header:], pkt[sz.Header:])
		u.Action, u.NextHop, u.Packet = ActionForward, cmd.addr, out
		return u, nil
	}

	body := buffer(dst, sz.Body)
	lionessDecryptTo(sprp, body, pkt[sz.Header:])
	u.Recipient = cmd.addr
	if cmd.typ == cmdSURBReply {
		u.Action, u.SURBID, u.Payload = ActionReply, cmd.tail, body
		return u, nil
	}
	if !isZero(body[:PayloadTagSize]) {
		return u, ErrBadPayloadTag
	}
	off := PayloadTagSize
	if g.WithSURB {
		surb, err := parseSlot(g, sz, body[off:off+1+sz.SURB])
		if err != nil {
			return u, err
		}
		u.SURB = surb
		off += 1 + sz.SURB
	}
	u.Action, u.Payload = ActionDeliver, body[off:]
	return u, nil
}
