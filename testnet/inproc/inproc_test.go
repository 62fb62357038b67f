package inproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/testnet"
)

func loadScenario(t *testing.T, name string) *testnet.Scenario {
	t.Helper()
	s, err := testnet.LoadScenario("../scenarios/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s.Faults = nil // not modelled in process
	return s
}

func run(t *testing.T, s *testnet.Scenario, seed int64) Outcome {
	t.Helper()
	var out Outcome
	synctest.Test(t, func(t *testing.T) {
		var err error
		out, err = RunScenario(context.Background(), s, seed)
		if err != nil {
			t.Fatal(err)
		}
	})
	return out
}

// TestScenarioSmoke runs the smoke scenario's nodes, links and workload in
// virtual time: every message reaches every node, latencies follow the
// link classes, and a second run with the seed delivers the same set.
func TestScenarioSmoke(t *testing.T) {
	s := loadScenario(t, "smoke.yaml")
	a := run(t, s, s.Seed)
	if a.Expected == 0 || a.Delivered != a.Expected {
		t.Fatalf("delivered %d of %d", a.Delivered, a.Expected)
	}
	p50 := a.Percentile(0.5)
	// One hop between two lan nodes is 5-6 ms one way; no delivery can be
	// faster than one hop, and the median stays within a few hops.
	if a.Latency[0] < 5*time.Millisecond || p50 > 200*time.Millisecond {
		t.Fatalf("latency min %v, p50 %v", a.Latency[0], p50)
	}
	b := run(t, s, s.Seed)
	if !slices.Equal(a.Set, b.Set) {
		t.Fatalf("two runs with one seed delivered different sets (%d and %d deliveries)", len(a.Set), len(b.Set))
	}
	t.Logf("%d deliveries, latency min %v p50 %v max %v (virtual time)", a.Delivered, a.Latency[0], p50, a.Latency[len(a.Latency)-1])
}

// TestScenarioScale runs gossip-300.yaml in process, resized to
// $STRATA_T0_NODES hosts (skipped when unset): the in-process tier's
// scale figure. Virtual time makes its latencies independent of how busy
// the machine is.
//
//	STRATA_T0_NODES=1000 go test ./testnet/inproc -run TestScenarioScale -v
func TestScenarioScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("STRATA_T0_NODES"))
	if n == 0 {
		t.Skip("set STRATA_T0_NODES to run")
	}
	s := loadScenario(t, "gossip-300.yaml")
	if err := s.Resize(n); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := run(t, s, s.Seed)
	if r.Expected == 0 {
		t.Fatal("nothing expected")
	}
	t.Logf("%d hosts: delivered %d of %d (%.4f), latency p50 %v p99 %v (virtual), wall %v",
		n, r.Delivered, r.Expected, r.Rate(), r.Percentile(0.5), r.Percentile(0.99), time.Since(start).Round(time.Second))
	if r.Delivered != r.Expected {
		t.Fatalf("delivered %d of %d", r.Delivered, r.Expected)
	}
}

// TestColocatedHosts puts two hosts on one address (different ports) and
// checks they connect, see that address, and that a latency applies per
// host.
func TestColocatedHosts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ip := net.IPv4(42, 1, 2, 3)
		nw, err := New(1, []HostSpec{
			{IP: ip, Link: Link{Latency: 20 * time.Millisecond}},
			{IP: ip, Port: 8001, Link: Link{Latency: 20 * time.Millisecond}},
			{},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer nw.Close()
		ctx := context.Background()
		if err := nw.Connect(ctx, 0, 1); err != nil {
			t.Fatal(err)
		}
		if err := nw.Connect(ctx, 2, 0); err != nil {
			t.Fatal(err)
		}
		conns := nw.Host(1).Network().ConnsToPeer(nw.Host(0).ID())
		if len(conns) == 0 || !slices.Contains([]string{conns[0].RemoteMultiaddr().String()}, "/ip4/42.1.2.3/udp/8000/quic-v1") {
			t.Fatalf("host 1's connection to host 0: %v", conns)
		}
		if got := nw.Spec(2).IP.String(); got != Addr(2).String() {
			t.Fatalf("host 2 address %s, want %s", got, Addr(2))
		}
		// Identities are a function of (seed, index).
		k, err := Key(1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !k.Equals(nw.Spec(2).Key) {
			t.Fatal("host 2's key is not Key(1, 2)")
		}
	})
}

