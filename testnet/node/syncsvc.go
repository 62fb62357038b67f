package node

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/layers/sync"
	"github.com/strata-lab/strata/layers/sync/boltstore"
)

// Specification constants of the node's sync transports.
const (
	// SyncProtocol is the libp2p stream protocol that carries sync frames:
	// each frame is u32be(length) || frame, length ≤ sync.MaxFrameBytes.
	SyncProtocol = protocol.ID("/strata/sync/1.0.0")
	// SyncDB is the sync store's file name in the data directory.
	SyncDB = "sync.db"
	// groupIDLabel domain-separates group ids derived from group names.
	groupIDLabel = "strata/testnet/group/v1"
	// envelopeVersion is the first byte of a gossip envelope.
	envelopeVersion = 1
)

// Implementation constants.
const (
	senderQueue    = 256
	dialInterval   = 2 * time.Second
	streamDeadline = 10 * time.Second
)

// ErrSync classifies sync service errors (unknown group, engine failure).
var ErrSync = errors.New("node: sync")

// errSyncStopped is returned to requests that arrive after the engine
// stopped.
var errSyncStopped = fmt.Errorf("%w: the sync engine has stopped", ErrSync)

// GroupID derives a sync group id from a group name:
// SHA-256(u32be(len(label)) || label || name).
func GroupID(name string) sync.GroupID {
	h := sha256.New()
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(groupIDLabel)))
	h.Write(n[:])
	h.Write([]byte(groupIDLabel))
	h.Write([]byte(name))
	var id sync.GroupID
	copy(id[:], h.Sum(nil))
	return id
}

// SyncTopic is the gossip topic of a sync group.
func SyncTopic(name string) string {
	id := GroupID(name)
	t, _ := overlay.TopicName("sync", hex.EncodeToString(id[:]))
	return t
}

type member struct {
	id    peer.ID
	addrs []ma.Multiaddr
}

// syncService runs a sync engine on one goroutine and moves its frames
// over the chosen transport.
type syncService struct {
	n         *Node
	cfg       SyncConfig
	eng       *sync.Engine
	store     *boltstore.Store
	self      peer.ID
	groups    map[string]sync.GroupID
	names     map[sync.GroupID]string
	topics    map[string]string   // topic -> group name
	members   map[peer.ID]*member // other members of any group
	peerGroup map[peer.ID]string  // first group (by name) shared with a peer
	senders   map[peer.ID]chan []byte
	nonce     atomic.Uint64
	failed    atomic.Pointer[error]
	// drv runs the engine; the fields above belong to its goroutine.
	drv    *driver
	cancel context.CancelFunc
}

// parseMember accepts a peer id or a multiaddr ending in /p2p/<id>.
func parseMember(s string) (*member, error) {
	if strings.HasPrefix(s, "/") {
		ai, err := peer.AddrInfoFromString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: sync member %q: %v", ErrConfig, s, err)
		}
		return &member{id: ai.ID, addrs: ai.Addrs}, nil
	}
	id, err := peer.Decode(s)
	if err != nil {
		return nil, fmt.Errorf("%w: sync member %q: %v", ErrConfig, s, err)
	}
	return &member{id: id}, nil
}

// syncTopics lists the gossip topics the sync service needs joined.
func (c SyncConfig) syncTopics() []string {
	if c.Transport != TransportGossip {
		return nil
	}
	var out []string
	for _, g := range c.Groups {
		out = append(out, SyncTopic(g.Name))
	}
	return out
}

