package sync

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// testNet wires engines together over a virtual clock with a fixed latency
// and a programmable loss function, for whole-protocol tests.
type testNet struct {
	t       testing.TB
	now     time.Time
	latency time.Duration
	engines map[PeerID]*Engine
	stores  map[PeerID]*MemStore
	flight  []flight
	lose    func(from, to PeerID, b []byte) bool
	events  map[PeerID][]Event
	bytes   int
	frames  int
}

type flight struct {
	at       time.Time
	from, to PeerID
	b        []byte
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func gid(s string) GroupID {
	var g GroupID
	copy(g[:], s)
	return g
}

func newTestNet(t testing.TB, cfg func(*Config), peers ...PeerID) *testNet {
	n := &testNet{t: t, now: t0, latency: 50 * time.Millisecond, engines: map[PeerID]*Engine{},
		stores: map[PeerID]*MemStore{}, events: map[PeerID][]Event{}}
	for i, id := range peers {
		c := DefaultConfig(id)
		if cfg != nil {
			cfg(&c)
		}
		n.stores[id] = NewMemStore()
		e, err := NewEngine(c, n.stores[id], rand.New(rand.NewPCG(uint64(i), 9)), n.now)
		if err != nil {
			t.Fatal(err)
		}
		n.engines[id] = e
	}
	return n
}

// link adds every engine as a peer of every other, with mode m, and a group
// with all of them as members.
func (n *testNet) link(m Mode, reconcile bool, g GroupID) {
	ids := slices.Sorted(mapsKeys(n.engines))
	for _, a := range ids {
		for _, b := range ids {
			if a != b {
				n.must(n.engines[a].AddPeer(n.now, b, PeerConfig{Mode: m, Latency: n.latency, Reconcile: reconcile}))
			}
		}
		n.must(n.engines[a].AddGroup(n.now, g, ids))
	}
	n.pump()
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (n *testNet) must(err error) {
	n.t.Helper()
	if err != nil {
		n.t.Fatal(err)
	}
}

// pump collects outboxes and events of every engine.
func (n *testNet) pump() {
	for _, id := range slices.Sorted(mapsKeys(n.engines)) {
		e := n.engines[id]
		for _, o := range e.Outbox() {
			n.frames++
			n.bytes += len(o.Bytes)
			if n.lose != nil && n.lose(id, o.To, o.Bytes) {
				continue
			}
			n.flight = append(n.flight, flight{at: n.now.Add(n.latency), from: id, to: o.To, b: o.Bytes})
		}
		n.events[id] = append(n.events[id], e.Events()...)
	}
}

// run advances virtual time until until, delivering frames and ticking.
func (n *testNet) run(until time.Time) {
	for steps := 0; steps < 1_000_000; steps++ {
		n.pump()
		next, who := time.Time{}, PeerID("")
		for _, id := range slices.Sorted(mapsKeys(n.engines)) {
			if d, ok := n.engines[id].NextDeadline(); ok && (next.IsZero() || d.Before(next)) {
				next, who = d, id
			}
		}
		fi := -1
		for i, f := range n.flight {
			if fi < 0 || f.at.Before(n.flight[fi].at) {
				fi = i
			}
		}
		if fi >= 0 && (next.IsZero() || !next.Before(n.flight[fi].at)) {
			next, who = n.flight[fi].at, ""
		}
		if next.IsZero() || next.After(until) {
			n.now = until
			return
		}
		if next.After(n.now) {
			n.now = next
		}
		if who == "" {
			f := n.flight[fi]
			n.flight = slices.Delete(n.flight, fi, fi+1)
			if err := n.engines[f.to].Receive(n.now, f.from, f.b); err != nil {
				n.t.Fatalf("%s receiving from %s: %v", f.to, f.from, err)
			}
		} else {
			n.must(n.engines[who].Tick(n.now))
		}
	}
	n.t.Fatal("testNet: too many steps")
}

func (n *testNet) delivered(id PeerID) []ID {
	var out []ID
	for _, ev := range n.events[id] {
		if ev.Kind == EventDelivered {
			out = append(out, ev.ID)
		}
	}
	return out
}
