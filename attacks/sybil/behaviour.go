package sybil

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/node"
)

// Node behaviour names, as a testnet scenario's group names them.
const (
	BehaviourCensor = "sybil-censor"
	BehaviourFlash  = "sybil-flash"
)

// CensorBehaviour builds the sybil-censor node behaviour; cmd/strata
// registers it (the node runtime imports no attack code).
//
// On the multi-process testnet a Sybil is a full node: its gossipsub
// router joins meshes, GRAFTs and keeps its backoffs like an honest one,
// and the behaviour filters what it receives (node.InboundFilter): a
// dropped message is ignored (neither delivered nor forwarded, and not
// penalised at the peer that sent it).
//
// Parameters (behaviour_params):
//
//	mode:  all (default), random (drop each message with probability p),
//	       or from (drop what the peers listed in peers forward)
//	p:     drop probability for random, in [0, 1]
//	seed:  the random mode's coin key (default 1): one seed gives one
//	       message the same fate at every censor
//	peers: comma-separated peer IDs for mode from
func CensorBehaviour(params map[string]string) (node.Behaviour, error) {
	return newCensor(params, false)
}

// FlashBehaviour builds the sybil-flash node behaviour (covert flash): it
// takes CensorBehaviour's parameters and after, a Go duration: the node
// relays honestly for that long after it starts, then censors.
func FlashBehaviour(params map[string]string) (node.Behaviour, error) {
	return newCensor(params, true)
}

// censor is the node behaviour of both models.
type censor struct {
	policy Policy
	from   map[peer.ID]bool
	after  time.Duration

	mu      sync.Mutex
	trace   func(trace.Event)
	flashed bool
}

var _ node.InboundFilter = (*censor)(nil)

func newCensor(params map[string]string, flash bool) (*censor, error) {
	c := &censor{policy: Policy{Mode: DropAll, Seed: 1}}
	for k, v := range params {
		switch k {
		case "mode":
			switch v {
			case "all":
				c.policy.Mode = DropAll
			case "random":
				c.policy.Mode = DropRandom
			case "from":
				c.policy.Mode = DropNone // decided by the forwarding peer below
				c.from = map[peer.ID]bool{}
			default:
				return nil, fmt.Errorf("%w: mode %q (want all, random or from)", ErrConfig, v)
			}
		case "p":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: p=%q: %v", ErrConfig, v, err)
			}
			c.policy.P = f
		case "seed":
			s, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: seed=%q: %v", ErrConfig, v, err)
			}
			c.policy.Seed = s
		case "peers":
		case "after":
			if !flash {
				return nil, fmt.Errorf("%w: %s takes no parameter after (that is %s)", ErrConfig, BehaviourCensor, BehaviourFlash)
			}
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("%w: after=%q is not a duration ≥ 0", ErrConfig, v)
			}
			c.after = d
		default:
			return nil, fmt.Errorf("%w: unknown parameter %q (known: mode, p, seed, peers, after)", ErrConfig, k)
		}
	}
	if c.from != nil {
		for _, s := range strings.Split(params["peers"], ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			id, err := peer.Decode(s)
			if err != nil {
				return nil, fmt.Errorf("%w: peers: %q is not a peer ID: %v", ErrConfig, s, err)
			}
			c.from[id] = true
		}
		if len(c.from) == 0 {
			return nil, fmt.Errorf("%w: mode from needs peers", ErrConfig)
		}
	} else if params["peers"] != "" {
		return nil, fmt.Errorf("%w: peers is for mode from", ErrConfig)
	}
	if flash {
		if _, ok := params["after"]; !ok {
			return nil, fmt.Errorf("%w: %s needs after (how long it relays honestly)", ErrConfig, BehaviourFlash)
		}
	}
	return c, c.policy.Validate()
}

// Start arms the flash (node.Behaviour).
func (c *censor) Start(_ context.Context, env node.Env) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trace = env.Trace
	if c.after > 0 {
		c.policy.FlashAt = time.Now().Add(c.after)
	}
	return nil
}

// Inbound drops what the policy says (node.InboundFilter).
func (c *censor) Inbound(_ context.Context, from peer.ID, topic string, data []byte) error {
	now := time.Now()
	c.mu.Lock()
	pol := c.policy
	flashing := !pol.FlashAt.IsZero() && !now.Before(pol.FlashAt) && !c.flashed
	if flashing {
		c.flashed = true
	}
	tr := c.trace
	c.mu.Unlock()
	if flashing && tr != nil {
		tr(trace.Event{Layer: "overlay", Kind: trace.KindState, Detail: "covert flash: censoring from now on"})
	}
	drop := pol.Drop(now, overlay.MessageID(topic, data), data)
	if c.from != nil && (pol.FlashAt.IsZero() || !now.Before(pol.FlashAt)) {
		drop = c.from[from]
	}
	if drop {
		return fmt.Errorf("%w: censored by %s", overlay.ErrIgnored, pol.Mode)
	}
	return nil
}
