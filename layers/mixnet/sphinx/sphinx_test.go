package sphinx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"
)

// testNet is a set of node keys of one mode and epoch, with their
// replay filters.
type testNet struct {
	g       Geometry
	keys    map[NodeID]*NodeKey
	filters map[NodeID]*ReplayFilter
	hops    []Hop
}

func newTestNet(t testing.TB, g Geometry, n int, seed string) *testNet {
	t.Helper()
	r := seededReader(seed)
	tn := &testNet{g: g, keys: map[NodeID]*NodeKey{}, filters: map[NodeID]*ReplayFilter{}}
	for i := range n {
		k, err := GenerateNodeKeyFor(r, g.Mode, 7)
		if err != nil {
			t.Fatal(err)
		}
		var id NodeID
		id[0], id[1] = byte(i), 0xAA
		f, err := NewReplayFilter(7, 1000, 1e-9)
		if err != nil {
			t.Fatal(err)
		}
		tn.keys[id], tn.filters[id] = k, f
		tn.hops = append(tn.hops, Hop{ID: id, PublicKey: k.PublicKey(), Epoch: 7, Delay: time.Duration(i+1) * 1500 * time.Microsecond})
	}
	return tn
}

// route unwraps pkt along the path starting at first and returns every
// hop's result; it fails on any error.
func (tn *testNet) route(t testing.TB, first NodeID, pkt []byte) []Unwrapped {
	t.Helper()
	var out []Unwrapped
	at := first
	for range tn.g.Hops + 1 {
		u, err := tn.keys[at].Unwrap(tn.g, pkt, tn.filters[at])
		if err != nil {
			t.Fatalf("hop %d: %v", len(out), err)
		}
		out = append(out, u)
		if u.Action != ActionForward {
			return out
		}
		if len(u.Packet) != tn.g.PacketSize() {
			t.Fatalf("forwarded packet is %d bytes", len(u.Packet))
		}
		at, pkt = u.NextHop, u.Packet
	}
	t.Fatal("packet never reached a final hop")
	return nil
}

func geometries(t testing.TB) []Geometry {
	var gs []Geometry
	for _, m := range []Mode{ModeX25519, ModeMLKEM768} {
		for _, surb := range []bool{false, true} {
			g, err := NewGeometry(5, 256, m, surb)
			if err != nil {
				t.Fatal(err)
			}
			gs = append(gs, g)
		}
	}
	return append(gs, DefaultGeometry())
}

func TestRoundTrip(t *testing.T) {
	for _, g := range geometries(t) {
		tn := newTestNet(t, g, 5, "rt/"+g.String())
		for n := 1; n <= g.Hops; n++ {
			t.Run(fmt.Sprintf("%s/path=%d", g, n), func(t *testing.T) {
				r := seededReader(fmt.Sprint("pkt", n))
				payload := []byte("hello mixnet")
				var rcpt Recipient
				rcpt[3] = 9
				path := tn.hops[5-n:]
				pkt, err := NewPacket(r, g, path, rcpt, payload)
				if err != nil {
					t.Fatal(err)
				}
				if len(pkt) != g.PacketSize() {
					t.Fatalf("packet %d bytes, want %d", len(pkt), g.PacketSize())
				}
				us := tn.route(t, path[0].ID, pkt)
				if len(us) != n {
					t.Fatalf("%d hops, want %d", len(us), n)
				}
				for i, u := range us {
					if u.Delay != path[i].Delay.Truncate(time.Millisecond) {
						t.Errorf("hop %d delay %v want %v", i, u.Delay, path[i].Delay)
					}
					if i < n-1 && u.NextHop != path[i+1].ID {
						t.Errorf("hop %d next %x", i, u.NextHop[:2])
					}
				}
				last := us[n-1]
				if last.Action != ActionDeliver || last.Recipient != rcpt {
					t.Fatalf("final action %v recipient %x", last.Action, last.Recipient[:4])
				}
				want := make([]byte, g.PayloadSize)
				copy(want, payload)
				if !bytes.Equal(last.Payload, want) {
					t.Fatal("payload differs")
				}
				if last.SURB != nil {
					t.Fatal("unexpected SURB")
				}
			})
		}
	}
}

