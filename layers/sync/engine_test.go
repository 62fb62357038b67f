package sync

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

func TestBatchDeliveryAndAck(t *testing.T) {
	n := newTestNet(t, nil, "a", "b")
	g := gid("g")
	n.link(ModeBatch, false, g)
	id, err := n.engines["a"].Send(n.now, g, []byte("hello"), false)
	n.must(err)
	n.run(n.now.Add(time.Minute))
	if got := n.delivered("b"); !slices.Equal(got, []ID{id}) {
		t.Fatalf("b delivered %v, want %v", got, id)
	}
	if n.engines["a"].records.len() != 0 {
		t.Fatalf("a still has %d records after the ack", n.engines["a"].records.len())
	}
	if _, ok := n.engines["a"].NextDeadline(); ok {
		t.Fatal("a has a deadline with nothing to do")
	}
}

func TestInteractiveOfferRequestMessage(t *testing.T) {
	n := newTestNet(t, nil, "a", "b")
	g := gid("g")
	n.link(ModeInteractive, false, g)
	var kinds []string
	n.lose = func(from, to PeerID, b []byte) bool {
		f, err := DecodeFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, fmt.Sprintf("%s:o%d/r%d/m%d/a%d", from, len(f.Offers), len(f.Requests), len(f.Messages), len(f.Acks)))
		return false
	}
	id, err := n.engines["a"].Send(n.now, g, []byte("hi"), false)
	n.must(err)
	n.run(n.now.Add(time.Minute))
	want := []string{"a:o1/r0/m0/a0", "b:o0/r1/m0/a0", "a:o0/r0/m1/a0", "b:o0/r0/m0/a1"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("flow %v, want %v", kinds, want)
	}
	if got := n.delivered("b"); !slices.Equal(got, []ID{id}) {
		t.Fatalf("b delivered %v", got)
	}
}

func TestRetransmissionBackoffAndReset(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.BackoffCap = 8 * time.Second }, "a", "b")
	g := gid("g")
	n.link(ModeBatch, false, g)
	var sends []time.Duration
	n.lose = func(from, to PeerID, b []byte) bool {
		if from == "a" {
			sends = append(sends, n.now.Sub(t0))
		}
		return true // lose everything
	}
	_, err := n.engines["a"].Send(n.now, g, []byte("x"), false)
	n.must(err)
	n.run(t0.Add(30 * time.Second))
	// Latency 50ms, ack delay 200ms: intervals 300ms, 600ms, 1.2s, ... capped at 8s.
	want := []time.Duration{0, 300, 900, 2100, 4500, 9300, 17300, 25300}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(sends, want) {
		t.Fatalf("send times %v, want %v", sends, want)
	}
	// The peer comes back: backoff resets, the record is sent at once.
	n.lose = func(from, to PeerID, b []byte) bool {
		if from == "a" {
			sends = append(sends, n.now.Sub(t0))
		}
		return false
	}
	n.must(n.engines["a"].PeerOffline(n.now, "b"))
	sends = nil
	n.run(n.now.Add(time.Minute))
	if sends != nil {
		t.Fatalf("sent to an offline peer at %v", sends)
	}
	n.must(n.engines["a"].PeerOnline(n.now, "b"))
	at := n.now.Sub(t0)
	n.run(n.now.Add(time.Minute))
	if len(n.delivered("b")) != 1 {
		t.Fatalf("not delivered after reconnect")
	}
	if len(sends) != 1 || sends[0] != at {
		t.Fatalf("after reconnect sent at %v, want once at %v", sends, at)
	}
	if r := n.engines["a"].records; r.len() != 0 {
		t.Fatalf("%d records left", r.len())
	}
}

