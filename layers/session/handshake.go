package session

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"time"

	sessionpb "github.com/strata-lab/strata/layers/session/pb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// discontinuity is PQXDH's 0xFF×32 prefix of the KDF input.
var discontinuity = bytes.Repeat([]byte{0xff}, 32)

// handshakeSecrets are the outputs of the PQXDH-shaped key agreement
// (SPEC.md, "Handshake"), exposed for test vectors.
type handshakeSecrets struct {
	SK, HKa, NHKb [KeySize]byte
	// DH holds DH1..DH4 (NDH of them) and KEMSecret the ML-KEM shared
	// secret, as fed to the KDF.
	DH        [4][KeySize]byte
	NDH       int
	KEMSecret [32]byte
}

// deriveHandshake computes SK ‖ HKa ‖ NHKb = HKDF-SHA-256(salt = 32 zero
// bytes, IKM = 0xFF×32 ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS, info, 96).
func deriveHandshake(dhs [][KeySize]byte, ss []byte) handshakeSecrets {
	ikm := append([]byte(nil), discontinuity...)
	for _, d := range dhs {
		ikm = append(ikm, d[:]...)
	}
	ikm = append(ikm, ss...)
	out := hkdfKey(ikm, make([]byte, 32), infoPQXDH, 96)
	var hs handshakeSecrets
	hs.NDH = copy(hs.DH[:], dhs)
	copy(hs.KEMSecret[:], ss)
	copy(hs.SK[:], out[:32])
	copy(hs.HKa[:], out[32:64])
	copy(hs.NHKb[:], out[64:])
	return hs
}

// Initiate starts a session with the device that published bundle. It
// verifies the bundle's signatures; the caller must check that
// Session.Remote is the device it meant. Random bytes are drawn in this
// order: the ephemeral X25519 key (32), which is also the first ratchet
// key, then the ML-KEM encapsulation randomness (32).
func Initiate(r io.Reader, self *Device, bundle []byte) (*Session, error) {
	b, err := ParseBundle(bundle)
	if err != nil {
		return nil, err
	}
	s, _, err := initiate(r, self.id, b)
	return s, err
}

