package session

import (
	"bytes"
	"crypto/cipher"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
	"google.golang.org/protobuf/encoding/protowire"
)

// knownDH caches X25519(DHs, pub) = out.
type knownDH struct{ pub, out [KeySize]byte }

// skippedKey is a stored message key of a skipped message.
type skippedKey struct {
	hk  [KeySize]byte // header key of its chain
	n   uint32        // message number in its chain
	mk  [KeySize]byte
	seq uint64 // receive counter when stored
	at  int64  // Unix seconds when stored (host clock)
}

// Session is one Double Ratchet session with one remote device. A Session
// is not safe for concurrent use. Its byte slices are never written in
// place, so a shallow copy is an independent snapshot (decryption relies
// on that to stay transactional).
type Session struct {
	initiator      bool
	local, remote  IdentityPublic
	rk             [KeySize]byte
	dhs            xkey
	dhr            [KeySize]byte
	cks, ckr       [KeySize]byte
	hks, hkr       [KeySize]byte
	nhks, nhkr     [KeySize]byte
	hasDHr         bool
	hasCKs, hasCKr bool
	hasHKs, hasHKr bool
	ns, nr, pn     uint32
	sendChains     uint32 // sending chains created so far
	sendPQ         bool   // the current sending chain is post-quantum
	ownKEM         *kemKey
	ownEK          []byte              // cached public key of ownKEM
	peerEK         []byte              // the peer's latest ML-KEM-768 ratchet key
	peerKey        *mlkem768.PublicKey // peerEK decoded, not serialized
	// knownDH is a DH output the responder computed in the handshake
	// (DH3) that its first ratchet step needs again; not serialized.
	knownDH       *knownDH
	pendingCT     []byte // ciphertext every message of the current PQ chain carries
	recvCount     uint64
	gen           uint64 // generation: +1 per Encrypt and per accepted Decrypt
	skipped       []skippedKey
	initial       []byte // initiator: InitialMessage fields 1-8, until the peer answers
	initDigest    [32]byte
	hksAEAD       aeadCache // not serialized: the AEAD under HKs
	hkrAEAD       aeadCache // not serialized: the AEAD under HKr
	hasInitDigest bool      // responder: SHA-256 of the initial message's fields 1-8
}

// Local and Remote return the identities of the two devices.
func (s *Session) Local() IdentityPublic  { return s.local }
func (s *Session) Remote() IdentityPublic { return s.remote }

// Initiator reports whether this side started the session.
func (s *Session) Initiator() bool { return s.initiator }

// SkippedKeys returns how many skipped message keys the session stores.
func (s *Session) SkippedKeys() int { return len(s.skipped) }

// aeadCache keeps the AEAD instance of a header key, which is used
// for a whole chain; building one costs more than sealing a message.
// Entries are never modified, only replaced, so snapshots may share them.
type aeadCache struct {
	key  [KeySize]byte
	aead cipher.AEAD
}

func (c *aeadCache) get(key [KeySize]byte) cipher.AEAD {
	if c.aead == nil || c.key != key {
		*c = aeadCache{key, newAEAD(key)}
	}
	return c.aead
}

// adSize is the size of the session's associated data.
const adSize = 4 * KeySize

// ad is the associated data: the initiator's identity then the
// responder's, each as X25519 key ‖ Ed25519 key (128 bytes).
func (s *Session) ad() [adSize]byte {
	a, b := s.local, s.remote
	if !s.initiator {
		a, b = b, a
	}
	var out [adSize]byte
	copy(out[0:], a.DH[:])
	copy(out[32:], a.Sign[:])
	copy(out[64:], b.DH[:])
	copy(out[96:], b.Sign[:])
	return out
}

// bodyAD is ad ‖ type ‖ nonce ‖ encrypted header, in buf when it fits.
func (s *Session) bodyAD(buf []byte, prefix []byte) []byte {
	ad := s.ad()
	return append(append(buf[:0], ad[:]...), prefix...)
}

