package trust

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"
)

// Specification constants (SPEC.md, "Wire format").
const (
	// Version is the protocol version: the first byte of every payload and
	// record.
	Version = 1
	// CommitmentSize is the size of the key commitment in a payload.
	CommitmentSize = 32
	// MaxHints is the largest number of transport hints in a payload.
	MaxHints = 4
	// MaxHintLen is the largest hint value, in bytes.
	MaxHintLen = 128
	// MinPayloadSize is the size of a payload without hints.
	MinPayloadSize = 1 + CommitmentSize + 8 + 1
	// MaxPayloadSize is the size of a payload with MaxHints hints of
	// MaxHintLen bytes.
	MaxPayloadSize = MinPayloadSize + MaxHints*(2+MaxHintLen)
	// MaxPayloadAge is how long after its creation a payload is accepted.
	MaxPayloadAge = 60 * time.Second
	// MaxClockSkew is how far in the future a payload's creation time may
	// be (the two devices' clocks differ).
	MaxClockSkew = 10 * time.Second
	// PairingTimeout is how long after its own payload's creation a
	// pairing accepts records.
	PairingTimeout = 120 * time.Second
)

// HintType is the type of a transport hint.
type HintType byte

// Hint types. Other non-zero types are carried and ignored.
const (
	// HintMultiaddr is a libp2p multiaddr in its text form
	// ("/ip4/192.0.2.1/tcp/4001/p2p/12D3...").
	HintMultiaddr HintType = 1
	// HintLoopback is a "host:port" of a TCP listener on the local
	// machine or LAN (demos, tests).
	HintLoopback HintType = 2
)

// Hint is a transport hint: how the peer may reach this device over an
// insecure link.
type Hint struct {
	Type  HintType
	Value []byte
}

// Payload is the content of a device's QR code.
type Payload struct {
	// Commitment is Commit(x25519 public key, X-Wing public key digest).
	Commitment [CommitmentSize]byte
	// Created is the creation time, in milliseconds since the Unix epoch.
	Created uint64
	Hints   []Hint
}

// CreatedTime returns Created as a time.Time.
func (p *Payload) CreatedTime() time.Time { return time.UnixMilli(int64(p.Created)) }

func validHint(h Hint) error {
	switch {
	case h.Type == 0:
		return fmt.Errorf("%w: hint type 0 is reserved", ErrMalformed)
	case len(h.Value) == 0 || len(h.Value) > MaxHintLen:
		return fmt.Errorf("%w: hint value of %d bytes (1..%d)", ErrMalformed, len(h.Value), MaxHintLen)
	case (h.Type == HintMultiaddr || h.Type == HintLoopback) && !utf8.Valid(h.Value):
		return fmt.Errorf("%w: hint of type %d is not UTF-8", ErrMalformed, h.Type)
	}
	return nil
}

// EncodePayload encodes p (SPEC.md, "QR payload"). It fails with
// ErrMalformed when p breaks a limit.
func EncodePayload(p *Payload) ([]byte, error) {
	if len(p.Hints) > MaxHints {
		return nil, fmt.Errorf("%w: %d hints (max %d)", ErrMalformed, len(p.Hints), MaxHints)
	}
	b := make([]byte, 0, MinPayloadSize+len(p.Hints)*(2+MaxHintLen))
	b = append(b, Version)
	b = append(b, p.Commitment[:]...)
	b = binary.BigEndian.AppendUint64(b, p.Created)
	b = append(b, byte(len(p.Hints)))
	for _, h := range p.Hints {
		if err := validHint(h); err != nil {
			return nil, err
		}
		b = append(b, byte(h.Type), byte(len(h.Value)))
		b = append(b, h.Value...)
	}
	return b, nil
}

// DecodePayload decodes a payload strictly: every length is bounded and
// trailing bytes are an error. Errors wrap ErrVersion or ErrMalformed.
// It does not check the creation time (see CheckPayloadAge).
func DecodePayload(b []byte) (*Payload, error) {
	if len(b) > MaxPayloadSize {
		return nil, fmt.Errorf("%w: payload of %d bytes (max %d)", ErrMalformed, len(b), MaxPayloadSize)
	}
	if len(b) < 1 {
		return nil, fmt.Errorf("%w: empty payload", ErrMalformed)
	}
	if b[0] != Version {
		return nil, fmt.Errorf("%w: payload version %d", ErrVersion, b[0])
	}
	if len(b) < MinPayloadSize {
		return nil, fmt.Errorf("%w: payload of %d bytes (min %d)", ErrMalformed, len(b), MinPayloadSize)
	}
	p := &Payload{}
	copy(p.Commitment[:], b[1:1+CommitmentSize])
	p.Created = binary.BigEndian.Uint64(b[1+CommitmentSize:])
	n := int(b[MinPayloadSize-1])
	if n > MaxHints {
		return nil, fmt.Errorf("%w: %d hints (max %d)", ErrMalformed, n, MaxHints)
	}
	rest := b[MinPayloadSize:]
	for range n {
		if len(rest) < 2 {
			return nil, fmt.Errorf("%w: truncated hint header", ErrMalformed)
		}
		h := Hint{Type: HintType(rest[0])}
		l := int(rest[1])
		if len(rest) < 2+l {
			return nil, fmt.Errorf("%w: truncated hint value", ErrMalformed)
		}
		h.Value = bytes.Clone(rest[2 : 2+l])
		if err := validHint(h); err != nil {
			return nil, err
		}
		p.Hints = append(p.Hints, h)
		rest = rest[2+l:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(rest))
	}
	return p, nil
}

// CheckPayloadAge reports ErrExpired when a payload created at created
// (milliseconds since the Unix epoch) is older than MaxPayloadAge at now,
// or lies more than MaxClockSkew in the future.
func CheckPayloadAge(created uint64, now time.Time) error {
	nowMs := now.UnixMilli()
	if nowMs < 0 {
		return fmt.Errorf("%w: time before 1970", ErrExpired)
	}
	n := uint64(nowMs)
	switch {
	case created > n && created-n > uint64(MaxClockSkew.Milliseconds()):
		return fmt.Errorf("%w: payload created %d ms in the future", ErrExpired, created-n)
	case n > created && n-created > uint64(MaxPayloadAge.Milliseconds()):
		return fmt.Errorf("%w: payload is %d ms old (max %d)", ErrExpired, n-created, MaxPayloadAge.Milliseconds())
	}
	return nil
}

// ParseHint parses a hint as a command line gives it: a text starting
// with "/" is a libp2p multiaddr (HintMultiaddr), anything else a
// "host:port" (HintLoopback). Errors wrap ErrMalformed.
func ParseHint(s string) (Hint, error) {
	h := Hint{Type: HintLoopback, Value: []byte(s)}
	if len(s) > 0 && s[0] == '/' {
		h.Type = HintMultiaddr
	}
	if err := validHint(h); err != nil {
		return Hint{}, err
	}
	return h, nil
}

// String renders a hint for humans: "multiaddr /ip4/...", "loopback
// host:port", or "type-N <hex>".
func (h Hint) String() string {
	switch h.Type {
	case HintMultiaddr:
		return "multiaddr " + string(h.Value)
	case HintLoopback:
		return "loopback " + string(h.Value)
	}
	return fmt.Sprintf("type-%d %x", h.Type, h.Value)
}
