package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

// gossiper sends random payloads to random nodes on a random timer and
// forwards some of what it receives, drawing only from env.Rand.
type gossiper struct {
	n     int
	peers map[NodeID]bool
}

func (g *gossiper) arm(env *Env) {
	d := time.Duration(env.Rand().ExpFloat64() * float64(time.Second))
	env.SetTimer(env.Now().Add(d), 0)
}

func (g *gossiper) Start(env *Env) { g.arm(env) }

func (g *gossiper) send(env *Env, hops byte) {
	r := env.Rand()
	to := NodeID(r.IntN(g.n))
	if to == env.Self() {
		return
	}
	p := make([]byte, 24+r.IntN(1200))
	for i := 0; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], r.Uint64())
	}
	p[0] = hops
	env.Send(to, p)
}

func (g *gossiper) Timer(env *Env, tag uint64) {
	for range 1 + env.Rand().IntN(3) {
		g.send(env, 0)
	}
	g.arm(env)
}

func (g *gossiper) Receive(env *Env, from NodeID, p []byte) {
	if p[0] < 3 && env.Rand().Float64() < 0.3 {
		g.send(env, p[0]+1)
	}
}

func (g *gossiper) Up(env *Env) {}

func (g *gossiper) Down(env *Env) { clear(g.peers) }

func (g *gossiper) PeerUp(env *Env, peer NodeID) {
	g.peers[peer] = true
	env.Trace(trace.Event{Layer: "test", Kind: trace.KindState, Peer: strconv.Itoa(int(peer)), Detail: "peer-up"})
}

func (g *gossiper) PeerDown(env *Env, peer NodeID) {
	delete(g.peers, peer)
	env.Trace(trace.Event{Layer: "test", Kind: trace.KindState, Peer: strconv.Itoa(int(peer)), Detail: "peer-down"})
}

// gossipSim builds the determinism scenario: 50 gossiping nodes of two
// classes, Weibull churn at 30% uptime, jitter, loss, bandwidth limits with
// bounded queues, presence on a ring with chords, and a partition from the
// 1st to the 3rd minute.
// The trace goes to sink, or to a recorder (returned) if sink is nil.
func gossipSim(t testing.TB, seed uint64, traceLinks bool, sink trace.Sink) (*Sim, *recorder) {
	const n = 50
	fast := LinkModel{Latency: Normal(40*time.Millisecond, 10*time.Millisecond), Jitter: 20 * time.Millisecond,
		Loss: 0.05, Bandwidth: 50_000, MaxQueue: 8000}
	slow := LinkModel{Latency: Fixed(150 * time.Millisecond), Jitter: 50 * time.Millisecond,
		Loss: 0.1, Bandwidth: 1500, MaxQueue: 2500}
	cfg := DefaultConfig()
	cfg.Seed = seed
	cfg.TraceLinks = traceLinks
	cfg.Presence = true
	cfg.DefaultLink = fast
	cfg.Links = map[[2]string]LinkModel{{"slow", "fast"}: slow, {"slow", "slow"}: slow, {"fast", "slow"}: slow}
	cfg.Churn = Churn{Uptime: 0.3, MeanSession: time.Minute, Dist: ChurnWeibull, WeibullShape: 0.6}
	var rec *recorder
	if sink == nil {
		rec = &recorder{}
		sink = rec
	}
	cfg.Trace = sink
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	anchor := Churn{Uptime: 1}
	for i := range n {
		nc := NodeConfig{Class: "fast"}
		if i%3 == 0 {
			nc.Class = "slow"
		}
		if i < 3 {
			nc.Churn = &anchor // a few always-on nodes
		}
		if _, err := s.Add(&gossiper{n: n, peers: map[NodeID]bool{}}, nc); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		s.Connect(NodeID(i), NodeID((i+1)%n))
		s.Connect(NodeID(i), NodeID((i+7)%n))
	}
	left := make([]NodeID, 20)
	for i := range left {
		left[i] = NodeID(i)
	}
	s.At(at(time.Minute), func(s *Sim) { s.Partition(left) })
	s.At(at(3*time.Minute), func(s *Sim) { s.Heal() })
	return s, rec
}

type runResult struct {
	hash   string
	events uint64
	total  Stats
	nodes  []Stats
}

func runGossip(t *testing.T, seed uint64, traceLinks bool) runResult {
	t.Helper()
	s, _ := gossipSim(t, seed, traceLinks, trace.Discard)
	if err := s.Run(at(6 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	r := runResult{hash: s.TraceHash(), events: s.Events(), total: s.Stats()}
	for i := range s.NumNodes() {
		r.nodes = append(r.nodes, s.NodeStats(NodeID(i)))
	}
	return r
}

func TestDeterminism(t *testing.T) {
	a := runGossip(t, 7, true)
	b := runGossip(t, 7, true)
	c := runGossip(t, 8, true)
	t.Logf("seed 7: %d events, stats %+v, hash %s", a.events, a.total, a.hash)
	if a.hash != b.hash {
		t.Errorf("seed 7 twice: hashes %s and %s differ", a.hash, b.hash)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("seed 7 twice: results differ:\n%+v\n%+v", a.total, b.total)
	}
	if a.hash == c.hash {
		t.Error("seeds 7 and 8 give the same trace hash")
	}
	if a.total.Sent < 5000 || a.total.Delivered == 0 || a.total.TotalDropped() == 0 {
		t.Errorf("scenario too quiet to test anything: %+v", a.total)
	}
	// Link tracing changes what is hashed, not what happens.
	d := runGossip(t, 7, false)
	if !reflect.DeepEqual(a.total, d.total) || !reflect.DeepEqual(a.nodes, d.nodes) || a.events != d.events {
		t.Errorf("TraceLinks off changed the run:\n%+v\n%+v", a.total, d.total)
	}
	if a.hash == d.hash {
		t.Error("TraceLinks off: same hash although fewer events were emitted")
	}
}

func TestStreamsIndependentOfNodeCount(t *testing.T) {
	draw := func(n int) [4]uint64 {
		s, err := New(DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		for range n {
			s.Add(&probe{}, NodeConfig{})
		}
		r := s.Env(3).Rand()
		return [4]uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	if a, b := draw(5), draw(500); a != b {
		t.Errorf("node 3's stream depends on the node count: %x vs %x", a, b)
	}
	s, _ := New(DefaultConfig())
	s.Add(&probe{}, NodeConfig{})
	s.Add(&probe{}, NodeConfig{})
	if s.Env(0).Rand().Uint64() == s.Env(1).Rand().Uint64() {
		t.Error("nodes 0 and 1 share a stream")
	}
}

func TestTraceWriterHash(t *testing.T) {
	// With a *trace.Writer as the sink, the trace is encoded once and
	// TraceHash is the SHA-256 of the bytes written.
	var buf bytes.Buffer
	w := trace.NewWriter(&buf)
	s, _ := gossipSim(t, 7, true, w)
	if err := s.Run(at(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := s.TraceHash(), fmt.Sprintf("%x", sha256.Sum256(buf.Bytes())); got != want {
		t.Errorf("TraceHash %s, sha256 of the file %s", got, want)
	}
	if err := trace.Read(&buf, func(trace.Event) error { return nil }); err != nil {
		t.Errorf("trace does not read back: %v", err)
	}
	// And the hash equals the one computed with any other sink.
	s2, _ := gossipSim(t, 7, true, nil)
	if err := s2.Run(at(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if s2.TraceHash() != s.TraceHash() {
		t.Error("hash depends on the kind of sink")
	}
}
