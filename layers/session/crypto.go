package session

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/cloudflare/circl/dh/x25519"
	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
	"golang.org/x/crypto/chacha20poly1305"
)

// readRand fills b from r, wrapping failures in ErrRandom.
func readRand(r io.Reader, b []byte) error {
	if r == nil {
		return fmt.Errorf("%w: nil reader", ErrRandom)
	}
	if _, err := io.ReadFull(r, b); err != nil {
		return fmt.Errorf("%w: %w", ErrRandom, err)
	}
	return nil
}

// lowOrder lists the encodings of X25519 points of order dividing 8, on
// the curve and its twist, with bit 255 cleared, as in libsodium; values
// ≥ p that reduce to them are included.
var lowOrder = [7][32]byte{
	{},
	{1},
	{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
	{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
}

// checkPublic rejects low-order X25519 public keys (SPEC.md, "Key
// validation").
func checkPublic(pub [32]byte) error {
	pub[31] &= 0x7f
	for i := range lowOrder {
		if subtle.ConstantTimeCompare(pub[:], lowOrder[i][:]) == 1 {
			return fmt.Errorf("%w: public key of small order", ErrLowOrderKey)
		}
	}
	return nil
}

// xkey is an X25519 key pair; k caches the crypto/ecdh key so that a DH
// costs one scalar multiplication.
type xkey struct {
	priv, pub [32]byte
	set       bool // false for the zero xkey, which holds no key
}

// xkeyFrom expands a 32-byte X25519 private key. X25519 runs on circl's
// dh/x25519, which BenchmarkX25519 measures faster than crypto/ecdh on
// amd64; the two compute the same function (the vectors pin it).
func xkeyFrom(priv [32]byte) (xkey, error) {
	x := xkey{priv: priv, set: true}
	pub, sk := (*x25519.Key)(&x.pub), x25519.Key(priv)
	x25519.KeyGen(pub, &sk)
	return x, nil
}

// x25519Public returns the public key of a 32-byte X25519 private key.
func x25519Public(priv [32]byte) ([32]byte, error) {
	x, err := xkeyFrom(priv)
	return x.pub, err
}

// dh computes X25519(priv, pub), rejecting low-order keys and an all-zero
// output.
func dh(x xkey, pub [32]byte) ([32]byte, error) {
	var out [32]byte
	if err := checkPublic(pub); err != nil {
		return out, err
	}
	if !x.set {
		return out, fmt.Errorf("%w: no private key", ErrMalformed)
	}
	sk, pk := x25519.Key(x.priv), x25519.Key(pub)
	if !x25519.Shared((*x25519.Key)(&out), &sk, &pk) { // false: all-zero output
		return [32]byte{}, fmt.Errorf("%w: all-zero shared secret", ErrLowOrderKey)
	}
	return out, nil
}

// newX25519 draws a private key from r and returns it with its public key.
func newX25519(r io.Reader) (xkey, error) {
	var priv [32]byte
	if err := readRand(r, priv[:]); err != nil {
		return xkey{}, err
	}
	return xkeyFrom(priv)
}

// kemKey is an ML-KEM-768 key pair kept as its 64-byte seed d ‖ z (FIPS
// 203 ML-KEM.KeyGen_internal). ML-KEM runs on circl's kem/mlkem/mlkem768,
// which BenchmarkMLKEM768 measures faster than crypto/mlkem here (key
// generation about 2x, encapsulation and decapsulation more); the two
// compute the same function from the same seeds (the vectors pin it).
type kemKey struct {
	seed [KEMSeedSize]byte
	pk   *mlkem768.PublicKey  // expanded from seed, not serialized
	sk   *mlkem768.PrivateKey // expanded from seed, not serialized
}

func newKEMFromSeed(seed []byte) (*kemKey, error) {
	if len(seed) != KEMSeedSize {
		return nil, fmt.Errorf("%w: ML-KEM seed of %d bytes", ErrMalformed, len(seed))
	}
	k := &kemKey{}
	copy(k.seed[:], seed)
	k.pk, k.sk = mlkem768.NewKeyFromSeed(k.seed[:])
	return k, nil
}

func newKEM(r io.Reader) (*kemKey, error) {
	var seed [KEMSeedSize]byte
	if err := readRand(r, seed[:]); err != nil {
		return nil, err
	}
	return newKEMFromSeed(seed[:])
}

func (k *kemKey) public() []byte {
	b := make([]byte, KEMPublicKeySize)
	k.pk.Pack(b)
	return b
}

// parseKEMPublic decodes an ML-KEM-768 encapsulation key, rejecting one
// whose coefficients are not reduced (FIPS 203's modulus check).
func parseKEMPublic(ek []byte) (*mlkem768.PublicKey, error) {
	var pk mlkem768.PublicKey
	if err := pk.Unpack(ek); err != nil {
		return nil, fmt.Errorf("%w: ML-KEM encapsulation key: %w", ErrMalformed, err)
	}
	return &pk, nil
}

// encapsulate encapsulates to pk with 32 bytes drawn from r (FIPS 203
// ML-KEM.Encaps_internal), so that seeded runs replay.
func encapsulate(r io.Reader, pk *mlkem768.PublicKey) (ss, ct []byte, err error) {
	var m [32]byte
	if err := readRand(r, m[:]); err != nil {
		return nil, nil, err
	}
	ss, ct = make([]byte, mlkem768.SharedKeySize), make([]byte, KEMCiphertextSize)
	pk.EncapsulateTo(ct, ss, m[:])
	return ss, ct, nil
}

func (k *kemKey) decapsulate(ct []byte) ([]byte, error) {
	if len(ct) != KEMCiphertextSize {
		return nil, fmt.Errorf("%w: ML-KEM ciphertext of %d bytes", ErrMalformed, len(ct))
	}
	ss := make([]byte, mlkem768.SharedKeySize)
	k.sk.DecapsulateTo(ss, ct)
	return ss, nil
}

// hkdfKey is HKDF-SHA-256 with the given salt and info.
func hkdfKey(secret, salt []byte, info string, n int) []byte {
	out, err := hkdf.Key(sha256.New, secret, salt, info, n)
	if err != nil { // only for n > 255*32
		panic("session: hkdf: " + err.Error())
	}
	return out
}

// kdfRK is the root KDF (SPEC.md, "Key derivation"): it returns the new
// root key, a chain key and the next header key.
func kdfRK(rk [32]byte, dhOut [32]byte, kemSS []byte) (newRK, ck, nhk [32]byte) {
	info := infoRoot
	ikm := dhOut[:]
	if kemSS != nil {
		info = infoRootPQ
		ikm = append(append(make([]byte, 0, 64), dhOut[:]...), kemSS...)
	}
	out := hkdfKey(ikm, rk[:], info, 96)
	copy(newRK[:], out[0:32])
	copy(ck[:], out[32:64])
	copy(nhk[:], out[64:96])
	return
}

// kdfCK is the chain KDF: message key HMAC-SHA-256(ck, 0x01), next chain
// key HMAC-SHA-256(ck, 0x02), header nonce HMAC-SHA-256(ck, 0x03)[:12].
func kdfCK(ck [32]byte) (mk, next [32]byte, nonce [NonceSize]byte) {
	mk, next = kdfCKRecv(ck)
	n := hmac1(ck, 0x03)
	copy(nonce[:], n[:NonceSize])
	return
}

// kdfCKRecv is kdfCK without the header nonce, which a receiver reads from
// the message instead of deriving it.
func kdfCKRecv(ck [32]byte) (mk, next [32]byte) {
	return hmac1(ck, 0x01), hmac1(ck, 0x02)
}

// hmac1 is HMAC-SHA-256 of the one-byte message b under a 32-byte key,
// computed on the stack (RFC 2104).
func hmac1(key [32]byte, b byte) [32]byte {
	var in [64 + 1]byte
	var out [64 + 32]byte
	for i := range 64 {
		var k byte
		if i < 32 {
			k = key[i]
		}
		in[i] = k ^ 0x36
		out[i] = k ^ 0x5c
	}
	in[64] = b
	inner := sha256.Sum256(in[:])
	copy(out[64:], inner[:])
	return sha256.Sum256(out[:])
}

// newAEAD returns ChaCha20-Poly1305 (RFC 8439) under key. Its setup is a
// key copy, where AES-256-GCM expands a key schedule: with a fresh key per
// message that setup was half of the symmetric ratchet's cost
// (BenchmarkAEADSetup).
func newAEAD(key [32]byte) cipher.AEAD {
	a, err := chacha20poly1305.New(key[:])
	if err != nil {
		panic("session: chacha20poly1305: " + err.Error()) // 32-byte key: cannot fail
	}
	return a
}

// bucket returns the padded size for a plaintext of n bytes.
func bucket(n int) int {
	b := MinBucket
	for b < n+1 {
		b <<= 1
	}
	return b
}

// unpad strips the padding; it fails unless the length is a valid bucket
// and the padding is well formed.
func unpad(p []byte) ([]byte, error) {
	if len(p) < MinBucket || len(p) > MaxBucket || len(p)&(len(p)-1) != 0 {
		return nil, fmt.Errorf("%w: padded length %d is not a bucket", ErrMalformed, len(p))
	}
	for i := len(p) - 1; i >= 0; i-- {
		switch p[i] {
		case 0:
			continue
		case 0x80:
			if bucket(i) != len(p) {
				return nil, fmt.Errorf("%w: padding longer than its bucket", ErrMalformed)
			}
			return p[:i], nil
		}
		break
	}
	return nil, fmt.Errorf("%w: bad padding", ErrMalformed)
}

func sha256Sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
