package trust

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/sha3"
	"fmt"
)

// X-Wing (draft-connolly-cfrg-xwing-kem, the version circl v1.6.5 calls
// "final (-05)"), built on the standard library: ML-KEM-768 from
// crypto/mlkem, X25519 from crypto/ecdh, SHA3-256 and SHAKE256 from
// crypto/sha3. TestXWingDraftVectors checks it against the draft's
// test-vector digest.
//
// It is built here rather than imported from circl's kem/xwing because
// this layer rejects an all-zero X25519 component (ErrLowOrder), which
// X-Wing itself ignores and circl's API does not report. Encapsulation is derandomized (the seed comes from the injected
// reader) so that seeded runs replay byte for byte; it uses
// crypto/mlkem/mlkemtest, the standard library's only entry point to
// ML-KEM.Encaps_internal (FIPS 203). See SPEC.md, "Security
// considerations".

const (
	xwingSeedSize      = 32
	xwingEncapSeedSize = 64
	mlkemPubSize       = mlkem.EncapsulationKeySize768
	mlkemCTSize        = mlkem.CiphertextSize768
)

// xwingLabel is the X-Wing combiner label, the six ASCII characters \./ /^\.
const xwingLabel = `\./` + `/^\`

type xwingPriv struct {
	m  *mlkem.DecapsulationKey768
	x  *ecdh.PrivateKey
	px []byte // X25519 public key
}

// xwingDerive derives an X-Wing key pair from a 32-byte seed:
// SHAKE256(seed, 96) = ML-KEM-768 seed (d ‖ z, 64 bytes) ‖ X25519 private
// key (32 bytes). The public key is the ML-KEM encapsulation key followed
// by the X25519 public key.
func xwingDerive(seed []byte) (*xwingPriv, []byte, error) {
	if len(seed) != xwingSeedSize {
		return nil, nil, fmt.Errorf("%w: X-Wing seed of %d bytes", ErrConfig, len(seed))
	}
	exp := sha3.SumSHAKE256(seed, 96)
	dk, err := mlkem.NewDecapsulationKey768(exp[:64])
	if err != nil {
		return nil, nil, err
	}
	x, err := ecdh.X25519().NewPrivateKey(exp[64:])
	if err != nil {
		return nil, nil, err
	}
	px := x.PublicKey().Bytes()
	pub := append(dk.EncapsulationKey().Bytes(), px...)
	return &xwingPriv{m: dk, x: x, px: px}, pub, nil
}

func xwingCombine(ssM, ssX, ctX, pkX []byte) []byte {
	h := sha3.New256()
	h.Write(ssM)
	h.Write(ssX)
	h.Write(ctX)
	h.Write(pkX)
	h.Write([]byte(xwingLabel))
	return h.Sum(nil)
}

// xwingEncapsulate encapsulates to pub with a 64-byte seed (ML-KEM
// randomness ‖ ephemeral X25519 private key). Errors wrap ErrMalformed
// (an invalid ML-KEM key) or ErrLowOrder (an X25519 component whose shared
// secret is all zero, which X-Wing itself ignores and this layer rejects).
func xwingEncapsulate(pub, seed []byte) (ss, ct []byte, err error) {
	if len(pub) != XWingPublicKeySize || len(seed) != xwingEncapSeedSize {
		return nil, nil, fmt.Errorf("%w: X-Wing key of %d bytes, seed of %d", ErrMalformed, len(pub), len(seed))
	}
	ek, err := mlkem.NewEncapsulationKey768(pub[:mlkemPubSize])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: X-Wing key: %v", ErrMalformed, err)
	}
	pkX, err := ecdh.X25519().NewPublicKey(pub[mlkemPubSize:])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: X-Wing key: %v", ErrMalformed, err)
	}
	ek2, err := ecdh.X25519().NewPrivateKey(seed[32:])
	if err != nil {
		return nil, nil, err
	}
	ssX, err := ek2.ECDH(pkX)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: X-Wing X25519 component: %v", ErrLowOrder, err)
	}
	ssM, ctM, err := mlkemtest.Encapsulate768(ek, seed[:32])
	if err != nil {
		return nil, nil, err
	}
	ctX := ek2.PublicKey().Bytes()
	return xwingCombine(ssM, ssX, ctX, pub[mlkemPubSize:]), append(ctM, ctX...), nil
}

// xwingDecapsulate decapsulates ct. Errors wrap ErrMalformed or
// ErrLowOrder, as for xwingEncapsulate.
func (k *xwingPriv) decapsulate(ct []byte) ([]byte, error) {
	if len(ct) != XWingCiphertextSize {
		return nil, fmt.Errorf("%w: X-Wing ciphertext of %d bytes", ErrMalformed, len(ct))
	}
	ssM, err := k.m.Decapsulate(ct[:mlkemCTSize])
	if err != nil {
		return nil, fmt.Errorf("%w: X-Wing ciphertext: %v", ErrMalformed, err)
	}
	ctX := ct[mlkemCTSize:]
	pe, err := ecdh.X25519().NewPublicKey(ctX)
	if err != nil {
		return nil, fmt.Errorf("%w: X-Wing ciphertext: %v", ErrMalformed, err)
	}
	ssX, err := k.x.ECDH(pe)
	if err != nil {
		return nil, fmt.Errorf("%w: X-Wing X25519 component: %v", ErrLowOrder, err)
	}
	return xwingCombine(ssM, ssX, ctX, k.px), nil
}
