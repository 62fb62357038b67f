package spam

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/strata-lab/strata/layers"
)

// Vectors lists the package's vector files (testdata/vectors), checked by
// `strata vectors check` through Descriptor.
var Vectors = layers.VectorSet{Layer: "spam", Files: []layers.VectorFileSpec{
	{Name: "spam_envelopes.json", Description: "Spam-defence envelopes (version 1): header (version, kind, u32be payload length), payload, and the proof of the kind (none: nothing; pow: u64be expiry, u32be TTL, u64be nonce; rln: A0, u32be leaf index, u8 depth, depth×32-byte Merkle path, u64be epoch, u32be message index, A1, y, R, s). Valid encodings decode and re-encode to themselves; the others name the error a strict decoder returns.",
		Generate: genEnvelopes, Check: layers.CheckCases(checkEnvelope)},
	{Name: "spam_pow.json", Description: "Whisper/EIP-627-style proof of work: D = SHA-256(\"" + labelPoW + "\" || envelope without its 8-byte nonce), H = SHA-256(D || u64be(nonce)), work = 2^(leading zero bits of H) / (envelope size × TTL). Each case mints from a start nonce (the first nonce upward whose H has the required bits) and verifies the envelope under a policy at a time.",
		Generate: genPoW, Check: layers.CheckCases(checkPoW)},
	{Name: "spam_rln.json", Description: "Rate-limiting nullifiers without zero knowledge, on Ristretto255: members from seeds (a0 = H_scalar(seed)), their registrations and the SHA-256 membership root; then signals in order against one verifier, each with its intermediate values (nullifier, message hash, x, secret slope a1, A1, y), its envelope and the verifier's outcome, with the evidence of every double signal (the recovered secret key when the slope followed the specification).",
		Generate: genRLN, Check: layers.CheckCases(checkRLN)},
	{Name: "spam_registrations.json", Description: "Membership registrations: A0 || R || s, a Schnorr proof of possession over the tag 0x02; valid ones and altered ones with the error a registry returns.",
		Generate: genRegistrations, Check: layers.CheckCases(checkRegistration)},
}}

func hx(b []byte) string { return hex.EncodeToString(b) }

func unhex(s string) ([]byte, error) { return hex.DecodeString(s) }

// vectorTime is the time of the vectors: 2026-01-01T00:00:00Z.
var vectorTime = time.Unix(1767225600, 0)

// vectorSeed is the seed of vector member i: SHA-256("strata spam
// vector member " || decimal i).
func vectorSeed(i int) []byte {
	s := sha256.Sum256([]byte(fmt.Sprintf("strata spam vector member %d", i)))
	return s[:]
}

// ---- spam_envelopes.json ----

type envelopeCase struct {
	Name     string `json:"name"`
	Envelope string `json:"envelope"`
	// Kind, Payload and ProofSize describe a valid envelope.
	Kind      string `json:"kind,omitempty"`
	Payload   string `json:"payload,omitempty"`
	ProofSize int    `json:"proof_size,omitempty"`
	Expect    string `json:"expect"`
}

