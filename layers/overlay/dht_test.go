package overlay

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// dhtTableSize starts n DHT nodes on 127.0.6.x, all knowing the first as
// bootstrap and connected to one another, and returns the largest routing
// table among them once they settle.
func dhtTableSize(t *testing.T, n int, seedBase uint64, subnet int, dc DHTConfig) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dc.Enabled = true
	var nodes []*Overlay
	for i := range n {
		var boot []peer.AddrInfo
		if i > 0 {
			boot = []peer.AddrInfo{info(nodes[0])}
		}
		nodes = append(nodes, startNode(t, fmt.Sprintf("127.0.%d.%d", subnet, i+1), seedBase+uint64(i), func(c *Config) {
			c.DHT = dc
			c.Bootstrap = boot
		}))
	}
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				if err := a.Host.Connect(ctx, info(b)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	best := 0
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		best = 0
		for _, o := range nodes {
			best = max(best, o.DHT.RoutingTable().Size())
		}
		if best == n-1 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return best
}

// TestDHTDiversityFilterOnLoopback shows the trap of the DHT's diversity
// filter on a loopback testnet: every 127.0.x.y address is in the IP group
// 127.0.0.0/16, so with libp2p's dual-DHT limits (2 per bucket, 3 per
// table) no routing table holds more than 3 peers, while without the
// filter every table holds all the others.
func TestDHTDiversityFilterOnLoopback(t *testing.T) {
	const n = 7
	if got := dhtTableSize(t, n, 100, 6, DHTConfig{}); got != n-1 {
		t.Fatalf("without the filter the largest table has %d peers, want %d", got, n-1)
	}
	if got := dhtTableSize(t, n, 200, 7, DHTConfig{DiversityPerCpl: 2, DiversityPerTable: 3}); got < 1 || got > 3 {
		t.Fatalf("with the filter (2 per bucket, 3 per table) a table has %d peers from one /16", got)
	}
}
