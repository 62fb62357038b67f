package overlay

import (
	"context"
	"errors"
	"fmt"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Validate applies the overlay's own rules to a message on a topic
// (SPEC.md, "Validation"): a canonical topic name, data that is not empty,
// and at most maxBytes long. It returns nil, ErrTopic, ErrEmpty or
// ErrTooLarge. Every Strata node runs it before any application validator.
func Validate(topic string, data []byte, maxBytes int) error {
	if _, err := ParseTopic(topic); err != nil {
		return err
	}
	if len(data) == 0 {
		return fmt.Errorf("%w: on %s", ErrEmpty, topic)
	}
	if len(data) > maxBytes {
		return fmt.Errorf("%w: %d bytes on %s, at most %d", ErrTooLarge, len(data), topic, maxBytes)
	}
	return nil
}

// Validator is an application's check of a message on one topic. It
// returns nil to accept, an error wrapping ErrIgnored to drop the message
// without penalty, and any other error to reject it, which penalises the
// peer that forwarded it (P4). from is the peer the message arrived from,
// not its author: messages carry none.
type Validator func(ctx context.Context, from peer.ID, topic string, data []byte) error

// Verdict is the gossipsub decision for a validation error: accept for
// nil, ignore for ErrIgnored, reject otherwise.
func Verdict(err error) pubsub.ValidationResult {
	switch {
	case err == nil:
		return pubsub.ValidationAccept
	case errors.Is(err, ErrIgnored):
		return pubsub.ValidationIgnore
	}
	return pubsub.ValidationReject
}

// topicValidator builds the gossipsub validator of a topic: Validate, then
// app (if any).
func topicValidator(maxBytes int, app Validator, report func(topic string, from peer.ID, data []byte, err error)) pubsub.ValidatorEx {
	return func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		topic := m.GetTopic()
		err := Validate(topic, m.GetData(), maxBytes)
		if err == nil && app != nil {
			err = app(ctx, from, topic, m.GetData())
		}
		if err != nil && report != nil {
			report(topic, from, m.GetData(), err)
		}
		return Verdict(err)
	}
}
