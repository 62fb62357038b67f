package reconcile

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func id(b ...byte) ID {
	var x ID
	copy(x[:], b)
	return x
}

// idTail returns an id of zeros with the given bytes at the end.
func idTail(b ...byte) ID {
	var x ID
	copy(x[IDSize-len(b):], b)
	return x
}

func TestSplitBound(t *testing.T) {
	tests := []struct {
		name string
		a, b Item
		want Bound
	}{
		{"timestamps differ", Item{1, id(0xff)}, Item{2, id(0x01)}, Bound{Timestamp: 2}},
		{"timestamps differ, b id zero", Item{1, id(0xff)}, Item{2, ID{}}, Bound{Timestamp: 2}},
		{"first byte differs", Item{5, id(0x10, 0xff)}, Item{5, id(0x20, 0x00, 0x01)}, Bound{5, []byte{0x20}}},
		{"a is zero id", Item{5, ID{}}, Item{5, id(0x00, 0x01)}, Bound{5, []byte{0x00, 0x01}}},
		{"prefix 31 common", Item{5, idTail(0x01)}, Item{5, idTail(0x02)}, Bound{5, append(make([]byte, 31), 0x02)}},
		{"b shorter key", Item{5, id(0x01, 0xff, 0xff)}, Item{5, id(0x02)}, Bound{5, []byte{0x02}}},
		{"inner zeros kept", Item{5, id(0x00, 0x00, 0x07)}, Item{5, id(0x00, 0x00, 0x08, 0x00, 0x09)}, Bound{5, []byte{0, 0, 0x08}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := splitBound(tc.a, tc.b)
			if got.Timestamp != tc.want.Timestamp || !bytes.Equal(got.Prefix, tc.want.Prefix) {
				t.Fatalf("splitBound = %v, want %v", fmtBound(got), fmtBound(tc.want))
			}
			checkSplitBound(t, tc.a, tc.b, got)
		})
	}
	// Property: for random a < b, the bound is canonical, in (a, b], and
	// no shorter prefix is.
	r := rand.New(rand.NewPCG(7, 7))
	for range 10000 {
		a, b := randItem(r, 3), randItem(r, 3)
		if r.IntN(2) == 0 { // share a random-length id prefix
			b.Timestamp = a.Timestamp
			copy(b.ID[:r.IntN(IDSize)], a.ID[:])
		}
		switch a.Compare(b) {
		case 0:
			continue
		case 1:
			a, b = b, a
		}
		checkSplitBound(t, a, b, splitBound(a, b))
	}
}

func checkSplitBound(t *testing.T, a, b Item, got Bound) {
	t.Helper()
	if n := len(got.Prefix); n > MaxPrefixLen || (n > 0 && got.Prefix[n-1] == 0) {
		t.Fatalf("bound %v not canonical", fmtBound(got))
	}
	if k := got.Key(); k.Compare(a) <= 0 || k.Compare(b) > 0 {
		t.Fatalf("bound %v not in (a, b] for a=%v b=%v", fmtBound(got), a, b)
	}
	if n := len(got.Prefix); n > 0 {
		shorter := Bound{got.Timestamp, got.Prefix[:n-1]}
		if shorter.Key().Compare(a) > 0 {
			t.Fatalf("bound %v is not the shortest", fmtBound(got))
		}
	}
}

