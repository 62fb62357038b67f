package trust

import (
	"encoding/binary"
	"fmt"
)

// RecordType is the type byte of a record.
type RecordType byte

// Record types (SPEC.md, "Records").
const (
	RecordKey     RecordType = 1
	RecordConfirm RecordType = 2
	RecordAbort   RecordType = 3
)

// Role is a device's role in a pairing.
type Role byte

// Roles (SPEC.md, "Roles").
const (
	// RoleAlice sends the first KEY record; her X-Wing key is encapsulated
	// to.
	RoleAlice Role = 0
	// RoleBob answers and encapsulates to Alice's X-Wing key.
	RoleBob Role = 1
)

func (r Role) String() string {
	if r == RoleAlice {
		return "alice"
	}
	return "bob"
}

func (r Role) peer() Role { return 1 - r }

// Mode says whether both devices scan (Mutual) or only one (OneWay).
type Mode byte

// Modes (SPEC.md, "Modes").
const (
	ModeMutual Mode = 1
	ModeOneWay Mode = 2
)

func (m Mode) String() string {
	switch m {
	case ModeMutual:
		return "mutual"
	case ModeOneWay:
		return "one-way"
	}
	return fmt.Sprintf("mode(%d)", byte(m))
}

// Specification constants: record sizes (SPEC.md, "Records").
const (
	// RecordHeaderSize is version, type and a 16-bit body length.
	RecordHeaderSize = 4
	// X25519Size is the size of an X25519 public key and shared secret.
	X25519Size = 32
	// XWingPublicKeySize, XWingCiphertextSize: X-Wing (draft -05) sizes.
	XWingPublicKeySize  = 1216
	XWingCiphertextSize = 1120
	// MACSize is the size of a confirmation MAC (HMAC-SHA-256).
	MACSize = 32
	// keyBobBodySize: role, X25519 key, X-Wing key digest, ciphertext.
	keyBobBodySize = 1 + X25519Size + 32 + XWingCiphertextSize
	// keyAliceFixed: role, mode, payload length, X25519 key, X-Wing key.
	keyAliceFixed = 1 + 1 + 2 + X25519Size + XWingPublicKeySize
	// MaxRecordSize is the largest valid record (a KEY from Alice with
	// the largest payload).
	MaxRecordSize = RecordHeaderSize + keyAliceFixed + MaxPayloadSize
)

// Record is a decoded KEY, CONFIRM or ABORT record. Which fields are set
// depends on Type and Role.
type Record struct {
	Type RecordType
	Role Role // KEY, CONFIRM: the sender's role
	// KEY from Alice.
	Mode     Mode
	Payload  []byte // Alice's encoded payload
	XWingPub []byte // XWingPublicKeySize bytes
	// KEY from either.
	X25519 [X25519Size]byte
	// KEY from Bob.
	XWingDigest [32]byte
	Ciphertext  []byte // XWingCiphertextSize bytes
	// CONFIRM.
	MAC [MACSize]byte
	// ABORT.
	Reason AbortReason
}

// EncodeRecord encodes r (SPEC.md, "Records"). Errors wrap ErrMalformed.
func EncodeRecord(r *Record) ([]byte, error) {
	var body []byte
	switch r.Type {
	case RecordKey:
		switch r.Role {
		case RoleAlice:
			if r.Mode != ModeMutual && r.Mode != ModeOneWay {
				return nil, fmt.Errorf("%w: mode %d", ErrMalformed, r.Mode)
			}
			if _, err := DecodePayload(r.Payload); err != nil {
				return nil, err
			}
			if len(r.XWingPub) != XWingPublicKeySize {
				return nil, fmt.Errorf("%w: X-Wing key of %d bytes", ErrMalformed, len(r.XWingPub))
			}
			body = append(body, byte(RoleAlice), byte(r.Mode))
			body = binary.BigEndian.AppendUint16(body, uint16(len(r.Payload)))
			body = append(body, r.Payload...)
			body = append(body, r.X25519[:]...)
			body = append(body, r.XWingPub...)
		case RoleBob:
			if len(r.Ciphertext) != XWingCiphertextSize {
				return nil, fmt.Errorf("%w: ciphertext of %d bytes", ErrMalformed, len(r.Ciphertext))
			}
			body = append(body, byte(RoleBob))
			body = append(body, r.X25519[:]...)
			body = append(body, r.XWingDigest[:]...)
			body = append(body, r.Ciphertext...)
		default:
			return nil, fmt.Errorf("%w: role %d", ErrMalformed, r.Role)
		}
	case RecordConfirm:
		if r.Role != RoleAlice && r.Role != RoleBob {
			return nil, fmt.Errorf("%w: role %d", ErrMalformed, r.Role)
		}
		body = append([]byte{byte(r.Role)}, r.MAC[:]...)
	case RecordAbort:
		body = []byte{byte(r.Reason)}
	default:
		return nil, fmt.Errorf("%w: record type %d", ErrMalformed, r.Type)
	}
	out := make([]byte, 0, RecordHeaderSize+len(body))
	out = append(out, Version, byte(r.Type))
	out = binary.BigEndian.AppendUint16(out, uint16(len(body)))
	return append(out, body...), nil
}

