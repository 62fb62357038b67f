package dht

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	kad "github.com/libp2p/go-libp2p-kad-dht"
	kb "github.com/libp2p/go-libp2p-kbucket"
	"github.com/libp2p/go-libp2p-kbucket/peerdiversity"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/inproc"
)

// Config is one run: an honest kad-dht network and, for each entry of
// Ks, a victim among the honest servers and an attacker with that many
// addresses targeting it. The attacks run side by side on one network.
type Config struct {
	Seed int64
	// Honest is the number of honest DHT servers (the victims among them).
	Honest int
	// Ks are the attackers' address counts, one attacker and one victim
	// each. Each address is an IPv4 /16 of its own.
	Ks []int
	// PerAddr is the number of Sybil identities on each attacker address
	// (one host each, same IP, distinct ports).
	PerAddr int
	// PerCPL and PerTable are the diversity filter's limits at every
	// honest server (both 0: filter off). The attacker knows them: with
	// the filter on, its answers carry at most PerTable Sybils per group.
	PerCPL, PerTable int
	// Pool holds the ground identities the attackers pick from.
	Pool *Pool
	// Latency is every host's one-way link latency.
	Latency time.Duration
	// Bootstraps is the number of bootstrap servers every honest server
	// first connects to.
	Bootstraps int
	// Settle is how long the honest network runs before the attack (its
	// routing tables fill and freeze); Attack how long the attack runs
	// after the Sybils connected and each victim refreshed its table.
	Settle, Attack time.Duration
	// Lookups is the number of honest servers that look up each victim's
	// key, before and during the attack.
	Lookups int
	// Limits are the honest hosts' connection-manager water marks and
	// grace period (layers/overlay's Limits); ConnHigh 0: no trimming.
	ConnLow, ConnHigh int
	ConnGrace         time.Duration
	// Progress, if set, is told of each phase (virtual time since start).
	Progress func(string)
}

// Filter reports whether the diversity filter is on.
func (c Config) Filter() bool { return c.PerCPL > 0 }

func (c Config) validate() error {
	switch {
	case c.Honest < 2 || c.Honest > MaxHonest:
		return fmt.Errorf("%w: %d honest servers (2 to %d)", ErrConfig, c.Honest, MaxHonest)
	case len(c.Ks) == 0 || len(c.Ks)+c.Bootstraps > c.Honest:
		return fmt.Errorf("%w: %d attackers need as many victims besides %d bootstrap servers among %d honest", ErrConfig, len(c.Ks), c.Bootstraps, c.Honest)
	case c.ConnLow < 0 || c.ConnHigh < c.ConnLow || c.ConnGrace < 0:
		return fmt.Errorf("%w: connection water marks out of order", ErrConfig)
	case c.PerAddr < 1 || c.Bootstraps < 1 || c.Lookups < 0:
		return fmt.Errorf("%w: Sybils per address, bootstrap servers must be ≥ 1, lookups ≥ 0", ErrConfig)
	case c.PerCPL < 0 || c.PerTable < 0 || (c.PerCPL == 0) != (c.PerTable == 0):
		return fmt.Errorf("%w: diversity limits must both be positive or both 0", ErrConfig)
	case c.Pool == nil:
		return fmt.Errorf("%w: no identity pool (Grind)", ErrConfig)
	}
	total := 0
	for _, k := range c.Ks {
		if k < 1 {
			return fmt.Errorf("%w: attacker with %d addresses", ErrConfig, k)
		}
		total += k
	}
	if total > MaxAttackerAddrs {
		return fmt.Errorf("%w: %d attacker addresses (at most %d)", ErrConfig, total, MaxAttackerAddrs)
	}
	return nil
}

// Table is what a victim's routing table holds.
type Table struct {
	Size, Attacker, Honest int
	// Groups is the number of attacker IP groups in the table.
	Groups int
	// MaxPerGroup is the most entries of one attacker IP group;
	// MaxPerGroupCPL the most of one group at one common prefix length.
	MaxPerGroup, MaxPerGroupCPL int
	// Near is the number of attacker entries among the BucketSize
	// entries closest to the victim's own key (its neighbourhood, what it
	// answers a lookup of itself with); NearOf how many there are.
	Near, NearOf int
	// Deepest is the longest common prefix of an honest entry with the
	// victim's key.
	DeepestHonest int
}

