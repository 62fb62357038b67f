package reconcile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
)

// String returns the specification's name of the mode.
func (m Mode) String() string {
	switch m {
	case ModeSkip:
		return "SKIP"
	case ModeFingerprint:
		return "FINGERPRINT"
	case ModeIDList:
		return "ID_LIST"
	case ModeNeed:
		return "NEED"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Done reports whether every range of r is SKIP: the sender has nothing more
// to say, and the round is not sent. A Round without ranges is Done too
// (it is malformed and would not be sent either).
func (r Round) Done() bool {
	for i := range r.Ranges {
		if r.Ranges[i].Mode != ModeSkip {
			return false
		}
	}
	return true
}

// Validate checks that r is well formed and within the limits of p. The
// salt is unrestricted. It returns an error wrapping ErrTooLarge when r has
// more than p.MaxRanges ranges or more than p.MaxIDs short ids in total, and
// one wrapping ErrMalformed, naming the range, when:
//   - r has no ranges;
//   - a range has an unknown mode;
//   - a SKIP or FINGERPRINT range carries short ids;
//   - an upper bound's prefix is longer than MaxPrefixLen or ends in a zero
//     byte (bounds are canonical: one key, one encoding);
//   - the upper bounds of ranges 0..k-2 are not strictly ascending by
//     Bound.Key;
//   - the last range's upper bound is not zero (Timestamp 0, empty Prefix).
func (r Round) Validate(p Params) error {
	n := len(r.Ranges)
	if n == 0 {
		return fmt.Errorf("%w: no ranges", ErrMalformed)
	}
	if n > p.MaxRanges {
		return fmt.Errorf("%w: %d ranges, limit %d", ErrTooLarge, n, p.MaxRanges)
	}
	ids := 0
	for i := range r.Ranges {
		ids += len(r.Ranges[i].IDs)
	}
	if ids > p.MaxIDs {
		return fmt.Errorf("%w: %d short ids, limit %d", ErrTooLarge, ids, p.MaxIDs)
	}
	var prev Item
	for i := range r.Ranges {
		rg := &r.Ranges[i]
		switch rg.Mode {
		case ModeSkip, ModeFingerprint:
			if len(rg.IDs) != 0 {
				return fmt.Errorf("%w: range %d: %v range carries %d short ids", ErrMalformed, i, rg.Mode, len(rg.IDs))
			}
		case ModeIDList, ModeNeed:
		default:
			return fmt.Errorf("%w: range %d: unknown mode %d", ErrMalformed, i, uint8(rg.Mode))
		}
		u := rg.Upper
		if i == n-1 {
			if u.Timestamp != 0 || len(u.Prefix) != 0 {
				return fmt.Errorf("%w: range %d: the last range's upper bound must be zero, is %v", ErrMalformed, i, fmtBound(u))
			}
			continue
		}
		if len(u.Prefix) > MaxPrefixLen {
			return fmt.Errorf("%w: range %d: upper bound prefix has %d bytes, at most %d", ErrMalformed, i, len(u.Prefix), MaxPrefixLen)
		}
		if l := len(u.Prefix); l > 0 && u.Prefix[l-1] == 0 {
			return fmt.Errorf("%w: range %d: upper bound prefix ends in a zero byte (not canonical)", ErrMalformed, i)
		}
		k := u.Key()
		if i > 0 && k.Compare(prev) <= 0 {
			return fmt.Errorf("%w: range %d: upper bound %v is not above range %d's", ErrMalformed, i, fmtBound(u), i-1)
		}
		prev = k
	}
	return nil
}

// fmtBound formats a bound for error messages (the bound is from the peer:
// its prefix is printed at most MaxPrefixLen bytes long).
func fmtBound(b Bound) string {
	p := b.Prefix
	if len(p) > MaxPrefixLen {
		return fmt.Sprintf("(%d, %x... %d bytes)", b.Timestamp, p[:MaxPrefixLen], len(p))
	}
	return fmt.Sprintf("(%d, %x)", b.Timestamp, p)
}

// Initiate returns the first round of a reconciliation of s under salt: one
// ID_LIST range with the short ids of all items if s holds at most
// p.IDListThreshold items, else p.Branch FINGERPRINT ranges of nearly equal
// item counts that cover the whole key space.
//
// p should be valid (see Params.Validate). Initiate never panics: for
// invalid p it returns a single FINGERPRINT range over the whole set, which
// every peer with valid Params accepts.
func Initiate(s *Set, salt uint64, p Params) Round {
	items := s.view()
	pr := processor{items: items, salt: salt, p: p, h: newHasher()}
	switch {
	case p.Validate() != nil:
		pr.out = append(pr.out, Range{Mode: ModeFingerprint, Fingerprint: pr.h.fingerprint(salt, items)})
	case len(items) <= p.IDListThreshold:
		pr.appendIDList(0, len(items), Bound{})
	default:
		pr.appendSplit(0, len(items), Bound{})
	}
	return Round{Salt: salt, Ranges: pr.out}
}

// Process answers the round in from a peer with the round out to send back,
// and returns the items of s that the peer lacks (have), as far as this
// round reveals them. If out.Done(), nothing is sent and the reconciliation
// is over on this side.
//
// Process returns an error wrapping ErrInvalidParams if p is invalid, or
// the error of in.Validate(p), and then no partial results. Otherwise out
// is valid under p (out.Validate(p) == nil) and out.Salt == in.Salt.
//
// Process keeps no state between rounds. An item may appear in have more
// than once over a session when a frame budget cut forces a range to be
// reconciled again; callers deduplicate.
func Process(s *Set, in Round, p Params) (out Round, have []Item, err error) {
	if err := p.Validate(); err != nil {
		return Round{}, nil, err
	}
	if err := in.Validate(p); err != nil {
		return Round{}, nil, err
	}
	items := s.view()
	pr := processor{items: items, salt: in.Salt, p: p, h: newHasher()}
	last := len(in.Ranges) - 1
	lo := 0 // index of the first own item >= the current lower bound
	for i := range in.Ranges {
		rg := &in.Ranges[i]
		hi := len(items)
		var upper Bound // zero for the last range: +inf
		if i < last {
			upper = rg.Upper
			hi = lo + lowerBound(items[lo:], upper.Key())
		}
		if !pr.answer(rg, lo, hi, upper, i == last) {
			// Frame budget exhausted: hand the rest of the key space back
			// as one FINGERPRINT range, so that the peer carries on with it
			// next round. The range starts at this range's lower bound,
			// which is the upper bound of the last range emitted.
			pr.out = append(pr.out, Range{Mode: ModeFingerprint, Fingerprint: pr.h.fingerprint(pr.salt, items[lo:])})
			break
		}
		lo = hi
	}
	return Round{Salt: in.Salt, Ranges: pr.out}, pr.have, nil
}

// processor builds one outgoing round from own items.
type processor struct {
	items []Item // own items, ascending
	salt  uint64
	p     Params
	h     *hasher

	out  []Range
	ids  int // short ids in out
	have []Item

	// scratch buffers, reused from range to range
	peer, mine []uint64
	emitted    []bool
}

// answer appends the answer to the incoming range rg, which holds own items
// items[lo:hi] and ends at upper (zero if last). It returns false, having
// changed nothing, if the answer does not fit the frame budget; a range that
// is not the last must leave room for the FINGERPRINT range of the
// remainder.
func (pr *processor) answer(rg *Range, lo, hi int, upper Bound, last bool) bool {
	own := pr.items[lo:hi]
	switch rg.Mode {
	case ModeSkip:
		return pr.appendSkip(upper, last)
	case ModeFingerprint:
		if pr.h.fingerprint(pr.salt, own) == rg.Fingerprint {
			return pr.appendSkip(upper, last)
		}
		if len(own) <= pr.p.IDListThreshold {
			if !pr.fits(1, len(own), last) {
				return false
			}
			pr.appendIDList(lo, hi, upper)
			return true
		}
		if !pr.fits(min(pr.p.Branch, len(own)), 0, last) {
			return false
		}
		pr.appendSplit(lo, hi, upper)
		return true
	case ModeIDList:
		return pr.answerIDList(rg.IDs, own, upper, last)
	case ModeNeed:
		if !pr.fits(pr.skipCost(), 0, last) {
			return false
		}
		pr.peer = appendSortedKeys(pr.peer[:0], rg.IDs)
		for i := range own {
			if _, ok := slices.BinarySearch(pr.peer, shortKey(pr.salt, own[i].ID)); ok {
				pr.have = append(pr.have, own[i])
			}
		}
		pr.appendSkip(upper, last)
		return true
	}
	return false // unreachable: in was validated
}

// answerIDList answers an ID_LIST range with the peer's short ids list:
// own items whose short id is not in list go to have, and the short ids of
// list that match no own item are asked for with a NEED range (each once,
// in list's order), or the range is skipped if there are none.
func (pr *processor) answerIDList(list []ShortID, own []Item, upper Bound, last bool) bool {
	if len(list) == 0 { // the peer has nothing here: no need to hash
		if !pr.appendSkip(upper, last) {
			return false
		}
		pr.have = append(pr.have, own...)
		return true
	}
	pr.peer = appendSortedKeys(pr.peer[:0], list)
	pr.mine = pr.mine[:0]
	mark := len(pr.have)
	for i := range own {
		k := shortKey(pr.salt, own[i].ID)
		pr.mine = append(pr.mine, k)
		if _, ok := slices.BinarySearch(pr.peer, k); !ok {
			pr.have = append(pr.have, own[i])
		}
	}
	slices.Sort(pr.mine)
	pr.emitted = slices.Grow(pr.emitted[:0], len(pr.peer))[:len(pr.peer)]
	clear(pr.emitted)
	var need []ShortID
	for _, id := range list {
		k := binary.BigEndian.Uint64(id[:])
		if _, ok := slices.BinarySearch(pr.mine, k); ok {
			continue
		}
		// BinarySearch finds the first of equal keys, so duplicates in
		// list share one flag.
		j, _ := slices.BinarySearch(pr.peer, k)
		if pr.emitted[j] {
			continue
		}
		pr.emitted[j] = true
		need = append(need, id)
	}
	if len(need) == 0 {
		if !pr.appendSkip(upper, last) {
			pr.have = pr.have[:mark]
			return false
		}
		return true
	}
	if !pr.fits(1, len(need), last) {
		pr.have = pr.have[:mark]
		return false
	}
	pr.out = append(pr.out, Range{Upper: cloneBound(upper), Mode: ModeNeed, IDs: need})
	pr.ids += len(need)
	return true
}

// fits reports whether ranges more ranges and ids more short ids fit the
// frame budget, keeping one range in reserve unless this is the last
// incoming range.
func (pr *processor) fits(ranges, ids int, last bool) bool {
	reserve := 1
	if last {
		reserve = 0
	}
	return len(pr.out)+ranges+reserve <= pr.p.MaxRanges && pr.ids+ids <= pr.p.MaxIDs
}

// skipCost is the number of ranges a SKIP adds: none if it merges into a
// SKIP before it.
func (pr *processor) skipCost() int {
	if n := len(pr.out); n > 0 && pr.out[n-1].Mode == ModeSkip {
		return 0
	}
	return 1
}

// appendSkip appends a SKIP range ending at upper, merged into a SKIP range
// before it, if it fits the frame budget.
func (pr *processor) appendSkip(upper Bound, last bool) bool {
	if !pr.fits(pr.skipCost(), 0, last) {
		return false
	}
	if n := len(pr.out); n > 0 && pr.out[n-1].Mode == ModeSkip {
		pr.out[n-1].Upper = cloneBound(upper)
		return true
	}
	pr.out = append(pr.out, Range{Upper: cloneBound(upper), Mode: ModeSkip})
	return true
}

// appendIDList appends an ID_LIST range ending at upper with the short ids
// of own items items[lo:hi], in ascending item order.
func (pr *processor) appendIDList(lo, hi int, upper Bound) {
	ids := make([]ShortID, 0, hi-lo)
	for i := lo; i < hi; i++ {
		ids = append(ids, ShortIDOf(pr.salt, pr.items[i].ID))
	}
	pr.out = append(pr.out, Range{Upper: cloneBound(upper), Mode: ModeIDList, IDs: ids})
	pr.ids += len(ids)
}

// appendSplit splits own items items[lo:hi] (hi-lo >= 1) into
// m = min(Branch, hi-lo) FINGERPRINT ranges: sub-range j holds items
// [lo + j*c/m, lo + (j+1)*c/m) with c = hi-lo, so every sub-range holds
// floor(c/m) or ceil(c/m) >= 1 items. Each boundary is splitBound of the
// items either side of it; the last sub-range ends at upper. Since the
// items lie in [lower, upper) and splitBound(a, b) is in (a, b], the new
// bounds are strictly ascending, above lower and below upper.
func (pr *processor) appendSplit(lo, hi int, upper Bound) {
	c := hi - lo
	m := min(pr.p.Branch, c)
	start := lo
	for j := 1; j <= m; j++ {
		end := lo + j*c/m
		ub := cloneBound(upper)
		if j < m {
			ub = splitBound(pr.items[end-1], pr.items[end])
		}
		pr.out = append(pr.out, Range{
			Upper:       ub,
			Mode:        ModeFingerprint,
			Fingerprint: pr.h.fingerprint(pr.salt, pr.items[start:end]),
		})
		start = end
	}
}

// splitBound returns the shortest bound whose key is > a and <= b, for
// a < b: Bound{b.Timestamp, nil} if the timestamps differ, else
// Bound{b.Timestamp, b.ID[:k+1]} where k is the length of the common prefix
// of a.ID and b.ID.
//
// The prefix never ends in a zero byte: as a < b with equal timestamps,
// k < IDSize and a.ID[k] < b.ID[k], so b.ID[k] >= 1. Its key is > a (equal
// up to byte k, greater at byte k) and <= b (b's bytes after k are >= the
// padding zeros).
func splitBound(a, b Item) Bound {
	if a.Timestamp != b.Timestamp {
		return Bound{Timestamp: b.Timestamp}
	}
	k := 0
	for k < IDSize-1 && a.ID[k] == b.ID[k] { // IDSize-1: a == b cannot occur in a Set
		k++
	}
	return Bound{Timestamp: b.Timestamp, Prefix: bytes.Clone(b.ID[:k+1])}
}

// cloneBound copies b's prefix, so that a round never aliases another's
// memory.
func cloneBound(b Bound) Bound {
	return Bound{Timestamp: b.Timestamp, Prefix: bytes.Clone(b.Prefix)}
}

// appendSortedKeys appends the short ids as big-endian integers to dst and
// sorts it.
func appendSortedKeys(dst []uint64, ids []ShortID) []uint64 {
	for i := range ids {
		dst = append(dst, binary.BigEndian.Uint64(ids[i][:]))
	}
	slices.Sort(dst)
	return dst
}
