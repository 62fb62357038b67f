package reconcile

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// ShortIDOf returns the salted short id of id: the first ShortIDSize bytes
// of SHA-256(ShortIDLabel || u64be(salt) || id).
func ShortIDOf(salt uint64, id ID) ShortID {
	var buf [len(ShortIDLabel) + 8 + IDSize]byte
	n := copy(buf[:], ShortIDLabel)
	binary.BigEndian.PutUint64(buf[n:], salt)
	copy(buf[n+8:], id[:])
	sum := sha256.Sum256(buf[:])
	return ShortID(sum[:ShortIDSize])
}

// shortKey returns ShortIDOf(salt, id) as a big-endian integer, which orders
// short ids like their bytes.
func shortKey(salt uint64, id ID) uint64 {
	s := ShortIDOf(salt, id)
	return binary.BigEndian.Uint64(s[:])
}

// FingerprintOf returns the salted fingerprint of a range holding items (in
// ascending order): the first FingerprintSize bytes of
// SHA-256(FingerprintLabel || u64be(salt) || u64be(len(items)) || id_1 ||
// ... || id_k). Timestamps are not hashed; the ids are streamed into the
// hash, not concatenated.
func FingerprintOf(salt uint64, items []Item) Fingerprint {
	return newHasher().fingerprint(salt, items)
}

// hasher computes fingerprints with one reusable SHA-256 state, so that a
// Process call allocates it once.
type hasher struct {
	h   hash.Hash
	hdr [len(FingerprintLabel) + 8 + 8]byte
	sum [sha256.Size]byte
}

func newHasher() *hasher {
	h := &hasher{h: sha256.New()}
	copy(h.hdr[:], FingerprintLabel)
	return h
}

func (h *hasher) fingerprint(salt uint64, items []Item) Fingerprint {
	const n = len(FingerprintLabel)
	binary.BigEndian.PutUint64(h.hdr[n:], salt)
	binary.BigEndian.PutUint64(h.hdr[n+8:], uint64(len(items)))
	h.h.Reset()
	h.h.Write(h.hdr[:])
	for i := range items {
		h.h.Write(items[i].ID[:])
	}
	return Fingerprint(h.h.Sum(h.sum[:0])[:FingerprintSize])
}
