// Package trace defines the event stream that nodes and the simulator emit:
// one JSON object per line (NDJSON). Adversary models that observe (a global
// passive adversary, a first spy, a Sybil) read these streams, and reports
// count drops by reason. Every drop carries a reason from the closed list
// below; Validate rejects any other.
package trace

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"
)

// Kind is the kind of an event.
type Kind string

// Event kinds.
const (
	KindSend    Kind = "send"    // a node handed bytes to a link
	KindRecv    Kind = "recv"    // a node received bytes from a link
	KindDeliver Kind = "deliver" // a layer delivered a message to the application
	KindDrop    Kind = "drop"    // bytes or a message were discarded; Reason says why
	KindState   Kind = "state"   // a node or link changed state (online, offline, partition)
	KindExpire  Kind = "expire"  // a layer gave up on a message (retries or TTL exhausted)
)

// Reason names why something was dropped. The list is closed.
type Reason string

// Drop reasons.
const (
	ReasonNone          Reason = ""
	ReasonLinkLoss      Reason = "link_loss"       // random loss on a link
	ReasonNodeOffline   Reason = "node_offline"    // the receiving node was offline
	ReasonPartition     Reason = "partition"       // the link was cut by a partition
	ReasonQueueFull     Reason = "queue_full"      // a link or node queue overflowed
	ReasonMalformed     Reason = "malformed"       // the bytes did not decode
	ReasonInvalid       Reason = "invalid"         // decoded but failed validation
	ReasonDuplicate     Reason = "duplicate"       // already seen
	ReasonNotMember     Reason = "not_member"      // sender is not a member of the group
	ReasonUnknownGroup  Reason = "unknown_group"   // the group is not known here
	ReasonEphemeralLost Reason = "ephemeral_lost"  // an ephemeral message was not delivered
	ReasonParentLost    Reason = "parent_lost"     // a causal parent never arrived in time
	ReasonExpired       Reason = "expired"         // retransmission gave up
	ReasonRateLimited   Reason = "rate_limited"    // a rate limit rejected it
	ReasonReplay        Reason = "replay"          // a replayed packet
	ReasonPolicy        Reason = "policy"          // a node behaviour (e.g. an adversary) chose to drop it
	ReasonUnknownMsg    Reason = "unknown_message" // a request or reference to a message not held here
)

// Reasons lists every valid drop reason.
func Reasons() []Reason {
	return []Reason{ReasonLinkLoss, ReasonNodeOffline, ReasonPartition, ReasonQueueFull,
		ReasonMalformed, ReasonInvalid, ReasonDuplicate, ReasonNotMember, ReasonUnknownGroup,
		ReasonEphemeralLost, ReasonParentLost, ReasonExpired, ReasonRateLimited, ReasonReplay, ReasonPolicy, ReasonUnknownMsg}
}

// Valid reports whether r is in the closed list.
func (r Reason) Valid() bool {
	for _, v := range Reasons() {
		if r == v {
			return true
		}
	}
	return false
}

// Event is one line of a trace.
type Event struct {
	// Time is virtual time in the simulator, wall time on a node.
	Time   time.Time `json:"t"`
	Node   string    `json:"node"`
	Layer  string    `json:"layer,omitempty"`
	Kind   Kind      `json:"kind"`
	Reason Reason    `json:"reason,omitempty"`
	// MsgID identifies the message or packet (hex), where there is one.
	MsgID string `json:"msg,omitempty"`
	// Peer is the other end of a send or receive.
	Peer  string `json:"peer,omitempty"`
	Bytes int    `json:"bytes,omitempty"`
	// Detail is a free-form qualifier such as a frame part ("ack", "offer").
	Detail string `json:"detail,omitempty"`
}

// ErrInvalidEvent is returned by Validate.
var ErrInvalidEvent = errors.New("trace: invalid event")

// Validate checks an event: a known kind, and a reason from the closed list
// exactly when the event is a drop.
func (e Event) Validate() error {
	switch e.Kind {
	case KindSend, KindRecv, KindDeliver, KindState, KindExpire:
		if e.Reason != ReasonNone && e.Kind != KindExpire {
			return fmt.Errorf("%w: %s event with reason %q", ErrInvalidEvent, e.Kind, e.Reason)
		}
	case KindDrop:
		if !e.Reason.Valid() {
			return fmt.Errorf("%w: drop with reason %q", ErrInvalidEvent, e.Reason)
		}
	default:
		return fmt.Errorf("%w: kind %q", ErrInvalidEvent, e.Kind)
	}
	if e.Node == "" {
		return fmt.Errorf("%w: no node", ErrInvalidEvent)
	}
	return nil
}

// Sink receives events.
type Sink interface {
	Emit(Event) error
}

// Discard is a Sink that drops every event after validating it.
var Discard Sink = discard{}

type discard struct{}

func (discard) Emit(e Event) error { return e.Validate() }

// Writer writes events as NDJSON and keeps a running SHA-256 over the
// exact bytes written, so two runs can be compared by hash.
type Writer struct {
	w    *bufio.Writer
	h    hash.Hash
	n    int64
	errd error
}

// NewWriter returns a Writer on w; w may be nil to only hash.
func NewWriter(w io.Writer) *Writer {
	if w == nil {
		w = io.Discard
	}
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), h: sha256.New()}
}

// Emit validates and writes one event.
func (t *Writer) Emit(e Event) error {
	if t.errd != nil {
		return t.errd
	}
	if err := e.Validate(); err != nil {
		return err
	}
	e.Time = e.Time.UTC()
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	t.h.Write(b)
	t.n++
	if _, err := t.w.Write(b); err != nil {
		t.errd = err
	}
	return t.errd
}

// Flush flushes buffered output.
func (t *Writer) Flush() error {
	if t.errd != nil {
		return t.errd
	}
	return t.w.Flush()
}

// Count is the number of events written.
func (t *Writer) Count() int64 { return t.n }

// Hash is the hex SHA-256 of every byte written so far.
func (t *Writer) Hash() string { return fmt.Sprintf("%x", t.h.Sum(nil)) }

// Read decodes an NDJSON stream, calling fn for each valid event. A line that
// does not decode or validate stops the read with an error naming the line.
func Read(r io.Reader, fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrInvalidEvent, line, err)
		}
		if err := e.Validate(); err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return sc.Err()
}
