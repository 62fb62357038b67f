package overlay

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
)

// Specification constants of the stem phase (SPEC.md, "Stem phase").
const (
	// StemProtocol is the stream protocol that carries stem messages.
	StemProtocol protocol.ID = "/strata/stem/1.0.0"
	// StemVersion is the first byte of every stem frame.
	StemVersion = 1
	// StemRelays is the number of stem relays a node picks per epoch
	// (Dandelion++'s 2, its approximation of a 4-regular graph).
	StemRelays = 2
	// stemKeyLabel domain-separates the stem decisions' pseudorandom
	// function.
	stemKeyLabel = "strata/overlay/v1/stem"
)

// Default stem parameters (SPEC.md, "Stem phase": the trade-off of each).
const (
	// DefaultFluffProbability is q: the share of nodes that are diffusers
	// in an epoch, hence the chance that a stem hop ends the stem. The
	// stem has 1/q hops on average (10): Dandelion++'s and BIP 156's 0.1.
	DefaultFluffProbability = 0.1
	// DefaultStemEpoch is how long a node keeps its role and its relays
	// (Dandelion++ and BIP 156: 10 minutes). Longer epochs give an
	// adversary fewer fresh stems to intersect, shorter ones recover
	// sooner from a spy relay.
	DefaultStemEpoch = 10 * time.Minute
	// DefaultStemFailSafe is the origin's fail-safe timeout: an origin
	// that has not seen its message in gossip after it publishes it
	// itself (relays wait a uniform share in [1/2, 1) of it). BIP 156's
	// embargo averages about 30 s as well.
	DefaultStemFailSafe = 30 * time.Second
)

// Implementation constants of the stem phase.
const (
	// stemIOTimeout bounds every stem stream: open, write, read.
	stemIOTimeout = 10 * time.Second
	// maxStemEntries bounds the messages a node holds on the stem; above
	// it, a node fluffs what it receives at once instead of holding it.
	maxStemEntries = 4096
)

// Stem errors.
var (
	// ErrStemFrame: a stem frame that does not follow the wire format
	// (SPEC.md, "Stem frames"): wrong version, a length out of bounds,
	// truncated or trailing bytes.
	ErrStemFrame = errors.New("overlay: malformed stem frame")
	// ErrStemRefused: the stem relay answered with a status other than
	// accepted; the status is in the message.
	ErrStemRefused = errors.New("overlay: stem relay refused the message")
)

// StemConfig configures the stem phase, a Dandelion++-style defence
// against first-spy source estimation (Fanti et al., 2018). It is off by
// default. With it on, a message a node publishes first travels along a
// stem of single relays over StemProtocol; each relay that is a diffuser
// in the current epoch publishes it into gossipsub (fluffs it).
type StemConfig struct {
	// Enabled turns the stem phase on for this node's publications and
	// lets the node relay other nodes' stem messages.
	Enabled bool
	// FluffProbability is q in (0, 1] (0: DefaultFluffProbability).
	FluffProbability float64
	// Epoch is the period of role and relay choice (0: DefaultStemEpoch).
	Epoch Duration
	// FailSafe is the origin's fail-safe timeout (0: DefaultStemFailSafe).
	FailSafe Duration
	// Rand is read once, at start, for the node's 32-byte stem key, from
	// which every stem decision (role, relays, routing, timers) is drawn;
	// a seeded source makes a study's decisions replay. nil: crypto/rand.
	Rand io.Reader
	// OnStem, if set, is told of every stem message the node accepted
	// from a peer (before relaying or fluffing it): what a node on the
	// stem sees, for observers such as first-spy studies.
	OnStem func(from peer.ID, topic string, data []byte)
}

// withDefaults fills the zero fields.
func (c StemConfig) withDefaults() StemConfig {
	if c.FluffProbability == 0 {
		c.FluffProbability = DefaultFluffProbability
	}
	if c.Epoch == 0 {
		c.Epoch = Duration(DefaultStemEpoch)
	}
	if c.FailSafe == 0 {
		c.FailSafe = Duration(DefaultStemFailSafe)
	}
	return c
}