// Share is the attacker's share of the table.
func (t Table) Share() float64 {
	if t.Size == 0 {
		return 0
	}
	return float64(t.Attacker) / float64(t.Size)
}

// Lookups summarises honest lookups of a victim's key.
type Lookups struct {
	// Done is the number of lookups that returned; Failed those that did
	// not.
	Done, Failed int
	// Share is the mean attacker share of a lookup's closest peers (the
	// victim itself left out); AllAttacker the share of lookups whose
	// closest peers are all the attacker's.
	Share, AllAttacker float64
}

// Point is one attacker against one victim.
type Point struct {
	K, Sybils int
	Victim    peer.ID
	// CPLs are the Sybils' common prefix lengths with the victim's key.
	CPLs []int
	// Connected counts Sybils that reached the victim.
	Connected int
	// Before and After are the victim's table before the attack and at
	// its end; LookupsBefore and LookupsAfter the honest lookups of the
	// victim's key at those times.
	Before, After               Table
	LookupsBefore, LookupsAfter Lookups
	// Served counts DHT requests the Sybils answered.
	Served int64
	// HonestLost counts honest entries of the table before the attack
	// that are gone at its end; Conns is the victim's open connections
	// at the end.
	HonestLost, Conns int
}

// Outcome is a run's result.
type Outcome struct {
	Config Config
	Points []Point
	// HonestTable is the mean routing-table size of the honest servers
	// that are not victims, before the attack.
	HonestTable float64
}

type attack struct {
	k      int
	victim int
	first  int // index of the first Sybil host
	cpls   []int
	att    *Attacker
	// sybils maps the attacker's identities to their IP groups.
	sybils map[peer.ID]peerdiversity.PeerIPGroupKey
}