func TestRoundValidate(t *testing.T) {
	p := Params{Branch: 2, IDListThreshold: 2, MaxRanges: 4, MaxIDs: 3}
	fp := func(u Bound) Range { return Range{Upper: u, Mode: ModeFingerprint} }
	skip := func(u Bound) Range { return Range{Upper: u, Mode: ModeSkip} }
	list := func(u Bound, n int) Range { return Range{Upper: u, Mode: ModeIDList, IDs: make([]ShortID, n)} }
	need := func(u Bound, n int) Range { return Range{Upper: u, Mode: ModeNeed, IDs: make([]ShortID, n)} }
	b := func(ts uint64, prefix ...byte) Bound { return Bound{Timestamp: ts, Prefix: prefix} }
	tests := []struct {
		name   string
		ranges []Range
		want   error
	}{
		{"one skip", []Range{skip(Bound{})}, nil},
		{"one empty id list", []Range{list(Bound{}, 0)}, nil},
		{"empty last prefix", []Range{skip(Bound{Prefix: []byte{}})}, nil},
		{"mixed", []Range{fp(b(1)), list(b(1, 5), 1), need(b(2, 0, 1), 2), skip(Bound{})}, nil},
		{"max ids", []Range{list(b(1), 2), need(Bound{}, 1)}, nil},
		{"prefix 32", []Range{fp(b(1, bytes.Repeat([]byte{1}, 32)...)), fp(Bound{})}, nil},
		{"first bound at least key", []Range{skip(b(0)), fp(Bound{})}, nil},
		{"salt ignored", []Range{fp(Bound{})}, nil},

		{"no ranges", nil, ErrMalformed},
		{"empty ranges", []Range{}, ErrMalformed},
		{"too many ranges", []Range{fp(b(1)), fp(b(2)), fp(b(3)), fp(b(4)), fp(Bound{})}, ErrTooLarge},
		{"too many ids", []Range{list(b(1), 2), need(Bound{}, 2)}, ErrTooLarge},
		{"unknown mode 4", []Range{{Mode: 4}}, ErrMalformed},
		{"unknown mode 255", []Range{fp(b(1)), {Mode: 255}}, ErrMalformed},
		{"skip with ids", []Range{{Mode: ModeSkip, IDs: make([]ShortID, 1)}}, ErrMalformed},
		{"fingerprint with ids", []Range{{Upper: b(1), Mode: ModeFingerprint, IDs: make([]ShortID, 1)}, fp(Bound{})}, ErrMalformed},
		{"prefix 33", []Range{fp(b(1, bytes.Repeat([]byte{1}, 33)...)), fp(Bound{})}, ErrMalformed},
		{"trailing zero", []Range{fp(b(1, 1, 0)), fp(Bound{})}, ErrMalformed},
		{"lone zero prefix", []Range{fp(b(1, 0)), fp(Bound{})}, ErrMalformed},
		{"equal bounds", []Range{fp(b(1)), fp(b(1)), fp(Bound{})}, ErrMalformed},
		{"equal bounds with prefix", []Range{fp(b(1, 7)), fp(b(1, 7)), fp(Bound{})}, ErrMalformed},
		{"descending timestamps", []Range{fp(b(2)), fp(b(1)), fp(Bound{})}, ErrMalformed},
		{"descending prefixes", []Range{fp(b(2, 2)), fp(b(2, 1, 9)), fp(Bound{})}, ErrMalformed},
		{"last upper timestamp", []Range{fp(b(1)), fp(b(2))}, ErrMalformed},
		{"last upper prefix", []Range{fp(b(0, 1))}, ErrMalformed},
		{"last upper zero prefix", []Range{fp(b(0, 0))}, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Round{Salt: 99, Ranges: tc.ranges}.Validate(p)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Validate = %v, want %v", err, tc.want)
			}
			// Process rejects what Validate rejects, with no partial
			// results.
			out, have, perr := Process(NewSet(testItems(1, 10, 3)), Round{Ranges: tc.ranges}, p)
			if !errors.Is(perr, tc.want) || out.Ranges != nil || have != nil {
				t.Fatalf("Process = %v, %v, %v; want %v and nothing else", out, have, perr, tc.want)
			}
		})
	}
}

func TestDone(t *testing.T) {
	if !(Round{Ranges: []Range{{Mode: ModeSkip}}}).Done() {
		t.Error("single SKIP not done")
	}
	if (Round{Ranges: []Range{{Mode: ModeSkip, Upper: Bound{Timestamp: 1}}, {Mode: ModeIDList}}}).Done() {
		t.Error("empty ID_LIST is not done: it tells the peer to send its items")
	}
}

