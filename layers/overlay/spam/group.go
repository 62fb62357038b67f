package spam

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/cloudflare/circl/group"
)

// grp is the prime-order group of the RLN scheme: Ristretto255 (RFC 9496).
var grp = group.Ristretto255

// parseElement decodes a canonical Ristretto255 encoding.
func parseElement(b []byte) (group.Element, error) {
	e := grp.NewElement()
	if err := e.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: not a Ristretto255 element", ErrNonCanonical)
	}
	if again, _ := e.MarshalBinary(); !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: Ristretto255 element does not re-encode to itself", ErrNonCanonical)
	}
	return e, nil
}

// parseScalar decodes a canonical (reduced, little-endian) scalar.
func parseScalar(b []byte) (group.Scalar, error) {
	s := grp.NewScalar()
	if err := s.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: scalar not reduced modulo the group order", ErrNonCanonical)
	}
	return s, nil
}

func elementBytes(e group.Element) (out [ElementSize]byte) {
	b, _ := e.MarshalBinary() // Ristretto255 encoding never fails
	copy(out[:], b)
	return out
}

func scalarBytes(s group.Scalar) (out [ScalarSize]byte) {
	b, _ := s.MarshalBinary() // a reduced scalar always encodes
	copy(out[:], b)
	return out
}

// hashToScalar is circl's Ristretto255 hash to scalar:
// expand_message_xmd(SHA-512, dst, msg, 64) read little-endian and
// reduced modulo the group order.
func hashToScalar(msg []byte, dst string) group.Scalar {
	return grp.HashToScalar(msg, []byte(dst))
}

// messageHash binds a message to its topic:
// SHA-256(labelMessage || u32be(len(topic)) || topic || payload).
func messageHash(topic string, payload []byte) [HashSize]byte {
	h := sha256.New()
	h.Write([]byte(labelMessage))
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(topic)))
	h.Write(n[:])
	h.Write([]byte(topic))
	h.Write(payload)
	var out [HashSize]byte
	h.Sum(out[:0])
	return out
}

// shareX is the x coordinate of a message's share: H_scalar(message hash).
func shareX(mh [HashSize]byte) group.Scalar { return hashToScalar(mh[:], dstX) }

// Nullifier returns the public nullifier of a member's message index in
// an epoch: SHA-256(labelNullifier || A0 || u64be(epoch) || u32be(index)).
// Two signals with the same nullifier use the same slot of the rate.
func Nullifier(member [ElementSize]byte, epoch uint64, index uint32) [HashSize]byte {
	b := make([]byte, 0, len(labelNullifier)+ElementSize+12)
	b = append(b, labelNullifier...)
	b = append(b, member[:]...)
	b = binary.BigEndian.AppendUint64(b, epoch)
	b = binary.BigEndian.AppendUint32(b, index)
	return sha256.Sum256(b)
}

// slopeScalar derives the secret slope a1 = H_scalar(a0 || u64be(epoch) ||
// u32be(index)). Only the member can compute it; no verifier can check it
// (SPEC.md, "Security considerations").
func slopeScalar(secret [ScalarSize]byte, epoch uint64, index uint32) group.Scalar {
	b := make([]byte, 0, ScalarSize+12)
	b = append(b, secret[:]...)
	b = binary.BigEndian.AppendUint64(b, epoch)
	b = binary.BigEndian.AppendUint32(b, index)
	return hashToScalar(b, dstSlope)
}

// signalMessage is what a member signs for a signal:
// u64be(epoch) || u32be(index) || A1 || y || message hash.
func signalMessage(epoch uint64, index uint32, slope [ElementSize]byte, share [ScalarSize]byte, mh [HashSize]byte) []byte {
	b := make([]byte, 0, 12+ElementSize+ScalarSize+HashSize)
	b = binary.BigEndian.AppendUint64(b, epoch)
	b = binary.BigEndian.AppendUint32(b, index)
	b = append(b, slope[:]...)
	b = append(b, share[:]...)
	return append(b, mh[:]...)
}

// groupElement is a Ristretto255 element.
type groupElement = group.Element
