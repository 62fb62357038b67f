package loopix

import (
	"container/heap"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// t0 is the start of every test network: 2026-01-01T00:00:00Z.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testID(kind string, i, j int) NodeID {
	return sha256.Sum256(fmt.Appendf(nil, "%s-%d-%d", kind, i, j))
}

func testAuthority() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
}

// topo is a test network's node list, keys and directory.
type topo struct {
	dir       *Directory
	format    Format
	keys      map[NodeID]Unwrapper
	providers []NodeID
	mixes     [][]NodeID // by layer-1
}

func newTopo(tb testing.TB, layers, perLayer, providers int, p Params) *topo {
	tb.Helper()
	f, err := NewSimFormat(DefaultGeometry())
	if err != nil {
		tb.Fatal(err)
	}
	return newTopoFormat(tb, f, layers, perLayer, providers, p)
}

func newTopoFormat(tb testing.TB, f Format, layers, perLayer, providers int, p Params) *topo {
	tb.Helper()
	tp := &topo{format: f, keys: map[NodeID]Unwrapper{}}
	rnd := ReaderFrom(rand.New(rand.NewPCG(1, 2)))
	var nodes []Node
	add := func(id NodeID, role Role, layer int) {
		pub, u, err := f.NewKey(rnd, id, 0)
		if err != nil {
			tb.Fatal(err)
		}
		tp.keys[id] = u
		nodes = append(nodes, Node{ID: id, Role: role, Layer: layer, Key: pub, Addr: fmt.Sprintf("%s-%d", role, len(nodes))})
	}
	for i := range providers {
		id := testID("provider", 0, i)
		tp.providers = append(tp.providers, id)
		add(id, RoleProvider, 0)
	}
	for l := 1; l <= layers; l++ {
		var ids []NodeID
		for i := range perLayer {
			id := testID("mix", l, i)
			ids = append(ids, id)
			add(id, RoleMix, l)
		}
		tp.mixes = append(tp.mixes, ids)
	}
	d, err := NewDirectory(0, t0, time.Hour, f.Geometry(), layers, p, nodes, testAuthority())
	if err != nil {
		tb.Fatal(err)
	}
	tp.dir = d
	return tp
}

// core is what the harness drives.
type core interface {
	Receive(now time.Time, from NodeID, frame []byte, ref uint64) []Action
	Tick(now time.Time) []Action
}

type hevent struct {
	at    time.Time
	seq   uint64
	to    NodeID
	from  NodeID
	frame []byte // nil: a timer
	ref   uint64
}

type hqueue []hevent

func (q hqueue) Len() int { return len(q) }
func (q hqueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q hqueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *hqueue) Push(x any)   { *q = append(*q, x.(hevent)) }
func (q *hqueue) Pop() any {
	o := *q
	x := o[len(o)-1]
	*q = o[:len(o)-1]
	return x
}

// harness is a minimal discrete-event network for the cores: fixed link
// latency, optional loss and a link filter (an adversary).
type harness struct {
	t       testing.TB
	now     time.Time
	seq     uint64
	q       hqueue
	cores   map[NodeID]core
	timers  map[NodeID]uint64 // node → seq of its live timer
	latency time.Duration
	loss    float64
	rng     *rand.Rand
	// block, if set, drops a packet on the link from→to when it returns true.
	block   func(now time.Time, from, to NodeID) bool
	onSend  func(now time.Time, from NodeID, a Action)
	onOther func(now time.Time, node NodeID, a Action)
	sent    int
	lost    int
	blocked int
}

func newHarness(tb testing.TB) *harness {
	return &harness{t: tb, now: t0, cores: map[NodeID]core{}, timers: map[NodeID]uint64{},
		latency: 10 * time.Millisecond, rng: rand.New(rand.NewPCG(9, 9))}
}

func (h *harness) push(e hevent) uint64 {
	h.seq++
	e.seq = h.seq
	heap.Push(&h.q, e)
	return e.seq
}

// apply carries out a core's actions.
func (h *harness) apply(node NodeID, acts []Action) {
	for _, a := range acts {
		if !a.At.IsZero() && a.At.Before(h.now) {
			h.t.Fatalf("%s: action %s at %v before now %v", node, a.Kind, a.At, h.now)
		}
		switch a.Kind {
		case ActTimer:
			h.timers[node] = h.push(hevent{at: a.At, to: node})
		case ActSend:
			h.sent++
			if h.onSend != nil {
				h.onSend(h.now, node, a)
			}
			if h.block != nil && h.block(h.now, node, a.To) {
				h.blocked++
				continue
			}
			if h.loss > 0 && h.rng.Float64() < h.loss {
				h.lost++
				continue
			}
			h.push(hevent{at: h.now.Add(h.latency), to: a.To, from: node, frame: a.Frame, ref: uint64(h.sent)})
		default:
			if h.onOther != nil {
				h.onOther(h.now, node, a)
			}
		}
	}
}

