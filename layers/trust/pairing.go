package trust

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hmac"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Config configures one device's side of a pairing.
type Config struct {
	// Mode is ModeMutual (both devices scan) or ModeOneWay (one scans, the
	// users compare the SAS). Both devices MUST use the same mode.
	Mode Mode
	// Hints are the transport hints to put in this device's payload.
	Hints []Hint
}

// DefaultConfig returns a mutual-mode configuration without hints.
func DefaultConfig() Config { return Config{Mode: ModeMutual} }

// Validate reports whether c is usable; errors wrap ErrConfig.
func (c Config) Validate() error {
	if c.Mode != ModeMutual && c.Mode != ModeOneWay {
		return fmt.Errorf("%w: Mode %d is neither mutual nor one-way", ErrConfig, c.Mode)
	}
	if len(c.Hints) > MaxHints {
		return fmt.Errorf("%w: %d Hints (max %d)", ErrConfig, len(c.Hints), MaxHints)
	}
	for i, h := range c.Hints {
		if err := validHint(h); err != nil {
			return fmt.Errorf("%w: Hints[%d]: %w", ErrConfig, i, err)
		}
	}
	return nil
}

type state byte

const (
	stateStart        state = iota // no role yet
	stateWaitKeyA                  // Bob: waiting for Alice's KEY
	stateWaitKeyB                  // Alice: KEY sent, waiting for Bob's
	stateWaitConfirmA              // Bob: KEY sent, waiting for Alice's CONFIRM
	stateWaitConfirmB              // Alice: CONFIRM sent, waiting for Bob's
	stateDone                      // both KEYs and the peer's CONFIRM verified
	stateAborted
)

var stateNames = [...]string{"start", "wait-key-a", "wait-key-b", "wait-confirm-a", "wait-confirm-b", "done", "aborted"}

func (s state) String() string { return stateNames[s] }

// Pairing is one device's side of a pairing: a sans-I/O state machine.
// It reads no clock (every call takes now) and no global randomness (it
// reads the reader given to NewPairing). It is not safe for concurrent
// use.
//
// Every failure aborts the pairing for good: the error returned wraps one
// of the package's sentinels, an ABORT record naming the reason is put in
// the outbox (unless the failure was the peer's ABORT), and every later
// call fails with ErrAborted.
type Pairing struct {
	cfg     Config
	rand    io.Reader
	created uint64

	xPriv   *ecdh.PrivateKey
	xPub    []byte
	wPriv   *xwingPriv
	wPub    []byte
	wDig    [32]byte
	own     []byte // own encoded payload
	peer    []byte // peer's encoded payload, once known
	peerP   *Payload
	role    Role
	roleSet bool
	st      state
	scan    bool   // ScanPeer succeeded
	held    []byte // a KEY from Alice that arrived before the scan (mutual)
	keyA    []byte // encoded KEY records
	keyB    []byte
	k       *keys
	sasOK   bool
	err     error
	outbox  [][]byte
}

// NewPairing creates a device's side of a pairing at time now. It reads
// 64 bytes from rand: the X25519 private key, then the X-Wing seed
// (SPEC.md, "Key generation"). rand MUST be a cryptographically secure
// source outside tests.
func NewPairing(cfg Config, rand io.Reader, now time.Time) (*Pairing, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if now.UnixMilli() < 0 {
		return nil, fmt.Errorf("%w: time before 1970", ErrConfig)
	}
	var seed [64]byte
	if _, err := io.ReadFull(rand, seed[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRandom, err)
	}
	cfg.Hints = slices.Clone(cfg.Hints)
	p := &Pairing{cfg: cfg, rand: rand, created: uint64(now.UnixMilli())}
	var err error
	if p.xPriv, err = ecdh.X25519().NewPrivateKey(seed[:32]); err != nil {
		return nil, err
	}
	p.xPub = p.xPriv.PublicKey().Bytes()
	if p.wPriv, p.wPub, err = xwingDerive(seed[32:]); err != nil {
		return nil, err
	}
	p.wDig = xwingDigest(p.wPub)
	pl := Payload{Commitment: commitment(p.xPub, p.wDig), Created: p.created, Hints: cfg.Hints}
	if p.own, err = EncodePayload(&pl); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Payload) clone() *Payload { c := *p; c.Hints = slices.Clone(p.Hints); return &c }