func TestSURBRoundTrip(t *testing.T) {
	for _, g := range geometries(t) {
		t.Run(g.String(), func(t *testing.T) {
			tn := newTestNet(t, g, 5, "surb/"+g.String())
			r := seededReader("surb")
			var me Recipient
			me[0] = 0x77
			surb, keys, err := NewSURB(r, g, tn.hops[2:], me)
			if err != nil {
				t.Fatal(err)
			}
			if g.WithSURB {
				// Carry the SURB forward, then reply from the recipient.
				pkt, err := NewPacketWithSURB(r, g, tn.hops[:3], Recipient{1}, surb, []byte("please reply"))
				if err != nil {
					t.Fatal(err)
				}
				us := tn.route(t, tn.hops[0].ID, pkt)
				got := us[len(us)-1].SURB
				if got == nil {
					t.Fatal("SURB not delivered")
				}
				a, _ := surb.MarshalBinary()
				b, _ := got.MarshalBinary()
				if !bytes.Equal(a, b) {
					t.Fatal("delivered SURB differs")
				}
				surb = got
			}
			reply, first, err := NewPacketFromSURB(g, surb, []byte("the reply"))
			if err != nil {
				t.Fatal(err)
			}
			if first != tn.hops[2].ID || len(reply) != g.PacketSize() {
				t.Fatal("bad first hop or size")
			}
			us := tn.route(t, first, reply)
			last := us[len(us)-1]
			if last.Action != ActionReply || last.SURBID != keys.ID || last.Recipient != me {
				t.Fatalf("final %v id %x", last.Action, last.SURBID)
			}
			kb, _ := keys.MarshalBinary()
			keys2, err := ParseSURBKeys(kb)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := keys2.DecryptReply(last.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(pt, []byte("the reply")) || len(pt) != g.PayloadSize {
				t.Fatalf("reply %q", pt[:12])
			}
			// A tampered reply is detected by the creator.
			bad := bytes.Clone(last.Payload)
			bad[len(bad)-1] ^= 1
			if _, err := keys.DecryptReply(bad); !errors.Is(err, ErrBadPayloadTag) {
				t.Fatalf("tampered reply: %v", err)
			}
			// A SURB is single use: the first hop drops a second reply.
			if _, err := tn.keys[first].Unwrap(g, reply, tn.filters[first]); !errors.Is(err, ErrReplay) {
				t.Fatalf("second reply: %v", err)
			}
		})
	}
}

func TestUnwrapErrors(t *testing.T) {
	g := DefaultGeometry()
	tn := newTestNet(t, g, 5, "errors")
	pkt, err := NewPacket(seededReader("e"), g, tn.hops, Recipient{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	k0, f0 := tn.keys[tn.hops[0].ID], tn.filters[tn.hops[0].ID]
	k1 := tn.keys[tn.hops[1].ID]
	sz := g.Sizes()
	flip := func(i int) []byte { b := bytes.Clone(pkt); b[i/8] ^= 1 << (i % 8); return b }
	cases := []struct {
		name string
		pkt  []byte
		key  *NodeKey
		want error
	}{
		{"truncated", pkt[:len(pkt)-1], k0, ErrBadLength},
		{"long", append(bytes.Clone(pkt), 0), k0, ErrBadLength},
		{"version", flip(0), k0, ErrBadVersion},
		{"epoch", flip(8), k0, ErrWrongEpoch},
		{"alpha", flip(8 * 3), k0, ErrBadMAC},
		{"alpha-top-bit", flip(8*33 + 7), k0, ErrBadMAC},
		{"beta", flip(8 * 100), k0, ErrBadMAC},
		{"gamma", flip(8*sz.Header - 1), k0, ErrBadMAC},
		{"wrong-key", pkt, k1, ErrBadMAC},
		{"low-order", func() []byte { b := bytes.Clone(pkt); clear(b[2:34]); return b }(), k0, ErrLowOrderPoint},
	}
	for _, c := range cases {
		f := f0
		if c.key == k1 {
			f = tn.filters[tn.hops[1].ID]
		}
		if _, err := c.key.Unwrap(g, c.pkt, f); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if f0.Count() != 0 {
		t.Fatal("a rejected packet reached the replay filter")
	}
	if _, err := k0.Unwrap(g, pkt, f0); err != nil {
		t.Fatal(err)
	}
	if _, err := k0.Unwrap(g, pkt, f0); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	f0.Rotate(8)
	if _, err := k0.Unwrap(g, pkt, f0); !errors.Is(err, ErrWrongEpoch) {
		t.Fatalf("filter of another epoch: %v", err)
	}
	if _, err := k0.Unwrap(g, pkt, nil); !errors.Is(err, ErrWrongEpoch) {
		t.Fatalf("nil filter: %v", err)
	}
}

// TestPayloadTagging flips one body bit at the first hop: every hop
// forwards, the last detects it.
func TestPayloadTagging(t *testing.T) {
	g := DefaultGeometry()
	tn := newTestNet(t, g, 5, "tag")
	pkt, err := NewPacket(seededReader("t"), g, tn.hops, Recipient{}, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pos := range []int{g.HeaderSize(), g.HeaderSize() + 40, len(pkt) - 1} {
		b := bytes.Clone(pkt)
		b[pos] ^= 0x10
		at := tn.hops[0].ID
		var err error
		for range g.Hops {
			var u Unwrapped
			u, err = tn.keys[at].Unwrap(g, b, tn.filters[at])
			if err != nil || u.Action != ActionForward {
				break
			}
			at, b = u.NextHop, u.Packet
		}
		if !errors.Is(err, ErrBadPayloadTag) {
			t.Fatalf("pos %d: %v", pos, err)
		}
		for _, f := range tn.filters {
			f.Rotate(7)
		}
	}
}

func TestNewPacketErrors(t *testing.T) {
	g := DefaultGeometry()
	tn := newTestNet(t, g, 5, "np")
	r := seededReader("np")
	long := append(append([]Hop(nil), tn.hops...), tn.hops[0])
	epochs := append([]Hop(nil), tn.hops...)
	epochs[2].Epoch = 8
	badKey := append([]Hop(nil), tn.hops...)
	badKey[1].PublicKey = badKey[1].PublicKey[:31]
	lowOrder := append([]Hop(nil), tn.hops...)
	lowOrder[3].PublicKey = make([]byte, 32)
	delay := append([]Hop(nil), tn.hops...)
	delay[0].Delay = MaxDelay + time.Millisecond
	cases := []struct {
		name    string
		g       Geometry
		path    []Hop
		payload []byte
		rand    io.Reader
		want    error
	}{
		{"no-path", g, nil, nil, r, ErrBadPath},
		{"too-long", g, long, nil, r, ErrBadPath},
		{"epochs", g, epochs, nil, r, ErrBadPath},
		{"key-size", g, badKey, nil, r, ErrBadPath},
		{"low-order", g, lowOrder, nil, r, ErrLowOrderPoint},
		{"delay", g, delay, nil, r, ErrBadCommand},
		{"payload", g, tn.hops, make([]byte, g.PayloadSize+1), r, ErrBadLength},
		{"geometry", Geometry{Hops: 0, PayloadSize: 100, Mode: ModeX25519}, tn.hops, nil, r, ErrBadGeometry},
		{"rand", g, tn.hops, nil, bytes.NewReader(make([]byte, 10)), ErrRandom},
	}
	for _, c := range cases {
		if _, err := NewPacket(c.rand, c.g, c.path, Recipient{}, c.payload); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}
