package session

import (
	"encoding/binary"
	"fmt"
)

// Serialized session layout (SPEC.md, "Session state"). All integers are
// big-endian. Absent 32-byte keys are written as zeros and must be zero.
const (
	stateMagic   = "STRS"
	stateVersion = 1

	skippedEntrySize = KeySize + 4 + KeySize + 8 + 8
	maxInitialState  = 2048
)

// State flags.
const (
	fInitiator = 1 << iota
	fHasDHr
	fHasCKs
	fHasCKr
	fHasHKs
	fHasHKr
	fSendPQ
	fOwnKEM
	fPeerEK
	fPendingCT
	fInitial
	fInitDigest
	fAll = fInitDigest<<1 - 1
)

// Marshal serializes the session. Restore it with Unmarshal.
func (s *Session) Marshal() []byte {
	var flags uint16
	set := func(c bool, f uint16) {
		if c {
			flags |= f
		}
	}
	set(s.initiator, fInitiator)
	set(s.hasDHr, fHasDHr)
	set(s.hasCKs, fHasCKs)
	set(s.hasCKr, fHasCKr)
	set(s.hasHKs, fHasHKs)
	set(s.hasHKr, fHasHKr)
	set(s.sendPQ, fSendPQ)
	set(s.ownKEM != nil, fOwnKEM)
	set(s.peerEK != nil, fPeerEK)
	set(s.pendingCT != nil, fPendingCT)
	set(s.initial != nil, fInitial)
	set(s.hasInitDigest, fInitDigest)
	b := make([]byte, 0, 512+len(s.peerEK)+len(s.pendingCT)+len(s.initial)+len(s.skipped)*skippedEntrySize)
	b = append(b, stateMagic...)
	b = append(b, stateVersion)
	b = binary.BigEndian.AppendUint16(b, flags)
	for _, k := range [][KeySize]byte{s.local.DH, s.local.Sign, s.remote.DH, s.remote.Sign, s.rk, s.dhs.priv, s.dhr, s.cks, s.ckr, s.hks, s.hkr, s.nhks, s.nhkr} {
		b = append(b, k[:]...)
	}
	for _, n := range []uint32{s.ns, s.nr, s.pn, s.sendChains} {
		b = binary.BigEndian.AppendUint32(b, n)
	}
	b = binary.BigEndian.AppendUint64(b, s.recvCount)
	b = binary.BigEndian.AppendUint64(b, s.gen)
	if s.ownKEM != nil {
		b = append(b, s.ownKEM.seed[:]...)
	}
	b = append(b, s.peerEK...)
	b = append(b, s.pendingCT...)
	if s.initial != nil {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.initial)))
		b = append(b, s.initial...)
	}
	if s.hasInitDigest {
		b = append(b, s.initDigest[:]...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.skipped)))
	for _, e := range s.skipped {
		b = append(b, e.hk[:]...)
		b = binary.BigEndian.AppendUint32(b, e.n)
		b = append(b, e.mk[:]...)
		b = binary.BigEndian.AppendUint64(b, e.seq)
		b = binary.BigEndian.AppendUint64(b, uint64(e.at))
	}
	return b
}

