package sybil

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/attacks/gossipwire"
	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/inproc"
	"github.com/strata-lab/strata/testnet/node"
)

func id(i int) [overlay.MessageIDSize]byte {
	return overlay.MessageID(Topic, Payload(0, uint64(i), 32))
}

func TestPolicy(t *testing.T) {
	now := time.Unix(1000, 0)
	data := Payload(3, 9, 64)
	if (Policy{Mode: DropNone}).Drop(now, id(1), data) || !(Policy{Mode: DropAll}).Drop(now, id(1), data) {
		t.Fatal("DropNone dropped or DropAll forwarded")
	}
	origins := Policy{Mode: DropOrigins, Origins: map[uint64]bool{3: true}}
	if !origins.Drop(now, id(1), data) || origins.Drop(now, id(1), Payload(4, 9, 64)) || origins.Drop(now, id(1), []byte("short")) {
		t.Fatal("DropOrigins picked the wrong messages")
	}
	// DropRandom drops about a share p, and one message gets one fate.
	r := Policy{Mode: DropRandom, P: 0.3, Seed: 5}
	dropped := 0
	const n = 20000
	for i := range n {
		d := r.Drop(now, id(i), nil)
		if d != r.Drop(now, id(i), nil) {
			t.Fatal("one message, two fates")
		}
		if d {
			dropped++
		}
	}
	if share := float64(dropped) / n; math.Abs(share-0.3) > 0.02 {
		t.Fatalf("DropRandom p=0.3 dropped %.3f", share)
	}
	if (Policy{Mode: DropRandom, P: 0}).Drop(now, id(1), nil) || !(Policy{Mode: DropRandom, P: 1}).Drop(now, id(1), nil) {
		t.Fatal("p=0 dropped or p=1 forwarded")
	}
	// A flash forwards before FlashAt and censors from it on.
	f := Policy{Mode: DropAll, FlashAt: now}
	if f.Drop(now.Add(-time.Nanosecond), id(1), nil) || !f.Drop(now, id(1), nil) {
		t.Fatal("flash timing wrong")
	}
	for name, bad := range map[string]Policy{
		"no origins": {Mode: DropOrigins},
		"p > 1":      {Mode: DropRandom, P: 1.5},
		"p NaN":      {Mode: DropRandom, P: math.NaN()},
		"mode":       {Mode: Mode(42)},
	} {
		if err := bad.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

func TestPayload(t *testing.T) {
	b := Payload(1<<40+7, 12, 256)
	if len(b) != 256 {
		t.Fatalf("size %d", len(b))
	}
	if o, ok := OriginOf(b); !ok || o != 1<<40+7 {
		t.Fatalf("origin %d %v", o, ok)
	}
	if _, ok := OriginOf(b[:15]); ok {
		t.Fatal("origin read from 15 bytes")
	}
	if len(Payload(1, 1, 3)) != payloadHeader {
		t.Fatal("a payload shorter than its header")
	}
}

func TestPlace(t *testing.T) {
	for _, c := range []struct {
		victims, sybils, per int
		col                  Colocation
		perIP                int
	}{{100, 1000, 1, OwnIP, 0}, {16, 24, 2, OwnIP, 0}, {7, 50, 3, OwnIP, 0}, {20, 120, 1, ColocateAware, 0}, {20, 120, 1, ColocateNaive, 6}, {10, 35, 1, ColocateNaive, 4}} {
		name := fmt.Sprintf("%d-%d-%d-%v", c.victims, c.sybils, c.per, c.col)
		p, err := Place(9, c.victims, c.sybils, c.per, c.col, c.perIP)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		q, _ := Place(9, c.victims, c.sybils, c.per, c.col, c.perIP)
		load := make([]int, c.victims)
		addrs := map[string]bool{}
		ipsAt := make([]map[string]int, c.victims) // per victim: Sybils per address
		for v := range ipsAt {
			ipsAt[v] = map[string]int{}
		}
		for s := range c.sybils {
			if len(p.Victims[s]) != c.per {
				t.Fatalf("%s: Sybil %d attacks %d victims", name, s, len(p.Victims[s]))
			}
			seen := map[int]bool{}
			for k, v := range p.Victims[s] {
				if seen[v] {
					t.Fatalf("%s: Sybil %d attacks victim %d twice", name, s, v)
				}
				if q.Victims[s][k] != v {
					t.Fatalf("%s: one seed, two placements", name)
				}
				seen[v] = true
				load[v]++
				ipsAt[v][p.IP[s].String()]++
			}
			a := fmt.Sprintf("%s:%d", p.IP[s], p.Port[s])
			if addrs[a] {
				t.Fatalf("%s: address %s given twice", name, a)
			}
			addrs[a] = true
		}
		lo, hi := c.sybils*c.per/c.victims, (c.sybils*c.per+c.victims-1)/c.victims
		for v, n := range load {
			if n < lo || n > hi {
				t.Fatalf("%s: victim %d has %d Sybils, want %d to %d", name, v, n, lo, hi)
			}
			for ip, k := range ipsAt[v] {
				switch {
				case c.col != ColocateNaive && k > 1:
					t.Fatalf("%s: victim %d sees %d Sybils on %s", name, v, k, ip)
				case c.col == ColocateNaive && k > c.perIP:
					t.Fatalf("%s: victim %d sees %d Sybils on %s, more than %d", name, v, k, ip, c.perIP)
				}
			}
			if c.col == ColocateNaive && len(ipsAt[v]) > (n+c.perIP-1)/c.perIP {
				t.Fatalf("%s: victim %d's %d Sybils use %d addresses, want them packed %d per address", name, v, n, len(ipsAt[v]), c.perIP)
			}
		}
		if c.col == ColocateAware {
			// Addresses are shared across victims: as many as one
			// victim's Sybils.
			ips := map[string]bool{}
			for _, ip := range p.IP {
				ips[ip.String()] = true
			}
			if len(ips) != hi {
				t.Fatalf("%s: %d addresses for %d Sybils per victim", name, len(ips), hi)
			}
		}
	}
	for name, c := range map[string]func() error{
		"no victims":      func() error { _, err := Place(1, 0, 5, 1, OwnIP, 0); return err },
		"per > victims":   func() error { _, err := Place(1, 3, 5, 4, OwnIP, 0); return err },
		"naive perIP 1":   func() error { _, err := Place(1, 3, 5, 1, ColocateNaive, 1); return err },
		"colocated per 2": func() error { _, err := Place(1, 3, 5, 2, ColocateAware, 0); return err },
	} {
		if err := c(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

func TestMeshTracer(t *testing.T) {
	tr := newMeshTracer(Topic)
	a, b, c := peer.ID("a"), peer.ID("b"), peer.ID("c")
	tr.Graft(a, Topic)
	tr.Graft(b, Topic)
	tr.Graft(c, Topic)
	tr.Graft(c, "/strata/1/other/x")
	tr.Prune(b, Topic)
	isSybil := func(p peer.ID) bool { return p == a || p == b }
	if size, sy := tr.share(isSybil); size != 2 || sy != 1 {
		t.Fatalf("mesh %d with %d Sybils, want 2 with 1", size, sy)
	}
	tr.OnClosedOutboundStream(a)
	if size, sy := tr.share(isSybil); size != 1 || sy != 0 {
		t.Fatalf("after a peer left: mesh %d with %d Sybils", size, sy)
	}
}

// rawRecorder records the GRAFTs a raw peer receives.
type rawRecorder struct {
	mu     sync.Mutex
	grafts []time.Time
	data   [][]byte
}

func (r *rawRecorder) RPC(_ peer.ID, rpc *pb.RPC) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for range rpc.GetControl().GetGraft() {
		r.grafts = append(r.grafts, time.Now())
	}
	for _, m := range rpc.GetPublish() {
		r.data = append(r.data, m.GetData())
	}
}
func (r *rawRecorder) StreamError(peer.ID, error) {}

func (r *rawRecorder) snapshot() ([]time.Time, [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.grafts...), append([][]byte(nil), r.data...)
}

// TestSybilGraftModes: a raw peer PRUNEs a Sybil with a 30 s backoff; the
// Sybil GRAFTs again after ReGraftDelay (ignore-backoff), after the
// backoff (persistent) or never (once).
func TestSybilGraftModes(t *testing.T) {
	for _, c := range []struct {
		mode GraftMode
		want time.Duration // 0: no re-GRAFT
	}{{GraftIgnoreBackoff, 500 * time.Millisecond}, {GraftPersistent, 31 * time.Second}, {GraftOnce, 0}} {
		synctest.Test(t, func(t *testing.T) {
			nw, err := inproc.New(1, make([]inproc.HostSpec, 2))
			if err != nil {
				t.Fatal(err)
			}
			defer nw.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rec := &rawRecorder{}
			victim := gossipwire.New(nw.Host(0), rec)
			defer victim.Close()
			s := New(ctx, nw.Host(1), Config{Topic: Topic, Policy: Policy{Mode: DropAll}, Graft: c.mode, ReGraftDelay: 500 * time.Millisecond})
			defer s.Close()
			if err := nw.Connect(ctx, 1, 0); err != nil {
				t.Fatal(err)
			}
			if err := s.Attack(nw.Host(0).ID()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			if s.Mesh() != 1 {
				t.Fatalf("%v: Sybil counts %d mesh peers after its GRAFT", c.mode, s.Mesh())
			}
			pruned := time.Now()
			if err := victim.Send(ctx, s.ID(), gossipwire.Prune(Topic, 30)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(40 * time.Second)
			grafts, _ := rec.snapshot()
			if c.want == 0 {
				if len(grafts) != 1 || s.Mesh() != 0 {
					t.Fatalf("%v: %d GRAFTs, mesh %d after a PRUNE; want 1 and 0", c.mode, len(grafts), s.Mesh())
				}
				return
			}
			if len(grafts) != 2 {
				t.Fatalf("%v: %d GRAFTs, want 2", c.mode, len(grafts))
			}
			if got := grafts[1].Sub(pruned); got < c.want || got > c.want+time.Second {
				t.Fatalf("%v: re-GRAFT %v after the PRUNE, want %v", c.mode, got, c.want)
			}
			if st := s.Stats(); st.Grafts != 2 || st.Prunes != 1 {
				t.Fatalf("%v: stats %+v", c.mode, st)
			}
		})
	}
}

// TestSybilRelay: a Sybil grafted to two raw peers relays what one sends
// to the other unless its policy drops it, and relays each message once.
func TestSybilRelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw, err := inproc.New(2, make([]inproc.HostSpec, 3))
		if err != nil {
			t.Fatal(err)
		}
		defer nw.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ra, rb := &rawRecorder{}, &rawRecorder{}
		a, b := gossipwire.New(nw.Host(0), ra), gossipwire.New(nw.Host(1), rb)
		defer a.Close()
		defer b.Close()
		start := time.Now()
		s := New(ctx, nw.Host(2), Config{Topic: Topic, Relay: true,
			Policy: Policy{Mode: DropOrigins, Origins: map[uint64]bool{7: true}, FlashAt: start.Add(10 * time.Second)}})
		defer s.Close()
		for _, v := range []int{0, 1} {
			if err := nw.Connect(ctx, 2, v); err != nil {
				t.Fatal(err)
			}
			if err := s.Attack(nw.Host(v).ID()); err != nil {
				t.Fatal(err)
			}
		}
		send := func(origin, seq uint64) {
			if err := a.Send(ctx, s.ID(), gossipwire.Publish(Topic, Payload(origin, seq, 64))); err != nil {
				t.Fatal(err)
			}
		}
		send(7, 1) // before the flash: relayed
		send(7, 1) // a duplicate: not relayed again
		time.Sleep(11 * time.Second)
		send(7, 2) // after the flash, a censored origin: dropped
		send(8, 3) // another origin: relayed
		time.Sleep(time.Second)
		_, got := rb.snapshot()
		var seqs []uint64
		for _, d := range got {
			seqs = append(seqs, uint64(d[15]))
		}
		if fmt.Sprint(seqs) != "[1 3]" {
			t.Fatalf("relayed sequence numbers %v, want [1 3]", seqs)
		}
		if _, back := ra.snapshot(); len(back) != 0 {
			t.Fatalf("the Sybil relayed %d messages back to their sender", len(back))
		}
		if st := s.Stats(); st.Received != 4 || st.Relayed != 2 || st.Dropped != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

func TestBehaviours(t *testing.T) {
	ctx := context.Background()
	data := Payload(1, 1, 64)
	c, err := CensorBehaviour(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx, node.Env{}); err != nil {
		t.Fatal(err)
	}
	if err := c.(node.InboundFilter).Inbound(ctx, "p", Topic, data); !errors.Is(err, overlay.ErrIgnored) {
		t.Fatalf("censor let a message through: %v", err)
	}
	f, err := FlashBehaviour(map[string]string{"after": "1h"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Start(ctx, node.Env{}); err != nil {
		t.Fatal(err)
	}
	if err := f.(node.InboundFilter).Inbound(ctx, "p", Topic, data); err != nil {
		t.Fatalf("flash censored before its time: %v", err)
	}
	g, err := FlashBehaviour(map[string]string{"after": "0s", "mode": "random", "p": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(ctx, node.Env{}); err != nil {
		t.Fatal(err)
	}
	if err := g.(node.InboundFilter).Inbound(ctx, "p", Topic, data); !errors.Is(err, overlay.ErrIgnored) {
		t.Fatalf("flash after its time let a message through: %v", err)
	}
	// mode from drops what the listed peers forward.
	pid, err := peer.Decode("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA")
	if err != nil {
		t.Fatal(err)
	}
	fr, err := CensorBehaviour(map[string]string{"mode": "from", "peers": pid.String()})
	if err != nil {
		t.Fatal(err)
	}
	in := fr.(node.InboundFilter)
	if in.Inbound(ctx, pid, Topic, data) == nil || in.Inbound(ctx, "other", Topic, data) != nil {
		t.Fatal("mode from picked the wrong peers")
	}
	for name, params := range map[string]map[string]string{
		"mode":          {"mode": "some"},
		"p":             {"mode": "random", "p": "2"},
		"p text":        {"mode": "random", "p": "x"},
		"unknown":       {"colour": "red"},
		"after":         {"after": "1s"},
		"peers no from": {"peers": pid.String()},
		"from no peers": {"mode": "from"},
		"bad peer":      {"mode": "from", "peers": "nope"},
	} {
		if _, err := CensorBehaviour(params); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if _, err := FlashBehaviour(nil); !errors.Is(err, ErrConfig) {
		t.Errorf("flash without after: %v, want ErrConfig", err)
	}
}

func TestRunValidate(t *testing.T) {
	good := shapeOf(Small).base()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Run){
		"honest":     func(r *Run) { r.Honest = 1 },
		"publishers": func(r *Run) { r.Publishers = r.Honest },
		"per sybil":  func(r *Run) { r.Sybils, r.PerSybil = 5, 0 },
		"rate":       func(r *Run) { r.Rate = 0 },
		"flash":      func(r *Run) { r.FlashAfter = r.Duration + 1 },
		"origins":    func(r *Run) { r.Sybil.Policy.Mode = DropOrigins },
	} {
		r := good
		mod(&r)
		if err := r.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if _, err := PartByName("nope"); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown part: %v", err)
	}
}

func TestPushFits(t *testing.T) {
	if ok, why := PushFits(1<<30, 10*time.Minute, 10_000, 20_000); !ok {
		t.Fatalf("1 GiB and 10 min at 10,000 hosts should fit twice the hosts: %s", why)
	}
	if ok, why := PushFits(1<<30, time.Hour, 10_000, 20_000); ok || !strings.HasPrefix(why, "time:") {
		t.Fatalf("2 h predicted: fits %v, %q", ok, why)
	}
	if ok, why := PushFits(1<<40, time.Minute, 10, 20); ok || !strings.HasPrefix(why, "memory:") {
		t.Fatalf("2 TiB predicted: fits %v, %q", ok, why)
	}
	if ok, _ := PushFits(0, 0, 0, 1_000_000); !ok {
		t.Fatal("nothing measured yet: a push must be tried")
	}
}