// Validate checks the stem parameters (after defaults).
func (c StemConfig) Validate() error {
	c = c.withDefaults()
	switch {
	case !(c.FluffProbability > 0 && c.FluffProbability <= 1):
		return fmt.Errorf("%w: Stem.FluffProbability %v must be in (0, 1]", ErrConfig, c.FluffProbability)
	case c.Epoch < Duration(time.Second):
		return fmt.Errorf("%w: Stem.Epoch %v must be at least 1s", ErrConfig, time.Duration(c.Epoch))
	case c.FailSafe < Duration(10*time.Millisecond):
		return fmt.Errorf("%w: Stem.FailSafe %v must be at least 10ms", ErrConfig, time.Duration(c.FailSafe))
	}
	return nil
}

// stemPolicy holds a node's stem decisions: a deterministic function of
// its key, the epoch, and the message or peer in question, so that the
// decisions do not depend on the order in which concurrent events reach
// the node.
type stemPolicy struct {
	key      [32]byte
	q        float64
	epoch    time.Duration
	failSafe time.Duration
}

// uniform returns a number in [0, 1) from the key and the parts.
func (p *stemPolicy) uniform(parts ...[]byte) float64 {
	h := sha256.New()
	h.Write([]byte(stemKeyLabel))
	h.Write(p.key[:])
	var n [4]byte
	for _, b := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	return float64(binary.BigEndian.Uint64(h.Sum(nil))>>11) / (1 << 53)
}

func u64(x uint64) []byte { return binary.BigEndian.AppendUint64(nil, x) }

// epochOf numbers the epoch that contains t.
func (p *stemPolicy) epochOf(t time.Time) uint64 { return uint64(t.UnixNano() / int64(p.epoch)) }

// diffuser reports whether the node fluffs the stem messages it relays in
// epoch e (probability q).
func (p *stemPolicy) diffuser(e uint64) bool {
	return p.uniform([]byte("role"), u64(e)) < p.q
}

// relays picks up to StemRelays of the candidates for topic in epoch e,
// in order: the first carries the node's own messages.
func (p *stemPolicy) relays(e uint64, topic string, cands []peer.ID) []peer.ID {
	cs := slices.Clone(cands)
	slices.Sort(cs)
	cs = slices.Compact(cs)
	// A keyed sort: each candidate's rank is a function of the key, the
	// epoch and its id, so adding one candidate does not reshuffle others.
	rank := make(map[peer.ID]float64, len(cs))
	for _, c := range cs {
		rank[c] = p.uniform([]byte("relay"), u64(e), []byte(topic), []byte(c))
	}
	slices.SortFunc(cs, func(a, b peer.ID) int {
		switch {
		case rank[a] < rank[b]:
			return -1
		case rank[a] > rank[b]:
			return 1
		}
		return 0
	})
	return cs[:min(StemRelays, len(cs))]
}

// route is the index of the relay that carries messages arriving from
// peer in from epoch e (Dandelion++'s one-to-one forwarding: one
// incoming peer, one outgoing relay, for the whole epoch).
func (p *stemPolicy) route(e uint64, topic string, from peer.ID) int {
	return int(p.uniform([]byte("route"), u64(e), []byte(topic), []byte(from)) * StemRelays)
}

// relayTimeout is a relay's fail-safe for message id: uniform in
// [failSafe/2, failSafe), below the origin's, so that a live relay upstream
// of a break usually fluffs before the origin reveals itself.
func (p *stemPolicy) relayTimeout(id []byte) time.Duration {
	u := p.uniform([]byte("timer"), id)
	return p.failSafe/2 + time.Duration(math.Floor(u*float64(p.failSafe/2)))
}
