package spam

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"time"
)

// Proof of work in the style of Whisper (EIP-627): the sender searches a
// nonce so that the proof hash starts with enough zero bits, and
//
//	work = 2^(leading zero bits of the proof hash) / (size × TTL)
//
// where size is the length of the whole encoded envelope in bytes and TTL
// its time to live in seconds. The proof hash is
//
//	D = SHA-256(labelPoW || envelope encoding without its last 8 bytes)
//	H = SHA-256(D || u64be(nonce))
//
// (EIP-627 hashes the RLP of the envelope without the nonce, with
// Keccak-256, followed by the nonce; this package uses SHA-256 and its own
// encoding, so the work values of the two are not interchangeable.)

// PoWPolicy is what a verifier of proofs of work requires.
type PoWPolicy struct {
	// MinWork is the lowest work accepted (EIP-627's "PoW requirement").
	MinWork float64 `json:"min_work"`
	// MaxTTL is the longest TTL accepted, in seconds.
	MaxTTL uint32 `json:"max_ttl"`
	// MaxSkew is how far in the future a send time (expiry − TTL) may
	// lie, for clocks that disagree.
	MaxSkew time.Duration `json:"max_skew"`
}

// Default proof-of-work policy values.
const (
	// defaultMinWork is the requirement Status's mobile clients used on
	// Whisper, lowered because higher work drained phone batteries
	// (status-im/specs PR #3, "proof-of-work equal 0.002").
	defaultMinWork = 0.002
	// defaultMaxTTL: two minutes, the overlay's SeenTTL (how long a
	// message id is remembered); a longer-lived envelope could be
	// re-published after its id left every seen cache.
	defaultMaxTTL = 120
	// defaultMaxSkew tolerates clocks a few seconds apart.
	defaultMaxSkew = 5 * time.Second
)

// DefaultPoWPolicy returns the default policy: MinWork 0.002, MaxTTL
// 120 s, MaxSkew 5 s (the reason for each is beside its constant).
func DefaultPoWPolicy() PoWPolicy {
	return PoWPolicy{MinWork: defaultMinWork, MaxTTL: defaultMaxTTL, MaxSkew: defaultMaxSkew}
}

// Validate checks the policy: a finite, non-negative MinWork, MaxTTL ≥ 1
// and a non-negative skew.
func (p PoWPolicy) Validate() error {
	switch {
	case math.IsNaN(p.MinWork) || math.IsInf(p.MinWork, 0) || p.MinWork < 0:
		return fmt.Errorf("%w: PoWPolicy.MinWork=%v must be finite and ≥ 0", ErrConfig, p.MinWork)
	case p.MaxTTL < 1:
		return fmt.Errorf("%w: PoWPolicy.MaxTTL must be at least 1 s", ErrConfig)
	case p.MaxSkew < 0:
		return fmt.Errorf("%w: PoWPolicy.MaxSkew=%v must not be negative", ErrConfig, p.MaxSkew)
	}
	return nil
}

// powDigest is D: the hash of everything the nonce does not cover.
func powDigest(enc []byte) [HashSize]byte {
	h := sha256.New()
	h.Write([]byte(labelPoW))
	h.Write(enc[:len(enc)-8])
	var d [HashSize]byte
	h.Sum(d[:0])
	return d
}

// powHash is H = SHA-256(D || u64be(nonce)).
func powHash(buf *[HashSize + 8]byte, nonce uint64) [HashSize]byte {
	binary.BigEndian.PutUint64(buf[HashSize:], nonce)
	return sha256.Sum256(buf[:])
}

// leadingZeros counts the leading zero bits of a hash.
func leadingZeros(h [HashSize]byte) int {
	n := 0
	for i := 0; i < HashSize; i += 8 {
		w := binary.BigEndian.Uint64(h[i:])
		if w != 0 {
			return n + bits.LeadingZeros64(w)
		}
		n += 64
	}
	return n
}