func newSyncService(n *Node, cfg SyncConfig, dataDir string, seed int64) (*syncService, error) {
	self := n.ov.Host.ID()
	s := &syncService{
		n: n, cfg: cfg, self: self,
		groups: map[string]sync.GroupID{}, names: map[sync.GroupID]string{}, topics: map[string]string{},
		members: map[peer.ID]*member{}, peerGroup: map[peer.ID]string{},
		drv: newDriver(errSyncStopped), senders: map[peer.ID]chan []byte{},
	}
	store, err := boltstore.Open(filepath.Join(dataDir, SyncDB), boltstore.Options{NoSync: cfg.NoSync})
	if err != nil {
		return nil, err
	}
	s.store = store
	ecfg := sync.DefaultConfig(sync.PeerID(self.String()))
	ecfg.BackoffCap = time.Duration(cfg.BackoffCap)
	now := time.Now()
	eng, err := sync.NewEngine(ecfg, store, rand.New(rand.NewPCG(uint64(seed), 0x73796e63)), now)
	if err != nil {
		store.Close()
		return nil, err
	}
	s.eng = eng
	mode := sync.ModeBatch
	if cfg.Mode == "interactive" {
		mode = sync.ModeInteractive
	}
	pc := sync.PeerConfig{Mode: mode, Latency: time.Duration(cfg.Latency), Reconcile: cfg.Reconcile}
	groups := slices.Clone(cfg.Groups)
	sort.Slice(groups, func(i, j int) bool { return groups[i].Name < groups[j].Name })
	for _, g := range groups {
		gid := GroupID(g.Name)
		var ids []sync.PeerID
		for _, m := range g.Members {
			mb, err := parseMember(m)
			if err != nil {
				store.Close()
				return nil, err
			}
			ids = append(ids, sync.PeerID(mb.id.String()))
			if mb.id == self {
				continue
			}
			if old := s.members[mb.id]; old == nil || len(old.addrs) == 0 {
				s.members[mb.id] = mb
			}
			if _, ok := s.peerGroup[mb.id]; !ok {
				s.peerGroup[mb.id] = g.Name
			}
		}
		if err := eng.AddGroup(now, gid, ids); err != nil {
			store.Close()
			return nil, fmt.Errorf("%w: group %s: %w", ErrConfig, g.Name, err)
		}
		s.groups[g.Name], s.names[gid] = gid, g.Name
		s.topics[SyncTopic(g.Name)] = g.Name
	}
	for id := range s.members {
		if err := eng.AddPeer(now, sync.PeerID(id.String()), pc); err != nil {
			store.Close()
			return nil, err
		}
	}
	if cfg.Transport == TransportStream {
		// Reachability comes from connection events.
		if err := eng.AllPeersOffline(now); err != nil {
			store.Close()
			return nil, err
		}
	}
	eng.Outbox() // nothing can leave before the transports run
	return s, nil
}

// start runs the engine loop and the transport.
func (s *syncService) start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	go s.drv.run(ctx, func(now time.Time) { s.check(s.eng.Tick(now)) }, s.flush, s.eng.NextDeadline)
	h := s.n.ov.Host
	// Members stay connected: over streams they are the links, and over
	// gossip a member reaches the group's topic only through members it is
	// connected to.
	for id, m := range s.members {
		h.ConnManager().Protect(id, "strata-sync")
		if len(m.addrs) > 0 {
			h.Peerstore().AddAddrs(id, m.addrs, time.Hour)
		}
	}
	go s.dialer(ctx)
	switch s.cfg.Transport {
	case TransportStream:
		h.SetStreamHandler(SyncProtocol, s.handleStream)
		h.Network().Notify(&network.NotifyBundle{
			ConnectedF:    func(_ network.Network, c network.Conn) { s.connectivity(c.RemotePeer()) },
			DisconnectedF: func(_ network.Network, c network.Conn) { s.connectivity(c.RemotePeer()) },
		})
		for id := range s.members {
			s.connectivity(id)
		}
	case TransportGossip:
		for topic, name := range s.topics {
			t, err := s.n.ov.Topic(topic)
			if err != nil {
				return err
			}
			sub, err := t.Subscribe()
			if err != nil {
				return fmt.Errorf("%w: subscribing to group %s: %w", ErrSync, name, err)
			}
			go s.gossipReceive(ctx, sub)
		}
	}
	return nil
}

