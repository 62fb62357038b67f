package testnet

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
)

// Ports every node uses on its own address.
const (
	P2PPort     = 39001
	ControlPort = 39080
)

// NodePlan is one node of a plan.
type NodePlan struct {
	Index     int
	Name      string
	Group     string
	Role      string
	Class     string
	Behaviour string
	IP        string
	PeerID    peer.ID
	Key       crypto.PrivKey `json:"-"`
	// Bootstrap are the indexes of the nodes this node dials at start.
	Bootstrap []int
	// SyncGroup is the node's sync group ("" if none).
	SyncGroup string
	QUIC      bool
	// MixLayer is a mix's layer (1..layers); Provider a mixnet client's
	// provider (a node index, -1 for other nodes).
	MixLayer int
	Provider int
}

// Multiaddr is the node's TCP address with its peer id.
func (n NodePlan) Multiaddr() string {
	return fmt.Sprintf("/ip4/%s/tcp/%d/p2p/%s", n.IP, P2PPort, n.PeerID)
}

// ControlURL is the base URL of the node's control API.
func (n NodePlan) ControlURL() string { return fmt.Sprintf("http://%s:%d", n.IP, ControlPort) }

// Publication is one message of the workload.
type Publication struct {
	Seq  int
	At   time.Duration // after the workload starts
	Node int
	// Topic is the gossip topic or the sync group's name.
	Topic string
	// To is the receiving node of a session message.
	To   int
	Data []byte
	// ID is the overlay message id (gossip) in hex; sync ids depend on the
	// sender's clock and are learned from the node.
	ID string
}

// Event is one fault applied at a time.
type Event struct {
	At     time.Duration
	Action string
	Nodes  []int
	Link   *LinkClass
}

// Internal actions churn expands to.
const (
	actIsolate = "isolate"
	actRejoin  = "rejoin"
)

// Plan is a scenario expanded for one seed: everything a run does, fixed
// before it starts.
type Plan struct {
	Scenario     *Scenario
	Seed         int64
	Nodes        []NodePlan
	SyncGroups   map[string][]int
	Publications []Publication
	Events       []Event
	// End is when the workload ends (after the warmup).
	End time.Duration
}

// NewPlan expands s for seed: addresses, identities, topology, sync
// groups, publications and the fault timeline. It is a pure function of
// (s, seed).
func NewPlan(s *Scenario, seed int64) (*Plan, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x706c616e))
	p := &Plan{Scenario: s, Seed: seed, SyncGroups: map[string][]int{}}
	for _, g := range s.Groups {
		for range g.Count {
			i := len(p.Nodes)
			key, err := overlay.GenerateIdentity(identityReader(seed, i))
			if err != nil {
				return nil, err
			}
			id, err := peer.IDFromPrivateKey(key)
			if err != nil {
				return nil, err
			}
			p.Nodes = append(p.Nodes, NodePlan{
				Index: i, Name: fmt.Sprintf("n%03d", i), Group: g.Name, Role: g.Role, Class: g.Class,
				Behaviour: g.Behaviour, QUIC: g.QUIC, Key: key, PeerID: id,
				IP: fmt.Sprintf("127.0.%d.%d", s.Subnet+i/250, 1+i%250),
			})
		}
	}
	p.topology(rng)
	p.syncGroups(rng)
	p.assignMixnet()
	if s.Workload.Rate > 0 {
		if err := p.workload(rng); err != nil {
			return nil, err
		}
	}
	p.faults(rng)
	return p, nil
}

// identityReader is the seeded stream node i's identity is drawn from.
func identityReader(seed int64, i int) *chachaReader {
	var k [32]byte
	binary.BigEndian.PutUint64(k[:], uint64(seed))
	binary.BigEndian.PutUint64(k[8:], uint64(i))
	copy(k[16:], "strata-identity")
	return &chachaReader{rand.NewChaCha8(k)}
}

type chachaReader struct{ r *rand.ChaCha8 }

