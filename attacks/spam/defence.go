package spam

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
	ospam "github.com/strata-lab/strata/layers/overlay/spam"
)

// Defence switches each defence of the honest nodes on or off.
type Defence struct {
	// Validators runs the topic's application validator (the envelope
	// check and, when on, the proof defences below); off, a node accepts
	// any non-empty message.
	Validators bool
	// Scoring runs gossipsub's peer scoring (overlay.Config.ScoringOff
	// when false).
	Scoring bool
	// RateLimit removes a forwarding peer's messages over its token
	// bucket before gossipsub sees them (layers/overlay/spam
	// RateLimitInspector).
	RateLimit bool
	// PoW requires EIP-627-style proof of work; honest publishers mint it
	// at the modelled phone hash rate.
	PoW bool
	// RLN requires rate-limiting-nullifier signals; the real RLN's proof
	// cost is added as virtual-time delays (ospam.ProveDelay at the
	// publisher, ospam.VerifyDelay at every validating node).
	RLN bool
}

// Study constants of the defences.
const (
	// AllowedRate is a peer's allowed message rate on the topic in the
	// rate-limit and proof-of-work parts (messages per second): above the
	// honest topic rate of every study size (at most 2 msg/s), since a
	// peer forwards the whole topic.
	AllowedRate = 4.0
	// AllowedBurst is the token bucket's capacity.
	AllowedBurst = 8.0
	// RLNEpoch and RLNLimit give each member one message per second.
	RLNEpoch = time.Second
	RLNLimit = 1
	// rlnDepth is the membership tree's depth in the study (256 members).
	rlnDepth = 8
	// Multiplier is how many times its allowed rate a flooding member
	// sends: the "≥ 10× the allowed rate".
	Multiplier = 10
	// powTTL is the TTL honest publishers and the attacker put in
	// proof-of-work envelopes.
	powTTL = 60
	// PhoneRatio is the hash rate of a phone relative to this machine's
	// (one core each) used to state proof of work's cost to a phone: an
	// assumption, not a measurement (see doc.go).
	PhoneRatio = 0.1
)

// defences is one run's shared defence state: the RLN membership tree and
// members, the PoW policy and the hash rates the PoW model uses.
type defences struct {
	d        Defence
	topic    string
	policy   ospam.PoWPolicy
	hashRate float64 // this machine's measured SHA-256 PoW hashes per second (one core)
	rlnCfg   ospam.RLNConfig
	registry *ospam.Registry
	// members[i] is publisher i's member; the attacker's is last.
	members []*ospam.Member
	leaves  []uint32

	mu        sync.Mutex
	verifiers []*ospam.Verifier
	evidence  int
}

func newDefences(d Defence, topic string, hashRate float64, publishers int, rng *rand.Rand) (*defences, error) {
	ds := &defences{d: d, topic: topic, policy: ospam.DefaultPoWPolicy(), hashRate: hashRate}
	ds.rlnCfg = ospam.DefaultRLNConfig()
	ds.rlnCfg.Depth, ds.rlnCfg.Limit, ds.rlnCfg.EpochPeriod = rlnDepth, RLNLimit, RLNEpoch
	reg, err := ospam.NewRegistry(rlnDepth)
	if err != nil {
		return nil, err
	}
	ds.registry = reg
	for range publishers + 1 {
		seed := make([]byte, ospam.MemberSeedSize)
		for i := range seed {
			seed[i] = byte(rng.Uint32())
		}
		m, err := ospam.MemberFromSeed(seed)
		if err != nil {
			return nil, err
		}
		leaf, err := reg.Register(m.Registration())
		if err != nil {
			return nil, err
		}
		ds.members = append(ds.members, m)
		ds.leaves = append(ds.leaves, leaf)
	}
	return ds, nil
}

// inspector builds one honest node's per-peer rate limit, which removes
// over-rate messages from inbound RPCs before gossipsub deduplicates them
// (ospam.RateLimitInspector), and tells ob of each.
func (ds *defences) inspector(ob *observer) (func(peer.ID, *pubsub.RPC) error, error) {
	rl := ospam.DefaultRateLimitConfig()
	rl.Rate, rl.Burst = AllowedRate, AllowedBurst
	l, err := ospam.NewRateLimiter(rl)
	if err != nil {
		return nil, err
	}
	return ospam.RateLimitInspector(l, time.Now, func(_ peer.ID, m *pb.Message) { ob.limited(m) })
}