func TestExpiry(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.MaxAttempts = 3 }, "a", "b")
	g := gid("g")
	n.link(ModeBatch, false, g)
	n.lose = func(PeerID, PeerID, []byte) bool { return true }
	id, err := n.engines["a"].Send(n.now, g, []byte("x"), false)
	n.must(err)
	n.run(n.now.Add(time.Hour))
	var exp []Event
	for _, ev := range n.events["a"] {
		if ev.Kind == EventExpired {
			exp = append(exp, ev)
		}
	}
	if len(exp) != 1 || exp[0].ID != id || exp[0].Peer != "b" || exp[0].Reason != trace.ReasonExpired {
		t.Fatalf("expired events %+v", exp)
	}
	if n.engines["a"].records.len() != 0 {
		t.Fatal("expired record kept")
	}
}

func TestEphemeral(t *testing.T) {
	n := newTestNet(t, nil, "a", "b")
	g := gid("g")
	n.link(ModeInteractive, false, g)
	id, err := n.engines["a"].Send(n.now, g, []byte("typing"), true)
	n.must(err)
	n.run(n.now.Add(time.Minute))
	if got := n.delivered("b"); !slices.Equal(got, []ID{id}) {
		t.Fatalf("b delivered %v", got)
	}
	for _, p := range []PeerID{"a", "b"} {
		e := n.engines[p]
		if len(e.msgs) != 0 || e.records.len() != 0 {
			t.Fatalf("%s stored an ephemeral message or record", p)
		}
		for _, pe := range e.peers {
			if len(pe.acks) != 0 {
				t.Fatalf("%s acks an ephemeral message", p)
			}
		}
		if s, _ := n.stores[p].Load(); len(s.Messages) != 0 {
			t.Fatalf("%s persisted an ephemeral message", p)
		}
	}
	// Lost ephemeral messages are never retransmitted.
	n.lose = func(PeerID, PeerID, []byte) bool { return true }
	frames := n.frames
	_, err = n.engines["a"].Send(n.now, g, []byte("typing"), true)
	n.must(err)
	n.run(n.now.Add(time.Hour))
	if n.frames != frames+1 {
		t.Fatalf("%d frames for one lost ephemeral message", n.frames-frames)
	}
}

func TestCausalBufferingAndParentLost(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.CausalTimeout = 10 * time.Second }, "a", "b")
	g := gid("g")
	n.link(ModeBatch, false, g)
	// a sends m1 then m2 (child of m1); m1's first transmission is lost.
	lostOnce := false
	n.lose = func(from, to PeerID, b []byte) bool {
		f, _ := DecodeFrame(b)
		if from == "a" && len(f.Messages) == 1 && string(f.Messages[0].Body) == "m1" && !lostOnce {
			lostOnce = true
			return true
		}
		return false
	}
	id1, err := n.engines["a"].Send(n.now, g, []byte("m1"), false)
	n.must(err)
	n.run(n.now.Add(10 * time.Millisecond))
	id2, err := n.engines["a"].Send(n.now, g, []byte("m2"), false)
	n.must(err)
	n.run(n.now.Add(time.Minute))
	if got := n.delivered("b"); !slices.Equal(got, []ID{id1, id2}) {
		t.Fatalf("b delivered %v, want m1 then m2", got)
	}
	// A parent that never comes: b gets a child whose parent a never sends.
	orphanParent := gid("never sent")
	child := Message{Group: g, Timestamp: 5, Body: []byte("orphan"), Parents: []ID{orphanParent}}
	fr, err := EncodeFrame(&Frame{Messages: []Message{child}})
	n.must(err)
	n.must(n.engines["b"].Receive(n.now, "a", fr))
	n.run(n.now.Add(time.Minute))
	var lost []Event
	for _, ev := range n.events["b"] {
		if ev.Kind == EventParentLost {
			lost = append(lost, ev)
		}
	}
	if len(lost) != 1 || lost[0].ID != child.ID() || !slices.Equal(lost[0].Missing, []ID{orphanParent}) {
		t.Fatalf("parent-lost events %+v", lost)
	}
	if got := n.delivered("b"); len(got) != 3 || got[2] != child.ID() {
		t.Fatalf("orphan not delivered after the timeout: %v", got)
	}
}