type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = fmt.Errorf("%w: session state truncated", ErrMalformed)
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *stateReader) key(dst *[KeySize]byte) { copy(dst[:], r.take(KeySize)) }
func (r *stateReader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}
func (r *stateReader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}
func (r *stateReader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// Generation counts the session's state changes: every Encrypt and every
// accepted Decrypt adds one. A host that keeps the highest generation it
// has persisted in a monotonic store, apart from its backups, can refuse a
// rolled-back state with UnmarshalAtLeast.
func (s *Session) Generation() uint64 { return s.gen }

// UnmarshalAtLeast restores a session like Unmarshal and refuses, with
// ErrRollback, a state older than generation min: a backup restored over a
// newer state would decrypt replayed messages again and reuse sending
// chains (SPEC.md, "Session state").
func UnmarshalAtLeast(data []byte, min uint64) (*Session, error) {
	s, err := Unmarshal(data)
	if err != nil {
		return nil, err
	}
	if s.gen < min {
		return nil, fmt.Errorf("%w: state generation %d, last persisted %d", ErrRollback, s.gen, min)
	}
	return s, nil
}

// Unmarshal restores a session serialized by Marshal. It accepts only the
// canonical encoding: Marshal(Unmarshal(b)) == b for every b it accepts.
func Unmarshal(data []byte) (*Session, error) {
	if len(data) < len(stateMagic)+1 || string(data[:len(stateMagic)]) != stateMagic {
		return nil, fmt.Errorf("%w: not a session state", ErrMalformed)
	}
	if data[len(stateMagic)] != stateVersion {
		return nil, fmt.Errorf("%w: session state version %d", ErrVersion, data[len(stateMagic)])
	}
	r := &stateReader{b: data[len(stateMagic)+1:]}
	flags := r.u16()
	if flags&^fAll != 0 {
		return nil, fmt.Errorf("%w: unknown state flags %#x", ErrMalformed, flags)
	}
	has := func(f uint16) bool { return flags&f != 0 }
	s := &Session{
		initiator: has(fInitiator), hasDHr: has(fHasDHr), hasCKs: has(fHasCKs), hasCKr: has(fHasCKr),
		hasHKs: has(fHasHKs), hasHKr: has(fHasHKr), sendPQ: has(fSendPQ),
	}
	for _, k := range []*[KeySize]byte{&s.local.DH, &s.local.Sign, &s.remote.DH, &s.remote.Sign, &s.rk, &s.dhs.priv, &s.dhr, &s.cks, &s.ckr, &s.hks, &s.hkr, &s.nhks, &s.nhkr} {
		r.key(k)
	}
	for _, n := range []*uint32{&s.ns, &s.nr, &s.pn, &s.sendChains} {
		*n = r.u32()
	}
	s.recvCount = r.u64()
	s.gen = r.u64()
	if has(fOwnKEM) {
		if seed := r.take(KEMSeedSize); seed != nil {
			k, err := newKEMFromSeed(seed)
			if err != nil {
				return nil, err
			}
			s.ownKEM, s.ownEK = k, k.public()
		}
	}
	if has(fPeerEK) {
		s.peerEK = r.take(KEMPublicKeySize)
	}
	if has(fPendingCT) {
		s.pendingCT = r.take(KEMCiphertextSize)
	}
	if has(fInitial) {
		n := int(r.u16())
		if n == 0 || n > maxInitialState {
			return nil, fmt.Errorf("%w: initial message fields of %d bytes", ErrMalformed, n)
		}
		s.initial = r.take(n)
	}
	if has(fInitDigest) {
		s.hasInitDigest = true
		r.key(&s.initDigest)
	}
	count := r.u32()
	if r.err != nil {
		return nil, r.err
	}
	if count > maxStoredKeysLimit || int(count)*skippedEntrySize != len(r.b) {
		return nil, fmt.Errorf("%w: %d skipped keys in %d bytes", ErrMalformed, count, len(r.b))
	}
	if count > 0 {
		s.skipped = make([]skippedKey, count)
	}
	for i := range s.skipped {
		e := &s.skipped[i]
		r.key(&e.hk)
		e.n = r.u32()
		r.key(&e.mk)
		e.seq = r.u64()
		e.at = int64(r.u64())
	}
	if r.err != nil {
		return nil, r.err
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// check enforces the invariants Unmarshal relies on.
func (s *Session) check() error {
	var zero [KeySize]byte
	bad := func(what string) error { return fmt.Errorf("%w: session state: %s", ErrMalformed, what) }
	for _, c := range []struct {
		has bool
		k   [KeySize]byte
	}{{s.hasDHr, s.dhr}, {s.hasCKs, s.cks}, {s.hasCKr, s.ckr}, {s.hasHKs, s.hks}, {s.hasHKr, s.hkr}} {
		if !c.has && c.k != zero {
			return bad("absent key is not zero")
		}
	}
	if s.hasCKs != s.hasHKs || (s.hasCKr != s.hasHKr) || (s.hasCKr && !s.hasDHr) {
		return bad("inconsistent chains")
	}
	if s.sendPQ && s.ownKEM == nil || s.pendingCT != nil && !s.sendPQ || s.pendingCT != nil && s.peerEK == nil {
		return bad("inconsistent post-quantum fields")
	}
	if s.initial != nil && !s.initiator || s.hasInitDigest && s.initiator {
		return bad("initial message fields on the wrong side")
	}
	if s.peerEK != nil {
		pk, err := parseKEMPublic(s.peerEK)
		if err != nil {
			return bad("peer ML-KEM key")
		}
		s.peerKey = pk
	}
	x, err := xkeyFrom(s.dhs.priv)
	if err != nil {
		return err
	}
	s.dhs = x
	return nil
}
