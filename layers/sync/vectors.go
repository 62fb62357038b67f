package sync

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"google.golang.org/protobuf/encoding/protowire"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/strata-lab/strata/layers"
	"github.com/strata-lab/strata/layers/sync/reconcile"
)

// Expect values: "valid", or the name of the sentinel error.
const expectValid = layers.ExpectValid

// errorNames maps the exported sentinels a vector may expect to their names.
var errorNames = layers.ErrorNames{
	{Name: "ErrFrameTooLarge", Err: ErrFrameTooLarge}, {Name: "ErrVersion", Err: ErrVersion}, {Name: "ErrUnknownField", Err: ErrUnknownField},
	{Name: "ErrBadID", Err: ErrBadID}, {Name: "ErrLimit", Err: ErrLimit}, {Name: "ErrBodyTooLarge", Err: ErrBodyTooLarge},
	{Name: "ErrParents", Err: ErrParents}, {Name: "ErrEphemeralParents", Err: ErrEphemeralParents}, {Name: "ErrReconcile", Err: ErrReconcile},
	{Name: "ErrMalformed", Err: ErrMalformed},
}

// classify names the most specific sentinel err wraps.
func classify(err error) string { return errorNames.Name(err) }

// MessageJSON is a message in vector files; byte strings are hex.
type MessageJSON struct {
	Group     string   `json:"group"`
	Timestamp uint64   `json:"timestamp"`
	Body      string   `json:"body"`
	Parents   []string `json:"parents"`
	Ephemeral bool     `json:"ephemeral"`
}

func toJSON(m *Message) MessageJSON {
	j := MessageJSON{Group: hex.EncodeToString(m.Group[:]), Timestamp: m.Timestamp, Body: hex.EncodeToString(m.Body), Ephemeral: m.Ephemeral, Parents: []string{}}
	for _, p := range m.Parents {
		j.Parents = append(j.Parents, hex.EncodeToString(p[:]))
	}
	return j
}

func fromJSON(j MessageJSON) (Message, error) {
	var m Message
	g, err := hex32(j.Group)
	if err != nil {
		return m, err
	}
	body, err := hex.DecodeString(j.Body)
	if err != nil {
		return m, err
	}
	m = Message{Group: g, Timestamp: j.Timestamp, Body: body, Ephemeral: j.Ephemeral}
	for _, p := range j.Parents {
		id, err := hex32(p)
		if err != nil {
			return m, err
		}
		m.Parents = append(m.Parents, id)
	}
	return m, nil
}

func hex32(s string) (ID, error) {
	var id ID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != IDSize {
		return id, fmt.Errorf("not 32 hex bytes: %q", s)
	}
	copy(id[:], b)
	return id, nil
}

// idCase: a message, its id and the golden encoding of a frame carrying it.
type idCase struct {
	Name    string      `json:"name"`
	Message MessageJSON `json:"message"`
	ID      string      `json:"id"`
	Frame   string      `json:"frame"`
	Expect  string      `json:"expect"`
}

// frameCase: bytes and what decoding them must give. The bytes are Frame
// followed by RepeatCount copies of Repeat (both hex), which keeps the
// files small for frames that break a size limit.
type frameCase struct {
	Name        string `json:"name"`
	Frame       string `json:"frame"`
	Repeat      string `json:"repeat,omitempty"`
	RepeatCount int    `json:"repeat_count,omitempty"`
	Expect      string `json:"expect"`
}

func (c frameCase) bytes() ([]byte, error) {
	b, err := hex.DecodeString(c.Frame)
	if err != nil {
		return nil, err
	}
	unit, err := hex.DecodeString(c.Repeat)
	if err != nil {
		return nil, err
	}
	if c.RepeatCount < 0 || c.RepeatCount > 2*MaxFrameBytes || len(unit)*c.RepeatCount > 2*MaxFrameBytes {
		return nil, fmt.Errorf("repeat_count %d out of range", c.RepeatCount)
	}
	return append(b, bytes.Repeat(unit, c.RepeatCount)...), nil
}