func initiate(r io.Reader, self *IdentityKey, b *Bundle) (*Session, handshakeSecrets, error) {
	eph, err := newX25519(r)
	if err != nil {
		return nil, handshakeSecrets{}, err
	}
	var dhs [][KeySize]byte
	for _, p := range []struct {
		priv xkey
		pub  [KeySize]byte
	}{
		{self.dh, b.SignedPrekey}, {eph, b.Identity.DH}, {eph, b.SignedPrekey}, {eph, b.OneTimePrekey},
	} {
		if len(dhs) == 3 && b.OneTimePrekeyID == 0 {
			break
		}
		d, err := dh(p.priv, p.pub)
		if err != nil {
			return nil, handshakeSecrets{}, err
		}
		dhs = append(dhs, d)
	}
	kemPK, err := parseKEMPublic(b.KEMPrekey)
	if err != nil {
		return nil, handshakeSecrets{}, err
	}
	ss, ct, err := encapsulate(r, kemPK)
	if err != nil {
		return nil, handshakeSecrets{}, err
	}
	sec := deriveHandshake(dhs, ss)
	s := &Session{initiator: true, local: self.pub, remote: b.Identity}
	// The ephemeral key is the first ratchet key: X25519(DHs, SPK_B) is DH3
	// (SPEC.md, "Handshake").
	s.dhs = eph
	s.dhr, s.hasDHr = b.SignedPrekey, true
	s.rk, s.cks, s.nhks = kdfRK(sec.SK, dhs[2], nil)
	s.hasCKs = true
	s.hks, s.hasHKs = sec.HKa, true
	s.nhkr = sec.NHKb
	s.sendChains = 1 // the initiator's first chain is classic: PQXDH already mixed ML-KEM in
	im := &sessionpb.InitialMessage{
		Version:         ProtocolVersion,
		IdentityDh:      self.pub.DH[:],
		IdentitySign:    self.pub.Sign[:],
		Ephemeral:       eph.pub[:],
		SignedPrekeyId:  b.SignedPrekeyID,
		OneTimePrekeyId: b.OneTimePrekeyID,
		KemPrekeyId:     b.KEMPrekeyID,
		KemCiphertext:   ct,
	}
	if s.initial, err = (proto.MarshalOptions{Deterministic: true}).Marshal(im); err != nil {
		return nil, handshakeSecrets{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return s, sec, nil
}

// initialMessage is a parsed InitialMessage.
type initialMessage struct {
	identity            IdentityPublic
	ephemeral           [KeySize]byte
	spkID, opkID, kemID uint32
	ct, message         []byte
	// digest is SHA-256 of fields 1-8 (the canonical encoding before the
	// message field); a responder session keeps it to recognise repeats.
	digest [32]byte
}

func parseInitial(b []byte) (*initialMessage, error) {
	if len(b) == 0 || b[0] != TypeInitial {
		return nil, fmt.Errorf("%w: not an initial message", ErrMalformed)
	}
	if len(b) > maxInitialBytes {
		return nil, fmt.Errorf("%w: initial message of %d bytes", ErrMalformed, len(b))
	}
	var pb sessionpb.InitialMessage
	if err := proto.Unmarshal(b[1:], &pb); err != nil {
		return nil, fmt.Errorf("%w: initial message: %w", ErrMalformed, err)
	}
	if len(pb.ProtoReflect().GetUnknown()) > 0 {
		return nil, fmt.Errorf("%w: initial message has unknown fields", ErrMalformed)
	}
	if pb.Version != ProtocolVersion {
		return nil, fmt.Errorf("%w: initial message version %d", ErrVersion, pb.Version)
	}
	var im initialMessage
	if err := copy32(&im.identity.DH, pb.IdentityDh, "identity_dh"); err != nil {
		return nil, err
	}
	if err := copy32(&im.identity.Sign, pb.IdentitySign, "identity_sign"); err != nil {
		return nil, err
	}
	if err := copy32(&im.ephemeral, pb.Ephemeral, "ephemeral"); err != nil {
		return nil, err
	}
	if pb.SignedPrekeyId == 0 || pb.KemPrekeyId == 0 {
		return nil, fmt.Errorf("%w: prekey id 0", ErrMalformed)
	}
	if len(pb.KemCiphertext) != KEMCiphertextSize {
		return nil, fmt.Errorf("%w: KEM ciphertext of %d bytes", ErrMalformed, len(pb.KemCiphertext))
	}
	if err := checkPublic(im.identity.DH); err != nil {
		return nil, err
	}
	if err := checkPublic(im.ephemeral); err != nil {
		return nil, err
	}
	msg := pb.Message
	pb.Message = nil
	head, err := proto.MarshalOptions{Deterministic: true}.Marshal(&pb)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	canon := protowire.AppendBytes(protowire.AppendTag(bytes.Clone(head), 9, protowire.BytesType), msg)
	if !bytes.Equal(canon, b[1:]) {
		return nil, fmt.Errorf("%w: initial message is not canonically encoded", ErrMalformed)
	}
	im.digest = sha256.Sum256(head)
	im.spkID, im.opkID, im.kemID = pb.SignedPrekeyId, pb.OneTimePrekeyId, pb.KemPrekeyId
	im.ct, im.message = pb.KemCiphertext, msg
	return &im, nil
}

// Respond accepts an initial message: it runs the responder side of the
// handshake, decrypts the first ratchet message and only then consumes the
// one-time prekeys it used. On error the device is unchanged. The caller
// must check that Session.Remote is a device it accepts (for instance one
// in a signed device list) before trusting the plaintext's origin. A
// repeated initial message for an existing session goes to
// Session.Decrypt instead.
func (d *Device) Respond(r io.Reader, cfg Config, now time.Time, msg []byte) (*Session, []byte, error) {
	s, _, pt, err := d.respond(r, cfg, now, msg, false)
	return s, pt, err
}

// respond runs the responder; keep leaves the one-time prekeys in place
// (benchmarks and vectors replay one initial message).
func (d *Device) respond(r io.Reader, cfg Config, now time.Time, msg []byte, keep bool) (*Session, handshakeSecrets, []byte, error) {
	var none handshakeSecrets
	if err := cfg.Validate(); err != nil {
		return nil, none, nil, err
	}
	im, err := parseInitial(msg)
	if err != nil {
		return nil, none, nil, err
	}
	spk, ok := d.spk[im.spkID]
	if !ok {
		return nil, none, nil, fmt.Errorf("%w: signed prekey %d", ErrUnknownPrekey, im.spkID)
	}
	var opk xkey
	if im.opkID != 0 {
		if opk, ok = d.opk[im.opkID]; !ok {
			return nil, none, nil, fmt.Errorf("%w: one-time prekey %d", ErrUnknownPrekey, im.opkID)
		}
	}
	kem, ok := d.kem[im.kemID]
	if !ok {
		return nil, none, nil, fmt.Errorf("%w: KEM prekey %d", ErrUnknownPrekey, im.kemID)
	}
	type pair struct {
		priv xkey
		pub  [KeySize]byte
	}
	pairs := []pair{{spk, im.identity.DH}, {d.id.dh, im.ephemeral}, {spk, im.ephemeral}}
	if im.opkID != 0 {
		pairs = append(pairs, pair{opk, im.ephemeral})
	}
	var dhs [][KeySize]byte
	for _, p := range pairs {
		x, err := dh(p.priv, p.pub)
		if err != nil {
			return nil, none, nil, err
		}
		dhs = append(dhs, x)
	}
	ss, err := kem.key.decapsulate(im.ct)
	if err != nil {
		return nil, none, nil, err
	}
	sec := deriveHandshake(dhs, ss)
	s := &Session{local: d.id.pub, remote: im.identity, initDigest: im.digest, hasInitDigest: true}
	s.dhs = spk
	// The initiator's first ratchet key is its ephemeral key, so the
	// first ratchet step's X25519(SPK_B, DHr) is DH3, computed above.
	s.knownDH = &knownDH{pub: im.ephemeral, out: dhs[2]}
	s.rk = sec.SK
	s.nhks = sec.NHKb
	s.nhkr = sec.HKa
	pt, err := s.Decrypt(r, cfg, now, im.message)
	if err != nil {
		return nil, none, nil, err
	}
	if !keep {
		if im.opkID != 0 {
			delete(d.opk, im.opkID)
		}
		if !kem.lastResort {
			delete(d.kem, im.kemID)
		}
	}
	return s, sec, pt, nil
}