func TestRejectedFrameLeavesStateUnchanged(t *testing.T) {
	n := newTestNet(t, nil, "a", "b")
	g := gid("g")
	n.link(ModeBatch, false, g)
	_, err := n.engines["a"].Send(n.now, g, []byte("x"), false)
	n.must(err)
	n.run(n.now.Add(time.Second))
	e := n.engines["b"]
	before := e.StateDigest()
	bad := [][]byte{{0xff}, {0x08, 0x02}, make([]byte, MaxFrameBytes+1)}
	for _, b := range bad {
		if err := e.Receive(n.now, "a", b); !errors.Is(err, ErrMalformed) {
			t.Fatalf("Receive(%x...) = %v, want ErrMalformed", b[:min(len(b), 4)], err)
		}
	}
	if err := e.Receive(n.now, "mallory", nil); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("unknown peer: %v", err)
	}
	if e.StateDigest() != before || len(e.Outbox()) != 0 {
		t.Fatal("a rejected frame changed the engine")
	}
}

func TestNotMemberAndUnknownGroupDropped(t *testing.T) {
	n := newTestNet(t, nil, "a", "b", "c")
	g := gid("g")
	n.link(ModeBatch, false, g)
	// A group of a and b only, which c claims to send into.
	g2 := gid("ab")
	n.must(n.engines["a"].AddGroup(n.now, g2, []PeerID{"a", "b"}))
	m := Message{Group: g2, Timestamp: 1, Body: []byte("x")}
	u := Message{Group: gid("unknown"), Timestamp: 1, Body: []byte("y")}
	fr, err := EncodeFrame(&Frame{Messages: []Message{m, u}})
	n.must(err)
	n.must(n.engines["a"].Receive(n.now, "c", fr))
	n.pump()
	var reasons []trace.Reason
	for _, ev := range n.events["a"] {
		if ev.Kind == EventDropped {
			reasons = append(reasons, ev.Reason)
		}
	}
	if !slices.Equal(reasons, []trace.Reason{trace.ReasonNotMember, trace.ReasonUnknownGroup}) {
		t.Fatalf("drop reasons %v", reasons)
	}
	if len(n.engines["a"].msgs) != 0 {
		t.Fatal("a stored a message it must drop")
	}
}

func TestReconciliationCatchUp(t *testing.T) {
	n := newTestNet(t, nil, "a", "b")
	g := gid("g")
	n.link(ModeInteractive, true, g)
	// b is away while a writes 500 messages.
	n.must(n.engines["a"].PeerOffline(n.now, "b"))
	n.must(n.engines["b"].PeerOffline(n.now, "a"))
	for i := range 500 {
		_, err := n.engines["a"].Send(n.now, g, fmt.Appendf(nil, "m%d", i), false)
		n.must(err)
		n.now = n.now.Add(time.Second)
	}
	// And b wrote 3 of its own.
	for i := range 3 {
		_, err := n.engines["b"].Send(n.now, g, fmt.Appendf(nil, "b%d", i), false)
		n.must(err)
	}
	n.run(n.now.Add(time.Minute))
	if len(n.delivered("b")) != 0 || n.frames != 0 {
		t.Fatalf("traffic to an offline peer: %d frames", n.frames)
	}
	n.must(n.engines["a"].PeerOnline(n.now, "b"))
	n.must(n.engines["b"].PeerOnline(n.now, "a"))
	n.run(n.now.Add(time.Minute))
	if got := n.delivered("b"); len(got) != 500 {
		t.Fatalf("b delivered %d of 500", len(got))
	}
	if got := n.delivered("a"); len(got) != 3 {
		t.Fatalf("a delivered %d of 3", len(got))
	}
	if sa, sb := n.engines["a"].groups[g].set.Len(), n.engines["b"].groups[g].set.Len(); sa != 503 || sb != 503 {
		t.Fatalf("sets %d, %d", sa, sb)
	}
}

