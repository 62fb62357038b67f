package trust

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/strata-lab/strata/layers"
)

// ---- records.json

type recordCase struct {
	Name   string `json:"name"`
	Record string `json:"record"`
	Expect string `json:"expect"`
}

func genRecordCases() (any, error) {
	pc, err := runPairing(pairingSpecs[1])
	if err != nil {
		return nil, err
	}
	var cases []recordCase
	names := []string{"key-alice", "key-bob", "confirm-alice", "confirm-bob"}
	for i, r := range pc.Records {
		cases = append(cases, recordCase{Name: names[i], Record: r.Record, Expect: expectValid})
	}
	abort, _ := EncodeRecord(&Record{Type: RecordAbort, Reason: ReasonBadMAC})
	cases = append(cases, recordCase{Name: "abort-bad-mac", Record: hex.EncodeToString(abort), Expect: expectValid})
	keyA, _ := hex.DecodeString(pc.Records[0].Record)
	keyB, _ := hex.DecodeString(pc.Records[1].Record)
	conf, _ := hex.DecodeString(pc.Records[2].Record)
	mod := func(b []byte, i int, v byte) []byte { c := slices.Clone(b); c[i] = v; return c }
	invalid := []struct {
		name   string
		b      []byte
		expect error
	}{
		{"empty", nil, ErrMalformed},
		{"header-only-short", []byte{1, 3, 0}, ErrMalformed},
		{"version-2", mod(abort, 0, 2), ErrVersion},
		{"type-0", mod(abort, 1, 0), ErrMalformed},
		{"type-4", mod(abort, 1, 4), ErrMalformed},
		{"length-too-long", mod(abort, 3, 2), ErrMalformed},
		{"abort-trailing", append(mod(abort, 3, 2), 0), ErrMalformed},
		{"confirm-role-2", mod(conf, 4, 2), ErrMalformed},
		{"confirm-truncated", shorten(conf), ErrMalformed},
		{"key-role-2", mod(keyB, 4, 2), ErrMalformed},
		{"key-bob-short", shorten(keyB), ErrMalformed},
		{"key-alice-short", shorten(keyA), ErrMalformed},
		{"key-bob-length-mismatch", keyB[:len(keyB)-1], ErrMalformed},
		{"key-alice-mode-0", mod(keyA, 5, 0), ErrMalformed},
		{"key-alice-mode-3", mod(keyA, 5, 3), ErrMalformed},
		{"key-alice-payload-length", mod(keyA, 7, keyA[7]+1), ErrMalformed},
		{"key-alice-payload-version", mod(keyA, 8, 9), ErrVersion},
		{"too-large", make([]byte, MaxRecordSize+1), ErrMalformed},
	}
	for _, c := range invalid {
		_, err := DecodeRecord(c.b)
		if got, want := ErrorName(err), ErrorName(c.expect); got != want {
			return nil, fmt.Errorf("%s: got %s (%v), want %s", c.name, got, err, want)
		}
		cases = append(cases, recordCase{Name: c.name, Record: hex.EncodeToString(c.b), Expect: ErrorName(c.expect)})
	}
	return cases, nil
}

// shorten drops a record's last byte and fixes its body length.
func shorten(b []byte) []byte {
	c := slices.Clone(b[:len(b)-1])
	binary.BigEndian.PutUint16(c[2:], uint16(len(c)-RecordHeaderSize))
	return c
}

func checkRecordCase(c recordCase) error {
	b, err := hex.DecodeString(c.Record)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	r, err := DecodeRecord(b)
	if got := ErrorName(err); got != c.Expect {
		return fmt.Errorf("%s: decoding gives %s, vector expects %s", c.Name, got, c.Expect)
	}
	if err == nil {
		re, err := EncodeRecord(r)
		if err != nil || !bytes.Equal(re, b) {
			return fmt.Errorf("%s: re-encoding gives %x (%v)", c.Name, re, err)
		}
	}
	return nil
}

