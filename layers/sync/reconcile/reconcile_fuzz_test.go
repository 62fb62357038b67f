package reconcile

import (
	"encoding/binary"
	"errors"
	"reflect"
	"slices"
	"testing"
)

// The fuzz input format, decoded by decodeFuzzRound (an ad-hoc test format,
// not the wire format; missing bytes read as zero):
//
//	flags byte: bit 0 = tiny Params, bit 1 = zero the last range's bound
//	salt      u64be
//	ranges, until the input ends (at most fuzzMaxRanges):
//	  mode byte: m%8 in 0..3 = that mode; 4 = FINGERPRINT holding the correct
//	             fingerprint of the fuzz set's items in the range; else Mode(m)
//	  timestamp delta from the previous bound, uvarint
//	  prefix length byte (0..255), prefix bytes
//	  FINGERPRINT: 8 bytes
//	  ID_LIST, NEED, unknown: id count byte, then per id a byte x: x < 128 =
//	  the short id of the fuzz set's item x%len, else 8 raw bytes follow
const (
	fuzzTiny      = 1
	fuzzZeroLast  = 2
	fuzzModeRight = 4
	fuzzMaxRanges = 4096
)

func fuzzParams(flags byte) Params {
	if flags&fuzzTiny != 0 {
		return Params{Branch: 2, IDListThreshold: 2, MaxRanges: 5, MaxIDs: 4}
	}
	return DefaultParams()
}

// fuzzSet is the fixed set the fuzz target processes rounds against: 60
// items on 8 timestamps, with ids sharing prefixes of various lengths.
func fuzzSet() *Set {
	items := testItems(17, 60, 8)
	for i := range items {
		items[i].ID[0] = byte(i % 4)
		if i%3 == 0 {
			items[i].ID[1] = 0
			items[i].ID[2] = byte(i)
		}
	}
	return NewSet(items)
}

type fuzzReader struct{ data []byte }

func (r *fuzzReader) byte() byte {
	if len(r.data) == 0 {
		return 0
	}
	b := r.data[0]
	r.data = r.data[1:]
	return b
}

func (r *fuzzReader) bytes(n int) []byte {
	out := make([]byte, n)
	r.data = r.data[copy(out, r.data):]
	return out
}

func (r *fuzzReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.data)
	if n <= 0 {
		r.data = nil
		return 0
	}
	r.data = r.data[n:]
	return v
}

func decodeFuzzRound(data []byte, s *Set) (Round, Params) {
	r := &fuzzReader{data: data}
	flags := r.byte()
	round := Round{Salt: binary.BigEndian.Uint64(r.bytes(8))}
	items := s.Items()
	var ts uint64
	var right []int // ranges that get the correct fingerprint
	for len(r.data) > 0 && len(round.Ranges) < fuzzMaxRanges {
		var rg Range
		m := r.byte()
		switch {
		case m%8 < 4:
			rg.Mode = Mode(m % 8)
		case m%8 == fuzzModeRight:
			rg.Mode = ModeFingerprint
			right = append(right, len(round.Ranges))
		default:
			rg.Mode = Mode(m)
		}
		ts += r.uvarint()
		rg.Upper = Bound{Timestamp: ts, Prefix: r.bytes(int(r.byte()))}
		switch rg.Mode {
		case ModeFingerprint:
			copy(rg.Fingerprint[:], r.bytes(FingerprintSize))
		case ModeSkip:
		default:
			for range int(r.byte()) {
				var sid ShortID
				if x := r.byte(); x < 128 {
					sid = ShortIDOf(round.Salt, items[int(x)%len(items)].ID)
				} else {
					copy(sid[:], r.bytes(ShortIDSize))
				}
				rg.IDs = append(rg.IDs, sid)
			}
		}
		round.Ranges = append(round.Ranges, rg)
	}
	if n := len(round.Ranges); n > 0 && flags&fuzzZeroLast != 0 {
		round.Ranges[n-1].Upper = Bound{}
	}
	// Correct fingerprints, over the ranges as the bounds say (which may
	// not ascend: then the range is taken as empty).
	for _, i := range right {
		lo := 0
		if i > 0 {
			lo = lowerBound(items, round.Ranges[i-1].Upper.Key())
		}
		hi := len(items)
		if i < len(round.Ranges)-1 {
			hi = max(lo, lowerBound(items, round.Ranges[i].Upper.Key()))
		}
		round.Ranges[i].Fingerprint = FingerprintOf(round.Salt, items[lo:hi])
	}
	return round, fuzzParams(flags)
}

// encodeFuzzRound encodes r in the fuzz input format, with raw
// fingerprints and short ids.
func encodeFuzzRound(r Round, flags byte) []byte {
	out := []byte{flags &^ fuzzZeroLast}
	out = binary.BigEndian.AppendUint64(out, r.Salt)
	var ts uint64
	for _, rg := range r.Ranges {
		out = append(out, byte(rg.Mode))
		out = binary.AppendUvarint(out, rg.Upper.Timestamp-ts)
		ts = rg.Upper.Timestamp
		out = append(out, byte(len(rg.Upper.Prefix)))
		out = append(out, rg.Upper.Prefix...)
		switch rg.Mode {
		case ModeFingerprint:
			out = append(out, rg.Fingerprint[:]...)
		case ModeSkip:
		default:
			out = append(out, byte(len(rg.IDs)))
			for _, id := range rg.IDs {
				out = append(out, 0xff)
				out = append(out, id[:]...)
			}
		}
	}
	return out
}

