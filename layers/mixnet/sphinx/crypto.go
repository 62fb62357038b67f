package sphinx

import (
	"crypto/sha256"
	"crypto/subtle"

	"github.com/cloudflare/circl/dh/x25519"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// The primitives of SPEC.md, "Primitives":
//
//	KDF(mode, s)  = the replay tag SHA-256(kdfDomain ‖ mode ‖ 0x00 ‖ s) and
//	                the stream key k = SHA-256(kdfDomain ‖ mode ‖ 0x01 ‖ s)
//	S(k)          = the ChaCha20 key stream (RFC 8439) under key k, nonce
//	                0^12, block counter starting at 1
//	MAC(k, m)     = the ChaCha20-Poly1305 (RFC 8439) tag of an empty
//	                plaintext with key k, nonce 0^12 and additional data m
//	H(k, m)       = HMAC-SHA-256(k, m) (LIONESS hash rounds)
//
// S is computed with golang.org/x/crypto/chacha20poly1305, whose amd64 and
// arm64 assembly encrypts (counter from 1, exactly S) about 2.4 times faster
// than golang.org/x/crypto/chacha20, which has no amd64 assembly; the
// Poly1305 tag it appends lands in 16 bytes of scratch capacity after the
// buffer and is discarded. Buffers without that capacity fall back to
// package chacha20 (TestStreamMatchesChaCha20 checks both agree).

var zeroNonce [chacha20poly1305.NonceSize]byte

// streamSlack is the spare capacity streamXOR needs after a buffer to use
// the assembly path.
const streamSlack = chacha20poly1305.Overhead

// streamXOR sets buf ^= S(key). Its output is the same whatever buf's
// capacity; with streamSlack spare bytes of capacity it uses them as
// scratch and leaves them zero.
func streamXOR(key *[32]byte, buf []byte) { streamXORTo(key, buf, buf) }

// streamXORTo sets dst = src ^ S(key); dst and src have the same length
// and are the same slice or do not overlap. With streamSlack spare bytes
// of capacity in dst it runs on the assembly of chacha20poly1305 (whose
// Poly1305 tag it discards).
func streamXORTo(key *[32]byte, dst, src []byte) {
	if len(src) == 0 {
		return
	}
	if cap(dst)-len(dst) >= streamSlack {
		a, err := chacha20poly1305.New(key[:])
		if err != nil {
			panic("sphinx: chacha20poly1305.New with a 32-byte key: " + err.Error())
		}
		n := len(src)
		a.Seal(dst[:0], zeroNonce[:], src, nil)
		clear(dst[n : n+streamSlack]) // the discarded Poly1305 tag
		return
	}
	c, err := chacha20.NewUnauthenticatedCipher(key[:], zeroNonce[:])
	if err != nil {
		panic("sphinx: chacha20 with a 32-byte key: " + err.Error())
	}
	c.SetCounter(1)
	c.XORKeyStream(dst, src)
}

// keyStream fills buf with S(key).
func keyStream(key *[32]byte, buf []byte) {
	clear(buf)
	streamXOR(key, buf)
}

// mac returns MAC(key, m).
func mac(key []byte, m []byte) (tag [MACSize]byte) {
	a, err := chacha20poly1305.New(key)
	if err != nil {
		panic("sphinx: chacha20poly1305.New with a 32-byte key: " + err.Error())
	}
	a.Seal(tag[:0], zeroNonce[:], nil, m)
	return tag
}

// kdf derives a hop's replay tag and stream key from its shared secret.
// Each output is one SHA-256 compression (a 50-byte input).
func kdf(mode Mode, s *[32]byte) (tag [ReplayTagSize]byte, k [32]byte) {
	var in [len(kdfDomain) + 2 + 32]byte
	copy(in[:], kdfDomain)
	in[len(kdfDomain)] = byte(mode)
	copy(in[len(kdfDomain)+2:], s[:])
	tag = sha256.Sum256(in[:])
	in[len(kdfDomain)+1] = 1
	k = sha256.Sum256(in[:])
	return tag, k
}

// hopKeys is the start of a hop's key stream: MAC key, blinding factor,
// LIONESS key. ρ follows in the same stream.
type hopKeys struct {
	mac   [32]byte
	blind [32]byte
	sprp  [LionessKeySize]byte
}

func splitKeys(z []byte) (h hopKeys) {
	copy(h.mac[:], z[offMAC:])
	copy(h.blind[:], z[offBlind:])
	copy(h.sprp[:], z[offSPRP:offRho])
	return h
}

// x25519Mul returns X25519(scalar, point) (RFC 7748, clamping the
// scalar), and false when the result is all zero.
func x25519Mul(scalar, point *[32]byte) ([32]byte, bool) {
	var out x25519.Key
	x25519.Shared(&out, (*x25519.Key)(scalar), (*x25519.Key)(point))
	return out, !isZero(out[:])
}

// x25519Base returns X25519(scalar, 9).
func x25519Base(scalar *[32]byte) [32]byte {
	var out x25519.Key
	x25519.KeyGen(&out, (*x25519.Key)(scalar))
	return out
}

// isZero reports in constant time whether b is all zero.
func isZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return subtle.ConstantTimeByteEq(acc, 0) == 1
}

// xorInto sets dst[i] = a[i] ^ b[i] for len(dst) bytes.
func xorInto(dst, a, b []byte) { subtle.XORBytes(dst, a, b) }