// reconcileCase: a full reconciliation transcript between two small sets.
type reconcileCase struct {
	Name   string     `json:"name"`
	Salt   uint64     `json:"salt"`
	Branch int        `json:"branch"`
	Thresh int        `json:"id_list_threshold"`
	Group  string     `json:"group"`
	A      []itemJSON `json:"a"`
	B      []itemJSON `json:"b"`
	// Rounds are the frames exchanged, alternating, starting with A's.
	Rounds []string `json:"rounds"`
	// HaveA are the ids A finds B lacks; HaveB the ids B finds A lacks.
	HaveA  []string `json:"have_a"`
	HaveB  []string `json:"have_b"`
	Expect string   `json:"expect"`
}

type itemJSON struct {
	Timestamp uint64 `json:"timestamp"`
	ID        string `json:"id"`
}

// hashCase: salted short ids and fingerprints.
type hashCase struct {
	Name        string     `json:"name"`
	Salt        uint64     `json:"salt"`
	Items       []itemJSON `json:"items"`
	ShortIDs    []string   `json:"short_ids"`
	Fingerprint string     `json:"fingerprint"`
	Expect      string     `json:"expect"`
}

// vectorSet lists the layer's vector files (SPEC.md, "Test vectors").
var vectorSet = layers.VectorSet{Layer: "sync", Files: []layers.VectorFileSpec{
	{Name: "message_ids.json", Description: "Canonical message ids (SPEC.md, Message ids) and the golden encoding of a frame holding only that message.",
		Generate: genIDCases, Check: layers.CheckCases(checkIDCase)},
	{Name: "frames.json", Description: "Frames and the outcome of decoding them: valid, or the sentinel error a decoder must return.",
		Generate: genFrameCases, Check: layers.CheckCases(checkFrameCase)},
	{Name: "reconcile_hashes.json", Description: "Salted short ids and range fingerprints (SPEC.md, Range-based reconciliation).",
		Generate: genHashCases, Check: layers.CheckCases(checkHashCase)},
	{Name: "reconcile_transcripts.json", Description: "Complete reconciliation transcripts between two sets: every frame exchanged and what each side finds the other lacks.",
		Generate: genReconcileCases, Check: layers.CheckCases(checkReconcileCase)},
}}

// GenerateVectors computes every vector file of the layer.
func GenerateVectors() (map[string][]byte, error) { return vectorSet.Generate() }

// CheckVector verifies one vector file: every case must have the outcome
// it records.
func CheckVector(name string, data []byte) error { return vectorSet.Check(name, data) }

// detBytes returns n deterministic bytes for label.
func detBytes(label string, n int) []byte {
	var out []byte
	for i := uint32(0); len(out) < n; i++ {
		var c [4]byte
		binary.BigEndian.PutUint32(c[:], i)
		h := sha256.Sum256(append([]byte(label), c[:]...))
		out = append(out, h[:]...)
	}
	return out[:n]
}

func detID(label string) ID {
	var id ID
	copy(id[:], detBytes(label, IDSize))
	return id
}

func genIDCases() (any, error) {
	g := detID("group")
	p1, p2 := detID("parent-1"), detID("parent-2")
	if bytes.Compare(p1[:], p2[:]) > 0 {
		p1, p2 = p2, p1
	}
	msgs := []struct {
		name string
		m    Message
	}{
		{"empty-body", Message{Group: g, Timestamp: 0, Body: []byte{}}},
		{"text", Message{Group: g, Timestamp: 1767225600000, Body: []byte("hello, strata")}},
		{"two-parents", Message{Group: g, Timestamp: 1767225600001, Body: []byte("reply"), Parents: []ID{p1, p2}}},
		{"ephemeral", Message{Group: g, Timestamp: 1767225600002, Body: []byte("typing"), Ephemeral: true}},
		{"max-timestamp", Message{Group: g, Timestamp: ^uint64(0), Body: detBytes("body", 300)}},
		{"max-parents", Message{Group: g, Timestamp: 42, Body: []byte{0}, Parents: sortedIDs("p", MaxParents)}},
	}
	var cases []idCase
	for _, c := range msgs {
		id := c.m.ID()
		fr, err := EncodeFrame(&Frame{Messages: []Message{c.m}})
		if err != nil {
			return nil, err
		}
		cases = append(cases, idCase{Name: c.name, Message: toJSON(&c.m), ID: hex.EncodeToString(id[:]), Frame: hex.EncodeToString(fr), Expect: expectValid})
	}
	return cases, nil
}