// workOf is EIP-627's work for a number of leading zero bits.
func workOf(zeros, size int, ttl uint32) float64 {
	return math.Ldexp(1, zeros) / (float64(size) * float64(ttl))
}

// PoWResult describes the proof of work of a proof-of-work envelope.
type PoWResult struct {
	// Hash is the proof hash H.
	Hash [HashSize]byte
	// LeadingZeros is the number of leading zero bits of Hash.
	LeadingZeros int
	// Size is the envelope's encoded length.
	Size int
	// Work is 2^LeadingZeros / (Size × TTL).
	Work float64
}

// Work computes an envelope's proof of work. Errors: ErrKind for an
// envelope without a PoW proof, and Encode's errors.
func Work(e *Envelope) (PoWResult, error) {
	if e.Kind != KindPoW {
		return PoWResult{}, fmt.Errorf("%w: %s envelope, want pow", ErrKind, e.Kind)
	}
	enc, err := e.Encode()
	if err != nil {
		return PoWResult{}, err
	}
	var buf [HashSize + 8]byte
	d := powDigest(enc)
	copy(buf[:], d[:])
	h := powHash(&buf, e.PoW.Nonce)
	z := leadingZeros(h)
	return PoWResult{Hash: h, LeadingZeros: z, Size: len(enc), Work: workOf(z, len(enc), e.PoW.TTL)}, nil
}

// RequiredBits returns the fewest leading zero bits whose work reaches
// target for an envelope of size bytes and ttl seconds:
// the least b ≥ 0 with 2^b / (size × ttl) ≥ target. Errors: ErrConfig
// for a target that is not finite, a size or TTL of zero, or more bits
// than a hash has.
func RequiredBits(target float64, size int, ttl uint32) (int, error) {
	if math.IsNaN(target) || math.IsInf(target, 0) {
		return 0, fmt.Errorf("%w: target %v is not finite", ErrConfig, target)
	}
	if size < 1 || ttl < 1 {
		return 0, fmt.Errorf("%w: size %d and TTL %d must be positive", ErrConfig, size, ttl)
	}
	for b := 0; b <= 8*HashSize; b++ {
		if workOf(b, size, ttl) >= target {
			return b, nil
		}
	}
	return 0, fmt.Errorf("%w: target %v needs more than %d zero bits", ErrConfig, target, 8*HashSize)
}

// ExpectedHashes is the mean number of hashes a nonce search needs to
// reach target (2^RequiredBits: each hash has b leading zero bits with
// probability 2^-b).
func ExpectedHashes(target float64, size int, ttl uint32) (float64, error) {
	b, err := RequiredBits(target, size, ttl)
	if err != nil {
		return 0, err
	}
	return math.Ldexp(1, b), nil
}

// ExpectedMintTime is the mean time to mint an envelope of size bytes and
// ttl seconds at target on a machine that computes hashesPerSecond proof
// hashes (BenchmarkPoWHash measures it here). Errors: ErrConfig.
func ExpectedMintTime(target float64, size int, ttl uint32, hashesPerSecond float64) (time.Duration, error) {
	if !(hashesPerSecond > 0) || math.IsInf(hashesPerSecond, 0) {
		return 0, fmt.Errorf("%w: hash rate %v must be positive and finite", ErrConfig, hashesPerSecond)
	}
	n, err := ExpectedHashes(target, size, ttl)
	if err != nil {
		return 0, err
	}
	sec := n / hashesPerSecond
	if sec > float64(math.MaxInt64)/float64(time.Second) {
		return time.Duration(math.MaxInt64), nil
	}
	return time.Duration(sec * float64(time.Second)), nil
}