// Run builds the network and runs the attacks. Call it inside a synctest
// bubble: durations are virtual.
func Run(ctx context.Context, c Config) (*Outcome, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	say := func(format string, args ...any) {
		if c.Progress != nil {
			c.Progress(fmt.Sprintf("[%v] ", time.Since(t0).Round(time.Second)) + fmt.Sprintf(format, args...))
		}
	}
	rng := rand.New(rand.NewPCG(uint64(c.Seed), 0x6468742d65636c))
	link := inproc.Link{Latency: c.Latency}
	specs := make([]inproc.HostSpec, c.Honest)
	for i := range specs {
		ip, err := HonestAddr(i)
		if err != nil {
			return nil, err
		}
		specs[i] = inproc.HostSpec{IP: ip, Link: link, ConnLow: c.ConnLow, ConnHigh: c.ConnHigh, Grace: c.ConnGrace}
	}
	// Victims: distinct honest servers other than the bootstrap ones.
	cands := rng.Perm(c.Honest - c.Bootstraps)
	pool := c.Pool.fresh()
	addr := 0
	atts := make([]*attack, len(c.Ks))
	for v, k := range c.Ks {
		a := &attack{k: k, victim: c.Bootstraps + cands[v], first: len(specs), sybils: map[peer.ID]peerdiversity.PeerIPGroupKey{}}
		vkey, err := inproc.Key(c.Seed, a.victim)
		if err != nil {
			return nil, err
		}
		vid, err := peer.IDFromPrivateKey(vkey)
		if err != nil {
			return nil, err
		}
		idx, cpls := pool.Pick(vid, k*c.PerAddr, BucketSize)
		if len(idx) < k*c.PerAddr {
			return nil, fmt.Errorf("%w: the pool of %d identities holds %d for an attacker that needs %d", ErrConfig, pool.Len(), len(idx), k*c.PerAddr)
		}
		a.cpls = cpls
		// Deal the Sybils round-robin over the addresses, so each address
		// holds Sybils at every depth.
		for t, i := range idx {
			ip, err := AttackerAddr(addr + t%k)
			if err != nil {
				return nil, err
			}
			key, err := SybilKey(pool.seed, i)
			if err != nil {
				return nil, err
			}
			specs = append(specs, inproc.HostSpec{IP: ip, Port: inproc.DefaultPort + t/k, Key: key, Link: link})
		}
		addr += k
		atts[v] = a
	}
	nw, err := inproc.New(c.Seed, specs)
	if err != nil {
		return nil, err
	}
	say("%d hosts up (%d honest)", len(specs), c.Honest)
	defer nw.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	boot := make([]peer.AddrInfo, c.Bootstraps)
	for i := range boot {
		boot[i] = nw.Info(i)
	}
	dhts := make([]*kad.IpfsDHT, c.Honest)
	defer func() {
		for _, d := range dhts {
			if d != nil {
				d.Close()
			}
		}
	}()
	for i := range dhts {
		d, err := newServer(nw.Host(i), boot, c)
		if err != nil {
			return nil, err
		}
		dhts[i] = d
	}
	perGroup := 0
	if c.Filter() {
		perGroup = c.PerTable
	}
	for _, a := range atts {
		a.att = &Attacker{PerGroup: perGroup}
		for i := range len(a.cpls) {
			s, err := NewSybil(nw.Host(a.first + i))
			if err != nil {
				return nil, err
			}
			a.att.Sybils = append(a.att.Sybils, s)
			a.sybils[s.ID] = s.Group
		}
		for i := range len(a.cpls) {
			a.att.Serve(nw.Host(a.first + i))
		}
	}

	// The honest network forms: every server dials the bootstrap servers
	// and its DHT fills its table by lookups.
	for i := 1; i < c.Honest; i++ {
		for b := range min(i, c.Bootstraps) {
			if err := nw.Connect(ctx, i, b); err != nil {
				return nil, err
			}
		}
	}
	say("honest servers joined")
	time.Sleep(c.Settle)
	say("honest network settled")

	out := &Outcome{Config: c, Points: make([]Point, len(atts))}
	victims := map[int]bool{}
	for _, a := range atts {
		victims[a.victim] = true
	}
	n := 0
	for i, d := range dhts {
		if !victims[i] {
			out.HonestTable += float64(d.RoutingTable().Size())
			n++
		}
	}
	out.HonestTable /= float64(n)
	queriers := make([][]int, len(atts))
	honestBefore := make([][]peer.ID, len(atts))
	for v, a := range atts {
		p := &out.Points[v]
		p.K, p.Sybils, p.Victim, p.CPLs = a.k, len(a.cpls), nw.Host(a.victim).ID(), a.cpls
		p.Before = measure(nw.Host(a.victim), dhts[a.victim], a)
		honestBefore[v] = dhts[a.victim].RoutingTable().ListPeers()
		for _, q := range rng.Perm(c.Honest) {
			if len(queriers[v]) == c.Lookups {
				break
			}
			if !victims[q] {
				queriers[v] = append(queriers[v], q)
			}
		}
	}
	before := lookups(ctx, nw, dhts, atts, queriers)
	say("baseline measured; attack starts")
	for v := range atts {
		out.Points[v].LookupsBefore = before[v]
	}

	// The attack: every Sybil dials its victim (in the order picked,
	// deepest first, in batches the victim's concurrent lookup checks
	// absorb), then the victim refreshes its table, as it does every ten
	// minutes, and the attack runs on.
	var wg sync.WaitGroup
	for v, a := range atts {
		wg.Go(func() {
			out.Points[v].Connected = approach(ctx, nw, a)
			<-dhts[a.victim].RefreshRoutingTable()
		})
	}
	wg.Wait()
	say("Sybils connected, victims refreshed")
	time.Sleep(c.Attack)
	for v, a := range atts {
		p := &out.Points[v]
		p.After = measure(nw.Host(a.victim), dhts[a.victim], a)
		p.Conns = len(nw.Host(a.victim).Network().Conns())
		now := dhts[a.victim].RoutingTable().ListPeers()
		for _, h := range honestBefore[v] {
			if !slices.Contains(now, h) {
				p.HonestLost++
			}
		}
	}
	after := lookups(ctx, nw, dhts, atts, queriers)
	say("attack measured")
	for v, a := range atts {
		out.Points[v].LookupsAfter = after[v]
		out.Points[v].Served = a.att.Served()
	}
	return out, nil
}