// ---- aborts.json: one device under test (DUT), fed inputs, must fail
// with the expected error and emit exactly the expected records.

type inputJSON struct {
	AtMs   uint64 `json:"at_ms"`
	Record string `json:"record"`
}

type abortCase struct {
	Name      string      `json:"name"`
	Mode      string      `json:"mode"`
	Seed      string      `json:"seed"`
	Payload   string      `json:"payload"` // the DUT's own payload
	CreatedMs uint64      `json:"created_ms"`
	Scan      string      `json:"scan,omitempty"` // the payload the DUT scans
	ScanMs    uint64      `json:"scan_ms,omitempty"`
	Inputs    []inputJSON `json:"inputs"`
	Out       []string    `json:"out"` // every record the DUT emits, in order
	Expect    string      `json:"expect"`
}

// runDUT replays an abort case: it stops at the first error.
func runDUT(c *abortCase) (out []string, err error) {
	m, err := modeOf(c.Mode)
	if err != nil {
		return nil, err
	}
	d, err := NewPairing(Config{Mode: m}, NewDetReader([]byte(c.Seed)), at(c.CreatedMs))
	if err != nil {
		return nil, err
	}
	if hex.EncodeToString(d.own) != c.Payload {
		return nil, fmt.Errorf("the DUT's payload is %x, vector says %s", d.own, c.Payload)
	}
	emit := func() {
		for _, r := range d.Outbox() {
			out = append(out, hex.EncodeToString(r))
		}
	}
	if c.Scan != "" {
		b, err := hex.DecodeString(c.Scan)
		if err != nil {
			return nil, err
		}
		err = d.ScanPeer(b, at(c.ScanMs))
		emit()
		if err != nil {
			return out, err
		}
	}
	for _, in := range c.Inputs {
		b, err := hex.DecodeString(in.Record)
		if err != nil {
			return nil, err
		}
		_, err = d.Receive(b, at(in.AtMs))
		d.outbox = nil
		if err != nil {
			emit()
			return out, err
		}
		emit()
	}
	return out, nil
}

// abortScenario pairs a DUT with an honest peer and lets tamper rewrite
// the records the peer sends the DUT (index n counts them).
type abortScenario struct {
	name      string
	mode      Mode
	dutSeed   string
	peerSeed  string
	dutScans  bool
	peerScans bool
	scanDelay uint64
	recvDelay uint64
	tamper    func(n int, r []byte) []byte
	// build, when set, replaces the honest run (forged peers).
	build  func() (*abortCase, error)
	expect error
}

func (s abortScenario) run() (*abortCase, error) {
	if s.build != nil {
		c, err := s.build()
		if err != nil {
			return nil, err
		}
		c.Name, c.Mode = s.name, modeNames[s.mode]
		m, _ := modeOf(c.Mode)
		d, err := NewPairing(Config{Mode: m}, NewDetReader([]byte(c.Seed)), at(c.CreatedMs))
		if err != nil {
			return nil, err
		}
		c.Payload = hex.EncodeToString(d.own)
		return c, nil
	}
	now := at(t0)
	dut, _ := NewPairing(Config{Mode: s.mode}, NewDetReader([]byte(s.dutSeed)), now)
	peer, _ := NewPairing(Config{Mode: s.mode}, NewDetReader([]byte(s.peerSeed)), now)
	c := &abortCase{Name: s.name, Mode: modeNames[s.mode], Seed: s.dutSeed, Payload: hex.EncodeToString(dut.own), CreatedMs: t0, Inputs: []inputJSON{}}
	if s.dutScans {
		c.Scan, c.ScanMs = hex.EncodeToString(peer.Payload()), t0+s.scanDelay
		if err := dut.ScanPeer(peer.Payload(), at(c.ScanMs)); err != nil {
			return c, nil
		}
	}
	if s.peerScans {
		if err := peer.ScanPeer(dut.Payload(), now); err != nil {
			return nil, err
		}
	}
	n := 0
	dutOut := dut.Outbox()
	for step := 0; step < maxPipeSteps; step++ {
		recs := peer.Outbox()
		for _, r := range dutOut {
			out, _ := peer.Receive(r, now)
			recs = append(recs, out...)
		}
		dutOut = nil
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if s.tamper != nil {
				r = s.tamper(n, r)
			}
			n++
			c.Inputs = append(c.Inputs, inputJSON{AtMs: t0 + s.recvDelay, Record: hex.EncodeToString(r)})
			out, err := dut.Receive(r, at(t0+s.recvDelay))
			if err != nil {
				return c, nil
			}
			dutOut = append(dutOut, out...)
		}
	}
	return c, nil
}