// TestLightHost checks what a light host must share with a full one: it
// dials and is dialled over the simulated network, serves streams by
// protocol, and identify tells its peers its protocols and its listen
// address, by which a third peer can reach it.
func TestLightHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw, err := New(3, []HostSpec{{}, {Light: true, Link: Link{Latency: 10 * time.Millisecond}}, {}})
		if err != nil {
			t.Fatal(err)
		}
		defer nw.Close()
		ctx := context.Background()
		const proto = "/strata/test/1"
		nw.Host(1).SetStreamHandler(proto, func(s network.Stream) {
			s.Write([]byte("light"))
			s.Close()
		})
		if err := nw.Connect(ctx, 0, 1); err != nil {
			t.Fatal(err)
		}
		s, err := nw.Host(0).NewStream(ctx, nw.Host(1).ID(), proto)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(s)
		if err != nil || string(b) != "light" {
			t.Fatalf("read %q, %v", b, err)
		}
		time.Sleep(time.Second) // identify
		ps := nw.Host(0).Peerstore()
		if ok, _ := ps.SupportsProtocols(nw.Host(1).ID(), proto); len(ok) != 1 {
			t.Fatal("identify did not tell the light host's protocols")
		}
		addrs := ps.Addrs(nw.Host(1).ID())
		if len(addrs) != 1 || addrs[0].String() != fmt.Sprintf("/ip4/%s/udp/8000/quic-v1", Addr(1)) {
			t.Fatalf("light host's addresses as host 0 knows them: %v", addrs)
		}
		// Host 2 reaches host 1 by what host 0 learnt.
		if err := nw.Host(2).Connect(ctx, peer.AddrInfo{ID: nw.Host(1).ID(), Addrs: addrs}); err != nil {
			t.Fatalf("dial by learnt address: %v", err)
		}
		if err := nw.Connect(ctx, 1, 2); err != nil { // and it dials
			t.Fatal(err)
		}
	})
}

func TestNewRejects(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ip := net.IPv4(42, 1, 2, 3)
		for name, specs := range map[string][]HostSpec{
			"same address":     {{IP: ip}, {IP: ip}},
			"ipv6":             {{IP: net.ParseIP("2001:db8::1")}},
			"watermarks":       {{ConnLow: 10, ConnHigh: 5}},
			"negative latency": {{Link: Link{Latency: -time.Second}}},
			"light with conns": {{Light: true, ConnLow: 1, ConnHigh: 2}},
		} {
			if _, err := New(1, specs); !errors.Is(err, ErrConfig) {
				t.Errorf("%s: err %v, want ErrConfig", name, err)
			}
		}
	})
}

func TestAddrDistinctGroups(t *testing.T) {
	seen := map[string]bool{}
	for i := range MaxDefaultAddrs {
		a := Addr(i).To4()
		if !a.IsGlobalUnicast() || a.IsPrivate() {
			t.Fatalf("Addr(%d) = %v is not public", i, a)
		}
		g := fmt.Sprintf("%d.%d", a[0], a[1])
		if seen[g] {
			t.Fatalf("Addr(%d) = %v shares its /16", i, a)
		}
		seen[g] = true
		if slices.Contains(legacyClassA, a[0]) {
			t.Fatalf("Addr(%d) = %v is in a legacy class-A block (one /8 group for the DHT)", i, a)
		}
	}
}