func sortedIDs(label string, n int) []ID {
	ids := make([]ID, n)
	for i := range ids {
		ids[i] = detID(fmt.Sprintf("%s-%d", label, i))
	}
	slices.SortFunc(ids, cmpID)
	return ids
}

func genFrameCases() (any, error) {
	g := detID("group")
	m := Message{Group: g, Timestamp: 7, Body: []byte("x")}
	valid := []struct {
		name string
		f    Frame
	}{
		{"empty", Frame{}},
		{"acks-offers-requests", Frame{Acks: []ID{detID("a")}, Offers: []ID{detID("o1"), detID("o2")}, Requests: []ID{detID("r")}}},
		{"message", Frame{Messages: []Message{m}}},
		{"reconcile-initial", Frame{Reconcile: []GroupRound{{Group: g, Round: reconcile.Round{Salt: 99, Ranges: []reconcile.Range{
			{Upper: reconcile.Bound{Timestamp: 1000}, Mode: reconcile.ModeFingerprint, Fingerprint: reconcile.Fingerprint{1, 2, 3, 4, 5, 6, 7, 8}},
			{Upper: reconcile.Bound{Timestamp: 2000, Prefix: []byte{0xab}}, Mode: reconcile.ModeIDList, IDs: []reconcile.ShortID{{9}, {10}}},
			{Mode: reconcile.ModeSkip},
		}}}}}},
	}
	var cases []frameCase
	for _, v := range valid {
		b, err := EncodeFrame(&v.f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
		cases = append(cases, frameCase{Name: v.name, Frame: hex.EncodeToString(b), Expect: expectValid})
	}
	// Invalid frames, built with protowire so that each breaks one rule.
	ver := fieldVarint(1, 1)
	short := bytes.Repeat([]byte{1}, 31)
	msgWith := func(parts ...[]byte) []byte { return fieldBytes(5, slices.Concat(parts...)) }
	gidF := fieldBytes(1, g[:])
	p1, p2 := detID("x"), detID("y")
	if bytes.Compare(p1[:], p2[:]) > 0 {
		p1, p2 = p2, p1
	}
	zeros := func(n int) []byte { return make([]byte, n) }
	invalid := []struct {
		name   string
		b      []byte
		repeat []byte // the tail of b: one unit, repeated
		expect error
	}{
		{"not-protobuf", []byte{0xff, 0xff, 0xff}, nil, ErrMalformed},
		{"truncated", []byte{0x12, 0x20, 0x01}, nil, ErrMalformed},
		{"version-0", nil, nil, ErrVersion},
		{"version-2", fieldVarint(1, 2), nil, ErrVersion},
		{"unknown-field", slices.Concat(ver, fieldVarint(15, 1)), nil, ErrUnknownField},
		{"short-ack", slices.Concat(ver, fieldBytes(2, short)), nil, ErrBadID},
		{"short-group", slices.Concat(ver, msgWith(fieldBytes(1, short))), nil, ErrBadID},
		{"body-too-large", slices.Concat(ver, msgWith(gidF, fieldBytes(3, zeros(MaxBodyBytes+1)))), []byte{0}, ErrBodyTooLarge},
		{"parents-descending", slices.Concat(ver, msgWith(gidF, fieldBytes(4, p2[:]), fieldBytes(4, p1[:]))), nil, ErrParents},
		{"parents-repeated", slices.Concat(ver, msgWith(gidF, fieldBytes(4, p1[:]), fieldBytes(4, p1[:]))), nil, ErrParents},
		{"too-many-parents", slices.Concat(ver, msgWith(gidF, repeatField(4, sortedIDs("q", MaxParents+1)))), nil, ErrParents},
		{"ephemeral-with-parents", slices.Concat(ver, msgWith(gidF, fieldBytes(4, p1[:]), fieldVarint(5, 1))), nil, ErrEphemeralParents},
		{"too-many-acks", slices.Concat(ver, repeatField(2, make([]ID, MaxIDsPerList+1))), fieldBytes(2, zeros(IDSize)), ErrLimit},
		{"reconcile-no-ranges", slices.Concat(ver, fieldBytes(6, gidF)), nil, ErrReconcile},
		{"reconcile-bounds-missing", slices.Concat(ver, fieldBytes(6, slices.Concat(gidF, fieldBytes(6, []byte{1, 0})))), nil, ErrReconcile},
		{"reconcile-fingerprint-short", slices.Concat(ver, fieldBytes(6, slices.Concat(gidF, fieldBytes(6, []byte{1}), fieldBytes(7, []byte{1, 2, 3})))), nil, ErrReconcile},
		{"reconcile-bounds-not-ascending", slices.Concat(ver, fieldBytes(6, slices.Concat(gidF,
			fieldBytes(3, []byte{5, 0}), fieldBytes(4, []byte{0, 0}), fieldBytes(6, []byte{0, 0, 0})))), nil, ErrReconcile},
		{"reconcile-mode-unknown", slices.Concat(ver, fieldBytes(6, slices.Concat(gidF, fieldBytes(6, []byte{7})))), nil, ErrReconcile},
		{"frame-too-large", zeros(MaxFrameBytes + 1), []byte{0}, ErrFrameTooLarge},
	}
	for _, c := range invalid {
		_, err := DecodeFrame(c.b)
		want := classify(c.expect)
		if got := classify(err); got != want {
			return nil, fmt.Errorf("invalid case %s decodes as %s, want %s", c.name, got, want)
		}
		fc := frameCase{Name: c.name, Frame: hex.EncodeToString(c.b), Expect: want}
		if len(c.repeat) > 0 {
			// Cut the repeated tail off the hex and describe it instead.
			n := 0
			for rest := c.b; bytes.HasSuffix(rest, c.repeat); rest = rest[:len(rest)-len(c.repeat)] {
				n++
			}
			fc.Frame = hex.EncodeToString(c.b[:len(c.b)-n*len(c.repeat)])
			fc.Repeat, fc.RepeatCount = hex.EncodeToString(c.repeat), n
		}
		cases = append(cases, fc)
	}
	return cases, nil
}

// fieldVarint and fieldBytes encode one protobuf field, for building
// frames that break exactly one rule.
func fieldVarint(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, num, protowire.VarintType), v)
}

