package syncsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/sync"
	"github.com/strata-lab/strata/testnet/sim"
)

// Mode is a configuration of the engine under study.
type Mode string

// The modes. Ours use the transport's connectivity hints (SPEC.md,
// Requires). The MVDS profiles are the same engine configured as MVDS:
// interactive, per-message offers, no reconciliation, acks in frames of
// their own, and no notion of connectivity (it retransmits blindly). "mvds"
// follows the MVDS specification (exponential backoff to an upper bound);
// "mvds-impl" follows the vacp2p/mvds implementation that Vac's 2019
// measurements used (next epoch = epoch + 2·count with 1 s epochs: linear,
// uncapped).
const (
	ModeBatch       Mode = "batch"
	ModeInteractive Mode = "interactive"
	ModeReconcile   Mode = "interactive+reconcile"
	ModeMVDS        Mode = "mvds"
	ModeMVDSImpl    Mode = "mvds-impl"
)

// MVDSModes are the profiles of the published design.
var MVDSModes = []Mode{ModeMVDS, ModeMVDSImpl}

func (m Mode) mvds() bool { return m == ModeMVDS || m == ModeMVDSImpl }

// OurModes are the modes of Strata's design.
var OurModes = []Mode{ModeBatch, ModeInteractive, ModeReconcile}

// Params is one simulated configuration.
type Params struct {
	Seed uint64
	// Nodes is the group size; every node is a member and syncs with all.
	Nodes int
	// Groups is the number of disjoint groups of Nodes nodes (default 1).
	Groups int
	Mode   Mode
	// Uptime, MeanSession and ChurnDist are the on/off churn of every node.
	Uptime      float64
	MeanSession time.Duration
	ChurnDist   string
	// Write is how long nodes write messages; Drain how long the run goes
	// on afterwards for deliveries to finish.
	Write, Drain time.Duration
	// MsgInterval is the mean time between two messages of one node while
	// it is online (Poisson).
	MsgInterval time.Duration
	BodySize    int
	// Latency and Loss are the link model between any two nodes.
	Latency sim.Dist
	Jitter  time.Duration
	Loss    float64
	// MinContact is the shortest overlap of two nodes' sessions that
	// counts as a contact for the latency bound.
	MinContact time.Duration
	// Trace receives the trace events (nil: only hashed).
	Trace trace.Sink
	// Progress is called now and then with the virtual time.
	Progress func(now time.Time, events uint64)
}

// DefaultParams returns a two-node configuration at 10% uptime.
func DefaultParams() Params {
	return Params{
		Seed: 1, Nodes: 2, Groups: 1, Mode: ModeBatch,
		Uptime: 0.1, MeanSession: 10 * time.Minute, ChurnDist: sim.ChurnExp,
		Write: 24 * time.Hour, Drain: 24 * time.Hour,
		MsgInterval: 2 * time.Minute, BodySize: 256,
		Latency: sim.Normal(80*time.Millisecond, 20*time.Millisecond), Jitter: 10 * time.Millisecond, Loss: 0.01,
		MinContact: 10 * time.Second,
	}
}

// ErrParams wraps invalid parameters.
var ErrParams = errors.New("syncsim: invalid parameters")

func (p *Params) validate() error {
	switch {
	case p.Nodes < 2:
		return fmt.Errorf("%w: Nodes is %d, need at least 2", ErrParams, p.Nodes)
	case p.Groups < 1:
		return fmt.Errorf("%w: Groups is %d, need at least 1", ErrParams, p.Groups)
	case p.Mode != ModeBatch && p.Mode != ModeInteractive && p.Mode != ModeReconcile && !p.Mode.mvds():
		return fmt.Errorf("%w: Mode %q", ErrParams, p.Mode)
	case p.MsgInterval <= 0 || p.Write <= 0 || p.Drain < 0:
		return fmt.Errorf("%w: MsgInterval, Write must be positive and Drain ≥ 0", ErrParams)
	case p.BodySize < 16 || p.BodySize > sync.MaxBodyBytes:
		return fmt.Errorf("%w: BodySize is %d, must be in [16,%d]", ErrParams, p.BodySize, sync.MaxBodyBytes)
	}
	return nil
}

