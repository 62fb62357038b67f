package spam

import (
	"fmt"

	"github.com/cloudflare/circl/group"
)

// Schnorr signatures over Ristretto255 with a deterministic nonce
// (SPEC.md, "Procedures", "Schnorr signatures"):
//
//	k = H_scalar(a0 || tag || msg, dstNonce), R = k·G
//	c = H_scalar(R || A0 || tag || msg, dstChallenge), s = k + c·a0
//
// and a signature (R, s) verifies when s·G = R + c·A0.

// schnorrSign signs tag || msg with the secret a0 (encoded as a0b) whose
// public key encodes as pub.
func schnorrSign(a0 group.Scalar, a0b [ScalarSize]byte, pub [ElementSize]byte, tag byte, msg []byte) (r [ElementSize]byte, s [ScalarSize]byte) {
	nb := make([]byte, 0, ScalarSize+1+len(msg))
	nb = append(nb, a0b[:]...)
	nb = append(nb, tag)
	nb = append(nb, msg...)
	k := hashToScalar(nb, dstNonce)
	r = elementBytes(grp.NewElement().MulGen(k))
	c := challenge(r, pub, tag, msg)
	sv := grp.NewScalar().Mul(c, a0)
	sv.Add(sv, k)
	return r, scalarBytes(sv)
}

func challenge(r, pub [ElementSize]byte, tag byte, msg []byte) group.Scalar {
	cb := make([]byte, 0, 2*ElementSize+1+len(msg))
	cb = append(cb, r[:]...)
	cb = append(cb, pub[:]...)
	cb = append(cb, tag)
	cb = append(cb, msg...)
	return hashToScalar(cb, dstChallenge)
}

// schnorrVerify checks a signature on tag || msg by the public key A0
// (already parsed from pub). It returns nil, ErrNonCanonical or
// ErrBadSignature.
func schnorrVerify(a0 group.Element, pub [ElementSize]byte, tag byte, msg []byte, r [ElementSize]byte, s [ScalarSize]byte) error {
	rp, err := parseElement(r[:])
	if err != nil {
		return fmt.Errorf("signature R: %w", err)
	}
	sv, err := parseScalar(s[:])
	if err != nil {
		return fmt.Errorf("signature s: %w", err)
	}
	c := challenge(r, pub, tag, msg)
	lhs := grp.NewElement().MulGen(sv)
	rhs := grp.NewElement().Mul(a0, c)
	rhs.Add(rhs, rp)
	if !lhs.IsEqual(rhs) {
		return ErrBadSignature
	}
	return nil
}
