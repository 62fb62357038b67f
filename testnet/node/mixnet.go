package node

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/mixnet/loopix"
)

// MixnetProtocol is the libp2p stream protocol that carries Loopix link
// frames between two endpoints, each as u32be(length) ‖ frame with
// 1 ≤ length ≤ loopix.MaxStreamFrame of the directory (layers/mixnet/loopix
// SPEC.md, "Wire format").
const MixnetProtocol = protocol.ID(loopix.StreamProtocol)

// errMixnetStopped is returned to requests that arrive after the service
// stopped.
var errMixnetStopped = errors.New("node: the mixnet service has stopped")

// mixBodyHeader is the length prefix of an application message inside a
// packet body: u16be(len(data)) ‖ data ‖ zero padding.
const mixBodyHeader = 2

// mixCore is what the node needs of a Loopix core.
type mixCore interface {
	Tick(now time.Time) []loopix.Action
	Receive(now time.Time, from loopix.NodeID, frame []byte, ref uint64) []loopix.Action
	Deadline() (time.Time, bool)
	Ledger() loopix.Ledger
}

// mixnetService hosts one Loopix core (client, provider or mix) on one
// goroutine, which alone touches the core and the counters below: it
// wakes at the core's deadline, feeds it wall-clock time, inbound frames
// and the application's messages, and executes its actions.
type mixnetService struct {
	n      *Node
	cfg    MixnetConfig
	setup  *mixnetSetup
	self   loopix.NodeID
	limit  int
	core   mixCore
	client *loopix.Client
	prov   *loopix.Provider
	mix    *loopix.Mix
	// byName is the address book by contact name and by peer id.
	byName  map[string]*contact
	senders map[peer.ID]chan []byte
	// refs numbers inbound frames; refPeer is the sender of the frame in
	// progress.
	refs    uint64
	refPeer peer.ID
	// msgs maps the client core's message ids to application ids until
	// the message leaves.
	msgs   map[uint64]string
	counts mixCounts
	// drv runs the core; everything above belongs to its goroutine.
	drv    *driver
	cancel context.CancelFunc
}

// mixCounts are the service's counters (owned by the loop goroutine).
type mixCounts struct {
	framesIn, framesOut, bytesIn, bytesOut uint64
	sent                                   map[string]uint64
	drops                                  map[string]uint64
	queued, delivered, loopsBack, alarms   uint64
}

// Host-level drop reasons: frames the cores never saw or that could not
// leave. Core drops carry loopix.Reason names.
const (
	mixDropQueueFull = "host_queue_full"
	mixDropLink      = "host_link"
	mixDropNoPeer    = "host_no_peer"
	mixDropStream    = "stream_malformed"
	mixDropBody      = "app_malformed"
)

// mixTraceReasons maps the cores' drop reasons to trace reasons.
var mixTraceReasons = map[loopix.Reason]trace.Reason{
	loopix.ReasonMalformed: trace.ReasonMalformed, loopix.ReasonUnwrap: trace.ReasonInvalid, loopix.ReasonReplay: trace.ReasonReplay,
	loopix.ReasonDelay: trace.ReasonInvalid, loopix.ReasonUnknownHop: trace.ReasonInvalid, loopix.ReasonNotServed: trace.ReasonPolicy,
	loopix.ReasonRole: trace.ReasonInvalid, loopix.ReasonInboxFull: trace.ReasonQueueFull, loopix.ReasonPoolFull: trace.ReasonQueueFull,
	loopix.ReasonStale: trace.ReasonExpired,
}

// MixnetMessageID is the id a node gives an application message sent or
// delivered over the mixnet: the first 16 bytes of SHA-256(data), in hex.
// Sender and recipient compute it alike, so traces link the two ends.
func MixnetMessageID(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:16])
}

