package mixsim

import (
	"time"

	"github.com/strata-lab/strata/layers/mixnet/loopix"
)

// Role of a simulated node.
type Role string

// Roles.
const (
	RoleProvider Role = "provider"
	RoleMix      Role = "mix"
	RoleClient   Role = "client"
)

// NodeInfo describes one node; its index in Outcome.Nodes is its sim
// node id and the From/To of link events.
type NodeInfo struct {
	ID   loopix.NodeID
	Role Role
	// Layer is the mix layer (1..Layers), 0 for providers and clients.
	Layer int
	// Provider is a client's provider (an index into Nodes), −1 otherwise.
	Provider int32
}

// LinkEvent is what an observer of every link sees of one frame: when it
// was sent, by whom, to whom, and its size. It arrives Config.Latency
// later unless the link lost it (Config.Loss). Frames a flush adversary
// dropped are included (they were sent). Events are in send order.
type LinkEvent struct {
	// T is the send time since the start of the run.
	T        time.Duration
	From, To int32
	Size     int32
}

// Truth is the ground truth of the link event with the same index.
type Truth struct {
	// Packet numbers end-to-end packets from 1; 0 for pull frames.
	Packet uint64
	// Class is what the packet is (payload, loop, drop, mixloop) at every
	// hop, or pull / pullresponse.
	Class loopix.Class
	// Hop is the link's position on the packet's route (0: the first
	// link from its sender).
	Hop uint8
	// In is the index of the link event that brought this packet into
	// From (a mix or provider forwarding it; for a pull response, the
	// pull request), −1 when From created it.
	In int64
	// Msg is the message (1-based index into Outcome.Messages) a payload
	// packet carries, 0 otherwise.
	Msg uint64
}

// Message is one application message. Times are since the start of the
// run; −1 if it did not happen.
type Message struct {
	From, To int32
	// Created: handed to the client; Departed: left the client in a
	// packet; Stored: reached the recipient's provider; Delivered: handed
	// to the recipient's application (after a pull).
	Created, Departed, Stored, Delivered time.Duration
	// FirstLink and DeliverLink index the link events of the client's
	// packet and of the pull response that carried it (−1: none or not
	// recorded).
	FirstLink, DeliverLink int64
	// What the sender was told (loopix.Report) when it left.
	ExpectedPool  float64
	EntropyFloor  float64
	ExpectedDelay time.Duration
	TargetMet     bool
}

// MixStats are one mix's measurements over the measured window.
type MixStats struct {
	Node  int32
	Layer int
	// Arrivals entered the pool; Rate = Arrivals / window, per second.
	Arrivals uint64
	Rate     float64
	// Pool holds the pool size at every sample.
	Pool []int
	// Entropy is the mean over the window's outputs of the Loopix
	// incremental entropy (Eq. 5), in bits; Outputs counts them.
	Entropy float64
	Outputs uint64
	// Alarms and Checks of the n−1 detector over the whole run;
	// FirstAlarm since the start (−1: none).
	Alarms, Checks int
	FirstAlarm     time.Duration
	LoopsSent      uint64
	LoopsBack      uint64
}

// ClientTraffic is one client's traffic over the measured window.
type ClientTraffic struct {
	Node                 int32
	BytesUp, BytesDown   uint64
	PacketsUp, PullsUp   uint64
	Foreground           time.Duration
	LoopsSent, LoopsBack uint64
}

// EpochInfo is one published directory.
type EpochInfo struct {
	Epoch uint64
	Start time.Duration
	// MixRates are the rates published per mix (packets/s), in mix order.
	MixRates []float64
	// DirectoryBytes is the size of the encoded, signed directory.
	DirectoryBytes int
}

// Outcome is everything one run measured.
type Outcome struct {
	Config  Config
	Nodes   []NodeInfo
	Start   time.Time
	Window  time.Duration
	Mixes   []MixStats
	Clients []ClientTraffic
	// Messages are indexed by message number − 1.
	Messages []Message
	// LinkEvents and GroundTruth are parallel (Config.RecordLinks).
	LinkEvents  []LinkEvent
	GroundTruth []Truth
	Epochs      []EpochInfo
	// Drops counts discarded packets by reason (loopix reasons, and
	// "flush" for the adversary's).
	Drops map[string]uint64
	// Foreground intervals of each client (ForegroundOnly profiles), as
	// [start, end) pairs since the start of the run, by node index.
	ForegroundIntervals map[int32][][2]time.Duration
	Events              uint64
	// TraceHash covers every link event, every delivery and the
	// simulator's own trace: equal seeds give equal hashes.
	TraceHash string
}