func genEnvelopes() (any, error) {
	none, err := (&Envelope{Kind: KindNone, Payload: []byte("hello, strata")}).Encode()
	if err != nil {
		return nil, err
	}
	pow, _, err := Mint([]byte("proof of work"), vectorTime, MintParams{TTL: 10, Target: 0.5, Start: 0})
	if err != nil {
		return nil, err
	}
	powB, _ := pow.Encode()
	g, err := vectorGroup(RLNConfig{Depth: 4, Limit: 2, EpochPeriod: 10 * time.Second, MaxEpochGap: 1, RootWindow: 5, MaxNullifiers: 64}, 3)
	if err != nil {
		return nil, err
	}
	path, _ := g.reg.Path(2)
	rln, err := g.members[2].Prove(SignalParams{LeafIndex: 2, Path: path, Epoch: Epoch(vectorTime, 10*time.Second)}, "/strata/1/chat/general", []byte("rate limited"))
	if err != nil {
		return nil, err
	}
	rlnB, _ := rln.Encode()
	set := func(b []byte, off int, v ...byte) []byte {
		c := bytes.Clone(b)
		copy(c[off:], v)
		return c
	}
	rlnOff := HeaderSize + len("rate limited")
	ff := bytes.Repeat([]byte{0xff}, 32)
	tooLarge := make([]byte, HeaderSize)
	tooLarge[0] = Version
	binary.BigEndian.PutUint32(tooLarge[2:], MaxPayload+1)
	inputs := []struct {
		name string
		b    []byte
	}{
		{"kind none", none},
		{"kind none, empty payload", []byte{Version, 0, 0, 0, 0, 0}},
		{"kind pow", powB},
		{"kind rln, depth 4", rlnB},
		{"truncated header", none[:5]},
		{"version 0", set(none, 0, 0)},
		{"version 2", set(none, 0, 2)},
		{"unknown kind 3", set(none, 1, 3)},
		{"payload length above MaxPayload", tooLarge},
		{"payload truncated", none[:len(none)-1]},
		{"trailing byte after kind none", append(bytes.Clone(none), 0)},
		{"pow proof truncated", powB[:len(powB)-1]},
		{"pow TTL 0", set(powB, len(powB)-12, 0, 0, 0, 0)},
		{"rln depth 0", set(rlnB, rlnOff+rlnDepthOffset, 0)},
		{"rln depth 33", set(rlnB, rlnOff+rlnDepthOffset, 33)},
		{"rln depth does not match the length", set(rlnB, rlnOff+rlnDepthOffset, 5)},
		{"rln leaf index beyond the depth", set(rlnB, rlnOff+ElementSize, 0, 0, 0, 16)},
		{"rln member key not a Ristretto255 encoding", set(rlnB, rlnOff, ff...)},
		{"rln slope commitment not canonical (s ≥ p)", set(rlnB, len(rlnB)-4*32, append(bytes.Repeat([]byte{0xff}, 31), 0x7f)...)},
		{"rln share not reduced", set(rlnB, len(rlnB)-3*32, ff...)},
		{"rln signature R not an encoding", set(rlnB, len(rlnB)-2*32, ff...)},
		{"rln signature s not reduced", set(rlnB, len(rlnB)-32, ff...)},
		{"rln trailing byte", append(bytes.Clone(rlnB), 0)},
	}
	var out []envelopeCase
	for _, in := range inputs {
		c, err := envelopeOutcome(envelopeCase{Name: in.name, Envelope: hx(in.b)})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// envelopeOutcome decodes a case's envelope and fills in what follows.
func envelopeOutcome(c envelopeCase) (envelopeCase, error) {
	b, err := unhex(c.Envelope)
	if err != nil {
		return c, err
	}
	out := envelopeCase{Name: c.Name, Envelope: c.Envelope}
	e, derr := Decode(b)
	out.Expect = ErrorName(derr)
	if derr == nil {
		again, err := e.Encode()
		if err != nil {
			return c, err
		}
		if !bytes.Equal(again, b) {
			return c, fmt.Errorf("decode→encode changes the bytes")
		}
		d := 0
		if e.RLN != nil {
			d = len(e.RLN.Path)
		}
		out.Kind, out.Payload, out.ProofSize = e.Kind.String(), hx(e.Payload), ProofSize(e.Kind, d)
	}
	return out, nil
}

func checkEnvelope(c envelopeCase) error {
	got, err := envelopeOutcome(c)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	if got != c {
		return fmt.Errorf("%s: decoding gives %+v, the file records %+v", c.Name, got, c)
	}
	return nil
}

// ---- spam_pow.json ----

type powPolicyJSON struct {
	MinWork        float64 `json:"min_work"`
	MaxTTL         uint32  `json:"max_ttl"`
	MaxSkewSeconds int64   `json:"max_skew_seconds"`
}

type powCase struct {
	Name    string        `json:"name"`
	Payload string        `json:"payload"`
	Now     int64         `json:"now"`
	TTL     uint32        `json:"ttl"`
	Target  float64       `json:"target"`
	Start   uint64        `json:"start"`
	Verify  int64         `json:"verify_now"`
	Policy  powPolicyJSON `json:"policy"`
	// Outputs.
	RequiredBits int     `json:"required_bits"`
	Tries        uint64  `json:"tries"`
	Envelope     string  `json:"envelope"`
	Digest       string  `json:"digest"`
	Hash         string  `json:"hash"`
	LeadingZeros int     `json:"leading_zero_bits"`
	Size         int     `json:"size"`
	Work         float64 `json:"work"`
	Expect       string  `json:"expect"`
}

func genPoW() (any, error) {
	t := vectorTime.Unix()
	p := powPolicyJSON{MinWork: 0.002, MaxTTL: 120, MaxSkewSeconds: 5}
	kb := bytes.Repeat([]byte{0x5a}, 1024)
	inputs := []powCase{
		{Name: "Status mobile requirement 0.002, short message", Payload: hx([]byte("hello")), TTL: 10, Target: 0.002},
		{Name: "1 KiB, target 0.002", Payload: hx(kb), TTL: 10, Target: 0.002},
		{Name: "1 KiB, target 1", Payload: hx(kb), TTL: 10, Target: 1, Start: 1 << 32},
		{Name: "1 KiB, target 4, TTL 60", Payload: hx(kb), TTL: 60, Target: 4, Policy: powPolicyJSON{MinWork: 4, MaxTTL: 120, MaxSkewSeconds: 5}},
		{Name: "empty payload, target 0 (any nonce)", Payload: "", TTL: 1, Target: 0, Start: 42},
		{Name: "verified after expiry", Payload: hx([]byte("late")), TTL: 10, Target: 0.002, Verify: t + 11},
		{Name: "verified at expiry", Payload: hx([]byte("just in time")), TTL: 10, Target: 0.002, Verify: t + 10},
		{Name: "send time beyond the skew", Payload: hx([]byte("from the future")), TTL: 10, Target: 0.002, Verify: t - 6},
		{Name: "send time within the skew", Payload: hx([]byte("slightly ahead")), TTL: 10, Target: 0.002, Verify: t - 5},
		{Name: "TTL above the policy", Payload: hx([]byte("long-lived")), TTL: 121, Target: 0.002},
		{Name: "work below the policy", Payload: hx(kb), TTL: 10, Target: 0.002, Policy: powPolicyJSON{MinWork: 1, MaxTTL: 120, MaxSkewSeconds: 5}},
	}
	var out []powCase
	for _, in := range inputs {
		in.Now = t
		if in.Verify == 0 {
			in.Verify = t
		}
		if in.Policy == (powPolicyJSON{}) {
			in.Policy = p
		}
		c, err := powOutcome(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.Name, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// powOutcome mints and verifies a case from its inputs.
func powOutcome(in powCase) (powCase, error) {
	out := powCase{Name: in.Name, Payload: in.Payload, Now: in.Now, TTL: in.TTL, Target: in.Target, Start: in.Start, Verify: in.Verify, Policy: in.Policy}
	payload, err := unhex(in.Payload)
	if err != nil {
		return out, err
	}
	e, tries, err := Mint(payload, time.Unix(in.Now, 0), MintParams{TTL: in.TTL, Target: in.Target, Start: in.Start, MaxTries: 1 << 24})
	if err != nil {
		return out, err
	}
	enc, err := e.Encode()
	if err != nil {
		return out, err
	}
	out.RequiredBits, _ = RequiredBits(in.Target, len(enc), in.TTL)
	r, err := Work(e)
	if err != nil {
		return out, err
	}
	d := powDigest(enc)
	out.Tries, out.Envelope, out.Digest, out.Hash = tries, hx(enc), hx(d[:]), hx(r.Hash[:])
	out.LeadingZeros, out.Size, out.Work = r.LeadingZeros, r.Size, r.Work
	pol := PoWPolicy{MinWork: in.Policy.MinWork, MaxTTL: in.Policy.MaxTTL, MaxSkew: time.Duration(in.Policy.MaxSkewSeconds) * time.Second}
	if err := pol.Validate(); err != nil {
		return out, err
	}
	dec, err := Decode(enc)
	if err != nil {
		return out, err
	}
	_, verr := VerifyPoW(dec, time.Unix(in.Verify, 0), pol)
	out.Expect = ErrorName(verr)
	return out, nil
}

func checkPoW(c powCase) error {
	got, err := powOutcome(c)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	if got != c {
		return fmt.Errorf("%s: minting and verifying give %+v, the file records %+v", c.Name, got, c)
	}
	return nil
}