// Payload returns this device's encoded payload, the bytes its QR code
// shows (see EncodeQRText, QRTerminal, QRPNG).
func (p *Pairing) Payload() []byte { return slices.Clone(p.own) }

// Mode returns the configured mode.
func (p *Pairing) Mode() Mode { return p.cfg.Mode }

// Role returns this device's role, once known.
func (p *Pairing) Role() (Role, bool) { return p.role, p.roleSet }

// PeerPayload returns the peer's decoded payload (its transport hints),
// once known: after ScanPeer, or for the showing device in one-way mode
// after the peer's KEY.
func (p *Pairing) PeerPayload() (*Payload, bool) {
	if p.peerP == nil {
		return nil, false
	}
	return p.peerP.clone(), true
}

// Err returns the error that aborted the pairing, or nil.
func (p *Pairing) Err() error { return p.err }

// State names the current state (for traces and tests).
func (p *Pairing) State() string { return p.st.String() }

// Outbox returns the records to send to the peer, in order, and empties
// the queue.
func (p *Pairing) Outbox() [][]byte {
	out := p.outbox
	p.outbox = nil
	return out
}

// SAS returns the short authentication string once both KEY records are
// known (before the confirmations), so that it can be shown while the
// CONFIRM records travel.
func (p *Pairing) SAS() (string, bool) {
	if p.k == nil || p.st == stateAborted {
		return "", false
	}
	return p.k.sas, true
}

// TranscriptHash returns the transcript hash once both KEY records are
// known.
func (p *Pairing) TranscriptHash() ([]byte, bool) {
	if p.k == nil || p.st == stateAborted {
		return nil, false
	}
	return slices.Clone(p.k.transcript[:]), true
}

// Result returns the authenticated master secret and the SAS. ok is true
// only when the peer's CONFIRM has verified and, in one-way mode, the user
// has confirmed the SAS (ConfirmSAS). For Bob, a later ABORT from Alice
// (whose check of Bob's CONFIRM failed) revokes the result: callers
// SHOULD act on it only after the link has been quiet for a moment or the
// first authenticated message arrives.
func (p *Pairing) Result() (master []byte, sas string, ok bool) {
	if p.st != stateDone || (p.cfg.Mode == ModeOneWay && !p.sasOK) {
		return nil, "", false
	}
	return slices.Clone(p.k.master[:]), p.k.sas, true
}

// ConfirmSAS records that the user saw equal SASs on both screens. It is
// required in one-way mode and harmless in mutual mode. It fails with
// ErrUnexpected (without aborting) before the SAS is known.
func (p *Pairing) ConfirmSAS() error {
	if p.st == stateAborted {
		return p.errAborted()
	}
	if p.k == nil {
		return fmt.Errorf("%w: no SAS yet (state %s)", ErrUnexpected, p.st)
	}
	p.sasOK = true
	return nil
}

// RejectSAS records that the user saw different SASs: the pairing aborts
// with ErrSASRejected.
func (p *Pairing) RejectSAS() error {
	return p.fail(fmt.Errorf("%w", ErrSASRejected))
}

// Abort ends the pairing at the user's or the host's request; reason
// (which may be nil) is wrapped in the error Err returns, and the ABORT
// record carries its reason code (ReasonUser when reason wraps no
// sentinel of this package).
func (p *Pairing) Abort(reason error) {
	if p.st == stateAborted {
		return
	}
	if reason == nil || reasonOf(reason) == ReasonUnspecified {
		reason = fmt.Errorf("%w: by the user: %v", ErrAborted, reason)
	}
	_ = p.fail(reason)
}