// Encrypt encrypts one plaintext to the peer. It needs no randomness: the
// chain key determines the message key and the header nonce. While the
// initiator has not yet received any message, the result is an initial
// message that also carries the handshake.
func (s *Session) Encrypt(plaintext []byte) ([]byte, error) {
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(plaintext), MaxPlaintext)
	}
	if !s.hasCKs || !s.hasHKs {
		return nil, fmt.Errorf("%w: no sending chain yet", ErrMalformed)
	}
	if s.ns == math.MaxUint32 {
		return nil, fmt.Errorf("%w: sending chain exhausted", ErrTooManySkipped)
	}
	mk, next, nonce := kdfCK(s.cks)
	h := header{dh: s.dhs.pub, pn: s.pn, n: s.ns, pq: s.sendPQ}
	if s.sendPQ {
		h.ek = s.ownEK
		h.hasCT = s.pendingCT != nil
		h.ct = s.pendingCT
	}
	typ := h.typ()
	out := make([]byte, 0, MessageSize(len(plaintext), h.pq))
	out = append(out, typ)
	out = append(out, nonce[:]...)
	var hdrAD [adSize + 1]byte
	sad := s.ad()
	copy(hdrAD[:], sad[:])
	hdrAD[adSize] = typ
	out = s.hksAEAD.get(s.hks).Seal(out, nonce[:], h.marshal(), hdrAD[:])
	var buf [adSize + 1 + NonceSize + ClassicHeaderSize + TagSize]byte
	var zero [NonceSize]byte
	ad := s.bodyAD(buf[:], out)
	// Pad in place after the prefix, then seal over it (the plaintext's
	// storage is reused for the ciphertext, as crypto/cipher allows).
	start, size := len(out), bucket(len(plaintext))
	out = out[:start+size]
	copy(out[start:], plaintext)
	out[start+len(plaintext)] = 0x80
	clear(out[start+len(plaintext)+1:])
	out = newAEAD(mk).Seal(out[:start], zero[:], out[start:start+size], ad)
	s.cks = next
	s.ns++
	s.gen++
	if s.initial != nil {
		wrapped := append([]byte{TypeInitial}, s.initial...)
		wrapped = protowire.AppendTag(wrapped, 9, protowire.BytesType)
		return protowire.AppendBytes(wrapped, out), nil
	}
	return out, nil
}

// Decrypt decrypts one message from the peer. r supplies the randomness
// of a DH (and possibly ML-KEM) ratchet step; now is the host's clock,
// used only to expire skipped keys. On any error the session is left
// exactly as it was.
func (s *Session) Decrypt(r io.Reader, cfg Config, now time.Time, msg []byte) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(msg) > 0 && msg[0] == TypeInitial {
		im, err := parseInitial(msg)
		if err != nil {
			return nil, err
		}
		if s.initiator || !s.hasInitDigest || im.digest != s.initDigest {
			return nil, fmt.Errorf("%w: initial message for another session", ErrDecrypt)
		}
		msg = im.message
	}
	m, err := parseMessage(msg)
	if err != nil {
		return nil, err
	}
	w := *s // shallow snapshot; see the Session comment
	pt, err := w.decrypt(r, cfg, now, m)
	if err != nil {
		return nil, err
	}
	w.recvCount++
	w.gen++
	w.initial = nil
	*s = w
	return pt, nil
}

func (s *Session) openHeader(hk [KeySize]byte, m wireMessage) (*header, bool) {
	var aead cipher.AEAD
	if hk == s.hkr && s.hasHKr {
		aead = s.hkrAEAD.get(hk)
	} else {
		aead = newAEAD(hk)
	}
	var hdrAD [adSize + 1]byte
	ad := s.ad()
	copy(hdrAD[:], ad[:])
	hdrAD[adSize] = m.typ
	p, err := aead.Open(nil, m.nonce, m.encHeader, hdrAD[:])
	if err != nil {
		return nil, false
	}
	h, err := parseHeader(m.typ, p)
	if err != nil {
		return nil, false
	}
	return h, true
}

