package sybil

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/strata-lab/strata/layers/overlay"
)

// ErrConfig reports an unusable adversary or study configuration.
var ErrConfig = errors.New("sybil: invalid configuration")

// Mode says which messages a censoring Sybil drops.
type Mode int

// Censorship modes.
const (
	// DropNone forwards everything (an honest relay).
	DropNone Mode = iota
	// DropAll drops every message.
	DropAll
	// DropOrigins drops the messages of a chosen set of origins.
	DropOrigins
	// DropRandom drops each message with probability P.
	DropRandom
)

func (m Mode) String() string {
	switch m {
	case DropNone:
		return "none"
	case DropAll:
		return "all"
	case DropOrigins:
		return "origins"
	case DropRandom:
		return "random"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// Policy decides, for every message a Sybil receives, whether it drops it
// or relays it. It is a pure function of its fields, the time and the
// message: every Sybil with one policy decides alike, and a run replays.
type Policy struct {
	Mode Mode
	// Origins are the origins whose messages DropOrigins drops (an origin
	// is read from the message with OriginOf).
	Origins map[uint64]bool
	// P is DropRandom's drop probability, in [0, 1].
	P float64
	// Seed keys DropRandom's per-message coin: one message gets the same
	// coin at every Sybil of a run.
	Seed uint64
	// FlashAt, when set, makes the policy forward everything before it
	// (a covert flash: honest until FlashAt, then Mode).
	FlashAt time.Time
}

// Validate checks the policy's parameters.
func (p Policy) Validate() error {
	switch p.Mode {
	case DropNone, DropAll:
	case DropOrigins:
		if len(p.Origins) == 0 {
			return fmt.Errorf("%w: DropOrigins needs at least one origin", ErrConfig)
		}
	case DropRandom:
		if !(p.P >= 0 && p.P <= 1) {
			return fmt.Errorf("%w: drop probability %v is not in [0, 1]", ErrConfig, p.P)
		}
	default:
		return fmt.Errorf("%w: unknown censorship mode %d", ErrConfig, int(p.Mode))
	}
	return nil
}

// Drop reports whether a Sybil drops message id with data at time now.
func (p Policy) Drop(now time.Time, id [overlay.MessageIDSize]byte, data []byte) bool {
	if !p.FlashAt.IsZero() && now.Before(p.FlashAt) {
		return false
	}
	switch p.Mode {
	case DropAll:
		return true
	case DropOrigins:
		o, ok := OriginOf(data)
		return ok && p.Origins[o]
	case DropRandom:
		return coin(p.Seed, id) < p.P
	}
	return false
}

// coin maps (seed, id) to a uniform number in [0, 1).
func coin(seed uint64, id [overlay.MessageIDSize]byte) float64 {
	var b [8 + overlay.MessageIDSize]byte
	binary.BigEndian.PutUint64(b[:8], seed)
	copy(b[8:], id[:])
	h := sha256.Sum256(b[:])
	return float64(binary.BigEndian.Uint64(h[:8])>>11) / math.Exp2(53)
}

// Workload message layout: the origin's index and a sequence number, then
// padding. An application message names its author (a chat message is
// signed by it), so a censor that reads messages can pick by origin; the
// study's payload carries the origin in clear to model that.
const payloadHeader = 16

// Payload returns a workload message of size bytes (at least 16) from
// origin with sequence number seq.
func Payload(origin, seq uint64, size int) []byte {
	b := make([]byte, max(size, payloadHeader))
	binary.BigEndian.PutUint64(b, origin)
	binary.BigEndian.PutUint64(b[8:], seq)
	for i := payloadHeader; i < len(b); i++ {
		b[i] = byte(seq + uint64(i))
	}
	return b
}

// OriginOf reads a workload message's origin; false if data is too short
// to carry one.
func OriginOf(data []byte) (uint64, bool) {
	if len(data) < payloadHeader {
		return 0, false
	}
	return binary.BigEndian.Uint64(data), true
}