// MintParams are the inputs of Mint.
type MintParams struct {
	// TTL is the envelope's time to live in seconds (≥ 1).
	TTL uint32
	// Target is the work to reach (≥ the verifiers' MinWork).
	Target float64
	// Start is the first nonce tried; the search goes up from it (and
	// wraps around), so the same inputs always give the same envelope.
	Start uint64
	// MaxTries bounds the search (0: no bound but the nonce space).
	MaxTries uint64
}

// Mint wraps payload in a proof-of-work envelope whose expiry is now +
// TTL, searching nonces from p.Start until the work reaches p.Target.
// It returns the envelope and the number of hashes tried. Errors:
// ErrConfig (bad target, TTL or time), ErrTooLarge, ErrMintExhausted.
func Mint(payload []byte, now time.Time, p MintParams) (*Envelope, uint64, error) {
	if p.TTL < 1 {
		return nil, 0, fmt.Errorf("%w: TTL must be at least 1 s", ErrConfig)
	}
	sec := now.Unix()
	if sec < 0 {
		return nil, 0, fmt.Errorf("%w: time %v is before 1970", ErrConfig, now)
	}
	e := &Envelope{Kind: KindPoW, Payload: payload, PoW: &PoWProof{Expiry: uint64(sec) + uint64(p.TTL), TTL: p.TTL, Nonce: p.Start}}
	enc, err := e.Encode()
	if err != nil {
		return nil, 0, err
	}
	need, err := RequiredBits(p.Target, len(enc), p.TTL)
	if err != nil {
		return nil, 0, err
	}
	var buf [HashSize + 8]byte
	d := powDigest(enc)
	copy(buf[:], d[:])
	nonce := p.Start
	for tries := uint64(1); ; tries++ {
		if leadingZeros(powHash(&buf, nonce)) >= need {
			e.PoW.Nonce = nonce
			return e, tries, nil
		}
		if tries == p.MaxTries || tries == math.MaxUint64 {
			return nil, tries, fmt.Errorf("%w: %d nonces from %d without %d zero bits", ErrMintExhausted, tries, p.Start, need)
		}
		nonce++
	}
}

// VerifyPoW checks a proof-of-work envelope against a policy at time now:
// the kind, 1 ≤ TTL ≤ MaxTTL (ErrTTL), now ≤ Expiry and Expiry − TTL ≤
// now + MaxSkew (ErrExpired), and work ≥ MinWork (ErrInsufficientWork).
// It returns the computed work.
func VerifyPoW(e *Envelope, now time.Time, p PoWPolicy) (PoWResult, error) {
	if e.Kind != KindPoW || e.PoW == nil {
		return PoWResult{}, fmt.Errorf("%w: %s envelope, want pow", ErrKind, e.Kind)
	}
	if e.PoW.TTL < 1 || e.PoW.TTL > p.MaxTTL {
		return PoWResult{}, fmt.Errorf("%w: TTL %d s, accepted 1 to %d", ErrTTL, e.PoW.TTL, p.MaxTTL)
	}
	nowSec := now.Unix()
	exp, ttl := e.PoW.Expiry, uint64(e.PoW.TTL)
	if exp <= math.MaxInt64 && nowSec > int64(exp) {
		return PoWResult{}, fmt.Errorf("%w: expired at %d, now %d", ErrExpired, exp, nowSec)
	}
	if exp < ttl {
		return PoWResult{}, fmt.Errorf("%w: expiry %d minus TTL %d is before 1970", ErrExpired, exp, ttl)
	}
	if sent := exp - ttl; sent > math.MaxInt64 || int64(sent) > now.Add(p.MaxSkew).Unix() {
		return PoWResult{}, fmt.Errorf("%w: sent at %d, later than now %d plus the skew", ErrExpired, sent, nowSec)
	}
	r, err := Work(e)
	if err != nil {
		return PoWResult{}, err
	}
	if r.Work < p.MinWork {
		return r, fmt.Errorf("%w: work %.6g, at least %.6g required", ErrInsufficientWork, r.Work, p.MinWork)
	}
	return r, nil
}