// Outcome is what one run measured.
type Outcome struct {
	Params Params
	// Sent messages, expected deliveries (sent × (group size − 1)),
	// deliveries, and duplicate deliveries (must be 0).
	Sent, Expected, Delivered, Duplicates int
	// Bytes on the wire by part (frames as handed to the network).
	WireBytes, AckBytes, OfferBytes, RequestBytes, MessageBytes, ReconcileBytes int64
	// BodyBytesSent is the body bytes of every message transmission;
	// MessagesSent counts message transmissions.
	BodyBytesSent int64
	MessagesSent  int64
	Frames        int64
	// PayloadDelivered is the body bytes of every delivery.
	PayloadDelivered int64
	// Latencies of deliveries, in seconds; Bounds the contact bound of each
	// (time to the first contact of sender and receiver after the send,
	// plus the backoff cap), in seconds.
	Latencies, Bounds []float64
	// OverBound counts deliveries later than their bound; Starved counts
	// expected deliveries that never happened although the pair had a
	// contact after the send.
	OverBound, Starved         int
	Expired, ParentLost, Drops int
	Events                     uint64
	TraceHash                  string
	End                        time.Time
}

type runner struct {
	p          Params
	s          *sim.Sim
	nodes      []*node
	ids        map[sync.PeerID]sim.NodeID
	names      map[sim.NodeID]sync.PeerID
	writeUntil time.Time
	out        *Outcome
	sentAt     map[sync.ID]sendInfo
	delivered  map[delivery]time.Time
	err        error
	backoffCap time.Duration
}

type sendInfo struct {
	at     time.Time
	sender int
	size   int
}

type delivery struct {
	node int
	id   sync.ID
}

// Run simulates one configuration.
func Run(p Params) (*Outcome, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	cfg := sim.DefaultConfig()
	cfg.Seed = p.Seed
	cfg.Presence = true
	cfg.Trace = p.Trace
	cfg.TraceLinks = p.Trace != nil
	cfg.Progress = p.Progress
	cfg.DefaultLink = sim.LinkModel{Latency: p.Latency, Jitter: p.Jitter, Loss: p.Loss}
	if p.Uptime < 1 {
		cfg.Churn = sim.Churn{Uptime: p.Uptime, MeanSession: p.MeanSession, Dist: p.ChurnDist, WeibullShape: 0.7}
	}
	s, err := sim.New(cfg)
	if err != nil {
		return nil, err
	}
	r := &runner{p: p, s: s, ids: map[sync.PeerID]sim.NodeID{}, names: map[sim.NodeID]sync.PeerID{},
		out: &Outcome{Params: p}, sentAt: map[sync.ID]sendInfo{}, delivered: map[delivery]time.Time{}}
	r.writeUntil = s.Now().Add(p.Write)
	total := p.Nodes * p.Groups
	for i := range total {
		n, err := r.newNode(i)
		if err != nil {
			return nil, err
		}
		id, err := s.Add(n, sim.NodeConfig{})
		if err != nil {
			return nil, err
		}
		r.nodes = append(r.nodes, n)
		r.ids[n.name], r.names[id] = id, n.name
	}
	for g := range p.Groups {
		for a := range p.Nodes {
			for b := a + 1; b < p.Nodes; b++ {
				s.Connect(sim.NodeID(g*p.Nodes+a), sim.NodeID(g*p.Nodes+b))
			}
		}
	}
	end := s.Now().Add(p.Write + p.Drain)
	if err := s.Run(end); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	r.finish(end)
	return r.out, nil
}

