package session

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	sessionpb "github.com/strata-lab/strata/layers/session/pb"
	"google.golang.org/protobuf/proto"
)

// IdentityPublic is a device's public identity: an X25519 key for key
// agreement and an Ed25519 key that signs its prekeys.
type IdentityPublic struct {
	DH   [KeySize]byte
	Sign [ed25519.PublicKeySize]byte
}

// IdentityKey is a device's private identity.
type IdentityKey struct {
	dh   xkey
	sign ed25519.PrivateKey
	pub  IdentityPublic
}

// NewIdentityKey draws a device identity from r (64 bytes: the X25519
// private key, then the Ed25519 seed).
func NewIdentityKey(r io.Reader) (*IdentityKey, error) {
	var b [64]byte
	if err := readRand(r, b[:]); err != nil {
		return nil, err
	}
	k := &IdentityKey{sign: ed25519.NewKeyFromSeed(b[32:])}
	var err error
	if k.dh, err = xkeyFrom([32]byte(b[:32])); err != nil {
		return nil, err
	}
	k.pub.DH = k.dh.pub
	copy(k.pub.Sign[:], k.sign.Public().(ed25519.PublicKey))
	return k, nil
}

// Public returns the public identity.
func (k *IdentityKey) Public() IdentityPublic { return k.pub }

// prekeysMessage is the byte string a bundle's signature covers (SPEC.md,
// "Prekey signature"): the signed prekey and the ML-KEM prekey together.
func prekeysMessage(spkID uint32, spk []byte, kemID uint32, lastResort bool, kem []byte) []byte {
	m := make([]byte, 0, len(labelPrekeys)+4+KeySize+4+1+KEMPublicKeySize)
	m = append(m, labelPrekeys...)
	m = binary.BigEndian.AppendUint32(m, spkID)
	m = append(m, spk...)
	m = binary.BigEndian.AppendUint32(m, kemID)
	lr := byte(0)
	if lastResort {
		lr = 1
	}
	m = append(m, lr)
	return append(m, kem...)
}

type kemPrekey struct {
	key        *kemKey
	lastResort bool
}

// Device is one device's private key material: its identity and the
// prekeys it has published. It is the responder side of the handshake.
// Prekey ids are allocated from one counter starting at 1.
type Device struct {
	id      *IdentityKey
	spk     map[uint32]xkey
	current uint32 // id of the signed prekey bundles carry
	opk     map[uint32]xkey
	kem     map[uint32]kemPrekey
	nextID  uint32
}

// NewDevice draws a device identity, a signed prekey and a last-resort
// ML-KEM-768 prekey from r.
func NewDevice(r io.Reader) (*Device, error) {
	id, err := NewIdentityKey(r)
	if err != nil {
		return nil, err
	}
	d := &Device{id: id, spk: map[uint32]xkey{}, opk: map[uint32]xkey{}, kem: map[uint32]kemPrekey{}, nextID: 1}
	if err := d.RotateSignedPrekey(r); err != nil {
		return nil, err
	}
	if err := d.addKEM(r, true); err != nil {
		return nil, err
	}
	return d, nil
}

// Identity returns the device's identity key.
func (d *Device) Identity() *IdentityKey { return d.id }

func (d *Device) allocID() uint32 { id := d.nextID; d.nextID++; return id }

// RotateSignedPrekey makes a fresh signed prekey current. The previous ones
// stay usable for initial messages in flight until DeleteSignedPrekey.
func (d *Device) RotateSignedPrekey(r io.Reader) error {
	x, err := newX25519(r)
	if err != nil {
		return err
	}
	id := d.allocID()
	d.spk[id] = x
	d.current = id
	return nil
}

// DeleteSignedPrekey forgets an old signed prekey (forward secrecy).
func (d *Device) DeleteSignedPrekey(id uint32) {
	if id != d.current {
		delete(d.spk, id)
	}
}

// AddOneTimePrekeys draws n X25519 one-time prekeys and n one-time
// ML-KEM-768 prekeys from r; a device holds at most 4,096 of each.
func (d *Device) AddOneTimePrekeys(r io.Reader, n int) error {
	if n < 0 || len(d.opk)+n > maxPrekeys || len(d.kem)+n > maxPrekeys {
		return fmt.Errorf("%w: at most %d one-time prekeys of each kind", ErrConfig, maxPrekeys)
	}
	for range n {
		x, err := newX25519(r)
		if err != nil {
			return err
		}
		d.opk[d.allocID()] = x
		if err := d.addKEM(r, false); err != nil {
			return err
		}
	}
	return nil
}

func (d *Device) addKEM(r io.Reader, lastResort bool) error {
	k, err := newKEM(r)
	if err != nil {
		return err
	}
	id := d.allocID()
	d.kem[id] = kemPrekey{k, lastResort}
	return nil
}

func minKey[V any](m map[uint32]V, keep func(V) bool) (uint32, bool) {
	var ids []uint32
	for id, v := range m {
		if keep(v) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return 0, false
	}
	return slices.Min(ids), true
}