// DecodeRecord decodes one record strictly: the size is checked before
// anything else, every length must be exact, and a KEY from Alice must
// carry a well-formed payload. Errors wrap ErrVersion or ErrMalformed.
func DecodeRecord(b []byte) (*Record, error) {
	if len(b) > MaxRecordSize {
		return nil, fmt.Errorf("%w: record of %d bytes (max %d)", ErrMalformed, len(b), MaxRecordSize)
	}
	if len(b) < RecordHeaderSize {
		return nil, fmt.Errorf("%w: record of %d bytes", ErrMalformed, len(b))
	}
	if b[0] != Version {
		return nil, fmt.Errorf("%w: record version %d", ErrVersion, b[0])
	}
	r := &Record{Type: RecordType(b[1])}
	body := b[RecordHeaderSize:]
	if n := int(binary.BigEndian.Uint16(b[2:])); n != len(body) {
		return nil, fmt.Errorf("%w: body length %d, %d bytes follow", ErrMalformed, n, len(body))
	}
	switch r.Type {
	case RecordKey:
		if len(body) < 1 {
			return nil, fmt.Errorf("%w: empty KEY", ErrMalformed)
		}
		r.Role = Role(body[0])
		switch r.Role {
		case RoleAlice:
			if len(body) < keyAliceFixed {
				return nil, fmt.Errorf("%w: KEY from Alice of %d bytes", ErrMalformed, len(body))
			}
			r.Mode = Mode(body[1])
			if r.Mode != ModeMutual && r.Mode != ModeOneWay {
				return nil, fmt.Errorf("%w: mode %d", ErrMalformed, body[1])
			}
			pl := int(binary.BigEndian.Uint16(body[2:]))
			if len(body) != keyAliceFixed+pl {
				return nil, fmt.Errorf("%w: KEY from Alice: payload length %d does not fit %d bytes", ErrMalformed, pl, len(body))
			}
			r.Payload = append([]byte(nil), body[4:4+pl]...)
			if _, err := DecodePayload(r.Payload); err != nil {
				return nil, err
			}
			rest := body[4+pl:]
			copy(r.X25519[:], rest)
			r.XWingPub = append([]byte(nil), rest[X25519Size:]...)
		case RoleBob:
			if len(body) != keyBobBodySize {
				return nil, fmt.Errorf("%w: KEY from Bob of %d bytes (want %d)", ErrMalformed, len(body), keyBobBodySize)
			}
			copy(r.X25519[:], body[1:])
			copy(r.XWingDigest[:], body[1+X25519Size:])
			r.Ciphertext = append([]byte(nil), body[1+X25519Size+32:]...)
		default:
			return nil, fmt.Errorf("%w: role %d", ErrMalformed, body[0])
		}
	case RecordConfirm:
		if len(body) != 1+MACSize {
			return nil, fmt.Errorf("%w: CONFIRM of %d bytes", ErrMalformed, len(body))
		}
		r.Role = Role(body[0])
		if r.Role != RoleAlice && r.Role != RoleBob {
			return nil, fmt.Errorf("%w: role %d", ErrMalformed, body[0])
		}
		copy(r.MAC[:], body[1:])
	case RecordAbort:
		if len(body) != 1 {
			return nil, fmt.Errorf("%w: ABORT of %d bytes", ErrMalformed, len(body))
		}
		r.Reason = AbortReason(body[0])
	default:
		return nil, fmt.Errorf("%w: record type %d", ErrMalformed, b[1])
	}
	return r, nil
}
