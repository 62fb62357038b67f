package sim

import (
	"math/bits"
	"strconv"

	"github.com/strata-lab/strata/internal/trace"
)

// linkParams is a LinkModel in the units the send path uses.
type linkParams struct {
	lat    Dist
	jitter int64 // ns
	loss   float64
	bw     int64 // bytes/s, 0: infinite
	maxQ   int64 // bytes, 0: unbounded
}

func newLinkParams(m LinkModel) linkParams {
	return linkParams{lat: m.Latency, jitter: int64(m.Jitter), loss: m.Loss, bw: m.Bandwidth, maxQ: m.MaxQueue}
}

// uplink is a sender's FIFO transmit queue.
type uplink struct {
	free    int64     // when the last accepted packet finishes serializing
	fifo    []pending // accepted packets not yet fully serialized, oldest first
	head    int
	backlog int64 // bytes in fifo[head:]
}

type pending struct{ finish, size int64 }

// serialization is size/bw seconds in nanoseconds, rounded down.
func serialization(size, bw int64) int64 {
	if bw <= 0 || size <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(size), 1e9)
	if hi >= uint64(bw) {
		return 1 << 62 // absurd sizes: saturate rather than overflow
	}
	q, _ := bits.Div64(hi, lo, uint64(bw))
	return int64(min(q, 1<<62))
}

// admit queues a packet of size bytes at now and returns the time its last
// bit leaves, or false if the queue bound drops it.
func (u *uplink) admit(now, size int64, l *linkParams) (int64, bool) {
	for u.head < len(u.fifo) && u.fifo[u.head].finish <= now {
		u.backlog -= u.fifo[u.head].size
		u.head++
	}
	if u.head == len(u.fifo) {
		u.fifo, u.head = u.fifo[:0], 0
	} else if u.head > 64 && u.head > len(u.fifo)/2 {
		n := copy(u.fifo, u.fifo[u.head:])
		u.fifo, u.head = u.fifo[:n], 0
	}
	if l.maxQ > 0 && u.backlog+size > l.maxQ {
		return 0, false
	}
	finish := max(now, u.free) + serialization(size, l.bw)
	u.free = finish
	if finish > now {
		u.fifo = append(u.fifo, pending{finish: finish, size: size})
		u.backlog += size
	}
	return finish, true
}

// send is Env.Send: it applies the send-time rules and queues the arrival.
func (s *Sim) send(n *nodeState, to NodeID, payload []byte) {
	r := s.node(to)
	s.pkt++
	id := s.pkt
	size := int64(len(payload))
	n.c.sent++
	n.c.bytesSent += uint64(size)
	s.tot.sent++
	s.tot.bytesSent += uint64(size)
	if s.cfg.TraceLinks {
		s.emitLink(trace.KindSend, n, r, id, size)
	}
	if !n.online {
		s.drop(n, n, r, id, size, dropOffline)
		return
	}
	if s.partitioned && n.part != r.part {
		s.drop(n, n, r, id, size, dropPartition)
		return
	}
	l := &s.links[int(n.class)*len(s.classNames)+int(r.class)]
	depart := s.now
	if l.bw > 0 || l.maxQ > 0 || n.up.free > s.now {
		var ok bool
		if depart, ok = n.up.admit(s.now, size, l); !ok {
			s.drop(n, n, r, id, size, dropQueue)
			return
		}
	}
	if l.loss > 0 && n.linkRng.Float64() < l.loss {
		s.drop(n, n, r, id, size, dropLoss)
		return
	}
	delay := drawDist(n.linkRng, &l.lat)
	if l.jitter > 0 {
		delay = max(0, delay+n.linkRng.Int64N(2*l.jitter+1)-l.jitter)
	}
	s.push(event{at: depart + delay, kind: evArrive, arg: id, payload: payload,
		node: int32(to), from: int32(n.env.id)})
}

// arrive applies the arrival-time rules and delivers.
func (s *Sim) arrive(e *event) {
	r := s.nodes[e.node]
	snd := s.nodes[e.from]
	size := int64(len(e.payload))
	if !r.online {
		s.drop(snd, r, snd, e.arg, size, dropOffline)
		return
	}
	if s.partitioned && r.part != snd.part {
		s.drop(snd, r, snd, e.arg, size, dropPartition)
		return
	}
	snd.c.delivered++
	snd.c.bytesDelivered += uint64(size)
	r.c.received++
	r.c.bytesReceived += uint64(size)
	s.tot.delivered++
	s.tot.bytesDelivered += uint64(size)
	s.tot.received++
	s.tot.bytesReceived += uint64(size)
	if s.cfg.TraceLinks {
		s.emitLink(trace.KindRecv, r, snd, e.arg, size)
	}
	s.inHandler++
	r.node.Receive(&r.env, snd.env.id, e.payload)
	s.inHandler--
}

// drop counts a drop against the sender and emits it at node `at` with
// `peer` as the other end.
func (s *Sim) drop(sender, at, peer *nodeState, id uint64, size int64, why int) {
	sender.c.dropped[why]++
	s.tot.dropped[why]++
	s.emit(trace.Event{Time: s.Now(), Node: at.name, Layer: TraceLayer, Kind: trace.KindDrop,
		Reason: dropReasons[why], MsgID: strconv.FormatUint(id, 16), Peer: peer.name, Bytes: int(size)})
}

func (s *Sim) emitLink(k trace.Kind, at, peer *nodeState, id uint64, size int64) {
	s.emit(trace.Event{Time: s.Now(), Node: at.name, Layer: TraceLayer, Kind: k,
		MsgID: strconv.FormatUint(id, 16), Peer: peer.name, Bytes: int(size)})
}