func newMixnetService(n *Node, cfg MixnetConfig, seed int64) (*mixnetService, error) {
	st, err := cfg.setup()
	if err != nil {
		return nil, err
	}
	self := loopix.PeerNodeID([]byte(n.ov.Host.ID()))
	s := &mixnetService{
		n: n, cfg: cfg, setup: st, self: self, limit: loopix.MaxStreamFrame(st.dir.Geometry, st.dir.Params.PullSize),
		byName: map[string]*contact{}, drv: newDriver(errMixnetStopped), senders: map[peer.ID]chan []byte{},
		msgs: map[uint64]string{}, counts: mixCounts{sent: map[string]uint64{}, drops: map[string]uint64{}},
	}
	for i := range st.contacts {
		c := &st.contacts[i]
		s.byName[c.name] = c
		s.byName[c.peer.id.String()] = c
	}
	// Timing and route choices are seeded like the node's other choices;
	// packet keys and cover bodies come from the operating system.
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d69786e6574))
	now := time.Now()
	var acts []loopix.Action
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: mixnet: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch cfg.Role {
	case MixnetClient:
		me, ok := s.byName[n.ov.Host.ID().String()]
		if !ok {
			return nil, bad("this node (peer %s) is not a client of the address book", n.ov.Host.ID())
		}
		s.client, acts, err = loopix.NewClient(loopix.ClientConfig{ID: self, Provider: me.provider, Format: st.format, Rand: rng,
			Entropy: crand.Reader, Profile: loopix.Desktop(), Adaptive: cfg.Adaptive}, st.dir, now)
		s.core = s.client
	case MixnetProvider, MixnetMix:
		node, ok := st.dir.Node(self)
		if !ok {
			return nil, bad("this node (peer %s, node id %s) is not in the directory", n.ov.Host.ID(), self)
		}
		pub, key, kerr := MixnetKey(st.format, st.keySeed, self, st.dir.Epoch)
		if kerr != nil {
			return nil, kerr
		}
		if pub != node.Key {
			return nil, bad("key_seed does not give this node's key of the directory")
		}
		if cfg.Role == MixnetProvider {
			var served []loopix.NodeID
			for _, c := range st.contacts {
				if c.provider == self {
					served = append(served, c.id)
				}
			}
			s.prov, acts, err = loopix.NewProvider(loopix.ProviderConfig{ID: self, Format: st.format, Rand: rng, Entropy: crand.Reader,
				Clients: served}, st.dir, key, now)
			s.core = s.prov
		} else {
			s.mix, acts, err = loopix.NewMix(loopix.MixConfig{ID: self, Format: st.format, Rand: rng, Entropy: crand.Reader,
				Adaptive: cfg.Adaptive}, st.dir, key, now)
			s.core = s.mix
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: mixnet: %w", ErrConfig, err)
	}
	h := n.ov.Host
	for id, m := range st.peers {
		if id == self {
			continue
		}
		if len(m.addrs) > 0 {
			h.Peerstore().AddAddrs(m.id, m.addrs, peerstore.PermanentAddrTTL)
		}
	}
	h.SetStreamHandler(MixnetProtocol, s.handleStream)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.apply(now, acts)
	go s.drv.run(ctx, func(now time.Time) { s.apply(now, s.core.Tick(now)) }, nil, s.core.Deadline)
	n.trace.emit(trace.Event{Layer: "mixnet", Kind: trace.KindState, Detail: fmt.Sprintf("%s %s epoch %d", cfg.Role, self, st.dir.Epoch)})
	return s, nil
}

// receive hands an inbound frame from p to the core.
func (s *mixnetService) receive(ctx context.Context, p peer.ID, frame []byte) error {
	return s.drv.post(ctx, func(now time.Time) {
		s.refs++
		s.refPeer = p
		s.counts.framesIn++
		s.counts.bytesIn += uint64(len(frame))
		s.n.metrics.mixFrames.WithLabelValues("in", frameKind(frame)).Inc()
		s.n.trace.emit(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindRecv, Peer: p.String(), Bytes: len(frame)})
		s.apply(now, s.core.Receive(now, loopix.PeerNodeID([]byte(p)), frame, s.refs))
		s.refPeer = ""
	})
}

// frameKind names a frame by its type byte, as a link observer could not
// (the link is encrypted) but the receiving node can.
func frameKind(frame []byte) string {
	switch loopix.FrameType(frame[0]) {
	case loopix.FramePacket:
		return "packet"
	case loopix.FramePull:
		return "pull"
	case loopix.FramePullResponse:
		return "pullresponse"
	}
	return "unknown"
}

// apply executes a core's actions.
func (s *mixnetService) apply(now time.Time, acts []loopix.Action) {
	for _, a := range acts {
		switch a.Kind {
		case loopix.ActSend:
			s.send(now, a)
		case loopix.ActDeliver:
			s.deliver(now, a.Body)
		case loopix.ActDrop:
			ev := trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindDrop, Reason: mixTraceReasons[a.Reason], Detail: a.Reason.String()}
			if a.Ref != 0 && a.Ref == s.refs && s.refPeer != "" {
				ev.Peer = s.refPeer.String()
			}
			s.drop(ev, a.Reason.String())
		case loopix.ActReport:
			id := s.msgs[a.Msg]
			delete(s.msgs, a.Msg)
			r := a.Report
			s.n.trace.emit(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindSend, MsgID: id,
				Detail: fmt.Sprintf("depart pool=%.2f entropy=%.2f delay=%v target_met=%t", r.ExpectedPool, r.EntropyFloor, r.ExpectedDelay, r.TargetMet)})
		case loopix.ActLoop:
			s.counts.loopsBack++
			s.n.metrics.mixLoops.Inc()
		case loopix.ActAlarm:
			s.counts.alarms++
			s.n.metrics.mixAlarms.Inc()
			s.n.trace.emit(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindState, Detail: fmt.Sprintf("n-1 alarm %+v", *a.Alarm)})
		case loopix.ActTimer:
			// The loop reads the core's Deadline after every call.
		}
	}
}

