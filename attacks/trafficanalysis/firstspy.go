package trafficanalysis

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/inproc"
	"github.com/strata-lab/strata/testnet/mixsim"
)

// The arms of the first-spy study: how a publisher's message enters gossip.
const (
	// ArmNone: the publisher publishes into gossipsub itself.
	ArmNone = "none"
	// ArmNoFlood: as ArmNone with flood publishing off: the publisher
	// sends its own message to its mesh peers only, not to every peer it
	// is connected to. Not a defence the overlay offers (flood publishing
	// protects delivery against eclipse of publishers); it shows how much
	// of the spies' success comes from it.
	ArmNoFlood = "none-noflood"
	// ArmStem: the overlay's stem phase (Dandelion++-style) carries the
	// message to a diffuser first.
	ArmStem = "stem"
	// ArmMixnet: the publisher hands the message to a Loopix mixnet; it
	// enters gossip at its exit gateway after the mix delays.
	ArmMixnet = "mixnet"
)

// Arms are the study's arms in the order it runs them (ArmNone first:
// the others are measured against it).
var Arms = []string{ArmNone, ArmNoFlood, ArmStem, ArmMixnet}

// FirstSpyConfig sizes a first-spy study.
type FirstSpyConfig struct {
	// Nodes overlays; each dials Degree others chosen at random (mean
	// degree about 2·Degree, Bitcoin's 8 for Degree 4).
	Nodes, Degree int
	// Messages per arm, published Spacing apart after Warmup; the run
	// ends Drain after the last.
	Messages               int
	Spacing, Warmup, Drain time.Duration
	MinLatency, MaxLatency time.Duration
	// Fractions of spies swept; Draws random spy sets per fraction.
	Fractions []float64
	Draws     int
	// FluffProbability is the stem arm's q.
	FluffProbability float64
	// Mix is the mixnet deployment of the mixnet arm (its Providers are the
	// gateways, overlay nodes that publish what leaves the mixnet).
	Mix mixsim.Config
}

// FirstSpySize returns the study's configuration at a size: "small" (the
// package's tests), "quick" or "full".
func FirstSpySize(size string, seed int64) FirstSpyConfig {
	c := FirstSpyConfig{Nodes: 48, Degree: 4, Messages: 24, Spacing: 300 * time.Millisecond,
		Warmup: 5 * time.Second, Drain: 5 * time.Second, MinLatency: 10 * time.Millisecond, MaxLatency: 60 * time.Millisecond,
		Fractions: []float64{0.1, 0.2}, Draws: 20, FluffProbability: overlay.DefaultFluffProbability, Mix: mixsim.DefaultConfig()}
	c.Mix.Seed = uint64(seed)
	c.Mix.RecordLinks = true
	c.Mix.Loss = 0
	c.Mix.Duration = 20 * time.Second
	switch size {
	case "quick":
		c.Nodes, c.Messages = 120, 50
		c.Fractions = []float64{0.05, 0.1, 0.15, 0.2, 0.3}
		c.Mix.Duration = 30 * time.Second
	case "full":
		c.Nodes, c.Messages, c.Spacing, c.Draws = 1000, 100, 250*time.Millisecond, 30
		c.Fractions = []float64{0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5}
		c.Mix.Duration = 60 * time.Second
	}
	return c
}

// sighting is one node's first sight of one message: when, and from which
// node (its own index when it published the message itself).
type sighting struct {
	at   time.Time
	from int
}

// ArmRun is what one run of an arm recorded.
type ArmRun struct {
	Arm string
	// Origin is each message's publisher (the sender, in the mixnet arm).
	Origin []int
	// seen[m][i] is node i's first sight of message m (zero: never), by
	// gossip or, in the stem arm, on the stem.
	seen [][]sighting
	// Outcome: deliveries and latencies from the moment the publisher
	// handed the message over.
	Outcome inproc.Outcome
	// Stem sums every node's stem counters (stem arm).
	Stem overlay.StemStats
}

// MixPlan is the mixnet arm's traffic, taken from a simulated Loopix
// deployment: each message's sender (a mixsim client, mapped onto an
// overlay node), when it was handed to the mixnet, when it reached its
// exit provider, and which provider.
type MixPlan struct {
	Created, Stored []time.Duration
	Client, Exit    []int
	Clients         int
	Providers       int
	// GPATop1 and GPAEpsilon are what a global passive adversary watching
	// every link of the same mixnet run achieved against its senders.
	GPATop1, GPAEpsilon float64
	MeanDelay           time.Duration
	TraceHash           string
}

