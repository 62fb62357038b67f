package spam

import (
	"encoding/binary"
	"fmt"
)

// Envelope wraps a gossip payload with the proof of one defence (SPEC.md,
// "Wire format"). Exactly the proof field of its Kind is set.
type Envelope struct {
	Kind Kind
	// Payload is the application's message. Decode returns a slice of
	// its input, not a copy.
	Payload []byte
	// PoW is set when Kind is KindPoW.
	PoW *PoWProof
	// RLN is set when Kind is KindRLN.
	RLN *RLNProof
}

// PoWProof is the proof part of a proof-of-work envelope.
type PoWProof struct {
	// Expiry is the Unix time, in seconds, after which the envelope is
	// dropped.
	Expiry uint64
	// TTL is the envelope's time to live in seconds (≥ 1); the sender
	// claims to have sent it at Expiry − TTL.
	TTL uint32
	// Nonce is the value the sender searched for.
	Nonce uint64
}

// RLNProof is the proof part of a rate-limiting-nullifier envelope: one
// signal of one member.
type RLNProof struct {
	// Member is the member's public key A0 (Ristretto255).
	Member [ElementSize]byte
	// LeafIndex is the member's leaf in the membership tree; bit k picks
	// the side at level k (0: the running node is the left child).
	LeafIndex uint32
	// Path holds the sibling nodes from the leaf level up; its length is
	// the tree depth (1 to MaxDepth).
	Path [][HashSize]byte
	// Epoch is the rate-limit epoch the signal belongs to.
	Epoch uint64
	// MessageIndex is the message's slot in the epoch (< the limit).
	MessageIndex uint32
	// Slope is A1 = a1·G, the commitment to the line's slope.
	Slope [ElementSize]byte
	// Share is y = a0 + a1·x, the member's Shamir share for this message.
	Share [ScalarSize]byte
	// SigR and SigS are the Schnorr signature (R, s) by the member's key
	// over the signal.
	SigR [ElementSize]byte
	SigS [ScalarSize]byte
}

// ProofSize returns the size of an envelope's proof for a kind; depth is
// the Merkle path length of an RLN proof and is ignored otherwise.
func ProofSize(k Kind, depth int) int {
	switch k {
	case KindPoW:
		return PoWProofSize
	case KindRLN:
		return RLNFixedSize + depth*HashSize
	}
	return 0
}

// Overhead returns the bytes an envelope adds to its payload.
func Overhead(k Kind, depth int) int { return HeaderSize + ProofSize(k, depth) }

// Size returns the length of the envelope's encoding.
func (e *Envelope) Size() int {
	d := 0
	if e.RLN != nil {
		d = len(e.RLN.Path)
	}
	return HeaderSize + len(e.Payload) + ProofSize(e.Kind, d)
}

// check reports whether the envelope can be encoded: a known kind with
// exactly its proof, fields in range. Group encodings are checked by
// Decode and by the verifiers, not here.
func (e *Envelope) check() error {
	if len(e.Payload) > MaxPayload {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(e.Payload), MaxPayload)
	}
	switch e.Kind {
	case KindNone:
		if e.PoW != nil || e.RLN != nil {
			return fmt.Errorf("%w: kind none carries a proof", ErrMalformed)
		}
	case KindPoW:
		if e.PoW == nil || e.RLN != nil {
			return fmt.Errorf("%w: kind pow needs exactly a PoW proof", ErrMalformed)
		}
		if e.PoW.TTL == 0 {
			return fmt.Errorf("%w: TTL 0", ErrMalformed)
		}
	case KindRLN:
		if e.RLN == nil || e.PoW != nil {
			return fmt.Errorf("%w: kind rln needs exactly an RLN proof", ErrMalformed)
		}
		d := len(e.RLN.Path)
		if d < 1 || d > MaxDepth {
			return fmt.Errorf("%w: Merkle path of %d nodes, want 1 to %d", ErrMalformed, d, MaxDepth)
		}
		if d < 32 && e.RLN.LeafIndex>>d != 0 {
			return fmt.Errorf("%w: leaf index %d does not fit a tree of depth %d", ErrMalformed, e.RLN.LeafIndex, d)
		}
	default:
		return fmt.Errorf("%w: kind %d", ErrKind, e.Kind)
	}
	return nil
}

// Encode returns the envelope's canonical encoding. It fails with
// ErrMalformed, ErrKind or ErrTooLarge for an envelope Decode would
// refuse on structure; it does not check group encodings.
func (e *Envelope) Encode() ([]byte, error) {
	if err := e.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, e.Size())
	b = append(b, Version, byte(e.Kind))
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Payload)))
	b = append(b, e.Payload...)
	switch e.Kind {
	case KindPoW:
		b = appendPoW(b, e.PoW)
	case KindRLN:
		b = appendRLN(b, e.RLN)
	}
	return b, nil
}

func appendPoW(b []byte, p *PoWProof) []byte {
	b = binary.BigEndian.AppendUint64(b, p.Expiry)
	b = binary.BigEndian.AppendUint32(b, p.TTL)
	return binary.BigEndian.AppendUint64(b, p.Nonce)
}