// errAborted is the error of every call after an abort: it wraps
// ErrAborted only, and names the original failure in its text.
func (p *Pairing) errAborted() error {
	return fmt.Errorf("%w (earlier: %v)", ErrAborted, p.err)
}

// fail aborts with err and queues an ABORT record.
func (p *Pairing) fail(err error) error {
	if p.st == stateAborted {
		return p.errAborted()
	}
	p.st, p.err, p.k = stateAborted, err, nil
	rec, _ := EncodeRecord(&Record{Type: RecordAbort, Reason: reasonOf(err)})
	p.outbox = append(p.outbox, rec)
	return err
}

// checkTime fails when the pairing is past its deadline.
func (p *Pairing) checkTime(now time.Time) error {
	if p.st == stateAborted {
		return p.errAborted()
	}
	ms := now.UnixMilli()
	if ms < 0 || uint64(ms) > p.created+uint64(PairingTimeout.Milliseconds()) {
		return p.fail(fmt.Errorf("%w: pairing created at %d ms, now %d ms (timeout %s)", ErrExpired, p.created, ms, PairingTimeout))
	}
	return nil
}

// ScanPeer takes the payload scanned from the peer's QR code at time now.
// In mutual mode roles follow from comparing the two payloads; in one-way
// mode the scanning device is Alice. Alice's KEY is put in the outbox.
func (p *Pairing) ScanPeer(payload []byte, now time.Time) error {
	if err := p.checkTime(now); err != nil {
		return err
	}
	if p.scan || p.st != stateStart {
		return p.fail(fmt.Errorf("%w: ScanPeer in state %s", ErrUnexpected, p.st))
	}
	pl, err := DecodePayload(payload)
	if err != nil {
		return p.fail(err)
	}
	if err := CheckPayloadAge(pl.Created, now); err != nil {
		return p.fail(err)
	}
	c := bytes.Compare(p.own, payload)
	if c == 0 {
		return p.fail(fmt.Errorf("%w: the scanned payload is this device's own", ErrRoleConflict))
	}
	p.scan, p.peer, p.peerP = true, slices.Clone(payload), pl
	if p.cfg.Mode == ModeOneWay || c < 0 {
		p.role, p.roleSet = RoleAlice, true
		if p.held != nil {
			return p.fail(fmt.Errorf("%w: the peer sent a KEY as Alice, and so is this device", ErrRoleConflict))
		}
		rec, err := EncodeRecord(&Record{Type: RecordKey, Role: RoleAlice, Mode: p.cfg.Mode, Payload: p.own, X25519: [32]byte(p.xPub), XWingPub: p.wPub})
		if err != nil {
			return p.fail(err)
		}
		p.keyA, p.st = rec, stateWaitKeyB
		p.outbox = append(p.outbox, rec)
		return nil
	}
	p.role, p.roleSet, p.st = RoleBob, true, stateWaitKeyA
	if held := p.held; held != nil {
		p.held = nil
		r, _ := DecodeRecord(held) // checked on arrival
		return p.onKeyA(r, now)
	}
	return nil
}

// Receive processes one record from the peer at time now and returns the
// records to send in reply: the whole outbox, emptied. On error the
// returned records hold the ABORT for the peer (none when the peer
// aborted).
func (p *Pairing) Receive(record []byte, now time.Time) ([][]byte, error) {
	err := p.receive(record, now)
	return p.Outbox(), err
}

