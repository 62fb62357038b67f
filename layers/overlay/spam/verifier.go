package spam

import (
	"fmt"
	"sync"
	"time"
)

// RLNConfig is the rate-limit policy of one membership group; every
// verifier and sender of the group uses the same values.
type RLNConfig struct {
	// Depth is the membership tree's depth (room for 2^Depth members);
	// every signal's Merkle path has this many nodes.
	Depth int `json:"depth"`
	// Limit is how many messages a member may send per epoch: message
	// indices 0 to Limit−1.
	Limit uint32 `json:"limit"`
	// EpochPeriod is the length of an epoch: epoch = ⌊Unix time /
	// EpochPeriod⌋.
	EpochPeriod time.Duration `json:"epoch_period"`
	// MaxEpochGap is how many epochs a signal's epoch may differ from the
	// verifier's current one (network delay plus clock disagreement).
	MaxEpochGap uint64 `json:"max_epoch_gap"`
	// RootWindow is how many recent membership roots are accepted.
	RootWindow int `json:"root_window"`
	// MaxNullifiers bounds the nullifiers a verifier stores at once.
	MaxNullifiers int `json:"max_nullifiers"`
}

// Default RLN values.
const (
	// defaultDepth: 65,536 members, above the 10,000 memberships of the
	// published RLN benchmark (docs.waku.org, "RLN Key Benchmarks").
	defaultDepth = 16
	// defaultLimit: one message per epoch per member, as RLN-relay
	// (17/WAKU2-RLN-RELAY).
	defaultLimit = 1
	// defaultEpochPeriod: one message per member every 10 s, the rate of
	// the published RLN benchmark's publishers.
	defaultEpochPeriod = 10 * time.Second
	// defaultMaxEpochGap: RLN-relay's ⌈(network delay + clock
	// asynchrony) / period⌉ with both together under one period.
	defaultMaxEpochGap = 1
	// defaultRootWindow: the last five roots, so that a signal proved
	// just before a registration or removal still verifies.
	defaultRootWindow = 5
	// defaultMaxNullifiers: 2^20 entries of about 250 bytes, a few
	// hundred MiB at most, which 65,536 members × 3 epochs × limit 1
	// never reaches.
	defaultMaxNullifiers = 1 << 20
	// maxEpochGapBound keeps the window, and so the store, small.
	maxEpochGapBound = 1000
)

// DefaultRLNConfig returns the default policy: depth 16, one message per
// 10 s epoch, an epoch gap of 1, five roots, at most 2^20 nullifiers (the
// reason for each is beside its constant).
func DefaultRLNConfig() RLNConfig {
	return RLNConfig{Depth: defaultDepth, Limit: defaultLimit, EpochPeriod: defaultEpochPeriod,
		MaxEpochGap: defaultMaxEpochGap, RootWindow: defaultRootWindow, MaxNullifiers: defaultMaxNullifiers}
}

// Validate checks the configuration.
func (c RLNConfig) Validate() error {
	switch {
	case c.Depth < 1 || c.Depth > MaxDepth:
		return fmt.Errorf("%w: RLNConfig.Depth=%d, want 1 to %d", ErrConfig, c.Depth, MaxDepth)
	case c.Limit < 1:
		return fmt.Errorf("%w: RLNConfig.Limit must be at least 1", ErrConfig)
	case c.EpochPeriod < time.Millisecond:
		return fmt.Errorf("%w: RLNConfig.EpochPeriod=%v, at least 1ms", ErrConfig, c.EpochPeriod)
	case c.MaxEpochGap > maxEpochGapBound:
		return fmt.Errorf("%w: RLNConfig.MaxEpochGap=%d, at most %d", ErrConfig, c.MaxEpochGap, maxEpochGapBound)
	case c.RootWindow < 1:
		return fmt.Errorf("%w: RLNConfig.RootWindow must be at least 1", ErrConfig)
	case c.MaxNullifiers < 1:
		return fmt.Errorf("%w: RLNConfig.MaxNullifiers must be at least 1", ErrConfig)
	}
	return nil
}

// Epoch returns the epoch of a time: ⌊Unix time in ns / period⌋ (0
// before 1970).
func Epoch(now time.Time, period time.Duration) uint64 {
	ns := now.UnixNano()
	if ns < 0 || period <= 0 {
		return 0
	}
	return uint64(ns / int64(period))
}

// Verifier is a relay's RLN state: the accepted membership roots, the
// nullifiers seen in the current epoch window with the first signal of
// each, and the members removed after a double signal. It is safe for
// concurrent use; the cryptographic checks run outside its lock.
type Verifier struct {
	cfg     RLNConfig
	mu      sync.Mutex
	roots   [][HashSize]byte // oldest first
	seen    map[uint64]map[[HashSize]byte]Signal
	count   int
	removed map[[ElementSize]byte]bool
}

// NewVerifier returns a verifier with no accepted root yet. Errors:
// ErrConfig.
func NewVerifier(cfg RLNConfig) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Verifier{cfg: cfg, seen: map[uint64]map[[HashSize]byte]Signal{}, removed: map[[ElementSize]byte]bool{}}, nil
}

// Config returns the verifier's configuration.
func (v *Verifier) Config() RLNConfig { return v.cfg }