// NewMixPlan runs cfg.Mix and takes the first cfg.Messages messages sent in
// its measured window that reached their exit provider.
func NewMixPlan(cfg FirstSpyConfig) (*MixPlan, error) {
	out, err := mixsim.Run(cfg.Mix)
	if err != nil {
		return nil, err
	}
	ob, err := observe(out)
	if err != nil {
		return nil, err
	}
	pt, err := score(out, ob, ob.net)
	if err != nil {
		return nil, err
	}
	client := map[int32]int{}
	prov := map[int32]int{}
	for i, n := range out.Nodes {
		switch n.Role {
		case mixsim.RoleClient:
			client[int32(i)] = len(client)
		case mixsim.RoleProvider:
			prov[int32(i)] = len(prov)
		}
	}
	ms := slices.Clone(out.Messages)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Created < ms[j].Created })
	p := &MixPlan{Clients: len(client), Providers: len(prov), GPATop1: pt.top1, GPAEpsilon: pt.epsilon,
		MeanDelay: cfg.Mix.MeanDelay(), TraceHash: out.TraceHash}
	for _, m := range ms {
		if len(p.Created) == cfg.Messages {
			break
		}
		if m.Created < cfg.Mix.Warmup || m.Stored < 0 {
			continue
		}
		p.Created = append(p.Created, m.Created)
		p.Stored = append(p.Stored, m.Stored)
		p.Client = append(p.Client, client[m.From])
		p.Exit = append(p.Exit, prov[out.Nodes[m.To].Provider])
	}
	if len(p.Created) < cfg.Messages {
		return nil, fmt.Errorf("trafficanalysis: the mixnet run delivered %d messages to providers, the study needs %d: lengthen Mix.Duration", len(p.Created), cfg.Messages)
	}
	return p, nil
}

// seededStream is a deterministic byte stream for node i's stem key.
func seededStream(seed int64, i int) io.Reader {
	var k [32]byte
	copy(k[:], "strata-firstspy-stem")
	k[24], k[25], k[26], k[27] = byte(seed), byte(seed>>8), byte(i), byte(i>>8)
	return rand.NewChaCha8(k)
}

// Gateways returns the overlay nodes that are the mixnet's exit gateways
// (one per provider), the same for every arm of a seed.
func (c FirstSpyConfig) Gateways(seed int64) []int {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x67617465))
	return rng.Perm(c.Nodes)[:c.Mix.Providers]
}

