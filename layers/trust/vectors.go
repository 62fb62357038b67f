package trust

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/strata-lab/strata/layers"
)

const expectValid = layers.ExpectValid

var errorNames = layers.ErrorNames{
	{Name: "ErrCommitmentMismatch", Err: ErrCommitmentMismatch}, {Name: "ErrExpired", Err: ErrExpired}, {Name: "ErrLowOrder", Err: ErrLowOrder},
	{Name: "ErrBadMAC", Err: ErrBadMAC}, {Name: "ErrRoleConflict", Err: ErrRoleConflict}, {Name: "ErrUnexpected", Err: ErrUnexpected},
	{Name: "ErrSASRejected", Err: ErrSASRejected}, {Name: "ErrVersion", Err: ErrVersion}, {Name: "ErrMalformed", Err: ErrMalformed},
	{Name: "ErrAborted", Err: ErrAborted}, {Name: "ErrConfig", Err: ErrConfig}, {Name: "ErrRandom", Err: ErrRandom}, {Name: "ErrIdentity", Err: ErrIdentity},
}

// ErrorName names the sentinel error err wraps, as vector files and
// adversary models report it: "valid" for nil, "unclassified: ..." for an
// error the layer did not classify.
func ErrorName(err error) string { return errorNames.Name(err) }

// detReader is the vectors' deterministic randomness (SPEC.md, "Test
// vectors"): the concatenation of SHA-256(seed ‖ u32(i)) for i = 0, 1, ...
type detReader struct {
	seed []byte
	i    uint32
	buf  []byte
}

// NewDetReader returns the deterministic byte stream the vectors use for
// seed. It is for tests, vectors and simulations only.
func NewDetReader(seed []byte) io.Reader { return &detReader{seed: slices.Clone(seed)} }

func (r *detReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.buf) == 0 {
			h := sha256.Sum256(binary.BigEndian.AppendUint32(slices.Clone(r.seed), r.i))
			r.i++
			r.buf = h[:]
		}
		c := copy(p[n:], r.buf)
		r.buf = r.buf[c:]
		n += c
	}
	return n, nil
}

// t0 is the vectors' reference time: 2026-01-01T00:00:00Z.
const t0 = 1767225600000

func at(ms uint64) time.Time { return time.UnixMilli(int64(ms)).UTC() }

// ---- payloads.json

type hintJSON struct {
	Type  int    `json:"type"`
	Value string `json:"value"`
}

type payloadCase struct {
	Name       string     `json:"name"`
	Payload    string     `json:"payload"`
	NowMs      uint64     `json:"now_ms"`
	QRText     string     `json:"qr_text,omitempty"`
	Commitment string     `json:"commitment,omitempty"`
	CreatedMs  uint64     `json:"created_ms,omitempty"`
	Hints      []hintJSON `json:"hints,omitempty"`
	Expect     string     `json:"expect"`
}

func genPayloadCases() (any, error) {
	var commit [32]byte
	copy(commit[:], detBytes("commitment", 32))
	ma := Hint{HintMultiaddr, []byte("/ip4/192.0.2.7/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN")}
	lb := Hint{HintLoopback, []byte("127.0.0.1:7420")}
	valid := []struct {
		name string
		p    Payload
		now  uint64
	}{
		{"no-hints", Payload{Commitment: commit, Created: t0}, t0 + 1000},
		{"multiaddr", Payload{Commitment: commit, Created: t0, Hints: []Hint{ma}}, t0},
		{"loopback", Payload{Commitment: commit, Created: t0, Hints: []Hint{lb}}, t0 + 30000},
		{"four-hints-unknown-type", Payload{Commitment: commit, Created: t0, Hints: []Hint{ma, lb, {HintType(200), []byte{0xff, 0}}, {HintLoopback, bytes.Repeat([]byte("a"), MaxHintLen)}}}, t0},
		{"age-exactly-60s", Payload{Commitment: commit, Created: t0}, t0 + 60000},
		{"skew-exactly-10s", Payload{Commitment: commit, Created: t0 + 10000}, t0},
	}
	var cases []payloadCase
	for _, v := range valid {
		b, err := EncodePayload(&v.p)
		if err != nil {
			return nil, err
		}
		c := payloadCase{Name: v.name, Payload: hex.EncodeToString(b), NowMs: v.now, QRText: EncodeQRText(b),
			Commitment: hex.EncodeToString(v.p.Commitment[:]), CreatedMs: v.p.Created, Hints: hintsJSON(v.p.Hints), Expect: expectValid}
		cases = append(cases, c)
	}
	base, _ := EncodePayload(&Payload{Commitment: commit, Created: t0})
	withHint := func(t, l byte, v []byte) []byte {
		b := slices.Clone(base)
		b[MinPayloadSize-1] = 1
		return append(append(b, t, l), v...)
	}
	fiveHints := slices.Clone(base)
	fiveHints[MinPayloadSize-1] = 5
	for range 5 {
		fiveHints = append(fiveHints, 2, 1, 'x')
	}
	v2 := slices.Clone(base)
	v2[0] = 2
	invalid := []struct {
		name   string
		b      []byte
		now    uint64
		expect error
	}{
		{"empty", nil, t0, ErrMalformed},
		{"version-0", append([]byte{0}, base[1:]...), t0, ErrVersion},
		{"version-2", v2, t0, ErrVersion},
		{"truncated", base[:MinPayloadSize-1], t0, ErrMalformed},
		{"trailing-byte", append(slices.Clone(base), 0), t0, ErrMalformed},
		{"five-hints", fiveHints, t0, ErrMalformed},
		{"hint-type-0", withHint(0, 1, []byte{'x'}), t0, ErrMalformed},
		{"hint-empty", withHint(2, 0, nil), t0, ErrMalformed},
		{"hint-too-long", withHint(200, MaxHintLen+1, bytes.Repeat([]byte{1}, MaxHintLen+1)), t0, ErrMalformed},
		{"hint-truncated", withHint(2, 5, []byte("abc")), t0, ErrMalformed},
		{"hint-not-utf8", withHint(1, 2, []byte{0xc3, 0x28}), t0, ErrMalformed},
		{"too-large", append(slices.Clone(base), make([]byte, MaxPayloadSize)...), t0, ErrMalformed},
		{"expired", base, t0 + 60001, ErrExpired},
		{"from-the-future", base, t0 - 10001, ErrExpired},
	}
	for _, c := range invalid {
		got := ErrorName(checkPayload(c.b, c.now))
		if want := ErrorName(c.expect); got != want {
			return nil, fmt.Errorf("%s: got %s, want %s", c.name, got, want)
		}
		cases = append(cases, payloadCase{Name: c.name, Payload: hex.EncodeToString(c.b), NowMs: c.now, Expect: got})
	}
	return cases, nil
}