func fieldBytes(num protowire.Number, b []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), b)
}

func repeatField(num protowire.Number, ids []ID) []byte {
	var out []byte
	for _, id := range ids {
		out = append(out, fieldBytes(num, id[:])...)
	}
	return out
}

func itemsJSON(items []reconcile.Item) []itemJSON {
	out := []itemJSON{}
	for _, it := range items {
		out = append(out, itemJSON{Timestamp: it.Timestamp, ID: hex.EncodeToString(it.ID[:])})
	}
	return out
}

func itemsFrom(js []itemJSON) ([]reconcile.Item, error) {
	var out []reconcile.Item
	for _, j := range js {
		id, err := hex32(j.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, reconcile.Item{Timestamp: j.Timestamp, ID: id})
	}
	return out, nil
}

func genHashCases() (any, error) {
	var cases []hashCase
	for _, c := range []struct {
		name string
		salt uint64
		n    int
	}{{"empty", 0, 0}, {"one", 1, 1}, {"three", 0xfedcba9876543210, 3}, {"seventeen", 42, 17}} {
		items := detItems(c.name, c.n, 1000)
		fp := reconcile.FingerprintOf(c.salt, items)
		hc := hashCase{Name: c.name, Salt: c.salt, Items: itemsJSON(items), ShortIDs: []string{}, Fingerprint: hex.EncodeToString(fp[:]), Expect: expectValid}
		for _, it := range items {
			s := reconcile.ShortIDOf(c.salt, it.ID)
			hc.ShortIDs = append(hc.ShortIDs, hex.EncodeToString(s[:]))
		}
		cases = append(cases, hc)
	}
	return cases, nil
}