func TestProcessInvalidParams(t *testing.T) {
	in := Round{Ranges: []Range{{Mode: ModeSkip}}}
	_, _, err := Process(nil, in, Params{Branch: 1})
	if !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("Process with bad params = %v", err)
	}
	// Initiate does not panic and stays valid for the peer.
	for _, p := range []Params{{}, {Branch: 1, IDListThreshold: 0}, {Branch: 300, MaxRanges: 1}} {
		r := Initiate(NewSet(testItems(1, 100, 10)), 5, p)
		if err := r.Validate(DefaultParams()); err != nil {
			t.Fatalf("Initiate(%+v) = invalid round: %v", p, err)
		}
	}
}

func TestProcessNilSet(t *testing.T) {
	p := DefaultParams()
	a := NewSet(testItems(1, 100, 10))
	out, have, err := Process(nil, Initiate(a, 1, p), p)
	if err != nil || len(have) != 0 || len(out.Ranges) != p.Branch {
		t.Fatalf("nil set answers %s, %v, %v", dumpRound(out), have, err)
	}
	for i, rg := range out.Ranges { // an empty ID_LIST for every range
		if rg.Mode != ModeIDList || len(rg.IDs) != 0 {
			t.Fatalf("range %d: %s", i, dumpRound(out))
		}
	}
	_, have, err = Process(a, out, p)
	if err != nil || !slices.Equal(have, a.Items()) {
		t.Fatalf("empty ID_LIST: have %d items, %v", len(have), err)
	}
}

func TestInitiate(t *testing.T) {
	p := DefaultParams()
	for _, n := range []int{0, 1, 16, 17, 31, 32, 33, 1000} {
		s := NewSet(testItems(uint64(n), n, uint64(n/3+1)))
		r := Initiate(s, 11, p)
		if err := r.Validate(p); err != nil {
			t.Fatalf("n=%d: invalid: %v", n, err)
		}
		if r.Salt != 11 {
			t.Fatalf("salt %d", r.Salt)
		}
		if n <= p.IDListThreshold {
			if len(r.Ranges) != 1 || r.Ranges[0].Mode != ModeIDList || len(r.Ranges[0].IDs) != n {
				t.Fatalf("n=%d: want one ID_LIST of %d, got %+v", n, n, r)
			}
			for i, it := range s.Items() {
				if r.Ranges[0].IDs[i] != ShortIDOf(11, it.ID) {
					t.Fatalf("n=%d: id %d", n, i)
				}
			}
			continue
		}
		if len(r.Ranges) != p.Branch {
			t.Fatalf("n=%d: %d ranges, want %d", n, len(r.Ranges), p.Branch)
		}
		counts := checkFingerprints(t, s, r)
		lo, hi := slices.Min(counts), slices.Max(counts)
		if hi-lo > 1 || lo < 1 {
			t.Fatalf("n=%d: uneven split %v", n, counts)
		}
	}
}

// checkFingerprints checks that every FINGERPRINT range of r holds the
// fingerprint of s's items in it, and returns the item counts of all ranges.
func checkFingerprints(t *testing.T, s *Set, r Round) []int {
	t.Helper()
	items := s.Items()
	var counts []int
	lo := 0
	for i, rg := range r.Ranges {
		hi := len(items)
		if i < len(r.Ranges)-1 {
			hi = lowerBound(items, rg.Upper.Key())
		}
		if rg.Mode == ModeFingerprint && rg.Fingerprint != FingerprintOf(r.Salt, items[lo:hi]) {
			t.Fatalf("range %d: wrong fingerprint", i)
		}
		counts = append(counts, hi-lo)
		lo = hi
	}
	return counts
}