func flipLast(n int) func(int, []byte) []byte {
	return func(i int, r []byte) []byte {
		if i == n {
			r = slices.Clone(r)
			r[len(r)-1] ^= 1
		}
		return r
	}
}

func replaceAt(n int, with []byte) func(int, []byte) []byte {
	return func(i int, r []byte) []byte {
		if i == n {
			return with
		}
		return r
	}
}

// roleSeeds returns the first pair of seeds "prefix/dut/k", "prefix/peer/k"
// for which the DUT, in mutual mode, gets role.
func roleSeeds(prefix string, role Role) (string, string) {
	for k := 0; ; k++ {
		d, p := fmt.Sprintf("%s/dut/%d", prefix, k), fmt.Sprintf("%s/peer/%d", prefix, k)
		a, _ := NewPairing(DefaultConfig(), NewDetReader([]byte(d)), at(t0))
		b, _ := NewPairing(DefaultConfig(), NewDetReader([]byte(p)), at(t0))
		if (bytes.Compare(a.own, b.own) < 0) == (role == RoleAlice) {
			return d, p
		}
	}
}

// lowOrderPoint is a point of order 8 on Curve25519 (u-coordinate).
var lowOrderPoint, _ = hex.DecodeString("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")

// forgedPeer builds a mutual-mode abort case where the peer's payload
// commits to x25519 (e.g. a low-order point) and the peer's KEY reveals
// it. The DUT's role decides which KEY the forger sends.
func forgedPeer(dutSeed string, x25519 []byte, revealX []byte) (*abortCase, error) {
	_, wPub, err := xwingDerive(detBytes(dutSeed+"/forger", 32))
	if err != nil {
		return nil, err
	}
	wd := xwingDigest(wPub)
	pl, _ := EncodePayload(&Payload{Commitment: commitment(x25519, wd), Created: t0})
	dut, _ := NewPairing(DefaultConfig(), NewDetReader([]byte(dutSeed)), at(t0))
	c := &abortCase{Seed: dutSeed, CreatedMs: t0, Scan: hex.EncodeToString(pl), ScanMs: t0}
	var rec []byte
	if bytes.Compare(dut.own, pl) < 0 { // DUT is Alice: forge Bob's KEY
		rec, err = EncodeRecord(&Record{Type: RecordKey, Role: RoleBob, X25519: [32]byte(revealX), XWingDigest: wd, Ciphertext: make([]byte, XWingCiphertextSize)})
	} else { // DUT is Bob: forge Alice's KEY
		rec, err = EncodeRecord(&Record{Type: RecordKey, Role: RoleAlice, Mode: ModeMutual, Payload: pl, X25519: [32]byte(revealX), XWingPub: wPub})
	}
	if err != nil {
		return nil, err
	}
	c.Inputs = []inputJSON{{AtMs: t0 + 100, Record: hex.EncodeToString(rec)}}
	return c, nil
}