func (s *Session) openBody(mk [KeySize]byte, m wireMessage) ([]byte, error) {
	var buf [adSize + 1 + NonceSize + ClassicHeaderSize + TagSize]byte
	var zero [NonceSize]byte
	p, err := newAEAD(mk).Open(nil, zero[:], m.body, s.bodyAD(buf[:], m.prefix))
	if err != nil {
		return nil, fmt.Errorf("%w: body", ErrDecrypt)
	}
	return unpad(p)
}

func (s *Session) decrypt(r io.Reader, cfg Config, now time.Time, m wireMessage) ([]byte, error) {
	s.expire(cfg, now)
	// 1. The current receiving chain.
	if s.hasHKr {
		if h, ok := s.openHeader(s.hkr, m); ok {
			if h.dh != s.dhr {
				return nil, fmt.Errorf("%w: header key and ratchet key disagree", ErrDecrypt)
			}
			if h.n < s.nr {
				return s.useSkipped(s.hkr, h, m)
			}
			if err := s.skipTo(cfg, h.n, now); err != nil {
				return nil, err
			}
			return s.nextReceived(m)
		}
	}
	// 2. Chains that still have skipped keys.
	var tried [][KeySize]byte
	for i := range s.skipped {
		hk := s.skipped[i].hk
		if (s.hasHKr && hk == s.hkr) || containsKey(tried, hk) {
			continue
		}
		tried = append(tried, hk)
		if h, ok := s.openHeader(hk, m); ok {
			return s.useSkipped(hk, h, m)
		}
	}
	// 3. The next header key: the peer has started a new chain.
	h, ok := s.openHeader(s.nhkr, m)
	if !ok {
		return nil, fmt.Errorf("%w: no header key opens the header", ErrDecrypt)
	}
	if s.hasCKr {
		if err := s.skipTo(cfg, h.pn, now); err != nil {
			return nil, err
		}
	}
	if err := s.ratchet(r, cfg, h); err != nil {
		return nil, err
	}
	if err := s.skipTo(cfg, h.n, now); err != nil {
		return nil, err
	}
	return s.nextReceived(m)
}

func containsKey(ks [][KeySize]byte, k [KeySize]byte) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// nextReceived derives the next receiving message key and opens the body.
func (s *Session) nextReceived(m wireMessage) ([]byte, error) {
	mk, next := kdfCKRecv(s.ckr)
	pt, err := s.openBody(mk, m)
	if err != nil {
		return nil, err
	}
	s.ckr = next
	s.nr++
	return pt, nil
}

// useSkipped opens a message with a stored key and deletes the key.
func (s *Session) useSkipped(hk [KeySize]byte, h *header, m wireMessage) ([]byte, error) {
	for i := range s.skipped {
		e := &s.skipped[i]
		if e.hk == hk && e.n == h.n {
			pt, err := s.openBody(e.mk, m)
			if err != nil {
				return nil, err
			}
			rest := make([]skippedKey, 0, len(s.skipped)-1)
			rest = append(rest, s.skipped[:i]...)
			s.skipped = append(rest, s.skipped[i+1:]...)
			return pt, nil
		}
	}
	return nil, fmt.Errorf("%w: message %d of a known chain", ErrDuplicate, h.n)
}