// dialer keeps trying to connect to the group members that are not
// connected (they may be offline, or unknown to the overlay).
func (s *syncService) dialer(ctx context.Context) {
	h := s.n.ov.Host
	tk := time.NewTicker(dialInterval)
	defer tk.Stop()
	for {
		for id := range s.members {
			if h.Network().Connectedness(id) == network.Connected {
				continue
			}
			go func() {
				dctx, cancel := context.WithTimeout(ctx, dialInterval)
				defer cancel()
				_ = h.Connect(dctx, peer.AddrInfo{ID: id}) // failure: the member is offline; retried
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
	}
}

// connectivity tells the engine whether a member is reachable now.
func (s *syncService) connectivity(p peer.ID) {
	if s.members[p] == nil {
		return
	}
	s.post(func(now time.Time) {
		online := s.n.ov.Host.Network().Connectedness(p) == network.Connected
		pid := sync.PeerID(p.String())
		var err error
		if online {
			err = s.eng.PeerOnline(now, pid)
		} else {
			err = s.eng.PeerOffline(now, pid)
		}
		s.check(err)
	})
}

// post queues f to run on the engine goroutine; it blocks while the
// queue is full (backpressure on the transports). Once the engine has
// stopped, what arrives is for an engine that no longer runs, and goes.
func (s *syncService) post(f func(time.Time)) { _ = s.drv.post(context.Background(), f) }

// check records an engine failure (a store error stops the engine).
func (s *syncService) check(err error) {
	if err == nil || !errors.Is(err, sync.ErrFailed) && !errors.Is(err, sync.ErrStore) && !errors.Is(err, sync.ErrInternal) {
		return
	}
	if s.failed.Load() == nil {
		s.failed.Store(&err)
		s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindState, Detail: "engine failed: " + err.Error()})
	}
}

// health returns the engine failure, if any.
func (s *syncService) health() error {
	if p := s.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// flush moves the engine's frames to the transport and its events to
// the trace, the inbox and the metrics.
func (s *syncService) flush() {
	for _, o := range s.eng.Outbox() {
		s.n.metrics.syncFrames.WithLabelValues("out").Inc()
		s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindSend, Peer: string(o.To), Bytes: len(o.Bytes)})
		p, err := peer.Decode(string(o.To))
		if err != nil {
			continue // peers are added from decoded ids
		}
		switch s.cfg.Transport {
		case TransportStream:
			s.sendStream(p, o.Bytes)
		case TransportGossip:
			s.sendGossip(p, o.Bytes)
		}
	}
	for _, ev := range s.eng.Events() {
		s.event(ev)
	}
}

func (s *syncService) event(ev sync.Event) {
	id := hex.EncodeToString(ev.ID[:])
	group := s.names[ev.Group]
	switch ev.Kind {
	case sync.EventDelivered:
		s.n.metrics.syncDelivered.Inc()
		size := len(ev.Message.Body)
		s.n.trace.emit(trace.Event{Time: ev.Time, Layer: "sync", Kind: trace.KindDeliver, MsgID: id, Peer: string(ev.Peer), Bytes: size, Detail: group})
		s.n.inbox.add(Delivery{Time: ev.Time, Kind: "sync", Topic: group, ID: id, From: string(ev.Peer), Size: size, Data: ev.Message.Body})
	case sync.EventExpired:
		s.n.trace.emit(trace.Event{Time: ev.Time, Layer: "sync", Kind: trace.KindExpire, Reason: ev.Reason, MsgID: id, Peer: string(ev.Peer), Detail: ev.Record.String()})
	case sync.EventParentLost:
		s.n.trace.emit(trace.Event{Time: ev.Time, Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonParentLost, MsgID: id, Peer: string(ev.Peer), Detail: group})
	case sync.EventDropped:
		s.n.metrics.syncDropped.WithLabelValues(string(ev.Reason)).Inc()
		s.n.trace.emit(trace.Event{Time: ev.Time, Layer: "sync", Kind: trace.KindDrop, Reason: ev.Reason, MsgID: id, Peer: string(ev.Peer), Detail: group})
	}
}