func (p *Pairing) receive(b []byte, now time.Time) error {
	if err := p.checkTime(now); err != nil {
		return err
	}
	r, err := DecodeRecord(b)
	if err != nil {
		return p.fail(err)
	}
	if r.Type == RecordAbort {
		p.st, p.k = stateAborted, nil
		p.err = fmt.Errorf("%w: by the peer: reason %d (%s)", ErrAborted, r.Reason, r.Reason)
		return p.err
	}
	switch p.st {
	case stateStart:
		switch {
		case r.Type != RecordKey || r.Role != RoleAlice:
			return p.fail(fmt.Errorf("%w: %s record before any KEY from Alice", ErrUnexpected, typeName(r.Type)))
		case r.Mode != p.cfg.Mode:
			return p.fail(fmt.Errorf("%w: the peer runs %s mode, this device %s", ErrRoleConflict, r.Mode, p.cfg.Mode))
		case p.cfg.Mode == ModeOneWay:
			p.role, p.roleSet, p.st = RoleBob, true, stateWaitKeyA
			return p.onKeyA(r, now)
		case p.held != nil:
			return p.fail(fmt.Errorf("%w: a second KEY before the scan", ErrUnexpected))
		}
		p.held = slices.Clone(b) // mutual mode: wait for the scan
		return nil
	case stateWaitKeyA:
		if r.Type != RecordKey {
			return p.fail(fmt.Errorf("%w: %s while waiting for Alice's KEY", ErrUnexpected, typeName(r.Type)))
		}
		return p.onKeyA(r, now)
	case stateWaitKeyB:
		if r.Type != RecordKey {
			return p.fail(fmt.Errorf("%w: %s while waiting for Bob's KEY", ErrUnexpected, typeName(r.Type)))
		}
		return p.onKeyB(r, b)
	case stateWaitConfirmA, stateWaitConfirmB:
		if r.Type != RecordConfirm {
			return p.fail(fmt.Errorf("%w: %s while waiting for CONFIRM", ErrUnexpected, typeName(r.Type)))
		}
		return p.onConfirm(r)
	}
	return p.fail(fmt.Errorf("%w: %s in state %s", ErrUnexpected, typeName(r.Type), p.st))
}

func typeName(t RecordType) string {
	switch t {
	case RecordKey:
		return "KEY"
	case RecordConfirm:
		return "CONFIRM"
	case RecordAbort:
		return "ABORT"
	}
	return fmt.Sprintf("type-%d", t)
}

// onKeyA: Bob checks Alice's KEY, encapsulates, answers with his KEY.
func (p *Pairing) onKeyA(r *Record, now time.Time) error {
	if r.Role != RoleAlice {
		return p.fail(fmt.Errorf("%w: both devices are Bob", ErrRoleConflict))
	}
	if r.Mode != p.cfg.Mode {
		return p.fail(fmt.Errorf("%w: the peer runs %s mode, this device %s", ErrRoleConflict, r.Mode, p.cfg.Mode))
	}
	if p.scan {
		if !bytes.Equal(r.Payload, p.peer) {
			return p.fail(fmt.Errorf("%w: the KEY carries a payload other than the one scanned", ErrCommitmentMismatch))
		}
	} else {
		pl, err := DecodePayload(r.Payload)
		if err != nil {
			return p.fail(err)
		}
		if err := CheckPayloadAge(pl.Created, now); err != nil {
			return p.fail(err)
		}
		if bytes.Equal(r.Payload, p.own) {
			return p.fail(fmt.Errorf("%w: the peer's payload is this device's own", ErrRoleConflict))
		}
		p.peer, p.peerP = slices.Clone(r.Payload), pl
	}
	if commitment(r.X25519[:], xwingDigest(r.XWingPub)) != p.peerP.Commitment {
		return p.fail(fmt.Errorf("%w: Alice's keys do not open her commitment", ErrCommitmentMismatch))
	}
	keyA, err := EncodeRecord(r)
	if err != nil {
		return p.fail(err)
	}
	dh, err := p.dh(r.X25519[:])
	if err != nil {
		return p.fail(err)
	}
	seed := make([]byte, xwingEncapSeedSize)
	if _, err := io.ReadFull(p.rand, seed); err != nil {
		return p.fail(fmt.Errorf("%w: %v", ErrRandom, err))
	}
	ss, ct, err := xwingEncapsulate(r.XWingPub, seed)
	if err != nil {
		return p.fail(err)
	}
	keyB, err := EncodeRecord(&Record{Type: RecordKey, Role: RoleBob, X25519: [32]byte(p.xPub), XWingDigest: p.wDig, Ciphertext: ct})
	if err != nil {
		return p.fail(err)
	}
	k, err := deriveKeys(p.cfg.Mode, p.peer, p.own, keyA, keyB, dh, ss)
	if err != nil {
		return p.fail(err)
	}
	p.keyA, p.keyB, p.k, p.st = keyA, keyB, k, stateWaitConfirmA
	p.outbox = append(p.outbox, keyB)
	return nil
}