// detItems returns n deterministic items with timestamps in [0, span),
// sorted.
func detItems(label string, n int, span uint64) []reconcile.Item {
	r := rand.New(rand.NewChaCha8(sha256.Sum256([]byte(label))))
	items := make([]reconcile.Item, n)
	for i := range items {
		items[i].Timestamp = r.Uint64N(span)
		items[i].ID = detID(fmt.Sprintf("%s/%d", label, i))
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Compare(items[j]) < 0 })
	return items
}

// transcript runs reconciliation between a and b through the frame codec.
func transcript(g GroupID, a, b []reconcile.Item, salt uint64, p reconcile.Params) (rounds [][]byte, haveA, haveB []reconcile.Item, err error) {
	return Transcript(g, reconcile.NewSet(a), reconcile.NewSet(b), salt, p)
}

// Transcript runs a whole reconciliation of group g between sets a (the
// initiator) and b through the frame codec: every round is encoded, decoded
// and processed as a peer would. It returns the frames exchanged, in order,
// and what each side found the other lacks. Benchmarks, vectors and
// studies use it to measure the protocol as it crosses the wire.
func Transcript(g GroupID, a, b *reconcile.Set, salt uint64, p reconcile.Params) (rounds [][]byte, haveA, haveB []reconcile.Item, err error) {
	sets := [2]*reconcile.Set{a, b}
	have := [2][]reconcile.Item{}
	r := reconcile.Initiate(sets[0], salt, p)
	for turn := 1; ; turn++ {
		fb, err := EncodeFrame(&Frame{Reconcile: []GroupRound{{Group: g, Round: r}}})
		if err != nil {
			return nil, nil, nil, err
		}
		rounds = append(rounds, fb)
		f, err := DecodeFrame(fb)
		if err != nil {
			return nil, nil, nil, err
		}
		side := turn % 2
		out, h, err := reconcile.Process(sets[side], f.Reconcile[0].Round, p)
		if err != nil {
			return nil, nil, nil, err
		}
		have[side] = append(have[side], h...)
		if out.Done() {
			return rounds, have[0], have[1], nil
		}
		if turn > 64 {
			return nil, nil, nil, fmt.Errorf("no convergence after %d rounds", turn)
		}
		r = out
	}
}

func genReconcileCases() (any, error) {
	g := detID("group")
	var cases []reconcileCase
	for _, c := range []struct {
		name          string
		n, onlyA, onB int
		branch, thr   int
	}{
		{"equal", 40, 0, 0, 4, 4},
		{"a-has-one-more", 40, 1, 0, 4, 4},
		{"b-has-one-more", 40, 0, 1, 4, 4},
		{"both-differ", 60, 3, 5, 4, 4},
		{"b-empty", 0, 9, 0, 4, 4},
		{"default-params-one-diff", 300, 0, 1, 16, 16},
	} {
		common := detItems(c.name+"/common", c.n, 1_000_000)
		a := append(slices.Clone(common), detItems(c.name+"/a", c.onlyA, 1_000_000)...)
		b := append(slices.Clone(common), detItems(c.name+"/b", c.onB, 1_000_000)...)
		p := reconcile.DefaultParams()
		p.Branch, p.IDListThreshold = c.branch, c.thr
		salt := binary.BigEndian.Uint64(detBytes(c.name+"/salt", 8))
		rounds, ha, hb, err := transcript(g, a, b, salt, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		rc := reconcileCase{Name: c.name, Salt: salt, Branch: c.branch, Thresh: c.thr, Group: hex.EncodeToString(g[:]),
			A: itemsJSON(reconcile.NewSet(a).Items()), B: itemsJSON(reconcile.NewSet(b).Items()), Expect: expectValid}
		for _, r := range rounds {
			rc.Rounds = append(rc.Rounds, hex.EncodeToString(r))
		}
		rc.HaveA, rc.HaveB = idsHex(ha), idsHex(hb)
		cases = append(cases, rc)
	}
	return cases, nil
}

func idsHex(items []reconcile.Item) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, hex.EncodeToString(it.ID[:]))
	}
	sort.Strings(out)
	return out
}