// send appends body to group and returns once the message is stored: the
// acknowledgement a client gets means the message survives a crash.
func (s *syncService) send(ctx context.Context, group string, body []byte) (sync.ID, error) {
	gid, ok := s.groups[group]
	if !ok {
		return sync.ID{}, fmt.Errorf("%w: unknown group %q", ErrSync, group)
	}
	return onLoop(ctx, s.drv, func(now time.Time) (sync.ID, error) {
		id, err := s.eng.Send(now, gid, body, false)
		s.check(err)
		if err == nil {
			s.n.metrics.syncSent.Inc()
			s.n.trace.emit(trace.Event{Time: now, Layer: "sync", Kind: trace.KindSend, MsgID: hex.EncodeToString(id[:]), Bytes: len(body), Detail: "publish " + group})
		}
		return id, err
	})
}

// receive hands a frame from p to the engine.
func (s *syncService) receive(p peer.ID, frame []byte) {
	s.n.metrics.syncFrames.WithLabelValues("in").Inc()
	s.post(func(now time.Time) {
		s.n.trace.emit(trace.Event{Time: now, Layer: "sync", Kind: trace.KindRecv, Peer: p.String(), Bytes: len(frame)})
		err := s.eng.Receive(now, sync.PeerID(p.String()), frame)
		switch {
		case errors.Is(err, sync.ErrMalformed):
			s.n.trace.emit(trace.Event{Time: now, Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonMalformed, Peer: p.String(), Bytes: len(frame)})
		case errors.Is(err, sync.ErrUnknownPeer):
			s.n.trace.emit(trace.Event{Time: now, Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonNotMember, Peer: p.String(), Bytes: len(frame)})
		default:
			s.check(err)
		}
	})
}

// ---- stream transport ----

func (s *syncService) handleStream(st network.Stream) {
	defer st.Close()
	p := st.Conn().RemotePeer()
	if s.members[p] == nil {
		st.Reset()
		s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonNotMember, Peer: p.String(), Detail: "stream"})
		return
	}
	r := bufio.NewReader(st)
	for {
		frame, err := readFrame(r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, network.ErrReset) {
				s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonMalformed, Peer: p.String(), Detail: err.Error()})
			}
			return
		}
		s.receive(p, frame)
	}
}

// readFrame reads u32be(length) || frame, refusing lengths above
// sync.MaxFrameBytes.
func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size == 0 || size > sync.MaxFrameBytes {
		return nil, fmt.Errorf("%w: frame length %d out of range", sync.ErrMalformed, size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

func (s *syncService) sendStream(p peer.ID, frame []byte) {
	q := s.senders[p]
	if q == nil {
		q = make(chan []byte, senderQueue)
		s.senders[p] = q
		go s.streamSender(p, q)
	}
	select {
	case q <- frame:
	default:
		// The engine retransmits whatever was not acknowledged.
		s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonQueueFull, Peer: p.String(), Bytes: len(frame)})
	}
}

// streamSender writes frames to p over one stream, reopened after errors.
// A frame that cannot be written is dropped: the engine retransmits.
func (s *syncService) streamSender(p peer.ID, q chan []byte) {
	h := s.n.ov.Host
	var st network.Stream
	for frame := range q {
		if st == nil && h.Network().Connectedness(p) == network.Connected {
			ctx, cancel := context.WithTimeout(context.Background(), streamDeadline)
			var err error
			st, err = h.NewStream(network.WithNoDial(ctx, "sync"), p, SyncProtocol)
			cancel()
			if err != nil {
				st = nil
			}
		}
		if st == nil {
			s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonNodeOffline, Peer: p.String(), Bytes: len(frame)})
			continue
		}
		buf := make([]byte, 4+len(frame))
		binary.BigEndian.PutUint32(buf, uint32(len(frame)))
		copy(buf[4:], frame)
		st.SetWriteDeadline(time.Now().Add(streamDeadline))
		if _, err := st.Write(buf); err != nil {
			st.Reset()
			st = nil
			s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonLinkLoss, Peer: p.String(), Bytes: len(frame), Detail: err.Error()})
		}
	}
	if st != nil {
		st.Close()
	}
}