func (r *runner) newNode(i int) (*node, error) {
	p := r.p
	g := i / p.Nodes
	name := peerName(i)
	cfg := sync.DefaultConfig(name)
	pc := sync.PeerConfig{Mode: sync.ModeBatch, Latency: 100 * time.Millisecond}
	switch p.Mode {
	case ModeInteractive:
		pc.Mode = sync.ModeInteractive
	case ModeReconcile:
		pc.Mode, pc.Reconcile = sync.ModeInteractive, true
	case ModeMVDS:
		pc.Mode = sync.ModeInteractive
		cfg.PiggybackAcks = false
	case ModeMVDSImpl:
		pc.Mode = sync.ModeInteractive
		cfg.PiggybackAcks = false
		cfg.LinearBackoff, cfg.BackoffCap = 2*time.Second, 7*24*time.Hour
	}
	r.backoffCap = cfg.BackoffCap
	t0 := r.s.Now()
	eng, err := sync.NewEngine(cfg, sync.NewMemStore(), rand.New(rand.NewPCG(p.Seed, uint64(i))), t0)
	if err != nil {
		return nil, err
	}
	var gid sync.GroupID
	copy(gid[:], fmt.Sprintf("group-%d", g))
	var members []sync.PeerID
	for j := range p.Nodes {
		m := peerName(g*p.Nodes + j)
		members = append(members, m)
		if m != name {
			if err := eng.AddPeer(t0, m, pc); err != nil {
				return nil, err
			}
		}
	}
	if err := eng.AddGroup(t0, gid, members); err != nil {
		return nil, err
	}
	eng.Outbox()
	eng.Events()
	return &node{r: r, idx: i, name: name, eng: eng, group: gid, presence: !p.Mode.mvds()}, nil
}

func (r *runner) frame(o sync.Outgoing) {
	out, st := r.out, o.Stats
	out.Frames++
	out.WireBytes += int64(len(o.Bytes))
	out.AckBytes += int64(st.AckBytes)
	out.OfferBytes += int64(st.OfferBytes)
	out.RequestBytes += int64(st.RequestBytes)
	out.MessageBytes += int64(st.MessageBytes)
	out.ReconcileBytes += int64(st.ReconcileBytes)
	out.BodyBytesSent += int64(st.BodyBytes)
	out.MessagesSent += int64(st.Messages)
}

func (r *runner) sent(n *node, id sync.ID, at time.Time, size int) {
	r.sentAt[id] = sendInfo{at: at, sender: n.idx, size: size}
	r.out.Sent++
	r.out.Expected += r.p.Nodes - 1
}

func (r *runner) event(n *node, env *sim.Env, ev sync.Event) {
	if te, ok := traceEvent(n, env.Now(), ev); ok {
		env.Trace(te)
	}
	switch ev.Kind {
	case sync.EventDelivered:
		k := delivery{node: n.idx, id: ev.ID}
		if _, dup := r.delivered[k]; dup {
			r.out.Duplicates++
			return
		}
		r.delivered[k] = env.Now()
	case sync.EventExpired:
		r.out.Expired++
	case sync.EventParentLost:
		r.out.ParentLost++
	case sync.EventDropped:
		r.out.Drops++
	}
}

// finish computes latencies and their contact bounds.
func (r *runner) finish(end time.Time) {
	out := r.out
	out.End = end
	out.Events = r.s.Events()
	out.TraceHash = r.s.TraceHash()
	ivals := make([][][2]time.Time, len(r.nodes))
	for i, n := range r.nodes {
		ivals[i] = n.intervals(end)
	}
	ids := make([]sync.ID, 0, len(r.sentAt))
	for id := range r.sentAt {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return string(ids[i][:]) < string(ids[j][:]) })
	for _, id := range ids {
		si := r.sentAt[id]
		g := si.sender / r.p.Nodes
		for j := range r.p.Nodes {
			rcv := g*r.p.Nodes + j
			if rcv == si.sender {
				continue
			}
			contact, ok := firstContact(ivals[si.sender], ivals[rcv], si.at, r.p.MinContact)
			at, got := r.delivered[delivery{node: rcv, id: id}]
			if !got {
				if ok {
					out.Starved++
				}
				continue
			}
			out.Delivered++
			out.PayloadDelivered += int64(si.size)
			lat := at.Sub(si.at).Seconds()
			out.Latencies = append(out.Latencies, lat)
			if ok {
				bound := contact.Sub(si.at).Seconds() + r.backoffCap.Seconds()
				out.Bounds = append(out.Bounds, bound)
				if lat > bound {
					out.OverBound++
				}
			}
		}
	}
}

// firstContact returns the start of the first overlap of a and b, at or
// after t, that lasts at least min.
func firstContact(a, b [][2]time.Time, t time.Time, min time.Duration) (time.Time, bool) {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := later(a[i][0], b[j][0]), earlier(a[i][1], b[j][1])
		lo = later(lo, t)
		if hi.Sub(lo) >= min {
			return lo, true
		}
		if a[i][1].Before(b[j][1]) {
			i++
		} else {
			j++
		}
	}
	return time.Time{}, false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
