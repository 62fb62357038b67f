package overlay_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/inproc"
)

const stemTopic = "/strata/1/test/stem"

// seededReader is a deterministic byte stream (a stem key source).
func seededReader(seed uint64, i int) io.Reader {
	var k [32]byte
	k[0], k[1], k[2] = byte(seed), byte(i), byte(i>>8)
	return rand.NewChaCha8(k)
}

// stemNet runs n overlays on the in-process network; stem(i) gives node
// i's stem configuration. Each node dials its ring successor and two
// seeded random others.
type stemNet struct {
	nw  *inproc.Net
	ovs []*overlay.Overlay
	d   *inproc.Deliveries
}

func newStemNet(t *testing.T, ctx context.Context, n int, stem func(i int) overlay.StemConfig) *stemNet {
	t.Helper()
	nw, err := inproc.New(7, make([]inproc.HostSpec, n))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nw.Close)
	s := &stemNet{nw: nw, d: inproc.NewDeliveries()}
	for i := range n {
		o, err := overlay.Attach(ctx, nw.Host(i), overlay.Config{Params: overlay.DefaultParams(), Topics: []string{stemTopic}, Stem: stem(i)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { o.Close() })
		if err := s.d.Watch(ctx, i, o, stemTopic); err != nil {
			t.Fatal(err)
		}
		s.ovs = append(s.ovs, o)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range n {
		for _, j := range []int{(i + 1) % n, rng.IntN(n), rng.IntN(n)} {
			if j != i {
				if err := nw.Connect(ctx, i, j); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	time.Sleep(5 * time.Second) // meshes form, identify learns the stem protocol
	return s
}

// TestStemDelivers: with the stem on at every node, every message reaches
// every node, leaves its origin on the stem (not by the origin's own
// publication), and no fail-safe is needed.
func TestStemDelivers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const n, msgs = 24, 12
		var mu sync.Mutex
		stemHops := map[string]int{}
		s := newStemNet(t, ctx, n, func(i int) overlay.StemConfig {
			return overlay.StemConfig{Enabled: true, FluffProbability: 0.25, Rand: seededReader(1, i),
				OnStem: func(_ peer.ID, topic string, data []byte) {
					mu.Lock()
					stemHops[inproc.MessageID(topic, data)]++
					mu.Unlock()
				}}
		})
		var sent []inproc.Message
		for k := range msgs {
			data := []byte(fmt.Sprintf("message %d", k))
			origin := (k * 5) % n
			if _, err := s.ovs[origin].Publish(ctx, stemTopic, data); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, inproc.Message{ID: inproc.MessageID(stemTopic, data), Origin: origin})
			time.Sleep(200 * time.Millisecond)
		}
		time.Sleep(5 * time.Second) // well below the 30 s fail-safe
		all := make([]int, n)
		for i := range all {
			all[i] = i
		}
		out := s.d.Outcome(sent, all, func(i int) string { return fmt.Sprint(i) })
		if out.Delivered != out.Expected {
			t.Fatalf("delivered %d of %d", out.Delivered, out.Expected)
		}
		var st overlay.StemStats
		for _, o := range s.ovs {
			x := o.StemStats()
			st.Originated += x.Originated
			st.Relayed += x.Relayed
			st.Diffused += x.Diffused
			st.FailSafes += x.FailSafes
			st.Loops += x.Loops
			st.NoRelay += x.NoRelay
		}
		if st.Originated != msgs || st.FailSafes != 0 || st.NoRelay != 0 {
			t.Fatalf("stem counters %+v: want every message originated on the stem, no fail-safe, no missing relay", st)
		}
		for _, m := range sent {
			if stemHops[m.ID] < 1 {
				t.Fatalf("message %s: no node received it on the stem", m.ID)
			}
			// The origin gets its own message back from gossip, not from
			// itself: it did not publish it.
			if dl, _ := s.d.Got(m.ID, m.Origin); dl.From == s.nw.Host(m.Origin).ID() {
				t.Fatalf("message %s: the origin published it itself", m.ID)
			}
		}
		t.Logf("stem counters %+v", st)
	})
}

