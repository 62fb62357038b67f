package sphinx

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sync"
)

// ReplayFilter is a node's per-epoch Bloom filter of replay tags (SPEC.md,
// "Replay protection"). It is sized from the number of packets n the node
// expects per epoch and a target false-positive rate p:
//
//	m = ⌈−n·ln p / (ln 2)²⌉ bits, rounded up to a multiple of 64
//	k = max(1, round((m/n)·ln 2)) hash functions
//
// and after n insertions its false-positive rate is (1 − e^(−k·n/m))^k,
// which FalsePositiveRate reports (at most p, up to rounding of k). A
// false positive drops an honest packet as a replay; nothing else goes
// wrong. Insertions beyond n raise the rate; Count tells how many there
// were. The filter belongs to one key epoch: Rotate clears it when the
// node moves to the next epoch's key. It is safe for concurrent use.
type ReplayFilter struct {
	mu       sync.Mutex
	epoch    uint64
	words    []uint64
	m        uint64
	k        int
	expected uint64
	count    uint64
}

// Replay-filter bounds.
const (
	// MaxReplayFilterBits bounds a filter's memory (4 GiB).
	MaxReplayFilterBits = 1 << 35
	// MinReplayFPRate and MaxReplayFPRate bound the target rate.
	MinReplayFPRate = 1e-15
	MaxReplayFPRate = 0.5
)

// ReplayFilterSize returns the size m (bits) and hash count k of a filter
// for n expected packets at false-positive rate p, and the false-positive
// rate those reach after n insertions.
func ReplayFilterSize(n uint64, p float64) (m uint64, k int, achieved float64, err error) {
	if n < 1 {
		return 0, 0, 0, fmt.Errorf("%w: expected packets must be at least 1", ErrBadReplayFilter)
	}
	if !(p >= MinReplayFPRate && p <= MaxReplayFPRate) {
		return 0, 0, 0, fmt.Errorf("%w: false-positive rate %g out of range %g..%g", ErrBadReplayFilter, p, MinReplayFPRate, MaxReplayFPRate)
	}
	bitsF := math.Ceil(-float64(n) * math.Log(p) / (math.Ln2 * math.Ln2))
	if bitsF > MaxReplayFilterBits {
		return 0, 0, 0, fmt.Errorf("%w: %d packets at rate %g need %.0f bits, more than %d", ErrBadReplayFilter, n, p, bitsF, uint64(MaxReplayFilterBits))
	}
	m = (uint64(bitsF) + 63) &^ 63
	k = max(1, int(math.Round(float64(m)/float64(n)*math.Ln2)))
	return m, k, fpRate(m, k, n), nil
}

func fpRate(m uint64, k int, n uint64) float64 {
	return math.Pow(1-math.Exp(-float64(k)*float64(n)/float64(m)), float64(k))
}

// NewReplayFilter returns an empty filter for epoch, sized by
// ReplayFilterSize(expected, fpRate).
func NewReplayFilter(epoch uint64, expected uint64, fpRate float64) (*ReplayFilter, error) {
	m, k, _, err := ReplayFilterSize(expected, fpRate)
	if err != nil {
		return nil, err
	}
	return &ReplayFilter{epoch: epoch, words: make([]uint64, m/64), m: m, k: k, expected: expected}, nil
}

// Epoch is the key epoch the filter belongs to.
func (f *ReplayFilter) Epoch() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.epoch
}

// Rotate empties the filter and assigns it to epoch, the epoch of the
// node's next key.
func (f *ReplayFilter) Rotate(epoch uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.words)
	f.epoch, f.count = epoch, 0
}

// Bits is the filter size m in bits; Hashes the number k of bits per tag.
func (f *ReplayFilter) Bits() uint64 { return f.m }

// Hashes is the number k of bits set per tag.
func (f *ReplayFilter) Hashes() int { return f.k }

// Expected is the number of packets per epoch the filter was sized for.
func (f *ReplayFilter) Expected() uint64 { return f.expected }

// Count is the number of tags recorded since the last rotation.
func (f *ReplayFilter) Count() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count
}

// FalsePositiveRate is the filter's false-positive rate after Expected
// insertions: (1 − e^(−k·n/m))^k.
func (f *ReplayFilter) FalsePositiveRate() float64 { return fpRate(f.m, f.k, f.expected) }

// record records tag for a packet of a key of epoch: ErrReplay when it
// was (probably) recorded before, ErrWrongEpoch when the filter has been
// rotated to another epoch.
func (f *ReplayFilter) record(tag *[ReplayTagSize]byte, epoch uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.epoch != epoch {
		return fmt.Errorf("%w: the replay filter was rotated to epoch %d, the key is of epoch %d", ErrWrongEpoch, f.epoch, epoch)
	}
	if f.lookupLocked(tag, true) {
		return ErrReplay
	}
	return nil
}

// seen records tag and reports whether it was (probably) recorded before.
func (f *ReplayFilter) seen(tag *[ReplayTagSize]byte) bool { return f.lookup(tag, true) }

// lookup reports whether all of tag's bits are set, and sets them when
// insert is true. Bit i of the k is ⌊(h1 + i·h2 mod 2^64) · m / 2^64⌋ with
// h1 and h2 the little-endian uint64s at tag[0:8] and tag[8:16], h2 forced
// odd.
func (f *ReplayFilter) lookup(tag *[ReplayTagSize]byte, insert bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookupLocked(tag, insert)
}

func (f *ReplayFilter) lookupLocked(tag *[ReplayTagSize]byte, insert bool) bool {
	h1 := binary.LittleEndian.Uint64(tag[0:8])
	h2 := binary.LittleEndian.Uint64(tag[8:16]) | 1
	present := true
	x := h1
	for range f.k {
		idx, _ := bits.Mul64(x, f.m)
		w, b := idx>>6, uint64(1)<<(idx&63)
		if f.words[w]&b == 0 {
			present = false
			if insert {
				f.words[w] |= b
			}
		}
		x += h2
	}
	if !present && insert {
		f.count++
	}
	return present
}
