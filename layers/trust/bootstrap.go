package trust

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// MaxIdentityBlob is the largest identity blob SealIdentity accepts.
const MaxIdentityBlob = 65536

// identityAEAD returns AES-256-GCM under the identity key of direction
// from (SPEC.md, "Bootstrap").
func identityAEAD(master []byte, from Role) (cipher.AEAD, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("%w: master secret of %d bytes", ErrIdentity, len(master))
	}
	label := labelIdentityA
	if from == RoleBob {
		label = labelIdentityB
	}
	key, err := hkdf.Expand(sha256.New, master, label, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// SealIdentity seals an opaque identity blob sent by the device of role
// from, under a key derived from the master secret of a completed pairing.
// Each direction's key is used for exactly one blob (the nonce is fixed),
// so a device MUST seal at most one blob per pairing.
func SealIdentity(master []byte, from Role, blob []byte) ([]byte, error) {
	if len(blob) > MaxIdentityBlob {
		return nil, fmt.Errorf("%w: blob of %d bytes (max %d)", ErrIdentity, len(blob), MaxIdentityBlob)
	}
	a, err := identityAEAD(master, from)
	if err != nil {
		return nil, err
	}
	return a.Seal(nil, make([]byte, a.NonceSize()), blob, identityAD(from)), nil
}

// OpenIdentity opens a blob sealed by the peer of role from. Errors wrap
// ErrIdentity.
func OpenIdentity(master []byte, from Role, sealed []byte) ([]byte, error) {
	if len(sealed) > MaxIdentityBlob+16 {
		return nil, fmt.Errorf("%w: sealed blob of %d bytes", ErrIdentity, len(sealed))
	}
	a, err := identityAEAD(master, from)
	if err != nil {
		return nil, err
	}
	b, err := a.Open(nil, make([]byte, a.NonceSize()), sealed, identityAD(from))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrIdentity, err)
	}
	return b, nil
}

func identityAD(from Role) []byte { return append([]byte(labelIdentityAD), byte(from)) }

// SealIdentity seals this device's identity blob for the peer; the
// pairing must have a Result.
func (p *Pairing) SealIdentity(blob []byte) ([]byte, error) {
	m, _, ok := p.Result()
	if !ok {
		return nil, fmt.Errorf("%w: the pairing has no result (state %s)", ErrIdentity, p.st)
	}
	return SealIdentity(m, p.role, blob)
}

// OpenIdentity opens the peer's sealed identity blob; the pairing must
// have a Result.
func (p *Pairing) OpenIdentity(sealed []byte) ([]byte, error) {
	m, _, ok := p.Result()
	if !ok {
		return nil, fmt.Errorf("%w: the pairing has no result (state %s)", ErrIdentity, p.st)
	}
	return OpenIdentity(m, p.role.peer(), sealed)
}