func checkIDCase(c idCase) error {
	m, err := fromJSON(c.Message)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	id := m.ID()
	if got := hex.EncodeToString(id[:]); got != c.ID {
		return fmt.Errorf("%s: id %s, vector says %s", c.Name, got, c.ID)
	}
	fr, err := EncodeFrame(&Frame{Messages: []Message{m}})
	if got := classify(err); got != c.Expect {
		return fmt.Errorf("%s: encoding gives %s, vector expects %s", c.Name, got, c.Expect)
	}
	if err == nil && hex.EncodeToString(fr) != c.Frame {
		return fmt.Errorf("%s: frame %x, vector says %s", c.Name, fr, c.Frame)
	}
	return nil
}

func checkFrameCase(c frameCase) error {
	b, err := c.bytes()
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	f, err := DecodeFrame(b)
	if got := classify(err); got != c.Expect {
		return fmt.Errorf("%s: decoding gives %s, vector expects %s", c.Name, got, c.Expect)
	}
	if err == nil {
		re, err := EncodeFrame(f)
		if err != nil || !bytes.Equal(re, b) {
			return fmt.Errorf("%s: re-encoding gives %x (%v), not the golden bytes", c.Name, re, err)
		}
	}
	return nil
}

func checkHashCase(c hashCase) error {
	if c.Expect != expectValid {
		return fmt.Errorf("%s: hashes cannot fail; expect must be %q", c.Name, expectValid)
	}
	items, err := itemsFrom(c.Items)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	fp := reconcile.FingerprintOf(c.Salt, items)
	if got := hex.EncodeToString(fp[:]); got != c.Fingerprint {
		return fmt.Errorf("%s: fingerprint %s, vector says %s", c.Name, got, c.Fingerprint)
	}
	if len(c.ShortIDs) != len(items) {
		return fmt.Errorf("%s: %d short ids for %d items", c.Name, len(c.ShortIDs), len(items))
	}
	for i, it := range items {
		s := reconcile.ShortIDOf(c.Salt, it.ID)
		if got := hex.EncodeToString(s[:]); got != c.ShortIDs[i] {
			return fmt.Errorf("%s: short id %d is %s, vector says %s", c.Name, i, got, c.ShortIDs[i])
		}
	}
	return nil
}

func checkReconcileCase(c reconcileCase) error {
	a, err := itemsFrom(c.A)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	b, err := itemsFrom(c.B)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	g, err := hex32(c.Group)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	p := reconcile.DefaultParams()
	p.Branch, p.IDListThreshold = c.Branch, c.Thresh
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	rounds, ha, hb, err := transcript(g, a, b, c.Salt, p)
	if got := classify(err); got != c.Expect {
		return fmt.Errorf("%s: transcript gives %s, vector expects %s", c.Name, got, c.Expect)
	}
	if len(rounds) != len(c.Rounds) {
		return fmt.Errorf("%s: %d rounds, vector has %d", c.Name, len(rounds), len(c.Rounds))
	}
	for i, r := range rounds {
		if got := hex.EncodeToString(r); got != c.Rounds[i] {
			return fmt.Errorf("%s: round %d is %s, vector says %s", c.Name, i, got, c.Rounds[i])
		}
	}
	if !slices.Equal(idsHex(ha), c.HaveA) || !slices.Equal(idsHex(hb), c.HaveB) {
		return fmt.Errorf("%s: have sets differ from the vector", c.Name)
	}
	return nil
}
