package sync

import (
	"errors"
	"fmt"
	"time"

	"github.com/strata-lab/strata/layers/sync/reconcile"
)

// Mode is how messages are announced to a peer.
type Mode uint8

// Modes (SPEC.md, "Procedures").
const (
	// ModeBatch sends whole messages at once: lowest latency, highest bytes
	// when the peer already has them.
	ModeBatch Mode = 1
	// ModeInteractive offers ids first and sends messages on request.
	ModeInteractive Mode = 2
)

func (m Mode) String() string {
	switch m {
	case ModeBatch:
		return "batch"
	case ModeInteractive:
		return "interactive"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Delivery is how received messages are released to the application.
type Delivery uint8

// Delivery modes.
const (
	// DeliveryCausal buffers a message until all its parents were delivered,
	// or until CausalTimeout declares the missing parents lost.
	DeliveryCausal Delivery = 1
	// DeliveryEventual delivers every message as soon as it arrives.
	DeliveryEventual Delivery = 2
)

// Config configures an Engine. DefaultConfig gives the values SPEC.md
// recommends.
type Config struct {
	// Self is the local peer.
	Self PeerID
	// Delivery selects causal or eventual delivery.
	Delivery Delivery
	// BackoffCap caps the retransmission interval.
	BackoffCap time.Duration
	// LinearBackoff, when positive, replaces the exponential backoff by a
	// linear one: the interval after the (b+1)-th transmission is
	// LinearBackoff·(b+1), capped at BackoffCap. It exists to reproduce the
	// MVDS implementation (next epoch = epoch + 2·count, 1 s epochs) and is
	// not recommended.
	LinearBackoff time.Duration
	// MaxAttempts ends a record after this many transmissions (0: no limit).
	MaxAttempts int
	// TTL ends a record this long after it was created (0: no limit).
	TTL time.Duration
	// CausalTimeout declares missing parents lost after this long.
	CausalTimeout time.Duration
	// PiggybackAcks holds acks for up to AckDelay to ride on another frame.
	// Without it every ack leaves at once in a frame of its own.
	PiggybackAcks bool
	// AckDelay is how long an ack may wait for a frame to ride on.
	AckDelay time.Duration
	// Relay announces every message received from one member to the other
	// members the engine syncs the group with (epidemic spreading).
	Relay bool
	// MaxParents bounds the parents the engine gives its own messages.
	MaxParents int
	// Reconcile are the parameters of range-based reconciliation.
	Reconcile reconcile.Params
	// ReconcileInterval starts a reconciliation with every online peer that
	// has reconciliation enabled this often (0: only when a peer comes online).
	ReconcileInterval time.Duration
	// MaxFrameBytes bounds the frames the engine builds (≤ MaxFrameBytes).
	MaxFrameBytes int
	// EphemeralMemory is how many recent ephemeral ids are remembered to
	// suppress duplicate deliveries.
	EphemeralMemory int
}

// DefaultConfig returns the recommended configuration for peer self.
func DefaultConfig(self PeerID) Config {
	return Config{
		Self:              self,
		Delivery:          DeliveryCausal,
		BackoffCap:        5 * time.Minute,
		MaxAttempts:       0,
		TTL:               14 * 24 * time.Hour,
		CausalTimeout:     time.Hour,
		PiggybackAcks:     true,
		AckDelay:          200 * time.Millisecond,
		Relay:             false,
		MaxParents:        4,
		Reconcile:         reconcile.DefaultParams(),
		ReconcileInterval: 0,
		MaxFrameBytes:     MaxFrameBytes,
		EphemeralMemory:   4096,
	}
}

// ErrConfig wraps configuration errors.
var ErrConfig = errors.New("sync: invalid configuration")

// Validate checks the configuration.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: Config.%s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Self == "":
		return bad("Self is not set")
	case c.Delivery != DeliveryCausal && c.Delivery != DeliveryEventual:
		return bad("Delivery is %d, must be DeliveryCausal or DeliveryEventual", c.Delivery)
	case c.BackoffCap <= 0:
		return bad("BackoffCap is %v, must be positive", c.BackoffCap)
	case c.LinearBackoff < 0:
		return bad("LinearBackoff is %v, must be ≥ 0", c.LinearBackoff)
	case c.MaxAttempts < 0:
		return bad("MaxAttempts is %d, must be ≥ 0", c.MaxAttempts)
	case c.TTL < 0:
		return bad("TTL is %v, must be ≥ 0", c.TTL)
	case c.CausalTimeout <= 0:
		return bad("CausalTimeout is %v, must be positive", c.CausalTimeout)
	case c.AckDelay < 0:
		return bad("AckDelay is %v, must be ≥ 0", c.AckDelay)
	case c.MaxParents < 0 || c.MaxParents > MaxParents:
		return bad("MaxParents is %d, must be in [0,%d]", c.MaxParents, MaxParents)
	case c.ReconcileInterval < 0:
		return bad("ReconcileInterval is %v, must be ≥ 0", c.ReconcileInterval)
	case c.MaxFrameBytes < 4096 || c.MaxFrameBytes > MaxFrameBytes:
		return bad("MaxFrameBytes is %d, must be in [4096,%d]", c.MaxFrameBytes, MaxFrameBytes)
	case c.EphemeralMemory < 0:
		return bad("EphemeralMemory is %d, must be ≥ 0", c.EphemeralMemory)
	}
	if err := c.Reconcile.Validate(); err != nil {
		return fmt.Errorf("%w: Config.Reconcile: %w", ErrConfig, err)
	}
	lim := reconcileLimits
	if c.Reconcile.MaxRanges > lim.MaxRanges || c.Reconcile.MaxIDs > lim.MaxIDs {
		return bad("Reconcile limits exceed the specification's (%d ranges, %d ids)", lim.MaxRanges, lim.MaxIDs)
	}
	return nil
}

// PeerConfig configures the link to one peer.
type PeerConfig struct {
	// Mode announces messages by batch or interactively.
	Mode Mode
	// Latency is the link's declared one-way latency; retransmission
	// intervals start at twice this (one round trip).
	Latency time.Duration
	// Reconcile catches up with the peer by range-based reconciliation each
	// time it comes online (and every Config.ReconcileInterval).
	Reconcile bool
}

func (p PeerConfig) validate() error {
	if p.Mode != ModeBatch && p.Mode != ModeInteractive {
		return fmt.Errorf("%w: PeerConfig.Mode is %d, must be ModeBatch or ModeInteractive", ErrConfig, p.Mode)
	}
	if p.Latency <= 0 {
		return fmt.Errorf("%w: PeerConfig.Latency is %v, must be positive", ErrConfig, p.Latency)
	}
	return nil
}
