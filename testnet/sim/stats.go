package sim

import "github.com/strata-lab/strata/internal/trace"

// Indices of the drop reasons the simulator itself produces.
const (
	dropLoss = iota
	dropOffline
	dropPartition
	dropQueue
	numDrop
)

var dropReasons = [numDrop]trace.Reason{
	dropLoss:      trace.ReasonLinkLoss,
	dropOffline:   trace.ReasonNodeOffline,
	dropPartition: trace.ReasonPartition,
	dropQueue:     trace.ReasonQueueFull,
}

// Stats counts packets. For one node, Sent, Delivered, Dropped and their
// byte counts are about the packets the node sent (whatever became of them),
// Received and BytesReceived about the packets delivered to it. Every packet
// ends delivered or dropped exactly once, so
// Sent = Delivered + ΣDropped + (packets still in flight).
type Stats struct {
	Sent      uint64
	Delivered uint64
	// Dropped counts drops by reason; reasons with no drop are absent.
	Dropped        map[trace.Reason]uint64
	BytesSent      uint64
	BytesDelivered uint64
	Received       uint64
	BytesReceived  uint64
}

// TotalDropped is the sum of Dropped.
func (st Stats) TotalDropped() uint64 {
	var t uint64
	for _, v := range st.Dropped {
		t += v
	}
	return t
}

type counters struct {
	sent, delivered, bytesSent, bytesDelivered, received, bytesReceived uint64
	dropped                                                             [numDrop]uint64
}

func (c *counters) stats() Stats {
	st := Stats{
		Sent: c.sent, Delivered: c.delivered, BytesSent: c.bytesSent,
		BytesDelivered: c.bytesDelivered, Received: c.received, BytesReceived: c.bytesReceived,
		Dropped: make(map[trace.Reason]uint64),
	}
	for i, v := range c.dropped {
		if v > 0 {
			st.Dropped[dropReasons[i]] = v
		}
	}
	return st
}

// Stats returns the counters of the whole network.
func (s *Sim) Stats() Stats { return s.tot.stats() }

// NodeStats returns the counters of one node.
func (s *Sim) NodeStats(id NodeID) Stats { return s.node(id).c.stats() }