// newServer starts an honest kad-dht server as the overlay configures
// one (server mode, Strata's protocol prefix, the diversity filter when
// configured).
func newServer(h host.Host, boot []peer.AddrInfo, c Config) (*kad.IpfsDHT, error) {
	opts := []kad.Option{
		kad.Mode(kad.ModeServer),
		kad.ProtocolPrefix(overlay.DHTProtocolPrefix),
		kad.BootstrapPeers(boot...),
	}
	if c.Filter() {
		opts = append(opts, kad.RoutingTablePeerDiversityFilter(kad.NewRTPeerDiversityFilter(h, c.PerCPL, c.PerTable)))
	}
	d, err := kad.New(h, opts...)
	if err != nil {
		return nil, fmt.Errorf("dht: starting server %s: %w", h.ID(), err)
	}
	return d, nil
}

// approachBatch Sybils dial the victim at a time, approachPause apart:
// kad-dht checks at most 256 new peers at once and drops the rest.
const (
	approachBatch = 32
	approachPause = time.Second
)

// approach dials the victim from each Sybil host and returns how many
// connected.
func approach(ctx context.Context, nw *inproc.Net, a *attack) int {
	var mu sync.Mutex
	n := 0
	for start := 0; start < len(a.cpls); start += approachBatch {
		var wg sync.WaitGroup
		for i := start; i < min(start+approachBatch, len(a.cpls)); i++ {
			wg.Go(func() {
				dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if nw.Connect(dctx, a.first+i, a.victim) == nil {
					mu.Lock()
					n++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		time.Sleep(approachPause)
	}
	return n
}

// measure reads a victim's routing table. An attacker entry counts in
// the IP group of the address its Sybil listens on (the address the
// victim saw when it admitted it; the connection may since be trimmed).
func measure(h host.Host, d *kad.IpfsDHT, a *attack) Table {
	rt := d.RoutingTable()
	self := kb.ConvertPeerID(h.ID())
	var t Table
	perGroup := map[peerdiversity.PeerIPGroupKey]int{}
	perGroupCPL := map[string]int{}
	for _, p := range rt.ListPeers() {
		t.Size++
		cpl := kb.CommonPrefixLen(self, kb.ConvertPeerID(p))
		g, ok := a.sybils[p]
		if !ok {
			t.Honest++
			t.DeepestHonest = max(t.DeepestHonest, cpl)
			continue
		}
		t.Attacker++
		perGroup[g]++
		perGroupCPL[fmt.Sprintf("%s/%d", g, cpl)]++
	}
	t.Groups = len(perGroup)
	for _, n := range perGroup {
		t.MaxPerGroup = max(t.MaxPerGroup, n)
	}
	for _, n := range perGroupCPL {
		t.MaxPerGroupCPL = max(t.MaxPerGroupCPL, n)
	}
	near := rt.NearestPeers(self, BucketSize)
	t.NearOf = len(near)
	for _, p := range near {
		if _, ok := a.sybils[p]; ok {
			t.Near++
		}
	}
	return t
}

// lookupTimeout bounds one honest lookup.
const lookupTimeout = time.Minute

// lookups runs every querier's lookup of its victim's key at once.
func lookups(ctx context.Context, nw *inproc.Net, dhts []*kad.IpfsDHT, atts []*attack, queriers [][]int) []Lookups {
	out := make([]Lookups, len(atts))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for v, a := range atts {
		victim := nw.Host(a.victim).ID()
		for _, q := range queriers[v] {
			wg.Go(func() {
				lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
				defer cancel()
				ps, err := dhts[q].GetClosestPeers(lctx, string(victim))
				mu.Lock()
				defer mu.Unlock()
				l := &out[v]
				if err != nil {
					l.Failed++
					return
				}
				att, all := 0, 0
				for _, p := range ps {
					if p == victim {
						continue
					}
					all++
					if _, ok := a.sybils[p]; ok {
						att++
					}
				}
				l.Done++
				if all > 0 {
					l.Share += float64(att) / float64(all)
					if att == all {
						l.AllAttacker++
					}
				}
			})
		}
	}
	wg.Wait()
	for v := range out {
		if d := out[v].Done; d > 0 {
			out[v].Share /= float64(d)
			out[v].AllAttacker /= float64(d)
		}
	}
	return out
}
