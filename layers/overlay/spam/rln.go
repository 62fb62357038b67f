package spam

import (
	"fmt"
	"io"

	"github.com/cloudflare/circl/group"
)

// Member holds a member's secret key a0 and its public key A0 = a0·G.
type Member struct {
	secret      group.Scalar
	secretBytes [ScalarSize]byte
	public      [ElementSize]byte
}

// MemberSeedSize is how many bytes NewMember draws.
const MemberSeedSize = 64

// NewMember draws MemberSeedSize bytes from rand and derives a member key
// from them (MemberFromSeed). Errors: ErrRandom.
func NewMember(rand io.Reader) (*Member, error) {
	seed := make([]byte, MemberSeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	return MemberFromSeed(seed)
}

// MemberFromSeed derives a member key: a0 = H_scalar(seed, dstMember).
// The seed must hold at least 32 bytes of entropy. Errors: ErrConfig for
// a seed shorter than 32 bytes (or the negligible zero key).
func MemberFromSeed(seed []byte) (*Member, error) {
	if len(seed) < 32 {
		return nil, fmt.Errorf("%w: member seed of %d bytes, want at least 32", ErrConfig, len(seed))
	}
	return memberFromScalar(hashToScalar(seed, dstMember))
}

// MemberFromSecret rebuilds a member from its encoded secret key (for
// example one recovered from a double signal). Errors: ErrNonCanonical,
// ErrBadKey for zero.
func MemberFromSecret(secret [ScalarSize]byte) (*Member, error) {
	s, err := parseScalar(secret[:])
	if err != nil {
		return nil, err
	}
	return memberFromScalar(s)
}

func memberFromScalar(s group.Scalar) (*Member, error) {
	if s.IsZero() {
		return nil, fmt.Errorf("%w: zero secret key", ErrBadKey)
	}
	return &Member{secret: s, secretBytes: scalarBytes(s), public: elementBytes(grp.NewElement().MulGen(s))}, nil
}

// Public returns the member's public key A0.
func (m *Member) Public() [ElementSize]byte { return m.public }

// Secret returns the member's secret key a0 (little-endian scalar). It is
// what a double signal reveals; keep it private.
func (m *Member) Secret() [ScalarSize]byte { return m.secretBytes }

// Registration returns the member's registration: its key and a Schnorr
// proof of possession (signature over the tag 0x02 and nothing else).
func (m *Member) Registration() Registration {
	r, s := schnorrSign(m.secret, m.secretBytes, m.public, tagRegistration, nil)
	return Registration{Member: m.public, SigR: r, SigS: s}
}

// SignalParams place a signal: the member's leaf and Merkle path, the
// epoch and the message's index in it.
type SignalParams struct {
	LeafIndex    uint32
	Path         [][HashSize]byte
	Epoch        uint64
	MessageIndex uint32
}

// Prove wraps payload, published on topic, in an RLN envelope (SPEC.md,
// "Procedures", "Proving"): slope a1 = H_scalar(a0, epoch, index),
// x = H_scalar(message hash), share y = a0 + a1·x, and a Schnorr
// signature over (epoch, index, A1, y, message hash). The member does not
// know the limit: sending two different messages with one (epoch, index)
// reveals its key. Errors: Encode's (a path of 1 to MaxDepth nodes whose
// leaf index fits, a payload within MaxPayload).
func (m *Member) Prove(p SignalParams, topic string, payload []byte) (*Envelope, error) {
	return m.prove(p, topic, payload, slopeScalar(m.secretBytes, p.Epoch, p.MessageIndex))
}

// ProveWithSlopeSeed is Prove with a slope derived from seed instead of
// from the secret key: what a member who deviates from the specified
// derivation sends (for adversary models). Two such signals with one
// nullifier do not reveal the key, but their signatures are evidence
// (EvidenceConflict).
func (m *Member) ProveWithSlopeSeed(p SignalParams, topic string, payload []byte, seed []byte) (*Envelope, error) {
	return m.prove(p, topic, payload, hashToScalar(seed, dstSlope))
}

func (m *Member) prove(p SignalParams, topic string, payload []byte, a1 group.Scalar) (*Envelope, error) {
	e := &Envelope{Kind: KindRLN, Payload: payload, RLN: &RLNProof{
		Member: m.public, LeafIndex: p.LeafIndex, Path: p.Path, Epoch: p.Epoch, MessageIndex: p.MessageIndex,
	}}
	if err := e.check(); err != nil {
		return nil, err
	}
	mh := messageHash(topic, payload)
	x := shareX(mh)
	y := grp.NewScalar().Mul(a1, x)
	y.Add(y, m.secret)
	pr := e.RLN
	pr.Slope = elementBytes(grp.NewElement().MulGen(a1))
	pr.Share = scalarBytes(y)
	pr.SigR, pr.SigS = schnorrSign(m.secret, m.secretBytes, m.public, tagSignal, signalMessage(p.Epoch, p.MessageIndex, pr.Slope, pr.Share, mh))
	return e, nil
}

// Signal is the transferable part of an RLN proof: everything needed to
// check the share and the signature without the payload (the message
// hash stands for it) and without the membership path.
//
// The fields are those of RLNProof, with MessageHash = SHA-256 of the
// topic and payload (SPEC.md, "RLN proving").
type Signal struct {
	Member       [ElementSize]byte
	Epoch        uint64
	MessageIndex uint32
	Slope        [ElementSize]byte
	Share        [ScalarSize]byte
	MessageHash  [HashSize]byte
	SigR         [ElementSize]byte
	SigS         [ScalarSize]byte
}

// SignalOf extracts the signal of an RLN envelope published on topic.
func SignalOf(e *Envelope, topic string) (Signal, error) {
	if e.Kind != KindRLN || e.RLN == nil {
		return Signal{}, fmt.Errorf("%w: %s envelope, want rln", ErrKind, e.Kind)
	}
	p := e.RLN
	return Signal{Member: p.Member, Epoch: p.Epoch, MessageIndex: p.MessageIndex, Slope: p.Slope, Share: p.Share,
		MessageHash: messageHash(topic, e.Payload), SigR: p.SigR, SigS: p.SigS}, nil
}

// Nullifier returns the signal's nullifier.
func (s Signal) Nullifier() [HashSize]byte { return Nullifier(s.Member, s.Epoch, s.MessageIndex) }

// parsedSignal is a signal whose member key, slope and share are parsed.
type parsedSignal struct {
	a0, a1 group.Element
	x, y   group.Scalar
}

// Verify checks the signal's cryptography: a member key that is not the
// identity, a share on the committed line (y·G = A0 + x·A1, x ≠ 0) and
// the member's signature. It does not check membership, epoch or limit.
// Errors: ErrNonCanonical, ErrBadKey, ErrBadShare, ErrBadSignature.
func (s Signal) Verify() error {
	_, err := s.verify()
	return err
}

func (s Signal) verify() (parsedSignal, error) {
	var ps parsedSignal
	var err error
	if ps.a0, err = parseMember(s.Member); err != nil {
		return ps, fmt.Errorf("member key: %w", err)
	}
	if ps.a1, err = parseElement(s.Slope[:]); err != nil {
		return ps, fmt.Errorf("slope commitment: %w", err)
	}
	if ps.y, err = parseScalar(s.Share[:]); err != nil {
		return ps, fmt.Errorf("share: %w", err)
	}
	ps.x = shareX(s.MessageHash)
	if ps.x.IsZero() {
		return ps, fmt.Errorf("%w: share x is zero", ErrBadShare)
	}
	lhs := grp.NewElement().MulGen(ps.y)
	rhs := grp.NewElement().Mul(ps.a1, ps.x)
	rhs.Add(rhs, ps.a0)
	if !lhs.IsEqual(rhs) {
		return ps, fmt.Errorf("%w: y·G ≠ A0 + x·A1", ErrBadShare)
	}
	msg := signalMessage(s.Epoch, s.MessageIndex, s.Slope, s.Share, s.MessageHash)
	if err := schnorrVerify(ps.a0, s.Member, tagSignal, msg, s.SigR, s.SigS); err != nil {
		return ps, fmt.Errorf("signal signature: %w", err)
	}
	return ps, nil
}

// EvidenceKind says what a double signal revealed.
type EvidenceKind uint8

const (
	// EvidenceKeyRecovered: both signals used the specified slope, so
	// their shares lie on one line and give away the secret key.
	EvidenceKeyRecovered EvidenceKind = 1
	// EvidenceConflict: the signals committed to different slopes (a
	// member deviating from the slope derivation): no key, but two
	// messages signed by the member under one nullifier.
	EvidenceConflict EvidenceKind = 2
)

// String names the kind as the vectors do.
func (k EvidenceKind) String() string {
	switch k {
	case EvidenceKeyRecovered:
		return "key-recovered"
	case EvidenceConflict:
		return "conflict"
	}
	return "unknown"
}

// Evidence proves that a member sent two different messages under one
// nullifier. Anyone can check it with Verify, without membership data.
type Evidence struct {
	Kind          EvidenceKind
	First, Second Signal
	// Secret is the member's recovered secret key a0, set when Kind is
	// EvidenceKeyRecovered.
	Secret [ScalarSize]byte
}

// Member returns the offending member's public key.
func (ev Evidence) Member() [ElementSize]byte { return ev.First.Member }

// NewEvidence builds the evidence of two signals: both must verify, share
// a nullifier and carry different message hashes. When they commit to the
// same slope the secret is recovered, a0 = (y1·x2 − y2·x1) / (x2 − x1),
// and checked against A0. Errors: ErrEvidence (wrapping the cause).
func NewEvidence(a, b Signal) (Evidence, error) {
	if a.Member != b.Member || a.Epoch != b.Epoch || a.MessageIndex != b.MessageIndex {
		return Evidence{}, fmt.Errorf("%w: the signals have different nullifiers", ErrEvidence)
	}
	if a.MessageHash == b.MessageHash {
		return Evidence{}, fmt.Errorf("%w: the signals carry the same message", ErrEvidence)
	}
	pa, err := a.verify()
	if err != nil {
		return Evidence{}, fmt.Errorf("%w: first signal: %w", ErrEvidence, err)
	}
	pb, err := b.verify()
	if err != nil {
		return Evidence{}, fmt.Errorf("%w: second signal: %w", ErrEvidence, err)
	}
	ev := Evidence{Kind: EvidenceConflict, First: a, Second: b}
	if a.Slope != b.Slope || pa.x.IsEqual(pb.x) {
		return ev, nil
	}
	num := grp.NewScalar().Mul(pa.y, pb.x)
	num.Sub(num, grp.NewScalar().Mul(pb.y, pa.x))
	den := grp.NewScalar().Sub(pb.x, pa.x)
	a0 := num.Mul(num, grp.NewScalar().Inv(den))
	if !grp.NewElement().MulGen(a0).IsEqual(pa.a0) {
		// Unreachable for two verified shares on one line; kept so that
		// a wrong key is never reported as recovered.
		return Evidence{}, fmt.Errorf("%w: recovered key does not match A0", ErrEvidence)
	}
	ev.Kind, ev.Secret = EvidenceKeyRecovered, scalarBytes(a0)
	return ev, nil
}

// Verify checks the evidence from scratch: it must be what NewEvidence
// builds from its two signals. Errors: ErrEvidence.
func (ev Evidence) Verify() error {
	want, err := NewEvidence(ev.First, ev.Second)
	if err != nil {
		return err
	}
	if want.Kind != ev.Kind || want.Secret != ev.Secret {
		return fmt.Errorf("%w: kind or recovered key does not follow from the signals", ErrEvidence)
	}
	return nil
}