func abortScenarios() []abortScenario {
	aliceD, aliceP := roleSeeds("abort/alice", RoleAlice)
	bobD, bobP := roleSeeds("abort/bob", RoleBob)
	zero := make([]byte, 32)
	other, _ := NewPairing(DefaultConfig(), NewDetReader([]byte("abort/other")), at(t0))
	otherKeyB, _ := EncodeRecord(&Record{Type: RecordKey, Role: RoleBob, X25519: [32]byte(other.xPub), XWingDigest: other.wDig, Ciphertext: make([]byte, XWingCiphertextSize)})
	abortRec, _ := EncodeRecord(&Record{Type: RecordAbort, Reason: ReasonUser})
	confirm, _ := EncodeRecord(&Record{Type: RecordConfirm, Role: RoleAlice})
	garbage := []byte{1, 2, 0, 1, 0}
	v2 := slices.Clone(abortRec)
	v2[0] = 2
	return []abortScenario{
		{name: "commitment-mismatch-key-bob", mode: ModeMutual, dutSeed: aliceD, peerSeed: aliceP, dutScans: true, peerScans: true,
			tamper: replaceAt(0, otherKeyB), expect: ErrCommitmentMismatch},
		{name: "commitment-mismatch-key-alice", mode: ModeMutual, build: func() (*abortCase, error) {
			c, err := forgedPeer(bobD, other.xPub, zero)
			return c, err
		}, expect: ErrCommitmentMismatch},
		{name: "payload-substituted", mode: ModeMutual, dutSeed: bobD, peerSeed: bobP, dutScans: true, peerScans: true,
			tamper: func(n int, r []byte) []byte {
				if n == 0 {
					r = slices.Clone(r)
					r[8+1+CommitmentSize+7] ^= 1 // a bit of the carried payload's creation time
				}
				return r
			}, expect: ErrCommitmentMismatch},
		{name: "expired-payload", mode: ModeMutual, dutSeed: aliceD, peerSeed: aliceP, dutScans: true, scanDelay: 60001, expect: ErrExpired},
		{name: "pairing-timeout", mode: ModeMutual, dutSeed: bobD, peerSeed: bobP, dutScans: true, peerScans: true, recvDelay: 120001, expect: ErrExpired},
		{name: "low-order-zero-key-bob", mode: ModeMutual, build: func() (*abortCase, error) { return forgedPeer(aliceD, zero, zero) }, expect: ErrLowOrder},
		{name: "low-order-order-8-key-alice", mode: ModeMutual, build: func() (*abortCase, error) { return forgedPeer(bobD, lowOrderPoint, lowOrderPoint) }, expect: ErrLowOrder},
		{name: "bad-mac-confirm-alice", mode: ModeMutual, dutSeed: bobD, peerSeed: bobP, dutScans: true, peerScans: true, tamper: flipLast(1), expect: ErrBadMAC},
		{name: "bad-mac-confirm-bob", mode: ModeMutual, dutSeed: aliceD, peerSeed: aliceP, dutScans: true, peerScans: true, tamper: flipLast(1), expect: ErrBadMAC},
		{name: "bad-ciphertext-peer-aborts", mode: ModeMutual, dutSeed: aliceD, peerSeed: aliceP, dutScans: true, peerScans: true, tamper: func(n int, r []byte) []byte {
			if n == 0 {
				r = slices.Clone(r)
				r[len(r)-XWingCiphertextSize] ^= 1 // ML-KEM implicit rejection: keys differ, Bob rejects Alice's CONFIRM
			}
			return r
		}, expect: ErrAborted},
		{name: "equal-payloads", mode: ModeMutual, build: func() (*abortCase, error) {
			d, _ := NewPairing(DefaultConfig(), NewDetReader([]byte(aliceD)), at(t0))
			return &abortCase{Seed: aliceD, CreatedMs: t0, Scan: hex.EncodeToString(d.own), ScanMs: t0, Inputs: []inputJSON{}}, nil
		}, expect: ErrRoleConflict},
		{name: "both-alice-one-way", mode: ModeOneWay, dutSeed: "abort/oneway/dut", peerSeed: "abort/oneway/peer", dutScans: true, peerScans: true, expect: ErrRoleConflict},
		{name: "mode-mismatch", mode: ModeOneWay, build: func() (*abortCase, error) {
			peer, _ := NewPairing(DefaultConfig(), NewDetReader([]byte("abort/mode/peer")), at(t0))
			rec, _ := EncodeRecord(&Record{Type: RecordKey, Role: RoleAlice, Mode: ModeMutual, Payload: peer.own, X25519: [32]byte(peer.xPub), XWingPub: peer.wPub})
			return &abortCase{Seed: "abort/mode/dut", CreatedMs: t0, Inputs: []inputJSON{{AtMs: t0, Record: hex.EncodeToString(rec)}}}, nil
		}, expect: ErrRoleConflict},
		{name: "peer-abort", mode: ModeMutual, dutSeed: aliceD, peerSeed: aliceP, dutScans: true, peerScans: true, tamper: replaceAt(0, abortRec), expect: ErrAborted},
		{name: "confirm-before-key", mode: ModeMutual, dutSeed: aliceD, peerSeed: aliceP, dutScans: true, peerScans: true, tamper: replaceAt(0, confirm), expect: ErrUnexpected},
		{name: "malformed-record", mode: ModeMutual, dutSeed: aliceD, peerSeed: aliceP, dutScans: true, peerScans: true, tamper: replaceAt(0, garbage), expect: ErrMalformed},
		{name: "record-version-2", mode: ModeMutual, dutSeed: aliceD, peerSeed: aliceP, dutScans: true, peerScans: true, tamper: replaceAt(0, v2), expect: ErrVersion},
	}
}

