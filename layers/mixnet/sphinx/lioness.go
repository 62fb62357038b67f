package sphinx

import (
	"crypto/sha256"
	"fmt"
)

// LIONESS (Anderson and Biham, 1996) is the body's wide-block SPRP: a
// four-round unbalanced Feistel network over L ‖ R with |L| = 32, keyed
// with K = K1 ‖ K2 ‖ K3 ‖ K4 (32 bytes each):
//
//	encrypt:  R ^= S(L ^ K1);  L ^= H(K2, R);  R ^= S(L ^ K3);  L ^= H(K4, R)
//	decrypt:  L ^= H(K4, R);  R ^= S(L ^ K3);  L ^= H(K2, R);  R ^= S(L ^ K1)
//
// with S the ChaCha20 key stream and H HMAC-SHA-256 (crypto.go). A
// change to any bit of a ciphertext turns the whole decryption into
// unrelated bytes, which is what makes the final hop's zero tag detect
// tagging.

// LionessEncrypt encrypts block in place under key (LionessKeySize bytes).
// The block holds LionessMinBlockSize..LionessMaxBlockSize bytes.
func LionessEncrypt(key, block []byte) error { return lionessExported(key, block, true) }

// LionessDecrypt decrypts block in place under key; it inverts
// LionessEncrypt.
func LionessDecrypt(key, block []byte) error { return lionessExported(key, block, false) }

func lionessExported(key, block []byte, enc bool) error {
	if len(key) != LionessKeySize {
		return fmt.Errorf("%w: LIONESS key is %d bytes, want %d", ErrBadLength, len(key), LionessKeySize)
	}
	if len(block) < LionessMinBlockSize || len(block) > LionessMaxBlockSize {
		return fmt.Errorf("%w: LIONESS block is %d bytes, want %d..%d", ErrBadLength, len(block), LionessMinBlockSize, LionessMaxBlockSize)
	}
	k := (*[LionessKeySize]byte)(key)
	if enc {
		lionessEncrypt(k, block)
	} else {
		lionessDecrypt(k, block)
	}
	return nil
}

// lionessEncrypt and lionessDecrypt run in place on a block of at least
// 33 bytes; with streamSlack spare capacity after block they run on the
// fast stream path.
func lionessEncrypt(k *[LionessKeySize]byte, block []byte) {
	l, r := (*[32]byte)(block[:32]), block[32:]
	lionessStream(l, k[0:32], r)
	lionessHash(l, k[32:64], r)
	lionessStream(l, k[64:96], r)
	lionessHash(l, k[96:128], r)
}

func lionessDecrypt(k *[LionessKeySize]byte, block []byte) { lionessDecryptTo(k, block, block) }

// lionessDecryptTo sets dst = LIONESS-decrypt(k, src) (same length; the
// same slice or not overlapping) without copying src first: the first
// hash round reads src, the first stream round writes dst.
func lionessDecryptTo(k *[LionessKeySize]byte, dst, src []byte) {
	l, r := (*[32]byte)(dst[:32]), dst[32:]
	var sl [32]byte
	copy(sl[:], src[:32])
	lionessHash(&sl, k[96:128], src[32:])
	*l = sl
	var t [32]byte
	xorInto(t[:], l[:], k[64:96])
	streamXORTo(&t, r, src[32:])
	lionessHash(l, k[32:64], r)
	lionessStream(l, k[0:32], r)
}

// lionessStream sets r ^= S(l ^ subkey).
func lionessStream(l *[32]byte, subkey, r []byte) {
	var t [32]byte
	xorInto(t[:], l[:], subkey)
	streamXOR(&t, r)
}

// lionessHash sets l ^= HMAC-SHA-256(subkey, r) (RFC 2104; the 32-byte
// subkey is zero-padded to SHA-256's 64-byte block).
func lionessHash(l *[32]byte, subkey, r []byte) {
	var pad [64]byte
	for i := range pad {
		var k byte
		if i < len(subkey) {
			k = subkey[i]
		}
		pad[i] = k ^ 0x36
	}
	h := sha256.New()
	h.Write(pad[:])
	h.Write(r)
	var d [32]byte
	h.Sum(d[:0])
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	h.Reset()
	h.Write(pad[:])
	h.Write(d[:])
	h.Sum(d[:0])
	xorInto(l[:], l[:], d[:])
}

// sprpKeyFromSeed expands a SURB reply-key seed into a LIONESS key: the
// first LionessKeySize bytes of S(seed).
func sprpKeyFromSeed(seed *[SURBKeySeedSize]byte) (k [LionessKeySize]byte) {
	keyStream(seed, k[:])
	return k
}