// AcceptRoot adds a membership root to the window of accepted roots,
// dropping the oldest beyond RootWindow. Adding the newest root again
// changes nothing.
func (v *Verifier) AcceptRoot(root [HashSize]byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if n := len(v.roots); n > 0 && v.roots[n-1] == root {
		return
	}
	v.roots = append(v.roots, root)
	if len(v.roots) > v.cfg.RootWindow {
		v.roots = append(v.roots[:0], v.roots[len(v.roots)-v.cfg.RootWindow:]...)
	}
}

// Remove bars a member's key from now on (after evidence from elsewhere,
// or a removal from the registry).
func (v *Verifier) Remove(member [ElementSize]byte) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.removed[member] = true
}

// Removed reports whether a member's key is barred.
func (v *Verifier) Removed(member [ElementSize]byte) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.removed[member]
}

// ApplyEvidence verifies evidence received from another node and removes
// its member. Errors: ErrEvidence.
func (v *Verifier) ApplyEvidence(ev Evidence) error {
	if err := ev.Verify(); err != nil {
		return err
	}
	v.Remove(ev.Member())
	return nil
}

// Stored returns how many nullifiers the verifier holds.
func (v *Verifier) Stored() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.count
}

// Check verifies an RLN envelope published on topic at time now (SPEC.md,
// "Procedures", "RLN verifying"), in this order: the kind (ErrKind), the
// epoch window (ErrEpoch), the message index (ErrMessageIndex), the
// Merkle path against an accepted root (ErrUnknownRoot), a member not
// removed (ErrRemoved), a byte-identical signal already seen (ErrDuplicate),
// the share and signature (ErrNonCanonical, ErrBadKey, ErrBadShare,
// ErrBadSignature), then the nullifier: new (stored, nil), seen with the
// same message (ErrDuplicate), or seen with another message: the member
// is removed and Check returns the evidence with ErrDoubleSignal. A full
// store gives ErrCapacity.
func (v *Verifier) Check(now time.Time, topic string, e *Envelope) (*Evidence, error) {
	if e.Kind != KindRLN || e.RLN == nil {
		return nil, fmt.Errorf("%w: %s envelope, want rln", ErrKind, e.Kind)
	}
	p := e.RLN
	cur := Epoch(now, v.cfg.EpochPeriod)
	if p.Epoch+v.cfg.MaxEpochGap < cur || p.Epoch > cur+v.cfg.MaxEpochGap || p.Epoch+v.cfg.MaxEpochGap < p.Epoch {
		return nil, fmt.Errorf("%w: epoch %d, current %d, gap %d", ErrEpoch, p.Epoch, cur, v.cfg.MaxEpochGap)
	}
	if p.MessageIndex >= v.cfg.Limit {
		return nil, fmt.Errorf("%w: index %d, limit %d", ErrMessageIndex, p.MessageIndex, v.cfg.Limit)
	}
	if len(p.Path) != v.cfg.Depth {
		return nil, fmt.Errorf("%w: path of %d nodes, the tree has depth %d", ErrUnknownRoot, len(p.Path), v.cfg.Depth)
	}
	root := PathRoot(p.Member, p.LeafIndex, p.Path)
	sig, err := SignalOf(e, topic)
	if err != nil {
		return nil, err
	}
	null := sig.Nullifier()

	v.mu.Lock()
	v.prune(cur)
	if !v.knownRoot(root) {
		v.mu.Unlock()
		return nil, fmt.Errorf("%w: %x", ErrUnknownRoot, root[:8])
	}
	if v.removed[p.Member] {
		v.mu.Unlock()
		return nil, fmt.Errorf("%w: member removed after a double signal", ErrRemoved)
	}
	first, seen := v.seen[p.Epoch][null]
	v.mu.Unlock()
	if seen && first == sig {
		return nil, fmt.Errorf("%w: signal seen before", ErrDuplicate)
	}

	if err := sig.Verify(); err != nil {
		return nil, err
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	if v.removed[p.Member] {
		return nil, fmt.Errorf("%w: member removed after a double signal", ErrRemoved)
	}
	first, seen = v.seen[p.Epoch][null]
	switch {
	case !seen:
		if v.count >= v.cfg.MaxNullifiers {
			return nil, fmt.Errorf("%w: %d nullifiers stored", ErrCapacity, v.count)
		}
		m := v.seen[p.Epoch]
		if m == nil {
			m = map[[HashSize]byte]Signal{}
			v.seen[p.Epoch] = m
		}
		m[null] = sig
		v.count++
		return nil, nil
	case first.MessageHash == sig.MessageHash:
		return nil, fmt.Errorf("%w: same message under the same nullifier", ErrDuplicate)
	}
	ev, err := NewEvidence(first, sig)
	if err != nil {
		// Both signals verified and differ in their message: NewEvidence
		// cannot fail; report the cause rather than accept.
		return nil, err
	}
	v.removed[p.Member] = true
	return &ev, fmt.Errorf("%w: epoch %d, message index %d (%s)", ErrDoubleSignal, p.Epoch, p.MessageIndex, ev.Kind)
}

// knownRoot reports whether root is in the window; v.mu is held.
func (v *Verifier) knownRoot(root [HashSize]byte) bool {
	for _, r := range v.roots {
		if r == root {
			return true
		}
	}
	return false
}

// prune drops the epochs no signal can be accepted for any more; v.mu is
// held.
func (v *Verifier) prune(cur uint64) {
	if cur < v.cfg.MaxEpochGap {
		return
	}
	oldest := cur - v.cfg.MaxEpochGap
	for ep, m := range v.seen {
		if ep < oldest {
			v.count -= len(m)
			delete(v.seen, ep)
		}
	}
}