// drop records a drop in the trace, the counters and the metrics.
func (s *mixnetService) drop(ev trace.Event, reason string) {
	s.counts.drops[reason]++
	s.n.metrics.mixDropped.WithLabelValues(reason).Inc()
	s.n.trace.emit(ev)
}

// send queues a frame for the peer of a.To.
func (s *mixnetService) send(now time.Time, a loopix.Action) {
	m, ok := s.setup.peers[a.To]
	if !ok {
		s.drop(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindDrop, Reason: trace.ReasonInvalid, Bytes: len(a.Frame),
			Detail: "no peer for node " + a.To.String()}, mixDropNoPeer)
		return
	}
	q := s.senders[m.id]
	if q == nil {
		q = make(chan []byte, senderQueue)
		s.senders[m.id] = q
		s.n.ov.Host.ConnManager().Protect(m.id, "strata-mixnet")
		go s.streamSender(m.id, q)
	}
	buf := loopix.AppendStreamFrame(make([]byte, 0, loopix.StreamHeaderSize+len(a.Frame)), a.Frame)
	select {
	case q <- buf:
	default:
		s.drop(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindDrop, Reason: trace.ReasonQueueFull, Peer: m.id.String(),
			Bytes: len(a.Frame), Detail: a.Class.String()}, mixDropQueueFull)
		return
	}
	class := a.Class.String()
	s.counts.framesOut++
	s.counts.bytesOut += uint64(len(a.Frame))
	s.counts.sent[class]++
	s.n.metrics.mixFrames.WithLabelValues("out", class).Inc()
	s.n.trace.emit(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindSend, Peer: m.id.String(), Bytes: len(a.Frame), Detail: class})
}

// deliver hands a message body to the application: the inbox (kind
// "mixnet", no sender: the mixnet hides it) and the trace.
func (s *mixnetService) deliver(now time.Time, body []byte) {
	data, ok := unpackMixBody(body)
	if !ok {
		s.drop(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindDrop, Reason: trace.ReasonMalformed, Bytes: len(body),
			Detail: "body length prefix out of range"}, mixDropBody)
		return
	}
	id := MixnetMessageID(data)
	s.counts.delivered++
	s.n.metrics.mixDelivered.Inc()
	s.n.trace.emit(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindDeliver, MsgID: id, Bytes: len(data)})
	s.n.inbox.add(Delivery{Time: now, Kind: "mixnet", ID: id, Size: len(data), Data: data})
}

// packMixBody puts data in a packet body: u16be(len) ‖ data (the core
// pads with zeros).
func packMixBody(data []byte) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, mixBodyHeader+len(data)), uint16(len(data)))
	return append(b, data...)
}

// unpackMixBody reads the data of a delivered body.
func unpackMixBody(body []byte) ([]byte, bool) {
	if len(body) < mixBodyHeader {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(body))
	if n > len(body)-mixBodyHeader {
		return nil, false
	}
	return body[mixBodyHeader : mixBodyHeader+n], true
}

// MixnetSendReply is the reply of POST /mixnet/send.
type MixnetSendReply struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// Queued is the client's send queue after this message.
	Queued int `json:"queued"`
}

// sendMessage queues data for the client named to (a contact name or
// peer id); it leaves at one of the client's next payload ticks.
func (s *mixnetService) sendMessage(ctx context.Context, to string, data []byte) (MixnetSendReply, error) {
	if s.client == nil {
		return MixnetSendReply{}, fmt.Errorf("%w: this node is a %s, not a client", ErrMixnet, s.cfg.Role)
	}
	c, ok := s.byName[to]
	if !ok {
		return MixnetSendReply{}, fmt.Errorf("%w: %q is not in the address book", ErrMixnet, to)
	}
	if max := s.setup.dir.Geometry.PayloadSize - mixBodyHeader; len(data) > max {
		return MixnetSendReply{}, fmt.Errorf("%w: %d bytes; a message carries at most %d: %w", ErrMixnet, len(data), max, loopix.ErrTooLarge)
	}
	return onLoop(ctx, s.drv, func(now time.Time) (MixnetSendReply, error) {
		id := MixnetMessageID(data)
		msg, acts, err := s.client.Send(now, c.id, c.provider, packMixBody(data))
		if err != nil {
			return MixnetSendReply{}, fmt.Errorf("%w: %w", ErrMixnet, err)
		}
		s.msgs[msg] = id
		s.counts.queued++
		s.n.metrics.mixSent.Inc()
		s.n.trace.emit(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindSend, MsgID: id, Bytes: len(data), Detail: "queue " + c.name})
		s.apply(now, acts)
		return MixnetSendReply{ID: id, Time: now, Queued: s.client.Queued()}, nil
	})
}

// close stops the core goroutine, then the senders.
func (s *mixnetService) close() error {
	s.n.ov.Host.RemoveStreamHandler(MixnetProtocol)
	s.cancel()
	<-s.drv.done
	// The loop was the only writer of the senders' queues.
	for _, q := range s.senders {
		close(q)
	}
	return nil
}