func (c *chachaReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func (p *Plan) topology(rng *rand.Rand) {
	k := p.Scenario.Topology.Bootstrap
	var boots []int
	for _, n := range p.Nodes {
		if n.Role == RoleBootstrap {
			boots = append(boots, n.Index)
		}
	}
	for i := range p.Nodes {
		var cands []int
		if len(boots) > 0 {
			for _, b := range boots {
				if b != i && (p.Nodes[i].Role != RoleBootstrap || b < i) {
					cands = append(cands, b)
				}
			}
		} else {
			for j := range i {
				cands = append(cands, j)
			}
		}
		rng.Shuffle(len(cands), func(a, b int) { cands[a], cands[b] = cands[b], cands[a] })
		p.Nodes[i].Bootstrap = slices.Sorted(slices.Values(cands[:min(k, len(cands))]))
	}
}

func (p *Plan) syncGroups(rng *rand.Rand) {
	var members []int
	for _, n := range p.Nodes {
		if n.Role == RoleSync {
			members = append(members, n.Index)
		}
	}
	if len(members) == 0 {
		return
	}
	rng.Shuffle(len(members), func(a, b int) { members[a], members[b] = members[b], members[a] })
	size := p.Scenario.Sync.GroupSize
	var groups [][]int
	for len(members) > 0 {
		take := min(size, len(members))
		if rest := len(members) - take; rest > 0 && rest < 2 {
			take = len(members) // a remainder of one joins the last group
		}
		groups = append(groups, slices.Sorted(slices.Values(members[:take])))
		members = members[take:]
	}
	for gi, g := range groups {
		name := fmt.Sprintf("g%03d", gi)
		p.SyncGroups[name] = g
		for _, i := range g {
			p.Nodes[i].SyncGroup = name
		}
	}
}

func (p *Plan) workload(rng *rand.Rand) error {
	w := p.Scenario.Workload
	var cands []int
	for _, n := range p.Nodes {
		if n.Role == RoleBootstrap && len(w.Groups) == 0 {
			continue
		}
		if len(w.Groups) > 0 && !slices.Contains(w.Groups, n.Group) {
			continue
		}
		if w.Kind == "sync" && n.SyncGroup == "" {
			continue
		}
		if w.Kind == "mixnet" && n.Role != RoleClient {
			continue
		}
		cands = append(cands, n.Index)
	}
	if len(cands) == 0 {
		return fmt.Errorf("%w: %s: no node can publish", ErrScenario, p.Scenario.Name)
	}
	rng.Shuffle(len(cands), func(a, b int) { cands[a], cands[b] = cands[b], cands[a] })
	if w.Publishers > 0 && w.Publishers < len(cands) {
		cands = cands[:w.Publishers]
	}
	slices.Sort(cands)
	interval := time.Duration(float64(time.Second) / w.Rate)
	count := int(time.Duration(w.Duration) / interval)
	for seq := range count {
		node := cands[rng.IntN(len(cands))]
		data := payload(p.Seed, seq, w.Size)
		pub := Publication{Seq: seq, At: time.Duration(seq) * interval, Node: node, Data: data}
		switch w.Kind {
		case "sync":
			pub.Topic = p.Nodes[node].SyncGroup
		case "session":
			pub.To = rng.IntN(len(p.Nodes) - 1)
			if pub.To >= node {
				pub.To++
			}
		case "mixnet":
			var others []int
			for _, n := range p.Nodes {
				if n.Role == RoleClient && n.Index != node {
					others = append(others, n.Index)
				}
			}
			pub.To = others[rng.IntN(len(others))]
		default:
			pub.Topic = p.Scenario.Topics[0]
			id := overlay.MessageID(pub.Topic, data)
			pub.ID = fmt.Sprintf("%x", id)
		}
		p.Publications = append(p.Publications, pub)
	}
	p.End = time.Duration(count) * interval
	return nil
}

// payload is message seq's data: "strata " || u64be(seed) || u32be(seq)
// padded with a seeded stream to size bytes, so that every message of a
// run is distinct and the same seed gives the same bytes.
func payload(seed int64, seq, size int) []byte {
	b := make([]byte, size)
	copy(b, "strata ")
	binary.BigEndian.PutUint64(b[7:], uint64(seed))
	binary.BigEndian.PutUint32(b[15:], uint32(seq))
	r := rand.New(rand.NewPCG(uint64(seed), uint64(seq)))
	for i := 19; i < size; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// pick chooses count nodes of a group (all nodes when group is ""),
// seeded; count 0 means all.
func (p *Plan) pick(rng *rand.Rand, group string, count int) []int {
	var cands []int
	for _, n := range p.Nodes {
		if group == "" || n.Group == group {
			cands = append(cands, n.Index)
		}
	}
	rng.Shuffle(len(cands), func(a, b int) { cands[a], cands[b] = cands[b], cands[a] })
	if count > 0 && count < len(cands) {
		cands = cands[:count]
	}
	return slices.Sorted(slices.Values(cands))
}

var undo = map[string]string{ActKill: ActRestart, ActStop: ActCont, ActPartition: ActHeal, ActLink: ActLink}

func (p *Plan) faults(rng *rand.Rand) {
	for _, f := range p.Scenario.Faults {
		nodes := p.pick(rng, f.Group, f.Count)
		at := time.Duration(f.At)
		ev := Event{At: at, Action: f.Action, Nodes: nodes}
		if f.Action == ActLink {
			l := f.Link
			ev.Link = &l
		}
		p.Events = append(p.Events, ev)
		if f.For > 0 {
			if u, ok := undo[f.Action]; ok {
				back := Event{At: at + time.Duration(f.For), Action: u, Nodes: nodes}
				p.Events = append(p.Events, back) // a link event without Link restores the class link
			}
		}
	}
	for _, c := range p.Scenario.Churn {
		off, on := ActStop, ActCont
		switch c.Mode {
		case "kill":
			off, on = ActKill, ActRestart
		case "isolate":
			off, on = actIsolate, actRejoin
		}
		period := time.Duration(c.Period)
		up := time.Duration(float64(period) * c.Online)
		for _, i := range p.pick(rng, c.Group, 0) {
			if up >= period {
				continue
			}
			phase := time.Duration(rng.Int64N(int64(period)))
			// Online during [phase + k·period, phase + k·period + up).
			online := func(t time.Duration) bool {
				x := ((t-phase)%period + period) % period
				return x < up
			}
			state := true
			for t := time.Duration(0); t < p.End; t += 100 * time.Millisecond {
				if o := online(t); o != state {
					a := on
					if !o {
						a = off
					}
					p.Events = append(p.Events, Event{At: t, Action: a, Nodes: []int{i}})
					state = o
				}
			}
			if !state {
				p.Events = append(p.Events, Event{At: p.End, Action: on, Nodes: []int{i}})
			}
		}
	}
	sort.SliceStable(p.Events, func(a, b int) bool { return p.Events[a].At < p.Events[b].At })
}

// Hash is the SHA-256 of the plan's canonical text: every node's name,
// address, peer id, group, role and bootstrap peers, every publication's
// time, publisher, topic and data, and every event. Two runs with the
// same scenario and seed have the same hash.
func (p *Plan) Hash() string {
	h := sha256.New()
	for _, n := range p.Nodes {
		fmt.Fprintf(h, "node %s %s %s %s %s %s %v %s\n", n.Name, n.IP, n.PeerID, n.Group, n.Role, n.Class, n.Bootstrap, n.SyncGroup)
		if mixnetRole(n.Role) {
			fmt.Fprintf(h, "mixnet %s %d %d\n", n.Name, n.MixLayer, n.Provider)
		}
	}
	for _, pub := range p.Publications {
		fmt.Fprintf(h, "pub %d %d %d %d %s %x\n", pub.Seq, pub.At, pub.Node, pub.To, pub.Topic, sha256.Sum256(pub.Data))
	}
	for _, e := range p.Events {
		fmt.Fprintf(h, "event %d %s %v %+v\n", e.At, e.Action, e.Nodes, e.Link)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
