package spam

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
)

// Clock returns the current time. The overlay's Validator has no time
// argument, so the validators here are handed one: the node's clock in a
// real node, the virtual clock in a simulation.
type Clock func() time.Time

// Verdict classes. A validator error wraps overlay.ErrIgnored (drop, no
// penalty) or overlay.ErrRejected (drop, the forwarding peer loses score
// through P4), and beside it the sentinel of this package that says why.
func ignore(err error) error { return fmt.Errorf("%w: %w", overlay.ErrIgnored, err) }
func reject(err error) error { return fmt.Errorf("%w: %w", overlay.ErrRejected, err) }

// classify maps a defence's error to the overlay's verdict: duplicates and
// a full nullifier store are ignored, everything else is rejected.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrDuplicate), errors.Is(err, ErrCapacity):
		return ignore(err)
	}
	return reject(err)
}

// decodeKind decodes an envelope and checks that its kind is allowed.
func decodeKind(data []byte, allowed ...Kind) (*Envelope, error) {
	e, err := Decode(data)
	if err != nil {
		return nil, err
	}
	for _, k := range allowed {
		if e.Kind == k {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%w: %s envelope, this topic accepts %v", ErrKind, e.Kind, allowed)
}

// EnvelopeValidator accepts any well-formed envelope of the allowed kinds
// without checking its proof (the "no defence" baseline, where only the
// overlay's own rules and peer scoring act).
func EnvelopeValidator(allowed ...Kind) overlay.Validator {
	return func(_ context.Context, _ peer.ID, _ string, data []byte) error {
		_, err := decodeKind(data, allowed...)
		return classify(err)
	}
}

// PoWValidator accepts proof-of-work envelopes that meet policy at the
// clock's time. Errors: ErrConfig for a bad policy or a nil clock.
func PoWValidator(policy PoWPolicy, clock Clock) (overlay.Validator, error) {
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	if clock == nil {
		return nil, fmt.Errorf("%w: PoWValidator needs a clock", ErrConfig)
	}
	return func(_ context.Context, _ peer.ID, _ string, data []byte) error {
		e, err := decodeKind(data, KindPoW)
		if err == nil {
			_, err = VerifyPoW(e, clock(), policy)
		}
		return classify(err)
	}, nil
}

// RLNValidator accepts RLN envelopes that v.Check accepts at the clock's
// time. onEvidence (may be nil) receives the evidence of every double
// signal, for example to remove the member from the Registry, publish the
// evidence, or record it. Errors: ErrConfig for a nil verifier or clock.
func RLNValidator(v *Verifier, clock Clock, onEvidence func(Evidence)) (overlay.Validator, error) {
	if v == nil || clock == nil {
		return nil, fmt.Errorf("%w: RLNValidator needs a verifier and a clock", ErrConfig)
	}
	return func(_ context.Context, _ peer.ID, topic string, data []byte) error {
		e, err := decodeKind(data, KindRLN)
		if err != nil {
			return classify(err)
		}
		ev, err := v.Check(clock(), topic, e)
		if ev != nil && onEvidence != nil {
			onEvidence(*ev)
		}
		return classify(err)
	}, nil
}

// Chain runs validators in order and returns the first error.
func Chain(vs ...overlay.Validator) overlay.Validator {
	return func(ctx context.Context, from peer.ID, topic string, data []byte) error {
		for _, v := range vs {
			if err := v(ctx, from, topic, data); err != nil {
				return err
			}
		}
		return nil
	}
}

// Defences switches each defence on or off for one topic; Validator
// builds the topic's validator from them.
type Defences struct {
	// PoW, when set, accepts proof-of-work envelopes meeting the policy.
	PoW *PoWPolicy
	// RLN, when set, accepts RLN envelopes this verifier accepts.
	RLN *Verifier
	// Clock is required by every defence but the envelope check.
	Clock Clock
	// OnEvidence receives double-signal evidence (may be nil).
	OnEvidence func(Evidence)
}

// Validator builds the validator: the envelope, which must be of a kind whose defence is on and pass it; with
// neither PoW nor RLN on, any well-formed envelope passes. Errors:
// ErrConfig.
func (d Defences) Validator() (overlay.Validator, error) {
	var chain []overlay.Validator
	var pow, rln overlay.Validator
	var err error
	if d.PoW != nil {
		if pow, err = PoWValidator(*d.PoW, d.Clock); err != nil {
			return nil, err
		}
	}
	if d.RLN != nil {
		if rln, err = RLNValidator(d.RLN, d.Clock, d.OnEvidence); err != nil {
			return nil, err
		}
	}
	switch {
	case pow == nil && rln == nil:
		chain = append(chain, EnvelopeValidator(KindNone, KindPoW, KindRLN))
	case rln == nil:
		chain = append(chain, pow)
	case pow == nil:
		chain = append(chain, rln)
	default:
		chain = append(chain, func(ctx context.Context, from peer.ID, topic string, data []byte) error {
			e, err := decodeKind(data, KindPoW, KindRLN)
			if err != nil {
				return classify(err)
			}
			if e.Kind == KindPoW {
				return pow(ctx, from, topic, data)
			}
			return rln(ctx, from, topic, data)
		})
	}
	return Chain(chain...), nil
}