// RunArm runs one arm: cfg.Nodes honest overlays on the in-process
// network (same keys, links and topology for every arm of a seed), the
// messages published, every node's first sight of every message
// recorded. Call it inside a synctest bubble; mix is needed for the
// mixnet arm only.
func RunArm(ctx context.Context, cfg FirstSpyConfig, seed int64, arm string, mix *MixPlan) (*ArmRun, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x66697273))
	specs := make([]inproc.HostSpec, cfg.Nodes)
	for i := range specs {
		lat := cfg.MinLatency + time.Duration(rng.Int64N(int64(cfg.MaxLatency-cfg.MinLatency)+1))
		specs[i] = inproc.HostSpec{Link: inproc.Link{Latency: lat}}
	}
	nw, err := inproc.New(seed, specs)
	if err != nil {
		return nil, err
	}
	defer nw.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	topic := "/strata/1/test/firstspy"
	index := make(map[peer.ID]int, cfg.Nodes)
	for i := range cfg.Nodes {
		index[nw.Host(i).ID()] = i
	}
	var mu sync.Mutex
	stemSeen := map[string]map[int]sighting{}
	d := inproc.NewDeliveries()
	ovs := make([]*overlay.Overlay, cfg.Nodes)
	for i := range ovs {
		oc := overlay.Config{Params: overlay.DefaultParams(), Topics: []string{topic}}
		if arm == ArmNoFlood {
			oc.Params.Gossip.FloodPublish = false
		}
		if arm == ArmStem {
			oc.Stem = overlay.StemConfig{Enabled: true, FluffProbability: cfg.FluffProbability, Rand: seededStream(seed, i),
				OnStem: func(from peer.ID, topic string, data []byte) {
					id := inproc.MessageID(topic, data)
					now := time.Now()
					mu.Lock()
					defer mu.Unlock()
					if stemSeen[id] == nil {
						stemSeen[id] = map[int]sighting{}
					}
					if _, ok := stemSeen[id][i]; !ok {
						f, known := index[from]
						if !known {
							f = -1
						}
						stemSeen[id][i] = sighting{at: now, from: f}
					}
				}}
		}
		o, err := overlay.Attach(ctx, nw.Host(i), oc)
		if err != nil {
			return nil, err
		}
		defer o.Close()
		ovs[i] = o
		if err := d.Watch(ctx, i, o, topic); err != nil {
			return nil, err
		}
	}
	for i := range cfg.Nodes {
		for _, j := range rng.Perm(cfg.Nodes)[:cfg.Degree+1] {
			if j == i || nw.Host(i).Network().Connectedness(nw.Host(j).ID()) == network.Connected {
				continue
			}
			if err := nw.Connect(ctx, i, j); err != nil {
				return nil, err
			}
		}
	}
	time.Sleep(cfg.Warmup)
	run := &ArmRun{Arm: arm}
	gates := cfg.Gateways(seed)
	// Publishers are the nodes that are not gateways; the same draw for
	// the plain and the stem arm.
	var pool []int
	for i := range cfg.Nodes {
		if !slices.Contains(gates, i) {
			pool = append(pool, i)
		}
	}
	prng := rand.New(rand.NewPCG(uint64(seed), 0x7075626c))
	var ids []string
	var msgs []inproc.Message
	data := func(k int) []byte { return fmt.Appendf(nil, "firstspy %s message %d", arm, k) }
	if arm == ArmMixnet {
		if mix == nil {
			return nil, fmt.Errorf("%w: the mixnet arm needs a MixPlan", inproc.ErrConfig)
		}
		// Each mixnet client is an overlay node of the pool.
		owner := prng.Perm(len(pool))
		type event struct {
			at     time.Duration
			k      int
			inject bool
		}
		var evs []event
		base := mix.Created[0]
		for k := range cfg.Messages {
			evs = append(evs, event{mix.Created[k] - base, k, false}, event{mix.Stored[k] - base, k, true})
			origin := pool[owner[mix.Client[k]%len(pool)]]
			run.Origin = append(run.Origin, origin)
			ids = append(ids, inproc.MessageID(topic, data(k)))
			msgs = append(msgs, inproc.Message{ID: ids[k], Origin: origin})
		}
		sort.SliceStable(evs, func(a, b int) bool { return evs[a].at < evs[b].at })
		start := time.Now()
		for _, e := range evs {
			time.Sleep(time.Until(start.Add(e.at)))
			if !e.inject {
				d.Published(ids[e.k], time.Now())
				continue
			}
			if _, err := ovs[gates[mix.Exit[e.k]]].Publish(ctx, topic, data(e.k)); err != nil {
				return nil, err
			}
		}
	} else {
		for k := range cfg.Messages {
			origin := pool[prng.IntN(len(pool))]
			run.Origin = append(run.Origin, origin)
			ids = append(ids, inproc.MessageID(topic, data(k)))
			msgs = append(msgs, inproc.Message{ID: ids[k], Origin: origin})
			d.Published(ids[k], time.Now())
			if _, err := ovs[origin].Publish(ctx, topic, data(k)); err != nil {
				return nil, err
			}
			time.Sleep(cfg.Spacing)
		}
	}
	time.Sleep(cfg.Drain)
	all := make([]int, cfg.Nodes)
	for i := range all {
		all[i] = i
	}
	run.Outcome = d.Outcome(msgs, all, func(i int) string { return fmt.Sprint(i) })
	for _, o := range ovs {
		s := o.StemStats()
		run.Stem.Originated += s.Originated
		run.Stem.Relayed += s.Relayed
		run.Stem.Diffused += s.Diffused
		run.Stem.FailSafes += s.FailSafes
		run.Stem.Loops += s.Loops
		run.Stem.NoRelay += s.NoRelay
		run.Stem.Refused += s.Refused
	}
	cancel()
	d.Wait()
	mu.Lock()
	defer mu.Unlock()
	run.seen = make([][]sighting, len(ids))
	for m, id := range ids {
		run.seen[m] = make([]sighting, cfg.Nodes)
		for i := range cfg.Nodes {
			s := stemSeen[id][i]
			if dl, ok := d.Got(id, i); ok && (s.at.IsZero() || dl.At.Before(s.at)) {
				f, known := index[dl.From]
				if !known {
					f = -1
				}
				s = sighting{at: dl.At, from: f}
			}
			run.seen[m][i] = s
		}
	}
	return run, nil
}