// ---- gossip transport ----

// Gossip envelope (SPEC of the node, not of a layer):
//
//	u8 version=1 || u64be nonce || u8 len(to) || to || u8 len(from) || from || frame
//
// to and from are binary peer ids. The nonce makes every envelope unique,
// so that content-addressed gossip ids do not suppress a retransmission.
// from is not authenticated by the overlay (messages carry no author).
func encodeEnvelope(nonce uint64, to, from peer.ID, frame []byte) []byte {
	b := make([]byte, 0, 11+len(to)+len(from)+len(frame))
	b = append(b, envelopeVersion)
	b = binary.BigEndian.AppendUint64(b, nonce)
	b = append(b, byte(len(to)))
	b = append(b, to...)
	b = append(b, byte(len(from)))
	b = append(b, from...)
	return append(b, frame...)
}

func decodeEnvelope(b []byte) (to, from peer.ID, frame []byte, err error) {
	bad := fmt.Errorf("%w: gossip envelope", sync.ErrMalformed)
	if len(b) < 10 || b[0] != envelopeVersion {
		return "", "", nil, bad
	}
	b = b[9:]
	field := func() (peer.ID, bool) {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return "", false
		}
		n := int(b[0])
		v := peer.ID(b[1 : 1+n])
		b = b[1+n:]
		return v, true
	}
	var ok1, ok2 bool
	to, ok1 = field()
	from, ok2 = field()
	if !ok1 || !ok2 || len(b) == 0 {
		return "", "", nil, bad
	}
	if to.Validate() != nil || from.Validate() != nil {
		return "", "", nil, bad
	}
	return to, from, b, nil
}

func (s *syncService) sendGossip(p peer.ID, frame []byte) {
	group := s.peerGroup[p]
	env := encodeEnvelope(s.nonce.Add(1), p, s.self, frame)
	topic := SyncTopic(group)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), streamDeadline)
		defer cancel()
		if _, err := s.n.ov.Publish(ctx, topic, env); err != nil {
			s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonQueueFull, Peer: p.String(), Bytes: len(frame), Detail: err.Error()})
		}
	}()
}

func (s *syncService) gossipReceive(ctx context.Context, sub *pubsub.Subscription) {
	defer sub.Cancel()
	for {
		m, err := sub.Next(ctx)
		if err != nil {
			return
		}
		to, from, frame, err := decodeEnvelope(m.Data)
		if err != nil {
			s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonMalformed, Peer: m.ReceivedFrom.String(), Bytes: len(m.Data)})
			continue
		}
		if to != s.self || from == s.self {
			continue // addressed to another member
		}
		if s.members[from] == nil {
			s.n.trace.emit(trace.Event{Layer: "sync", Kind: trace.KindDrop, Reason: trace.ReasonNotMember, Peer: from.String(), Bytes: len(frame)})
			continue
		}
		s.receive(from, frame)
	}
}

// state summarises the store: messages per group, and how many are
// delivered.
func (s *syncService) state() (map[string][2]int, error) {
	snap, err := s.store.Load()
	if err != nil {
		return nil, err
	}
	out := map[string][2]int{}
	for _, m := range snap.Messages {
		name := s.names[m.Message.Group]
		c := out[name]
		c[0]++
		if m.Delivered {
			c[1]++
		}
		out[name] = c
	}
	return out, nil
}

// close stops the engine loop, then closes the store.
func (s *syncService) close() error {
	if s.cancel != nil {
		s.cancel()
		<-s.drv.done
		// The loop was the only writer of the senders' queues.
		for _, q := range s.senders {
			close(q)
		}
	}
	return s.store.Close()
}