func TestRestartFromStore(t *testing.T) {
	n := newTestNet(t, nil, "a", "b")
	g := gid("g")
	n.link(ModeBatch, false, g)
	n.lose = func(from, to PeerID, b []byte) bool { return from == "a" } // nothing from a arrives
	id, err := n.engines["a"].Send(n.now, g, []byte("x"), false)
	n.must(err)
	n.run(n.now.Add(time.Second))
	// a restarts from its store: the unacknowledged message is still due.
	e, err := NewEngine(DefaultConfig("a"), n.stores["a"], rand.New(rand.NewPCG(7, 7)), n.now)
	n.must(err)
	n.must(e.AddPeer(n.now, "b", PeerConfig{Mode: ModeBatch, Latency: n.latency}))
	n.engines["a"] = e
	n.lose = nil
	n.run(n.now.Add(time.Minute))
	if got := n.delivered("b"); !slices.Equal(got, []ID{id}) {
		t.Fatalf("after restart b delivered %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig("a")
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Config){
		"self":     func(c *Config) { c.Self = "" },
		"cap":      func(c *Config) { c.BackoffCap = 0 },
		"parents":  func(c *Config) { c.MaxParents = MaxParents + 1 },
		"frame":    func(c *Config) { c.MaxFrameBytes = MaxFrameBytes + 1 },
		"delivery": func(c *Config) { c.Delivery = 9 },
	} {
		c := DefaultConfig("a")
		mut(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}

func TestLinearBackoff(t *testing.T) {
	n := newTestNet(t, func(c *Config) { c.LinearBackoff = 2 * time.Second; c.BackoffCap = 7 * time.Second }, "a", "b")
	g := gid("g")
	n.link(ModeBatch, false, g)
	var sends []time.Duration
	n.lose = func(from, to PeerID, b []byte) bool {
		if from == "a" {
			sends = append(sends, n.now.Sub(t0))
		}
		return true
	}
	_, err := n.engines["a"].Send(n.now, g, []byte("x"), false)
	n.must(err)
	n.run(t0.Add(30 * time.Second))
	want := []time.Duration{0, 2, 6, 12, 19, 26} // intervals 2s, 4s, 6s, then the 7s cap
	for i := range want {
		want[i] *= time.Second
	}
	if !slices.Equal(sends, want) {
		t.Fatalf("send times %v, want %v", sends, want)
	}
}

// TestOneRequestForManyOffers: a peer that several members offer the same
// message to asks only one of them, and asks another once the first has not
// answered twice.
func TestOneRequestForManyOffers(t *testing.T) {
	n := newTestNet(t, nil, "a", "b", "c")
	g := gid("g")
	n.link(ModeInteractive, false, g)
	m := Message{Group: g, Timestamp: 1, Body: []byte("x")}
	offer, err := EncodeFrame(&Frame{Offers: []ID{m.ID()}})
	n.must(err)
	e := n.engines["c"]
	n.must(e.Receive(n.now, "a", offer))
	n.must(e.Receive(n.now, "b", offer))
	var reqs []PeerID
	for _, o := range e.Outbox() {
		f, err := DecodeFrame(o.Bytes)
		n.must(err)
		if len(f.Requests) > 0 {
			reqs = append(reqs, o.To)
		}
	}
	if !slices.Equal(reqs, []PeerID{"a"}) {
		t.Fatalf("requests went to %v, want only a", reqs)
	}
	// a never answers: after its request went out three times, b's next
	// offer is taken up.
	for range 3 {
		d, _ := e.NextDeadline()
		n.now = d
		n.must(e.Tick(n.now))
	}
	e.Outbox()
	n.must(e.Receive(n.now, "b", offer))
	reqs = nil
	for _, o := range e.Outbox() {
		f, err := DecodeFrame(o.Bytes)
		n.must(err)
		if len(f.Requests) > 0 {
			reqs = append(reqs, o.To)
		}
	}
	if !slices.Contains(reqs, "b") {
		t.Fatalf("after a's silence requests went to %v, want b among them", reqs)
	}
}
