package trust

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
)

// KDF labels (SPEC.md, "Key schedule").
const (
	labelXWingDigest = "strata/trust/v1/xwing-pk"
	labelCommit      = "strata/trust/v1/commit"
	labelTranscript  = "strata/trust/v1/transcript"
	labelMaster      = "strata/trust/v1/master"
	labelConfirmA    = "strata/trust/v1/confirm/alice"
	labelConfirmB    = "strata/trust/v1/confirm/bob"
	labelSAS         = "strata/trust/v1/sas"
	labelIdentityA   = "strata/trust/v1/identity/alice"
	labelIdentityB   = "strata/trust/v1/identity/bob"
	labelIdentityAD  = "strata/trust/v1/identity"
)

// SAS parameters: SASDigits decimal digits in groups of SASGroup.
const (
	SASDigits = 15 // log2(10^15) ≈ 49.8 bits
	SASGroup  = 3
)

// framedHash is H(label, x1, ..., xn) = SHA-256(u32(len(label)) ‖ label ‖
// u32(len(x1)) ‖ x1 ‖ ...), lengths big-endian.
func framedHash(label string, parts ...[]byte) [32]byte {
	h := sha256.New()
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(label)))
	h.Write(l[:])
	h.Write([]byte(label))
	for _, p := range parts {
		binary.BigEndian.PutUint32(l[:], uint32(len(p)))
		h.Write(l[:])
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func xwingDigest(pub []byte) [32]byte { return framedHash(labelXWingDigest, pub) }

// Commit returns the commitment a payload carries for an X25519 public key
// and an X-Wing public key (SPEC.md), as an implementation or an adversary
// model computes it.
func Commit(x25519Pub, xwingPub []byte) [32]byte {
	return commitment(x25519Pub, xwingDigest(xwingPub))
}

// commitment is the key commitment a payload carries.
func commitment(x25519Pub []byte, digest [32]byte) [32]byte {
	return framedHash(labelCommit, x25519Pub, digest[:])
}

// keys is what both sides derive once the KEY records are exchanged.
type keys struct {
	transcript [32]byte
	master     [32]byte
	confirm    [2][32]byte // by role
	sas        string
}

// deriveKeys runs the key schedule (SPEC.md, "Key schedule").
func deriveKeys(mode Mode, payloadA, payloadB, keyA, keyB, dh, ss []byte) (*keys, error) {
	k := &keys{transcript: framedHash(labelTranscript, []byte{byte(mode)}, payloadA, payloadB, keyA, keyB)}
	ikm := append(append(make([]byte, 0, len(dh)+len(ss)), dh...), ss...)
	prk, err := hkdf.Extract(sha256.New, ikm, k.transcript[:])
	if err != nil {
		return nil, err
	}
	for _, o := range []struct {
		label string
		dst   []byte
	}{{labelMaster, k.master[:]}, {labelConfirmA, k.confirm[RoleAlice][:]}, {labelConfirmB, k.confirm[RoleBob][:]}} {
		b, err := hkdf.Expand(sha256.New, prk, o.label, 32)
		if err != nil {
			return nil, err
		}
		copy(o.dst, b)
	}
	s, err := hkdf.Expand(sha256.New, prk, labelSAS, 8)
	if err != nil {
		return nil, err
	}
	k.sas = formatSAS(binary.BigEndian.Uint64(s))
	return k, nil
}

// formatSAS renders v mod 10^SASDigits as zero-padded digits in groups of
// SASGroup separated by spaces.
func formatSAS(v uint64) string {
	const mod = 1_000_000_000_000_000 // 10^SASDigits
	d := fmt.Sprintf("%0*d", SASDigits, v%mod)
	var groups []string
	for i := 0; i < len(d); i += SASGroup {
		groups = append(groups, d[i:i+SASGroup])
	}
	return strings.Join(groups, " ")
}

// confirmMAC is HMAC-SHA-256(confirm key of role, transcript hash).
func (k *keys) confirmMAC(r Role) [MACSize]byte {
	m := hmac.New(sha256.New, k.confirm[r][:])
	m.Write(k.transcript[:])
	var out [MACSize]byte
	m.Sum(out[:0])
	return out
}