// fuzzSeeds returns hand-built rounds (valid and malformed) and real rounds
// of a reconciliation against the fuzz set.
func fuzzSeeds(s *Set) [][]byte {
	items := s.Items()
	var seeds [][]byte
	add := func(flags byte, r Round) { seeds = append(seeds, encodeFuzzRound(r, flags)) }
	add(0, Round{Salt: 1, Ranges: []Range{{Mode: ModeSkip}}})
	add(0, Round{Salt: 2, Ranges: []Range{{Mode: ModeIDList}}})
	add(0, Round{Salt: 3, Ranges: []Range{{Mode: ModeFingerprint}}})
	add(fuzzTiny, Round{Salt: 3, Ranges: []Range{{Mode: ModeFingerprint}}})
	add(0, Round{Salt: 4, Ranges: []Range{
		{Upper: items[5].boundAt(), Mode: ModeIDList, IDs: []ShortID{ShortIDOf(4, items[1].ID), {9}}},
		{Upper: items[20].boundAt(), Mode: ModeNeed, IDs: []ShortID{ShortIDOf(4, items[7].ID)}},
		{Upper: Bound{Timestamp: 6}, Mode: ModeSkip},
		{Mode: ModeFingerprint, Fingerprint: FingerprintOf(4, items[lowerBound(items, Item{Timestamp: 6}):])},
	}})
	add(0, Round{Salt: 5, Ranges: []Range{{Upper: Bound{Timestamp: 1, Prefix: []byte{1, 0}}, Mode: ModeSkip}, {Mode: ModeSkip}}})
	add(0, Round{Salt: 5, Ranges: []Range{{Upper: Bound{Timestamp: 2}, Mode: ModeSkip}, {Upper: Bound{Timestamp: 1}, Mode: ModeSkip}, {Mode: ModeSkip}}})
	add(0, Round{Salt: 5, Ranges: []Range{{Mode: 7}}})
	// A hand-built seed with a correct fingerprint (mode byte 4).
	seeds = append(seeds, []byte{0, 0, 0, 0, 0, 0, 0, 0, 9, fuzzModeRight, 3, 0, byte(ModeIDList), 0, 0, 0})
	// Real rounds: a reconciliation of the fuzz set with a neighbour.
	other := NewSet(append(slices.Clone(items[10:]), testItems(18, 30, 8)...))
	for _, flags := range []byte{0, fuzzTiny} {
		p := fuzzParams(flags)
		r := Initiate(other, 77, p)
		sides := [2]*Set{s, other}
		for turn := 0; turn < 12 && !r.Done(); turn++ {
			add(flags, r)
			out, _, err := Process(sides[turn%2], r, p)
			if err != nil {
				break
			}
			r = out
		}
	}
	return seeds
}

func TestFuzzCodec(t *testing.T) {
	s := fuzzSet()
	seeds := fuzzSeeds(s)
	if len(seeds) < 10 {
		t.Fatalf("%d seeds", len(seeds))
	}
	valid := 0
	for _, seed := range seeds {
		in, p := decodeFuzzRound(seed, s)
		if in.Validate(p) == nil {
			valid++
		}
	}
	if valid < len(seeds)/2 {
		t.Fatalf("only %d of %d seeds are valid rounds", valid, len(seeds))
	}
	t.Logf("%d seeds, %d valid", len(seeds), valid)
	// Hand-built and real rounds survive the fuzz format unchanged.
	r := Initiate(s, 5, DefaultParams())
	got, _ := decodeFuzzRound(encodeFuzzRound(r, 0), s)
	if !reflect.DeepEqual(normalize(got), normalize(r)) {
		t.Fatalf("round trip:\n%s\n%s", dumpRound(got), dumpRound(r))
	}
}

// normalize maps nil and empty slices to nil, for comparisons.
func normalize(r Round) Round {
	r = cloneRound(r)
	for i := range r.Ranges {
		if len(r.Ranges[i].Upper.Prefix) == 0 {
			r.Ranges[i].Upper.Prefix = nil
		}
		if len(r.Ranges[i].IDs) == 0 {
			r.Ranges[i].IDs = nil
		}
	}
	return r
}

// FuzzProcess feeds arbitrary rounds to Process. Oracle: Process fails
// exactly when Validate does, with ErrMalformed or ErrTooLarge and no
// partial results; otherwise its answer is valid under the same Params,
// echoes the salt, is deterministic, leaves the input unchanged, and claims
// only items of the set, each once and in ascending order.
func FuzzProcess(f *testing.F) {
	s := fuzzSet()
	seeds := fuzzSeeds(s)
	if len(seeds) == 0 {
		f.Fatal("no seeds")
	}
	for _, seed := range seeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, p := decodeFuzzRound(data, s)
		snapshot := cloneRound(in)
		out, have, err := Process(s, in, p)
		verr := in.Validate(p)
		if (err == nil) != (verr == nil) {
			t.Fatalf("Process error %v, Validate error %v", err, verr)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unclassified error %v", err)
			}
			if out.Ranges != nil || have != nil {
				t.Fatal("partial results with an error")
			}
			return
		}
		if err := out.Validate(p); err != nil {
			t.Fatalf("invalid answer: %v\nin:\n%s\nout:\n%s", err, dumpRound(in), dumpRound(out))
		}
		if out.Salt != in.Salt {
			t.Fatal("salt not echoed")
		}
		for i, it := range have {
			if !s.Has(it) {
				t.Fatalf("have[%d] not in the set", i)
			}
			if i > 0 && have[i-1].Compare(it) >= 0 {
				t.Fatalf("have not strictly ascending at %d", i)
			}
		}
		if !reflect.DeepEqual(in, snapshot) {
			t.Fatal("Process modified its input")
		}
		out2, have2, _ := Process(s, in, p)
		if !reflect.DeepEqual(out, out2) || !reflect.DeepEqual(have, have2) {
			t.Fatal("Process is not deterministic")
		}
	})
}