// Bundle returns the device's prekey bundle: the current signed prekey,
// the lowest-numbered one-time prekeys if any remain, and otherwise the
// last-resort ML-KEM-768 prekey.
func (d *Device) Bundle() ([]byte, error) {
	spk := d.spk[d.current]
	b := &sessionpb.PrekeyBundle{
		Version:      ProtocolVersion,
		IdentityDh:   d.id.pub.DH[:],
		IdentitySign: d.id.pub.Sign[:],
		SignedPrekey: &sessionpb.SignedPrekey{Id: d.current, PublicKey: spk.pub[:]},
	}
	if id, ok := minKey(d.opk, func(xkey) bool { return true }); ok {
		p := d.opk[id]
		b.OneTimePrekey = &sessionpb.OneTimePrekey{Id: id, PublicKey: p.pub[:]}
	}
	id, ok := minKey(d.kem, func(k kemPrekey) bool { return !k.lastResort })
	if !ok {
		id, _ = minKey(d.kem, func(k kemPrekey) bool { return k.lastResort })
	}
	k := d.kem[id]
	kemPub := k.key.public()
	b.KemPrekey = &sessionpb.KEMPrekey{Id: id, PublicKey: kemPub, LastResort: k.lastResort}
	b.Signature = ed25519.Sign(d.id.sign, prekeysMessage(d.current, spk.pub[:], id, k.lastResort, kemPub))
	return proto.MarshalOptions{Deterministic: true}.Marshal(b)
}

// Bundle is a parsed, signature-checked prekey bundle.
type Bundle struct {
	Identity        IdentityPublic
	SignedPrekeyID  uint32
	SignedPrekey    [KeySize]byte
	OneTimePrekeyID uint32 // 0: none
	OneTimePrekey   [KeySize]byte
	KEMPrekeyID     uint32
	KEMPrekey       []byte
	KEMLastResort   bool
}

func copy32(dst *[32]byte, b []byte, what string) error {
	if len(b) != 32 {
		return fmt.Errorf("%w: %s is %d bytes, want 32", ErrMalformed, what, len(b))
	}
	copy(dst[:], b)
	return nil
}

// ParseBundle decodes a bundle, checks its fields and verifies both prekey
// signatures with the identity signing key it carries. The caller must
// still check that Identity is the device it meant (for instance against
// a signed device list).
func ParseBundle(data []byte) (*Bundle, error) {
	if len(data) > maxBundleBytes {
		return nil, fmt.Errorf("%w: bundle of %d bytes exceeds %d", ErrMalformed, len(data), maxBundleBytes)
	}
	var pb sessionpb.PrekeyBundle
	if err := (proto.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(data, &pb); err != nil {
		return nil, fmt.Errorf("%w: bundle: %w", ErrMalformed, err)
	}
	if len(pb.ProtoReflect().GetUnknown()) > 0 {
		return nil, fmt.Errorf("%w: bundle has unknown fields", ErrMalformed)
	}
	if pb.Version != ProtocolVersion {
		return nil, fmt.Errorf("%w: bundle version %d", ErrVersion, pb.Version)
	}
	var b Bundle
	if err := copy32(&b.Identity.DH, pb.IdentityDh, "identity_dh"); err != nil {
		return nil, err
	}
	if err := copy32(&b.Identity.Sign, pb.IdentitySign, "identity_sign"); err != nil {
		return nil, err
	}
	spk, kem := pb.SignedPrekey, pb.KemPrekey
	if spk == nil || kem == nil {
		return nil, fmt.Errorf("%w: bundle lacks a signed or KEM prekey", ErrMalformed)
	}
	if spk.Id == 0 || kem.Id == 0 || (pb.OneTimePrekey != nil && pb.OneTimePrekey.Id == 0) {
		return nil, fmt.Errorf("%w: prekey id 0", ErrMalformed)
	}
	if len(pb.Signature) != SignatureSize {
		return nil, fmt.Errorf("%w: bundle signature of %d bytes", ErrMalformed, len(pb.Signature))
	}
	if err := copy32(&b.SignedPrekey, spk.PublicKey, "signed prekey"); err != nil {
		return nil, err
	}
	if len(kem.PublicKey) != KEMPublicKeySize {
		return nil, fmt.Errorf("%w: KEM prekey is %d bytes", ErrMalformed, len(kem.PublicKey))
	}
	b.SignedPrekeyID, b.KEMPrekeyID, b.KEMLastResort = spk.Id, kem.Id, kem.LastResort
	b.KEMPrekey = slices.Clone(kem.PublicKey)
	if o := pb.OneTimePrekey; o != nil {
		if err := copy32(&b.OneTimePrekey, o.PublicKey, "one-time prekey"); err != nil {
			return nil, err
		}
		b.OneTimePrekeyID = o.Id
	}
	for _, k := range [][32]byte{b.Identity.DH, b.SignedPrekey} {
		if err := checkPublic(k); err != nil {
			return nil, err
		}
	}
	if b.OneTimePrekeyID != 0 {
		if err := checkPublic(b.OneTimePrekey); err != nil {
			return nil, err
		}
	}
	signer := ed25519.PublicKey(b.Identity.Sign[:])
	if !ed25519.Verify(signer, prekeysMessage(spk.Id, spk.PublicKey, kem.Id, kem.LastResort, kem.PublicKey), pb.Signature) {
		return nil, fmt.Errorf("%w: prekeys %d and %d", ErrBadSignature, spk.Id, kem.Id)
	}
	return &b, nil
}
