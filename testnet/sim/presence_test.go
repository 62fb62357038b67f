package sim

import (
	"slices"
	"testing"
	"time"
)

func presenceCfg() Config {
	cfg := DefaultConfig()
	cfg.Presence = true
	return cfg
}

func sorted(ids []NodeID) []NodeID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

func TestPresenceLine(t *testing.T) {
	s, ps, _ := newSim(t, presenceCfg(), 3)
	s.Connect(0, 1)
	s.Connect(1, 2)
	s.Connect(1, 0) // duplicate: no-op
	mustRun(t, s, time.Second)
	if got := sorted(ps[1].peerUps); !slices.Equal(got, []NodeID{0, 2}) {
		t.Fatalf("initial PeerUp at 1: %v", got)
	}
	if !slices.Equal(ps[0].peerUps, []NodeID{1}) || !slices.Equal(ps[2].peerUps, []NodeID{1}) {
		t.Fatalf("initial PeerUp at 0: %v, at 2: %v", ps[0].peerUps, ps[2].peerUps)
	}
	reset := func() {
		for _, p := range ps {
			p.peerUps, p.peerDown = nil, nil
		}
	}

	reset()
	s.SetOnline(1, false)
	if !slices.Equal(ps[0].peerDown, []NodeID{1}) || !slices.Equal(ps[2].peerDown, []NodeID{1}) || len(ps[1].peerDown) != 0 {
		t.Errorf("node 1 down: PeerDown at 0 %v, 1 %v, 2 %v", ps[0].peerDown, ps[1].peerDown, ps[2].peerDown)
	}

	reset()
	s.SetOnline(1, true)
	if got := sorted(ps[1].peerUps); !slices.Equal(got, []NodeID{0, 2}) || !slices.Equal(ps[0].peerUps, []NodeID{1}) {
		t.Errorf("node 1 up: PeerUp at 1 %v, at 0 %v", got, ps[0].peerUps)
	}

	reset()
	s.Partition([]NodeID{0})
	if !slices.Equal(ps[0].peerDown, []NodeID{1}) || !slices.Equal(ps[1].peerDown, []NodeID{0}) || len(ps[2].peerDown) != 0 {
		t.Errorf("partition: PeerDown at 0 %v, 1 %v, 2 %v", ps[0].peerDown, ps[1].peerDown, ps[2].peerDown)
	}

	reset()
	s.Heal()
	if !slices.Equal(ps[0].peerUps, []NodeID{1}) || !slices.Equal(ps[1].peerUps, []NodeID{0}) || len(ps[2].peerUps) != 0 {
		t.Errorf("heal: PeerUp at 0 %v, 1 %v, 2 %v", ps[0].peerUps, ps[1].peerUps, ps[2].peerUps)
	}

	reset()
	s.Connect(0, 2) // after start, both online: announced at once
	if !slices.Equal(ps[0].peerUps, []NodeID{2}) || !slices.Equal(ps[2].peerUps, []NodeID{0}) {
		t.Errorf("late Connect: PeerUp at 0 %v, at 2 %v", ps[0].peerUps, ps[2].peerUps)
	}
}

func TestPresenceOffByDefault(t *testing.T) {
	s, ps, _ := newSim(t, DefaultConfig(), 2)
	s.Connect(0, 1)
	mustRun(t, s, time.Second)
	s.SetOnline(0, false)
	if len(ps[0].peerUps)+len(ps[1].peerUps)+len(ps[1].peerDown) != 0 {
		t.Error("presence notifications without Config.Presence")
	}
}

// TestPresenceInvariant runs churn and partitions and checks after every
// event that each node's view, built only from PeerUp, PeerDown and Down,
// is exactly the set of its usable neighbour links.
func TestPresenceInvariant(t *testing.T) {
	const n = 30
	cfg := presenceCfg()
	cfg.Churn = Churn{Uptime: 0.5, MeanSession: time.Minute, Dist: ChurnWeibull, WeibullShape: 0.8}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	views := make([]*gossiper, n)
	for i := range views {
		views[i] = &gossiper{n: n, peers: map[NodeID]bool{}}
		s.Add(&silent{views[i]}, NodeConfig{})
	}
	for i := range n {
		s.Connect(NodeID(i), NodeID((i+1)%n))
		s.Connect(NodeID(i), NodeID((i*7+3)%n))
	}
	part := []NodeID{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for k := range 6 {
		s.At(at(time.Duration(2*k+1)*3*time.Minute), func(s *Sim) { s.Partition(part[:3+k], []NodeID{20, 21, 22}) })
		s.At(at(time.Duration(2*k+2)*3*time.Minute), func(s *Sim) { s.Heal() })
	}
	end := s.toNanos(at(40 * time.Minute))
	for s.Step() && s.now < end {
		for i, v := range views {
			a := s.nodes[i]
			for _, b := range a.neighbors {
				if want := a.online && s.usable(a, s.nodes[b]); v.peers[b] != want {
					t.Fatalf("at %v: node %d thinks peer %d present=%v, actual %v",
						s.Now().Sub(defaultEpoch), i, b, v.peers[b], want)
				}
			}
			if len(v.peers) > len(a.neighbors) {
				t.Fatalf("node %d has %d peers, %d neighbours", i, len(v.peers), len(a.neighbors))
			}
		}
	}
	if s.Events() < 500 {
		t.Errorf("only %d events", s.Events())
	}
}

// silent wraps a gossiper's presence bookkeeping without its traffic.
type silent struct{ g *gossiper }

func (q *silent) Start(*Env)                     {}
func (q *silent) Receive(*Env, NodeID, []byte)   {}
func (q *silent) Timer(*Env, uint64)             {}
func (q *silent) Up(*Env)                        {}
func (q *silent) Down(env *Env)                  { q.g.Down(env) }
func (q *silent) PeerUp(env *Env, peer NodeID)   { q.g.peers[peer] = true }
func (q *silent) PeerDown(env *Env, peer NodeID) { delete(q.g.peers, peer) }