// TestStemFailSafe: the origin's only stem relay accepts and drops; the
// origin publishes the message itself when its fail-safe fires, and every
// node gets it.
func TestStemFailSafe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const failSafe = 3 * time.Second
		// Node 0 runs the stem; node 1 speaks the stem protocol but drops
		// what it gets; node 2 has the stem off (not a relay candidate).
		s := newStemNet(t, ctx, 3, func(i int) overlay.StemConfig {
			if i == 0 {
				return overlay.StemConfig{Enabled: true, FailSafe: overlay.Duration(failSafe), Rand: seededReader(2, i)}
			}
			return overlay.StemConfig{}
		})
		var dropped sync.WaitGroup
		dropped.Add(1)
		s.nw.Host(1).SetStreamHandler(overlay.StemProtocol, func(st network.Stream) {
			defer st.Close()
			_, _ = io.ReadAll(st)
			_, _ = st.Write([]byte{overlay.StemAccepted})
			dropped.Done()
		})
		time.Sleep(2 * time.Second) // identify pushes node 1's new protocol
		data := []byte("through the fail-safe")
		id := inproc.MessageID(stemTopic, data)
		start := time.Now()
		if _, err := s.ovs[0].Publish(ctx, stemTopic, data); err != nil {
			t.Fatal(err)
		}
		dropped.Wait()
		time.Sleep(failSafe + 2*time.Second)
		dl, ok := s.d.Got(id, 2)
		if !ok {
			t.Fatal("the message was lost on a broken stem")
		}
		if wait := dl.At.Sub(start); wait < failSafe {
			t.Fatalf("delivered after %v, before the fail-safe (%v): the stem did not go through node 1", wait, failSafe)
		}
		if st := s.ovs[0].StemStats(); st.Originated != 1 || st.FailSafes != 1 {
			t.Fatalf("origin counters %+v, want 1 originated and 1 fail-safe", st)
		}
	})
}

// TestStemNoRelay: a node none of whose peers speaks the stem protocol
// publishes its message itself, at once.
func TestStemNoRelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := newStemNet(t, ctx, 3, func(i int) overlay.StemConfig {
			return overlay.StemConfig{Enabled: i == 0, Rand: seededReader(3, i)}
		})
		data := []byte("no relay")
		if _, err := s.ovs[0].Publish(ctx, stemTopic, data); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		if _, ok := s.d.Got(inproc.MessageID(stemTopic, data), 1); !ok {
			t.Fatal("not delivered")
		}
		if st := s.ovs[0].StemStats(); st.NoRelay != 1 || st.Originated != 0 {
			t.Fatalf("counters %+v, want 1 published for want of a relay", st)
		}
	})
}

// TestStemRefuses: a stem node answers a malformed frame, an invalid
// message and an unknown topic with their statuses, relays none of them,
// and counts them.
func TestStemRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := newStemNet(t, ctx, 2, func(i int) overlay.StemConfig {
			return overlay.StemConfig{Enabled: true, Rand: seededReader(4, i)}
		})
		good, err := overlay.AppendStemFrame(nil, overlay.StemFrame{Topic: "/strata/1/test/other", Data: []byte("x")}, 64)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name  string
			frame []byte
			want  byte
		}{
			{"malformed", []byte{9, 9, 9}, overlay.StemMalformed},
			{"empty data", []byte{1, byte(len(stemTopic))}, overlay.StemMalformed},
			{"unknown topic", good, overlay.StemUnknownTopic},
			{"bad topic", append([]byte{1, 3, 'a', 'b', 'c', 0, 0, 0, 1}, 'x'), overlay.StemInvalid},
		} {
			st, err := s.nw.Host(1).NewStream(ctx, s.nw.Host(0).ID(), overlay.StemProtocol)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = st.Write(c.frame)
			_ = st.CloseWrite()
			got := make([]byte, 1)
			if _, err := io.ReadFull(st, got); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			st.Close()
			if got[0] != c.want {
				t.Errorf("%s: status %d, want %d", c.name, got[0], c.want)
			}
		}
		if st := s.ovs[0].StemStats(); st.Refused != 4 || st.Relayed+st.Diffused != 0 {
			t.Fatalf("counters %+v, want 4 refused and nothing relayed", st)
		}
	})
}

func TestStemConfigRejects(t *testing.T) {
	for _, c := range []overlay.StemConfig{
		{Enabled: true, FluffProbability: 1.5},
		{Enabled: true, FluffProbability: -0.1},
		{Enabled: true, Epoch: overlay.Duration(time.Millisecond)},
		{Enabled: true, FailSafe: overlay.Duration(time.Microsecond)},
	} {
		if err := c.Validate(); !errors.Is(err, overlay.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
	if err := (overlay.StemConfig{Enabled: true}).Validate(); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
}