// checkPayload is what a scanner does with payload bytes at now.
func checkPayload(b []byte, now uint64) error {
	p, err := DecodePayload(b)
	if err != nil {
		return err
	}
	return CheckPayloadAge(p.Created, at(now))
}

func hintsJSON(hs []Hint) []hintJSON {
	var out []hintJSON
	for _, h := range hs {
		out = append(out, hintJSON{Type: int(h.Type), Value: hex.EncodeToString(h.Value)})
	}
	return out
}

func checkPayloadCase(c payloadCase) error {
	b, err := hex.DecodeString(c.Payload)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	if got := ErrorName(checkPayload(b, c.NowMs)); got != c.Expect {
		return fmt.Errorf("%s: gives %s, vector expects %s", c.Name, got, c.Expect)
	}
	if c.Expect != expectValid {
		return nil
	}
	p, _ := DecodePayload(b)
	if hex.EncodeToString(p.Commitment[:]) != c.Commitment || p.Created != c.CreatedMs || !slices.Equal(hintsJSON(p.Hints), c.Hints) {
		return fmt.Errorf("%s: decoded fields differ from the vector", c.Name)
	}
	re, err := EncodePayload(p)
	if err != nil || !bytes.Equal(re, b) {
		return fmt.Errorf("%s: re-encoding gives %x (%v)", c.Name, re, err)
	}
	if EncodeQRText(b) != c.QRText {
		return fmt.Errorf("%s: QR text %q, vector says %q", c.Name, EncodeQRText(b), c.QRText)
	}
	if back, err := DecodeQRText(c.QRText); err != nil || !bytes.Equal(back, b) {
		return fmt.Errorf("%s: QR text does not decode to the payload (%v)", c.Name, err)
	}
	return nil
}

// ---- pairings.json

type recordJSON struct {
	From   string `json:"from"`
	Record string `json:"record"`
}

type deviceJSON struct {
	Seed       string     `json:"seed"` // detReader seed, UTF-8
	X25519Priv string     `json:"x25519_private"`
	XWingSeed  string     `json:"xwing_seed"`
	EncapSeed  string     `json:"encap_seed,omitempty"` // Bob only
	X25519Pub  string     `json:"x25519_public"`
	XWingPub   string     `json:"xwing_public_sha256"`
	Payload    string     `json:"payload"`
	Role       string     `json:"role"`
	Hints      []hintJSON `json:"hints,omitempty"`
}

type pairingCase struct {
	Name       string       `json:"name"`
	Mode       string       `json:"mode"`
	TimeMs     uint64       `json:"time_ms"`
	A          deviceJSON   `json:"a"`
	B          deviceJSON   `json:"b"`
	Records    []recordJSON `json:"records"`
	Transcript string       `json:"transcript_hash"`
	Master     string       `json:"master"`
	SAS        string       `json:"sas"`
	WireBytes  int          `json:"wire_bytes"`
	Expect     string       `json:"expect"`
}

