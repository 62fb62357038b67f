package loopix

import (
	"fmt"
	"time"
)

// ActionKind is what an Action asks of the host.
type ActionKind uint8

// Action kinds.
const (
	// ActSend: send Frame to node To at At (always the time of the call
	// that returned it: cores hold packets themselves).
	ActSend ActionKind = iota + 1
	// ActDeliver: hand Body, a message for this client, to the application.
	ActDeliver
	// ActDrop: a frame or packet was discarded; Reason says why.
	ActDrop
	// ActTimer: call Tick at At (it replaces any earlier timer).
	ActTimer
	// ActReport: the expected anonymity of message Msg, which left now.
	ActReport
	// ActAlarm: the mix's n−1 detector fired (Alarm).
	ActAlarm
	// ActLoop: one of this endpoint's loops came back after RTT.
	ActLoop
)

var actionNames = [...]string{ActSend: "send", ActDeliver: "deliver", ActDrop: "drop", ActTimer: "timer",
	ActReport: "report", ActAlarm: "alarm", ActLoop: "loop"}

func (k ActionKind) String() string {
	if int(k) < len(actionNames) && actionNames[k] != "" {
		return actionNames[k]
	}
	return fmt.Sprintf("action(%d)", uint8(k))
}

// Class says what a sent frame is, as the core that sends it knows it.
// Observers of a link see only its size and timing.
type Class uint8

// Classes of sent frames.
const (
	ClassPayload      Class = iota + 1 // a client's real message
	ClassLoop                          // a client's loop cover
	ClassDrop                          // a client's drop cover (also a λP tick with an empty queue)
	ClassMixLoop                       // a mix's loop cover
	ClassForward                       // a relayed packet (mix or provider)
	ClassPull                          // a client's pull request
	ClassPullResponse                  // a provider's answer to a pull
)

var classNames = [...]string{ClassPayload: "payload", ClassLoop: "loop", ClassDrop: "drop", ClassMixLoop: "mixloop",
	ClassForward: "forward", ClassPull: "pull", ClassPullResponse: "pullresponse"}

func (c Class) String() string {
	if int(c) < len(classNames) && classNames[c] != "" {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Reason is why a core discarded a frame or packet. The list is closed.
type Reason uint8

// Drop reasons.
const (
	ReasonMalformed  Reason = iota + 1 // the frame or packet did not decode
	ReasonUnwrap                       // the packet did not open under this node's keys
	ReasonReplay                       // the packet's replay tag was seen this epoch
	ReasonDelay                        // the packet asks for a delay above the directory's MaxDelay
	ReasonUnknownHop                   // the next hop is not a node of the next layer
	ReasonNotServed                    // a client this provider does not serve, or an unknown sender
	ReasonRole                         // the packet asks for what this node's role does not do
	ReasonInboxFull                    // the recipient's inbox at its provider is full
	ReasonPoolFull                     // the mix holds MaxPool packets already
	ReasonStale                        // a loop or entry the client does not expect (late or duplicate)
	numReasons
)

var reasonNames = [...]string{ReasonMalformed: "malformed", ReasonUnwrap: "unwrap", ReasonReplay: "replay",
	ReasonDelay: "delay_too_long", ReasonUnknownHop: "unknown_hop", ReasonNotServed: "not_served", ReasonRole: "role",
	ReasonInboxFull: "inbox_full", ReasonPoolFull: "pool_full", ReasonStale: "stale"}

func (r Reason) String() string {
	if r > 0 && r < numReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", uint8(r))
}

// Reasons lists every drop reason.
func Reasons() []Reason {
	out := make([]Reason, 0, numReasons-1)
	for r := Reason(1); r < numReasons; r++ {
		out = append(out, r)
	}
	return out
}

// Action is one output of a core.
type Action struct {
	Kind ActionKind
	At   time.Time
	// To is the destination of ActSend (a node or a client).
	To    NodeID
	Frame []byte
	Class Class
	// Ref is copied from the input that caused the action (the frame a
	// forwarded packet arrived in, the frame that was dropped); 0 for
	// actions a core originates. Cores never interpret it.
	Ref uint64
	// Msg is the client's id of a message (ActSend of ClassPayload,
	// ActReport).
	Msg    uint64
	Body   []byte
	Reason Reason
	Report *Report
	Alarm  *Alarm
	RTT    time.Duration
}

// Ledger counts what became of every unit a core received: a frame, or
// for a client each entry of a pull response. At every instant
// In = Forwarded + Stored + Delivered + Cover + Loops + Answered + Dropped + Held:
// nothing is lost silently.
type Ledger struct {
	In        uint64
	Forwarded uint64 // relayed to the next hop after the hold
	Stored    uint64 // kept in a client's inbox at its provider
	Delivered uint64 // handed to the application
	Cover     uint64 // drop cover consumed, or a dummy entry
	Loops     uint64 // this endpoint's own loops back
	Answered  uint64 // pull requests answered
	Dropped   uint64 // discarded with a reason
	Held      uint64 // in the pool now
}

// Balanced reports whether every unit received is accounted for.
func (l Ledger) Balanced() bool {
	return l.In == l.Forwarded+l.Stored+l.Delivered+l.Cover+l.Loops+l.Answered+l.Dropped+l.Held
}