// skipTo stores the keys of receiving-chain messages nr..until-1.
func (s *Session) skipTo(cfg Config, until uint32, now time.Time) error {
	if until <= s.nr {
		return nil
	}
	if uint64(until-s.nr) > uint64(cfg.MaxSkip) {
		return fmt.Errorf("%w: %d > %d", ErrTooManySkipped, until-s.nr, cfg.MaxSkip)
	}
	for s.nr < until {
		mk, next := kdfCKRecv(s.ckr)
		s.skipped = append(s.skipped, skippedKey{hk: s.hkr, n: s.nr, mk: mk, seq: s.recvCount, at: now.Unix()})
		s.ckr = next
		s.nr++
	}
	if over := len(s.skipped) - cfg.MaxStoredKeys; over > 0 {
		s.skipped = append([]skippedKey(nil), s.skipped[over:]...)
	}
	// Bound the distinct chains: drop whole chains, oldest first.
	var chains [][KeySize]byte
	for i := range s.skipped {
		if !containsKey(chains, s.skipped[i].hk) {
			chains = append(chains, s.skipped[i].hk)
		}
	}
	if over := len(chains) - cfg.MaxSkippedChains; over > 0 {
		drop := chains[:over]
		kept := make([]skippedKey, 0, len(s.skipped))
		for _, e := range s.skipped {
			if !containsKey(drop, e.hk) {
				kept = append(kept, e)
			}
		}
		s.skipped = kept
	}
	return nil
}

// expire deletes skipped keys older than the configured age in received
// messages or in host time.
func (s *Session) expire(cfg Config, now time.Time) {
	old := func(e skippedKey) bool {
		return s.recvCount-e.seq >= uint64(cfg.MaxKeyAgeMsgs) || now.Unix()-e.at > int64(cfg.MaxKeyAge/time.Second)
	}
	n := 0
	for _, e := range s.skipped {
		if old(e) {
			n++
		}
	}
	if n == 0 {
		return
	}
	kept := make([]skippedKey, 0, len(s.skipped)-n)
	for _, e := range s.skipped {
		if !old(e) {
			kept = append(kept, e)
		}
	}
	s.skipped = kept
}

// ratchet performs the DH (and, when due, ML-KEM) ratchet step triggered
// by a header that opened under the next header key (SPEC.md, "DH ratchet
// step"). Random bytes are drawn in this order: the new X25519 private key
// (32), then on a PQ chain the ML-KEM-768 seed (64) and, if the peer's
// key is known, the encapsulation randomness (32).
func (s *Session) ratchet(r io.Reader, cfg Config, h *header) error {
	s.pn = s.ns
	s.ns, s.nr = 0, 0
	s.hks, s.hasHKs = s.nhks, true
	s.hkr, s.hasHKr = s.nhkr, true
	s.dhr, s.hasDHr = h.dh, true
	var ss []byte
	var err error
	if h.pq {
		var pk *mlkem768.PublicKey
		if pk, err = parseKEMPublic(h.ek); err != nil {
			return fmt.Errorf("peer ratchet key: %w", err)
		}
		s.peerEK, s.peerKey = bytes.Clone(h.ek), pk
		if h.hasCT {
			if s.ownKEM == nil {
				return fmt.Errorf("%w: ciphertext but no ML-KEM ratchet key", ErrDecrypt)
			}
			if ss, err = s.ownKEM.decapsulate(h.ct); err != nil {
				return err
			}
		}
	}
	var d [KeySize]byte
	if k := s.knownDH; k != nil && k.pub == s.dhr {
		d = k.out
	} else if d, err = dh(s.dhs, s.dhr); err != nil {
		return err
	}
	s.knownDH = nil
	s.rk, s.ckr, s.nhkr = kdfRK(s.rk, d, ss)
	s.hasCKr = true

	if s.dhs, err = newX25519(r); err != nil {
		return err
	}
	i := s.sendChains
	s.sendChains++
	s.sendPQ = i%uint32(cfg.PQInterval) == 0
	s.pendingCT = nil
	var ss2 []byte
	if s.sendPQ {
		if s.ownKEM, err = newKEM(r); err != nil {
			return err
		}
		s.ownEK = s.ownKEM.public()
		if s.peerEK != nil {
			if ss2, s.pendingCT, err = encapsulate(r, s.peerKey); err != nil {
				return err
			}
		}
	}
	if d, err = dh(s.dhs, s.dhr); err != nil {
		return err
	}
	s.rk, s.cks, s.nhks = kdfRK(s.rk, d, ss2)
	s.hasCKs = true
	return nil
}