func genAbortCases() (any, error) {
	var cases []*abortCase
	for _, s := range abortScenarios() {
		c, err := s.run()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		out, err := runDUT(c)
		if got, want := ErrorName(err), ErrorName(s.expect); got != want {
			return nil, fmt.Errorf("%s: gives %s (%v), want %s", s.name, got, err, want)
		}
		c.Out, c.Expect = out, ErrorName(err)
		if c.Payload == "" {
			return nil, fmt.Errorf("%s: no DUT payload", s.name)
		}
		if c.Out == nil {
			c.Out = []string{}
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func checkAbortCase(c abortCase) error {
	out, err := runDUT(&c)
	if got := ErrorName(err); got != c.Expect {
		return fmt.Errorf("%s: gives %s, vector expects %s", c.Name, got, c.Expect)
	}
	if !slices.Equal(out, c.Out) && !(len(out) == 0 && len(c.Out) == 0) {
		return fmt.Errorf("%s: the device emits %v, vector says %v", c.Name, out, c.Out)
	}
	return nil
}

// ---- files

// vectorSet lists the layer's vector files (SPEC.md, "Test vectors").
var vectorSet = layers.VectorSet{Layer: "trust", Files: []layers.VectorFileSpec{
	{Name: "payloads.json", Description: "QR payloads (SPEC.md, QR payload; QR text) and what a scanner must conclude at now_ms: valid (with the decoded fields and the QR text), or the sentinel error.",
		Generate: genPayloadCases, Check: layers.CheckCases(checkPayloadCase)},
	{Name: "records.json", Description: "KEY, CONFIRM and ABORT records (SPEC.md, Records) and the outcome of decoding them.",
		Generate: genRecordCases, Check: layers.CheckCases(checkRecordCase)},
	{Name: "pairings.json", Description: "Complete pairings from fixed seeds (SPEC.md, Test vectors: deterministic randomness): both payloads, every record in link order, the transcript hash, master secret and SAS.",
		Generate: genPairingCases, Check: layers.CheckCases(checkPairingCase)},
	{Name: "aborts.json", Description: "One device under test, created from a seed, scans a payload and receives records; it must fail with the expected error and emit exactly the records in out (its KEY/CONFIRM, then its ABORT).",
		Generate: genAbortCases, Check: layers.CheckCases(checkAbortCase)},
}}

// GenerateVectors computes every vector file of the layer.
func GenerateVectors() (map[string][]byte, error) { return vectorSet.Generate() }

// CheckVector verifies one vector file: every case must have the outcome
// it records.
func CheckVector(name string, data []byte) error { return vectorSet.Check(name, data) }