func appendRLN(b []byte, p *RLNProof) []byte {
	b = append(b, p.Member[:]...)
	b = binary.BigEndian.AppendUint32(b, p.LeafIndex)
	b = append(b, byte(len(p.Path)))
	for _, n := range p.Path {
		b = append(b, n[:]...)
	}
	b = binary.BigEndian.AppendUint64(b, p.Epoch)
	b = binary.BigEndian.AppendUint32(b, p.MessageIndex)
	b = append(b, p.Slope[:]...)
	b = append(b, p.Share[:]...)
	b = append(b, p.SigR[:]...)
	return append(b, p.SigS[:]...)
}

// Decode parses an envelope strictly: a known version and kind, every
// length within its bound, no trailing bytes, TTL ≥ 1, a Merkle path of
// 1 to MaxDepth nodes whose leaf index fits it, and group elements and
// scalars in canonical encoding. Every accepted input re-encodes to
// itself. Errors wrap ErrMalformed, ErrVersion, ErrKind, ErrTooLarge or
// ErrNonCanonical. The returned Payload aliases b.
func Decode(b []byte) (*Envelope, error) {
	if len(b) < HeaderSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrMalformed, len(b), HeaderSize)
	}
	if b[0] != Version {
		return nil, fmt.Errorf("%w: version %d, this implementation reads %d", ErrVersion, b[0], Version)
	}
	k := Kind(b[1])
	if k > KindRLN {
		return nil, fmt.Errorf("%w: kind %d", ErrKind, b[1])
	}
	n := binary.BigEndian.Uint32(b[2:6])
	if n > MaxPayload {
		return nil, fmt.Errorf("%w: payload length %d, at most %d", ErrTooLarge, n, MaxPayload)
	}
	rest := b[HeaderSize:]
	if uint64(len(rest)) < uint64(n) {
		return nil, fmt.Errorf("%w: payload length %d, only %d bytes follow", ErrMalformed, n, len(rest))
	}
	e := &Envelope{Kind: k, Payload: rest[:n:n]}
	rest = rest[n:]
	var err error
	switch k {
	case KindNone:
		if len(rest) != 0 {
			return nil, fmt.Errorf("%w: %d trailing bytes after a kind-none envelope", ErrMalformed, len(rest))
		}
	case KindPoW:
		e.PoW, err = decodePoW(rest)
	case KindRLN:
		e.RLN, err = decodeRLN(rest)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

func decodePoW(b []byte) (*PoWProof, error) {
	if len(b) != PoWProofSize {
		return nil, fmt.Errorf("%w: PoW proof of %d bytes, want %d", ErrMalformed, len(b), PoWProofSize)
	}
	p := &PoWProof{
		Expiry: binary.BigEndian.Uint64(b[0:8]),
		TTL:    binary.BigEndian.Uint32(b[8:12]),
		Nonce:  binary.BigEndian.Uint64(b[12:20]),
	}
	if p.TTL == 0 {
		return nil, fmt.Errorf("%w: TTL 0", ErrMalformed)
	}
	return p, nil
}

// rlnDepthOffset is where the depth byte sits in an RLN proof.
const rlnDepthOffset = ElementSize + 4

func decodeRLN(b []byte) (*RLNProof, error) {
	if len(b) <= rlnDepthOffset {
		return nil, fmt.Errorf("%w: RLN proof of %d bytes is truncated", ErrMalformed, len(b))
	}
	d := int(b[rlnDepthOffset])
	if d < 1 || d > MaxDepth {
		return nil, fmt.Errorf("%w: Merkle path of %d nodes, want 1 to %d", ErrMalformed, d, MaxDepth)
	}
	if want := ProofSize(KindRLN, d); len(b) != want {
		return nil, fmt.Errorf("%w: RLN proof of %d bytes, depth %d needs %d", ErrMalformed, len(b), d, want)
	}
	p := &RLNProof{Path: make([][HashSize]byte, d)}
	r := reader{b: b}
	r.read(p.Member[:])
	p.LeafIndex = r.u32()
	r.skip(1)
	for i := range p.Path {
		r.read(p.Path[i][:])
	}
	p.Epoch = r.u64()
	p.MessageIndex = r.u32()
	r.read(p.Slope[:])
	r.read(p.Share[:])
	r.read(p.SigR[:])
	r.read(p.SigS[:])
	if d < 32 && p.LeafIndex>>d != 0 {
		return nil, fmt.Errorf("%w: leaf index %d does not fit a tree of depth %d", ErrMalformed, p.LeafIndex, d)
	}
	for _, el := range []struct {
		name string
		b    []byte
	}{{"member key", p.Member[:]}, {"slope commitment", p.Slope[:]}, {"signature R", p.SigR[:]}} {
		if _, err := parseElement(el.b); err != nil {
			return nil, fmt.Errorf("%s: %w", el.name, err)
		}
	}
	for _, sc := range []struct {
		name string
		b    []byte
	}{{"share", p.Share[:]}, {"signature s", p.SigS[:]}} {
		if _, err := parseScalar(sc.b); err != nil {
			return nil, fmt.Errorf("%s: %w", sc.name, err)
		}
	}
	return p, nil
}

// reader reads fixed fields from a buffer whose length was checked.
type reader struct {
	b   []byte
	off int
}

func (r *reader) read(dst []byte) { r.off += copy(dst, r.b[r.off:]) }
func (r *reader) skip(n int)      { r.off += n }
func (r *reader) u32() uint32 {
	v := binary.BigEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}
func (r *reader) u64() uint64 {
	v := binary.BigEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}