// onKeyB: Alice checks Bob's KEY, decapsulates, sends her CONFIRM.
func (p *Pairing) onKeyB(r *Record, raw []byte) error {
	if r.Role != RoleBob {
		return p.fail(fmt.Errorf("%w: both devices are Alice", ErrRoleConflict))
	}
	if commitment(r.X25519[:], r.XWingDigest) != p.peerP.Commitment {
		return p.fail(fmt.Errorf("%w: Bob's keys do not open his commitment", ErrCommitmentMismatch))
	}
	dh, err := p.dh(r.X25519[:])
	if err != nil {
		return p.fail(err)
	}
	ss, err := p.wPriv.decapsulate(r.Ciphertext)
	if err != nil {
		return p.fail(err)
	}
	keyB := slices.Clone(raw)
	k, err := deriveKeys(p.cfg.Mode, p.own, p.peer, p.keyA, keyB, dh, ss)
	if err != nil {
		return p.fail(err)
	}
	conf, err := EncodeRecord(&Record{Type: RecordConfirm, Role: RoleAlice, MAC: k.confirmMAC(RoleAlice)})
	if err != nil {
		return p.fail(err)
	}
	p.keyB, p.k, p.st = keyB, k, stateWaitConfirmB
	p.outbox = append(p.outbox, conf)
	return nil
}

// onConfirm verifies the peer's CONFIRM; Bob answers with his.
func (p *Pairing) onConfirm(r *Record) error {
	want := p.role.peer()
	if r.Role != want {
		return p.fail(fmt.Errorf("%w: CONFIRM from %s, expected %s", ErrRoleConflict, r.Role, want))
	}
	mac := p.k.confirmMAC(want)
	if !hmac.Equal(mac[:], r.MAC[:]) {
		return p.fail(fmt.Errorf("%w: %s's CONFIRM", ErrBadMAC, want))
	}
	if p.role == RoleBob {
		conf, err := EncodeRecord(&Record{Type: RecordConfirm, Role: RoleBob, MAC: p.k.confirmMAC(RoleBob)})
		if err != nil {
			return p.fail(err)
		}
		p.outbox = append(p.outbox, conf)
	}
	p.st = stateDone
	return nil
}

// dh computes X25519 with the peer's key; an all-zero result (crypto/ecdh
// rejects it) is ErrLowOrder.
func (p *Pairing) dh(peer []byte) ([]byte, error) {
	pk, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	s, err := p.xPriv.ECDH(pk)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLowOrder, err)
	}
	if bytes.Equal(s, make([]byte, len(s))) {
		return nil, fmt.Errorf("%w: all-zero shared secret", ErrLowOrder)
	}
	return s, nil
}

// errs lists every sentinel a Pairing or the codec returns, for
// classification.
var errs = []error{ErrMalformed, ErrVersion, ErrExpired, ErrCommitmentMismatch, ErrLowOrder, ErrBadMAC,
	ErrRoleConflict, ErrUnexpected, ErrSASRejected, ErrAborted, ErrConfig, ErrRandom, ErrIdentity}

// Classified reports whether err wraps one of the package's sentinels.
func Classified(err error) bool {
	for _, e := range errs {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