func (h *harness) add(id NodeID, c core, initial []Action) {
	h.cores[id] = c
	h.apply(id, initial)
}

func (h *harness) run(until time.Time) {
	for h.q.Len() > 0 && !h.q[0].at.After(until) {
		e := heap.Pop(&h.q).(hevent)
		h.now = e.at
		c, ok := h.cores[e.to]
		if !ok {
			h.t.Fatalf("frame to unknown node %s", e.to)
		}
		if e.frame == nil {
			if h.timers[e.to] != e.seq {
				continue
			}
			h.apply(e.to, c.Tick(h.now))
			continue
		}
		h.apply(e.to, c.Receive(h.now, e.from, e.frame, e.ref))
	}
	h.now = until
}

// network wires a full topology with n clients into a harness.
type network struct {
	*harness
	tp        *topo
	clients   []*Client
	clientIDs []NodeID
	provOf    map[NodeID]NodeID
	mixes     map[NodeID]*Mix
	provs     map[NodeID]*Provider
}

func newNetwork(tb testing.TB, p Params, nClients int, ccfg func(*ClientConfig)) *network {
	tb.Helper()
	f, err := NewSimFormat(DefaultGeometry())
	if err != nil {
		tb.Fatal(err)
	}
	return newNetworkFormat(tb, f, p, nClients, ccfg)
}

func newNetworkFormat(tb testing.TB, f Format, p Params, nClients int, ccfg func(*ClientConfig)) *network {
	tb.Helper()
	tp := newTopoFormat(tb, f, 3, 3, 4, p)
	n := &network{harness: newHarness(tb), tp: tp, provOf: map[NodeID]NodeID{}, mixes: map[NodeID]*Mix{}, provs: map[NodeID]*Provider{}}
	served := map[NodeID][]NodeID{}
	for i := range nClients {
		id := testID("client", 0, i)
		prov := tp.providers[i%len(tp.providers)]
		n.clientIDs = append(n.clientIDs, id)
		n.provOf[id] = prov
		served[prov] = append(served[prov], id)
	}
	seed := uint64(100)
	for _, pid := range tp.providers {
		seed++
		pr, acts, err := NewProvider(ProviderConfig{ID: pid, Format: tp.format, Rand: rand.New(rand.NewPCG(seed, 1)), Clients: served[pid]}, tp.dir, tp.keys[pid], t0)
		if err != nil {
			tb.Fatal(err)
		}
		n.provs[pid] = pr
		n.add(pid, pr, acts)
	}
	for _, layer := range tp.mixes {
		for _, mid := range layer {
			seed++
			m, acts, err := NewMix(MixConfig{ID: mid, Format: tp.format, Rand: rand.New(rand.NewPCG(seed, 2))}, tp.dir, tp.keys[mid], t0)
			if err != nil {
				tb.Fatal(err)
			}
			n.mixes[mid] = m
			n.add(mid, m, acts)
		}
	}
	for _, id := range n.clientIDs {
		seed++
		cfg := ClientConfig{ID: id, Provider: n.provOf[id], Format: tp.format, Rand: rand.New(rand.NewPCG(seed, 3)), Profile: Desktop()}
		if ccfg != nil {
			ccfg(&cfg)
		}
		c, acts, err := NewClient(cfg, tp.dir, t0)
		if err != nil {
			tb.Fatal(err)
		}
		n.clients = append(n.clients, c)
		n.add(id, c, acts)
	}
	return n
}

// checkLedgers fails if any core's ledger does not balance.
func (n *network) checkLedgers(tb testing.TB) {
	tb.Helper()
	for id, m := range n.mixes {
		if l := m.Ledger(); !l.Balanced() || l.Held != uint64(m.PoolSize()) {
			tb.Errorf("mix %s ledger %+v, pool %d", id, l, m.PoolSize())
		}
	}
	for id, p := range n.provs {
		if l := p.Ledger(); !l.Balanced() {
			tb.Errorf("provider %s ledger %+v", id, l)
		}
	}
	for i, c := range n.clients {
		if l := c.Ledger(); !l.Balanced() {
			tb.Errorf("client %d ledger %+v", i, l)
		}
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