func TestProcessModes(t *testing.T) {
	p := Params{Branch: 4, IDListThreshold: 3, MaxRanges: 64, MaxIDs: 64}
	const salt = 77
	// Items at timestamps 10..29, one per timestamp.
	var all []Item
	for ts := uint64(10); ts < 30; ts++ {
		all = append(all, Item{ts, id(byte(ts), 1)})
	}
	s := NewSet(all)
	sid := func(i int) ShortID { return ShortIDOf(salt, all[i-10].ID) }
	b := func(ts uint64) Bound { return Bound{Timestamp: ts} }
	fpOf := func(from, to uint64) Fingerprint { return FingerprintOf(salt, all[from-10:to-10]) }
	stranger := ShortIDOf(salt, id(0xee))

	in := Round{Salt: salt, Ranges: []Range{
		{Upper: b(12), Mode: ModeSkip},                                   // [0,12): SKIP
		{Upper: b(14), Mode: ModeFingerprint, Fingerprint: fpOf(12, 14)}, // equal: SKIP (merged)
		{Upper: b(16), Mode: ModeFingerprint},                            // differs, 2 items: ID_LIST
		{Upper: b(19), Mode: ModeIDList, IDs: []ShortID{sid(17), stranger, sid(16), stranger}},
		{Upper: b(21), Mode: ModeIDList, IDs: []ShortID{sid(19), sid(20)}}, // all known: SKIP
		{Upper: b(24), Mode: ModeNeed, IDs: []ShortID{sid(23), stranger, sid(21)}},
		{Upper: b(25), Mode: ModeSkip},
		{Mode: ModeFingerprint}, // [25, inf): 5 items > 3: split into 4
	}}
	out, have, err := Process(s, in, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Validate(p); err != nil {
		t.Fatal(err)
	}
	want := []Range{
		{Upper: b(14), Mode: ModeSkip}, // [0,12) SKIP + [12,14) equal
		{Upper: b(16), Mode: ModeIDList, IDs: []ShortID{sid(14), sid(15)}},
		{Upper: b(19), Mode: ModeNeed, IDs: []ShortID{stranger}}, // once, though listed twice
		// [19,21) all known, [21,24) NEED answered, [24,25) SKIP: merged.
		{Upper: b(25), Mode: ModeSkip},
		// Own items 25..29: 5 items split 4 ways: [25] [26] [27] [28 29].
		{Upper: b(26), Mode: ModeFingerprint, Fingerprint: fpOf(25, 26)},
		{Upper: b(27), Mode: ModeFingerprint, Fingerprint: fpOf(26, 27)},
		{Upper: b(28), Mode: ModeFingerprint, Fingerprint: fpOf(27, 28)},
		{Mode: ModeFingerprint, Fingerprint: fpOf(28, 30)},
	}
	if !reflect.DeepEqual(out.Ranges, want) {
		t.Errorf("out:\n%s\nwant:\n%s", dumpRound(Round{Ranges: out.Ranges}), dumpRound(Round{Ranges: want}))
	}
	// have: 18 (not in the ID_LIST), then 21 and 23 (asked for).
	wantHave := []Item{all[18-10], all[21-10], all[23-10]}
	if !reflect.DeepEqual(have, wantHave) {
		t.Errorf("have = %v, want %v", have, wantHave)
	}
	if out.Salt != salt {
		t.Error("salt not echoed")
	}
}

func TestProcessMergesSkips(t *testing.T) {
	p := DefaultParams()
	s := NewSet(testItems(5, 1000, 100))
	in := Initiate(s, 3, p)
	out, have, err := Process(s, in, p)
	if err != nil || len(have) != 0 {
		t.Fatal(err, have)
	}
	if len(out.Ranges) != 1 || !out.Done() || out.Ranges[0].Upper.Timestamp != 0 || out.Ranges[0].Upper.Prefix != nil {
		t.Fatalf("equal sets: want one SKIP, got %s", dumpRound(out))
	}
}

// TestProcessBudget checks the frame budget cut: a round of differing
// fingerprints that would need more ranges than allowed is answered with
// what fits and one FINGERPRINT range over the rest.
func TestProcessBudget(t *testing.T) {
	p := Params{Branch: 4, IDListThreshold: 1, MaxRanges: 6, MaxIDs: 2}
	const salt = 9
	s := NewSet(testItems(6, 400, 1000))
	items := s.Items()
	in := Initiate(NewSet(testItems(60, 400, 1000)), salt, p) // 4 differing ranges
	out, have, err := Process(s, in, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(have) != 0 {
		t.Fatal("have from fingerprints")
	}
	if err := out.Validate(p); err != nil {
		t.Fatal(err)
	}
	// The first range splits into 4; the second would add 4 more: cut.
	if len(out.Ranges) != 5 {
		t.Fatalf("want 4 + 1 ranges, got %s", dumpRound(out))
	}
	lo := lowerBound(items, in.Ranges[0].Upper.Key())
	if got := out.Ranges[4]; got.Mode != ModeFingerprint || got.Fingerprint != FingerprintOf(salt, items[lo:]) {
		t.Fatalf("remainder: %s", dumpRound(out))
	}
	checkFingerprints(t, s, out)

	// The ID budget: three ID_LIST answers of one id each do not fit 2.
	small := Round{Salt: salt, Ranges: []Range{
		{Upper: items[1].boundAt(), Mode: ModeFingerprint},
		{Upper: items[2].boundAt(), Mode: ModeFingerprint},
		{Upper: items[3].boundAt(), Mode: ModeFingerprint},
		{Mode: ModeSkip},
	}}
	if err := small.Validate(p); err != nil {
		t.Fatal(err)
	}
	out, _, err = Process(s, small, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Ranges) != 3 || out.Ranges[1].Mode != ModeIDList || out.Ranges[2].Mode != ModeFingerprint ||
		out.Ranges[2].Fingerprint != FingerprintOf(salt, items[2:]) {
		t.Fatalf("id budget: %s", dumpRound(out))
	}
	// An ID_LIST answer (have) is not taken when its NEED does not fit:
	// the first range is answered with an ID_LIST of 1 id, the second would
	// ask for 2 more.
	l := Round{Salt: salt, Ranges: []Range{
		{Upper: items[1].boundAt(), Mode: ModeFingerprint},
		{Upper: items[11].boundAt(), Mode: ModeIDList, IDs: []ShortID{{1}, {2}}},
		{Mode: ModeSkip},
	}}
	out, have, err = Process(s, l, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(have) != 0 || len(out.Ranges) != 2 || out.Ranges[0].Mode != ModeIDList ||
		out.Ranges[1].Mode != ModeFingerprint || out.Ranges[1].Fingerprint != FingerprintOf(salt, items[1:]) {
		t.Fatalf("have %d, out %s", len(have), dumpRound(out))
	}
}

// boundAt returns the bound whose key is it (its id with trailing zeros
// dropped).
func (it Item) boundAt() Bound {
	return Bound{Timestamp: it.Timestamp, Prefix: bytes.TrimRight(bytes.Clone(it.ID[:]), "\x00")}
}

func dumpRound(r Round) string {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "salt %d, %d ranges\n", r.Salt, len(r.Ranges))
	for i, rg := range r.Ranges {
		fmt.Fprintf(&buf, "  %d: < %v %v fp=%x ids=%d\n", i, fmtBound(rg.Upper), rg.Mode, rg.Fingerprint, len(rg.IDs))
	}
	return buf.String()
}

// syncResult is the transcript summary of one reconciliation.
type syncResult struct {
	haveA, haveB []Item
	msgs         int // rounds sent
	rounds       []Round
}

// runSync runs the protocol between a (initiator) and b until a Done round,
// checking every round sent, and fails after maxMsgs rounds.
func runSync(t testing.TB, a, b *Set, salt uint64, p Params, maxMsgs int) syncResult {
	t.Helper()
	var res syncResult
	r := Initiate(a, salt, p)
	sides := [2]*Set{b, a}
	haves := [2]*[]Item{&res.haveB, &res.haveA}
	for turn := 0; ; turn++ {
		if err := r.Validate(p); err != nil {
			t.Fatalf("round %d invalid: %v", res.msgs, err)
		}
		if r.Salt != salt {
			t.Fatalf("round %d: salt %d", res.msgs, r.Salt)
		}
		res.msgs++
		res.rounds = append(res.rounds, r)
		if res.msgs > maxMsgs {
			t.Fatalf("no convergence after %d rounds", maxMsgs)
		}
		out, have, err := Process(sides[turn%2], r, p)
		if err != nil {
			t.Fatalf("round %d: %v", res.msgs, err)
		}
		*haves[turn%2] = append(*haves[turn%2], have...)
		if out.Done() {
			return res
		}
		r = out
	}
}

// sameItems reports whether got, as a set, equals want.
func sameItems(got, want []Item) bool {
	return slices.Equal(NewSet(got).Items(), NewSet(want).Items())
}

// diffSets returns sets a = base ∪ onlyA, b = base ∪ onlyB.
func diffSets(seed uint64, n, dA, dB int, tsRange uint64) (a, b *Set, onlyA, onlyB []Item) {
	all := NewSet(testItems(seed, n+dA+dB, tsRange)).Items() // distinct
	r := rand.New(rand.NewPCG(seed, 1))
	all = slices.Clone(all)
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	base, onlyA, onlyB := all[:len(all)-dA-dB], all[len(all)-dA-dB:len(all)-dB], all[len(all)-dB:]
	return NewSet(append(slices.Clone(base), onlyA...)), NewSet(append(slices.Clone(base), onlyB...)), onlyA, onlyB
}

func TestConvergence(t *testing.T) {
	p := DefaultParams()
	for _, n := range []int{0, 1, 15, 16, 17, 1000, 100000} {
		for _, d := range []int{0, 1, 10, 100} {
			for _, side := range []string{"A", "B", "both"} {
				dA, dB := d, d
				switch side {
				case "A":
					dB = 0
				case "B":
					dA = 0
				}
				name := fmt.Sprintf("n=%d/d=%d/extra=%s", n, d, side)
				t.Run(name, func(t *testing.T) {
					seed := uint64(n*1000 + d*10 + dA%7 + 3*(dB%5))
					a, b, onlyA, onlyB := diffSets(seed, n, dA, dB, uint64(n/2+1))
					res := runSync(t, a, b, seed, p, 40)
					if !sameItems(res.haveA, onlyA) {
						t.Errorf("haveA: %d items, want %d", len(res.haveA), len(onlyA))
					}
					if !sameItems(res.haveB, onlyB) {
						t.Errorf("haveB: %d items, want %d", len(res.haveB), len(onlyB))
					}
					if n == 100000 && d == 1 && res.msgs > 6 {
						t.Errorf("%d messages, want at most 6", res.msgs)
					}
					t.Logf("%d messages", res.msgs)
				})
			}
		}
	}
}

// TestConvergenceLongPrefixes uses one timestamp and ids that share 30
// bytes, so that bounds carry prefixes of up to 32 bytes.
func TestConvergenceLongPrefixes(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	var all []Item
	for range 3000 {
		all = append(all, Item{Timestamp: 42, ID: idTail(byte(r.IntN(256)), byte(r.IntN(256)))})
	}
	all = NewSet(all).Items()
	for _, p := range []Params{DefaultParams(), {Branch: 2, IDListThreshold: 1, MaxRanges: 4, MaxIDs: 1}} {
		a, b := NewSet(nil), NewSet(nil)
		var onlyA, onlyB []Item
		for i, it := range all {
			switch i % 50 {
			case 0:
				a.Insert(it)
				onlyA = append(onlyA, it)
			case 1:
				b.Insert(it)
				onlyB = append(onlyB, it)
			default:
				a.Insert(it)
				b.Insert(it)
			}
		}
		res := runSync(t, a, b, 1, p, 100000)
		if !sameItems(res.haveA, onlyA) || !sameItems(res.haveB, onlyB) {
			t.Fatalf("%+v: wrong have", p)
		}
		maxPrefix := 0
		for _, r := range res.rounds {
			for _, rg := range r.Ranges {
				maxPrefix = max(maxPrefix, len(rg.Upper.Prefix))
			}
		}
		if maxPrefix != IDSize {
			t.Errorf("%+v: longest prefix %d, want %d", p, maxPrefix, IDSize)
		}
		t.Logf("%+v: %d messages", p, res.msgs)
	}
}

// TestConvergenceTinyLimits runs with budgets so small that most rounds are
// cut, and checks that the protocol still converges.
func TestConvergenceTinyLimits(t *testing.T) {
	for _, p := range []Params{
		{Branch: 2, IDListThreshold: 1, MaxRanges: 4, MaxIDs: 1},
		{Branch: 4, IDListThreshold: 2, MaxRanges: 6, MaxIDs: 3},
		{Branch: 16, IDListThreshold: 16, MaxRanges: 18, MaxIDs: 16},
	} {
		for _, tc := range []struct{ n, dA, dB int }{{1000, 10, 10}, {1000, 0, 30}, {100, 100, 0}, {3000, 20, 20}} {
			t.Run(fmt.Sprintf("%+v/%v", p, tc), func(t *testing.T) {
				a, b, onlyA, onlyB := diffSets(uint64(tc.n+tc.dA), tc.n, tc.dA, tc.dB, uint64(tc.n))
				res := runSync(t, a, b, 5, p, 100000)
				if !sameItems(res.haveA, onlyA) || !sameItems(res.haveB, onlyB) {
					t.Fatalf("have: %d/%d items, want %d/%d", len(res.haveA), len(res.haveB), len(onlyA), len(onlyB))
				}
				cut := 0
				for _, r := range res.rounds {
					if len(r.Ranges) >= p.MaxRanges-1 {
						cut++
					}
				}
				t.Logf("%d messages (%d at the range budget), have %d+%d (with repeats)",
					res.msgs, cut, len(res.haveA), len(res.haveB))
			})
		}
	}
}

func TestDeterminism(t *testing.T) {
	p := DefaultParams()
	run := func() syncResult {
		a, b, _, _ := diffSets(99, 5000, 30, 30, 1000)
		return runSync(t, a, b, 1234, p, 40)
	}
	r1, r2 := run(), run()
	if !reflect.DeepEqual(r1, r2) {
		t.Fatal("two runs on the same inputs differ")
	}
	// Process does not modify its input round.
	a, b, _, _ := diffSets(99, 5000, 30, 30, 1000)
	in := Initiate(a, 1, p)
	out1, _, _ := Process(b, in, p)
	snapshot := cloneRound(out1)
	out2, _, _ := Process(a, out1, p)
	if !reflect.DeepEqual(out1, snapshot) {
		t.Fatal("Process modified its input")
	}
	out3, _, _ := Process(a, snapshot, p)
	if !reflect.DeepEqual(out2, out3) {
		t.Fatal("Process is not deterministic")
	}
}

func cloneRound(r Round) Round {
	c := Round{Salt: r.Salt, Ranges: slices.Clone(r.Ranges)}
	for i := range c.Ranges {
		c.Ranges[i].Upper.Prefix = bytes.Clone(c.Ranges[i].Upper.Prefix)
		c.Ranges[i].IDs = slices.Clone(c.Ranges[i].IDs)
	}
	return c
}

func BenchmarkProcessN(b *testing.B) {
	p := DefaultParams()
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			a, s, _, _ := diffSets(uint64(n), n, 1, 0, uint64(n))
			in := Initiate(a, 1, p)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, _, err := Process(s, in, p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
