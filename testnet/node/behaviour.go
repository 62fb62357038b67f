package node

import (
	"context"
	"fmt"
	"sort"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/overlay"
)

// Behaviour is a non-default node behaviour, such as an adversary model.
// The node runtime imports no attack code: cmd/strata registers the
// behaviours (Options.Behaviours) and a node's configuration names one.
type Behaviour interface {
	// Start is called once the overlay runs and before the node reports
	// ready. It must not block; long-running work runs in goroutines that
	// end with ctx.
	Start(ctx context.Context, env Env) error
}

// InboundFilter is implemented by behaviours that act on the gossip
// messages the node receives, before they are delivered or forwarded
// (e.g. a covert censor). Inbound returns nil to let the message through,
// an error wrapping overlay.ErrIgnored to drop it silently, or another
// error to reject it (which penalises the forwarding peer).
type InboundFilter interface {
	Inbound(ctx context.Context, from peer.ID, topic string, data []byte) error
}

// Env is what a behaviour may use.
type Env struct {
	Name    string
	Host    host.Host
	PubSub  *pubsub.PubSub
	Overlay *overlay.Overlay
	Topics  []string
	// Trace writes an event to the node's trace (Node and Time are set).
	Trace func(trace.Event)
}

// BehaviourFactory builds a behaviour from its parameters.
type BehaviourFactory func(params map[string]string) (Behaviour, error)

// newBehaviour builds the named behaviour, or nil for "".
func newBehaviour(name string, params map[string]string, reg map[string]BehaviourFactory) (Behaviour, error) {
	if name == "" {
		return nil, nil
	}
	f := reg[name]
	if f == nil {
		var names []string
		for n := range reg {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("%w: behaviour %q is not registered (registered: %v)", ErrConfig, name, names)
	}
	return f(params)
}