// validator builds one honest node's validator (nil: none, when
// validators are off).
func (ds *defences) validator() (overlay.Validator, error) {
	if !ds.d.Validators {
		return nil, nil
	}
	cfg := ospam.Defences{Clock: time.Now}
	if ds.d.PoW {
		p := ds.policy
		cfg.PoW = &p
	}
	if !ds.d.RLN {
		return cfg.Validator()
	}
	v, err := ospam.NewVerifier(ds.rlnCfg)
	if err != nil {
		return nil, err
	}
	v.AcceptRoot(ds.registry.Root())
	cfg.RLN = v
	cfg.OnEvidence = func(ospam.Evidence) {
		ds.mu.Lock()
		ds.evidence++
		ds.mu.Unlock()
	}
	ds.mu.Lock()
	ds.verifiers = append(ds.verifiers, v)
	ds.mu.Unlock()
	inner, err := cfg.Validator()
	if err != nil {
		return nil, err
	}
	// The real RLN verifies a zero-knowledge proof before anything else:
	// every RLN envelope costs VerifyDelay of the node's validation
	// worker, in virtual time.
	return func(ctx context.Context, from peer.ID, topic string, data []byte) error {
		if e, err := ospam.Decode(data); err == nil && e.Kind == ospam.KindRLN {
			time.Sleep(ospam.VerifyDelay)
		}
		return inner(ctx, from, topic, data)
	}, nil
}

// removed counts the honest verifiers that barred the attacker's member.
func (ds *defences) removed() int {
	atk := ds.members[len(ds.members)-1].Public()
	ds.mu.Lock()
	defer ds.mu.Unlock()
	n := 0
	for _, v := range ds.verifiers {
		if v.Removed(atk) {
			n++
		}
	}
	return n
}

// honestSender wraps one publisher's payloads in the envelope its
// defences require and says how long producing the proof takes.
type honestSender struct {
	ds   *defences
	rln  *ospam.Sender
	rng  *rand.Rand
	pub  int
	powN uint64
}

func (ds *defences) sender(pub int, rng *rand.Rand) (*honestSender, error) {
	s := &honestSender{ds: ds, rng: rng, pub: pub}
	if ds.d.RLN {
		path, err := ds.registry.Path(ds.leaves[pub])
		if err != nil {
			return nil, err
		}
		if s.rln, err = ospam.NewSender(ds.members[pub], ds.rlnCfg, ds.leaves[pub], path); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// wrap returns the message for payload pressed "send" at now, and the
// delay before it can be published: the RLN proof (ProveDelay), or the
// proof-of-work search at the phone's hash rate.
func (s *honestSender) wrap(now time.Time, payload []byte) ([]byte, time.Duration, error) {
	switch {
	case s.ds.d.RLN:
		e, err := s.rln.Send(now.Add(ospam.ProveDelay), s.ds.topic, payload)
		if err != nil {
			return nil, 0, err
		}
		b, err := e.Encode()
		return b, ospam.ProveDelay, err
	case s.ds.d.PoW:
		e, tries, err := ospam.Mint(payload, now, ospam.MintParams{TTL: powTTL, Target: s.ds.policy.MinWork, Start: s.rng.Uint64()})
		if err != nil {
			return nil, 0, err
		}
		s.powN += tries
		b, err := e.Encode()
		return b, hashTime(tries, s.ds.hashRate*PhoneRatio), err
	}
	b, err := (&ospam.Envelope{Kind: ospam.KindNone, Payload: payload}).Encode()
	return b, 0, err
}

// hashTime is the time tries hashes take at rate hashes per second.
func hashTime(tries uint64, rate float64) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(tries) / rate * float64(time.Second))
}

// ErrStudy reports a study run that could not be set up or completed.
var ErrStudy = errors.New("spam: study run failed")