var modeNames = map[Mode]string{ModeMutual: "mutual", ModeOneWay: "one-way"}

func modeOf(s string) (Mode, error) {
	for m, n := range modeNames {
		if n == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown mode %q", s)
}

type pairingSpec struct {
	name         string
	mode         Mode
	seedA, seedB string
	hintsA       []Hint
	hintsB       []Hint
	time         uint64
}

var pairingSpecs = []pairingSpec{
	{"mutual-no-hints", ModeMutual, "pairing/1/a", "pairing/1/b", nil, nil, t0},
	{"mutual-hints", ModeMutual, "pairing/2/a", "pairing/2/b",
		[]Hint{{HintLoopback, []byte("127.0.0.1:7420")}}, []Hint{{HintMultiaddr, []byte("/ip4/127.0.0.1/udp/4001/quic-v1")}}, t0 + 5000},
	{"mutual-other-order", ModeMutual, "pairing/3/a", "pairing/3/b", nil, nil, t0},
	{"one-way", ModeOneWay, "pairing/4/scanner", "pairing/4/shower", nil, []Hint{{HintLoopback, []byte("127.0.0.1:7421")}}, t0},
}

// runPairing runs a pairing spec through PairOverPipe.
func runPairing(s pairingSpec) (*pairingCase, error) {
	now := at(s.time)
	a, err := NewPairing(Config{Mode: s.mode, Hints: s.hintsA}, NewDetReader([]byte(s.seedA)), now)
	if err != nil {
		return nil, err
	}
	b, err := NewPairing(Config{Mode: s.mode, Hints: s.hintsB}, NewDetReader([]byte(s.seedB)), now)
	if err != nil {
		return nil, err
	}
	ex, err := PairOverPipe(a, b, now)
	if err != nil {
		return nil, err
	}
	for _, d := range []*Pairing{a, b} {
		if err := d.ConfirmSAS(); err != nil {
			return nil, err
		}
	}
	ma, sa, oka := a.Result()
	mb, sb, okb := b.Result()
	if !oka || !okb || !bytes.Equal(ma, mb) || sa != sb {
		return nil, fmt.Errorf("%s: the devices disagree", s.name)
	}
	th, _ := a.TranscriptHash()
	c := &pairingCase{Name: s.name, Mode: modeNames[s.mode], TimeMs: s.time, Transcript: hex.EncodeToString(th),
		Master: hex.EncodeToString(ma), SAS: sa, WireBytes: ex.WireBytes, Expect: expectValid}
	for _, r := range ex.Records {
		c.Records = append(c.Records, recordJSON{From: r.From, Record: hex.EncodeToString(r.Bytes)})
	}
	dev := func(seed string, p *Pairing, hints []Hint) deviceJSON {
		raw := make([]byte, 128)
		NewDetReader([]byte(seed)).Read(raw)
		wh := sha256.Sum256(p.wPub)
		d := deviceJSON{Seed: seed, X25519Priv: hex.EncodeToString(raw[:32]), XWingSeed: hex.EncodeToString(raw[32:64]),
			X25519Pub: hex.EncodeToString(p.xPub), XWingPub: hex.EncodeToString(wh[:]), Payload: hex.EncodeToString(p.own),
			Role: p.role.String(), Hints: hintsJSON(hints)}
		if p.role == RoleBob {
			d.EncapSeed = hex.EncodeToString(raw[64:128])
		}
		return d
	}
	c.A, c.B = dev(s.seedA, a, s.hintsA), dev(s.seedB, b, s.hintsB)
	return c, nil
}

func genPairingCases() (any, error) {
	var cases []*pairingCase
	for _, s := range pairingSpecs {
		c, err := runPairing(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func hintsFrom(js []hintJSON) ([]Hint, error) {
	var out []Hint
	for _, j := range js {
		v, err := hex.DecodeString(j.Value)
		if err != nil || j.Type < 0 || j.Type > 255 {
			return nil, fmt.Errorf("bad hint %v", j)
		}
		out = append(out, Hint{HintType(j.Type), v})
	}
	return out, nil
}

func checkPairingCase(c pairingCase) error {
	if c.Expect != expectValid {
		return fmt.Errorf("%s: transcripts must be valid", c.Name)
	}
	m, err := modeOf(c.Mode)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	ha, err := hintsFrom(c.A.Hints)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	hb, err := hintsFrom(c.B.Hints)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	got, err := runPairing(pairingSpec{c.Name, m, c.A.Seed, c.B.Seed, ha, hb, c.TimeMs})
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(c)
	if !bytes.Equal(gj, wj) {
		return fmt.Errorf("%s: the replayed pairing differs from the vector", c.Name)
	}
	return nil
}

func detBytes(label string, n int) []byte {
	b := make([]byte, n)
	NewDetReader([]byte(label)).Read(b)
	return b
}
