package testnet

// The in-process overlay harness (tier T0'): a scenario's nodes as
// gossipsub hosts (layers/overlay's parameter set and message ids) in this
// process, on go-libp2p's simulated network (x/simlibp2p over simnet,
// QUIC only), under testing/synctest's virtual time. It reads the same
// scenario files as the multi-process testnet and supports their groups,
// link classes (latency and bandwidth), topology and gossip workload;
// faults and churn are not modelled here.

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/x/simlibp2p"
	"github.com/marcopolo/simnet"

	"github.com/strata-lab/strata/layers/overlay"
)

// simResult is what one in-process run measured, in virtual time.
type simResult struct {
	expected, delivered int
	latency             []time.Duration
	// set lists "node message" for every delivery, sorted.
	set []string
}

// unlimited is the link rate of classes without a bandwidth (1 Gbit/s).
const unlimited = 1_000_000_000

// runSimnet runs the gossip workload of s with seed in virtual time.
func runSimnet(t *testing.T, s *Scenario, seed int64) simResult {
	t.Helper()
	plan, err := NewPlan(s, seed)
	if err != nil {
		t.Fatal(err)
	}
	if s.Workload.Kind != "gossip" {
		t.Fatalf("the in-process harness runs gossip workloads, not %s", s.Workload.Kind)
	}
	var res simResult
	synctest.Test(t, func(t *testing.T) {
		n := len(plan.Nodes)
		class := map[string]LinkClass{}
		var settings []simlibp2p.NodeLinkSettingsAndCount
		for i, nd := range plan.Nodes {
			ip := simnet.IntToPublicIPv4(i).String()
			class[ip] = s.Links[nd.Class]
			bps := int(s.Links[nd.Class].Bandwidth * 8)
			if bps == 0 {
				bps = unlimited
			}
			l := simnet.LinkSettings{BitsPerSecond: bps}
			settings = append(settings, simlibp2p.NodeLinkSettingsAndCount{LinkSettings: simnet.NodeBiDiLinkSettings{Uplink: l, Downlink: l}, Count: 1})
		}
		// A packet takes its sender's one-way latency, as in the testnet,
		// where each node shapes its own egress.
		latency := func(p *simnet.Packet) time.Duration {
			a, _ := p.From.(*net.UDPAddr)
			if a == nil {
				return 0
			}
			return time.Duration(class[a.IP.String()].Latency)
		}
		nw, meta, err := simlibp2p.SimpleLibp2pNetwork(settings, latency, simlibp2p.NetworkSettings{})
		if err != nil {
			t.Fatal(err)
		}
		nw.Start()
		defer nw.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		topic := s.Topics[0]
		ovs := make([]*overlay.Overlay, n)
		var mu sync.Mutex
		got := map[string]map[int]time.Time{}
		var wg sync.WaitGroup
		for i, h := range meta.Nodes {
			o, err := overlay.Attach(ctx, h, overlay.Config{Params: overlay.DefaultParams(), Topics: s.Topics})
			if err != nil {
				t.Fatal(err)
			}
			ovs[i] = o
			tp, _ := o.Topic(topic)
			sub, err := tp.Subscribe()
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer sub.Cancel()
				for {
					m, err := sub.Next(ctx)
					if err != nil {
						return
					}
					id := fmt.Sprintf("%x", overlay.MessageID(topic, m.Data))
					mu.Lock()
					if got[id] == nil {
						got[id] = map[int]time.Time{}
					}
					if _, ok := got[id][i]; !ok {
						got[id][i] = time.Now()
					}
					mu.Unlock()
				}
			}()
		}
		for i, nd := range plan.Nodes {
			for _, b := range nd.Bootstrap {
				h := meta.Nodes[b]
				if err := meta.Nodes[i].Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
					t.Fatalf("%s → %s: %v", nd.Name, plan.Nodes[b].Name, err)
				}
			}
		}
		time.Sleep(time.Duration(s.Workload.Warmup))
		start := time.Now()
		sent := map[string]time.Time{}
		for _, pub := range plan.Publications {
			time.Sleep(time.Until(start.Add(pub.At)))
			sent[pub.ID] = time.Now()
			if _, err := ovs[pub.Node].Publish(ctx, topic, pub.Data); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Duration(s.Measure.Drain))
		mu.Lock()
		for _, pub := range plan.Publications {
			for j := range n {
				if j == pub.Node {
					continue
				}
				res.expected++
				if at, ok := got[pub.ID][j]; ok {
					res.delivered++
					res.latency = append(res.latency, at.Sub(sent[pub.ID]))
					res.set = append(res.set, plan.Nodes[j].Name+" "+pub.ID)
				}
			}
		}
		mu.Unlock()
		sort.Strings(res.set)
		cancel()
		wg.Wait()
		for _, o := range ovs {
			o.Close()
		}
	})
	return res
}

// TestSimnetSmoke runs the smoke scenario's nodes, links and workload in
// virtual time: every message reaches every node, latencies follow the
// link classes, and a second run with the seed delivers the same set.
func TestSimnetSmoke(t *testing.T) {
	s, err := LoadScenario("scenarios/smoke.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.Faults = nil // not modelled in process
	a := runSimnet(t, s, s.Seed)
	if a.expected == 0 || a.delivered != a.expected {
		t.Fatalf("delivered %d of %d", a.delivered, a.expected)
	}
	slices.Sort(a.latency)
	p50 := a.latency[len(a.latency)/2]
	// One hop between two lan nodes is 5-6 ms one way; no delivery can be
	// faster than one hop, and the median stays within a few hops.
	if a.latency[0] < 5*time.Millisecond || p50 > 200*time.Millisecond {
		t.Fatalf("latency min %v, p50 %v", a.latency[0], p50)
	}
	b := runSimnet(t, s, s.Seed)
	if !slices.Equal(a.set, b.set) {
		t.Fatalf("two runs with one seed delivered different sets (%d and %d deliveries)", len(a.set), len(b.set))
	}
	t.Logf("%d deliveries, latency min %v p50 %v max %v (virtual time)", a.delivered, a.latency[0], p50, a.latency[len(a.latency)-1])
}

// TestSimnetScale runs gossip-300.yaml in process, resized to
// $STRATA_T0_NODES hosts (skipped when unset): the in-process tier's
// scale figure. Virtual time makes its latencies independent of how busy
// the machine is.
//
//	STRATA_T0_NODES=300 go test ./testnet -run TestSimnetScale -v
func TestSimnetScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("STRATA_T0_NODES"))
	if n == 0 {
		t.Skip("set STRATA_T0_NODES to run")
	}
	s, err := LoadScenario("scenarios/gossip-300.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Resize(n); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := runSimnet(t, s, s.Seed)
	slices.Sort(r.latency)
	if r.expected == 0 {
		t.Fatal("nothing expected")
	}
	t.Logf("%d hosts: delivered %d of %d (%.4f), latency p50 %v p99 %v (virtual), wall %v",
		n, r.delivered, r.expected, float64(r.delivered)/float64(r.expected),
		r.latency[len(r.latency)/2], r.latency[len(r.latency)*99/100], time.Since(start).Round(time.Second))
	if r.delivered != r.expected {
		t.Fatalf("delivered %d of %d", r.delivered, r.expected)
	}
}
