package loopix

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers/mixnet/sphinx"
)

func sphinxFormat(tb testing.TB) *SphinxFormat {
	tb.Helper()
	f, err := NewSphinxFormat(sphinx.DefaultGeometry(), 10_000, 1e-6)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// TestSphinxEndToEnd runs the cores over real Sphinx packets: messages
// arrive, loops of clients and mixes come back, drop cover is consumed,
// and every ledger balances.
func TestSphinxEndToEnd(t *testing.T) {
	n := newNetworkFormat(t, sphinxFormat(t), DefaultParams(), 6, nil)
	delivered, loops := map[uint64]int{}, 0
	n.onOther = func(now time.Time, node NodeID, a Action) {
		switch a.Kind {
		case ActDeliver:
			delivered[binary.BigEndian.Uint64(a.Body)]++
		case ActLoop:
			loops++
		case ActDrop:
			t.Errorf("%s dropped a packet: %s", node, a.Reason)
		}
	}
	n.run(t0.Add(5 * time.Second))
	for i, c := range n.clients {
		to := n.clientIDs[(i+1)%len(n.clients)]
		_, acts, err := c.Send(n.now, to, n.provOf[to], binary.BigEndian.AppendUint64(nil, uint64(i+1)))
		if err != nil {
			t.Fatal(err)
		}
		n.apply(n.clientIDs[i], acts)
	}
	n.run(t0.Add(40 * time.Second))
	for i := range n.clients {
		if delivered[uint64(i+1)] != 1 {
			t.Errorf("message %d delivered %d times", i+1, delivered[uint64(i+1)])
		}
	}
	if loops < 50 {
		t.Errorf("%d loops back", loops)
	}
	cover := uint64(0)
	for _, p := range n.provs {
		cover += p.Ledger().Cover
	}
	if cover == 0 {
		t.Error("no drop cover consumed")
	}
	n.checkLedgers(t)
}

// TestSphinxRecipientKinds: the adapter carries the three recipient kinds
// through real packets and refuses a replay.
func TestSphinxRecipientKinds(t *testing.T) {
	f := sphinxFormat(t)
	rnd := ReaderFrom(newRand(1))
	a, b := testID("n", 0, 0), testID("n", 0, 1)
	pa, ua, err := f.NewKey(rnd, a, 3)
	if err != nil {
		t.Fatal(err)
	}
	pb, ub, err := f.NewKey(rnd, b, 3)
	if err != nil {
		t.Fatal(err)
	}
	client := testID("c", 0, 0)
	for _, rc := range []Recipient{{Kind: ToClient, ID: client}, {Kind: ToDrop}, {Kind: ToNode, ID: b}} {
		pkt, err := f.Build(rnd, 3, Route{Hops: []Hop{{Node: a, Key: pa, Delay: 7 * time.Millisecond}, {Node: b, Key: pb}}, Recipient: rc}, []byte("body"))
		if err != nil {
			t.Fatal(err)
		}
		if len(pkt) != f.Geometry().PacketSize {
			t.Fatalf("packet of %d bytes, geometry %d", len(pkt), f.Geometry().PacketSize)
		}
		o, err := ua.Unwrap(pkt)
		if err != nil || o.Final || o.Next != b || o.Delay != 7*time.Millisecond {
			t.Fatalf("hop 1: %+v, %v", o, err)
		}
		if _, err := ua.Unwrap(pkt); ErrorName(err) != "ErrReplay" {
			t.Fatalf("replay: %v", err)
		}
		o2, err := ub.Unwrap(o.Packet)
		if err != nil || !o2.Final || o2.Recipient != rc || string(o2.Body[:4]) != "body" {
			t.Fatalf("hop 2: %+v, %v (want %+v)", o2.Recipient, err, rc)
		}
		if _, err := ua.Unwrap(o.Packet); ErrorName(err) != "ErrUnwrap" {
			t.Fatalf("packet for b opened by a: %v", err)
		}
	}
}
