package sync

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers"
	"github.com/strata-lab/strata/layers/sync/reconcile"
)

// vectorFrames returns the frames of the committed vectors, as fuzz seeds.
func vectorFrames(t testing.TB) [][]byte {
	var out [][]byte
	gen, err := GenerateVectors()
	if err != nil {
		t.Fatal(err)
	}
	var fc []frameCase
	var vf layers.VectorFile
	mustJSON(t, gen["frames.json"], &vf)
	mustJSON(t, vf.Cases, &fc)
	for _, c := range fc {
		if b, err := c.bytes(); err == nil && len(b) < 4096 {
			out = append(out, b)
		}
	}
	var rc []reconcileCase
	mustJSON(t, gen["reconcile_transcripts.json"], &vf)
	mustJSON(t, vf.Cases, &rc)
	for _, c := range rc {
		for _, r := range c.Rounds {
			b, _ := hex.DecodeString(r)
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		t.Fatal("no seed frames found in the vectors")
	}
	return out
}

// FuzzDecodeFrame: any input either fails with an error wrapping
// ErrMalformed, or decodes to a frame whose encoding decodes to an equal
// frame and re-encodes to the same bytes (decode→encode→decode stability).
func FuzzDecodeFrame(f *testing.F) {
	for _, b := range vectorFrames(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		enc, err := EncodeFrame(fr)
		if err != nil {
			t.Fatalf("a decoded frame does not encode: %v", err)
		}
		fr2, err := DecodeFrame(enc)
		if err != nil {
			t.Fatalf("an encoded frame does not decode: %v", err)
		}
		enc2, err := EncodeFrame(fr2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: %x vs %x (%v)", enc, enc2, err)
		}
		if len(enc) > len(b) {
			t.Fatalf("canonical encoding (%d bytes) is longer than the input (%d)", len(enc), len(b))
		}
	})
}

// specID is a literal re-implementation of SPEC.md, "Message ids", written
// from the text, independent of Message.ID.
func specID(group [32]byte, ts uint64, body []byte, parents [][32]byte, eph bool) [32]byte {
	var buf []byte
	u32 := func(v int) { buf = binary.BigEndian.AppendUint32(buf, uint32(v)) }
	label := "strata/sync/v1/message-id"
	u32(len(label))
	buf = append(buf, label...)
	u32(32)
	buf = append(buf, group[:]...)
	buf = binary.BigEndian.AppendUint64(buf, ts)
	u32(len(body))
	buf = append(buf, body...)
	u32(len(parents))
	for _, p := range parents {
		buf = append(buf, p[:]...)
	}
	if eph {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	return sha256.Sum256(buf)
}

// FuzzMessageID checks Message.ID against the literal SPEC
// re-implementation, and that the id survives a frame round trip.
func FuzzMessageID(f *testing.F) {
	f.Add([]byte("group"), uint64(0), []byte{}, []byte{}, false)
	f.Add([]byte("g"), uint64(1767225600000), []byte("hello"), bytes.Repeat([]byte{7}, 64), false)
	f.Add([]byte{}, uint64(math.MaxUint64), []byte{0, 0, 0}, []byte{}, true)
	f.Fuzz(func(t *testing.T, g []byte, ts uint64, body, parentBytes []byte, eph bool) {
		if len(body) > MaxBodyBytes {
			body = body[:MaxBodyBytes]
		}
		var m Message
		copy(m.Group[:], g)
		m.Timestamp, m.Body, m.Ephemeral = ts, body, eph
		var ps [][32]byte
		for i := 0; i+32 <= len(parentBytes) && len(ps) < MaxParents; i += 32 {
			ps = append(ps, [32]byte(parentBytes[i:i+32]))
		}
		slices.SortFunc(ps, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
		ps = slices.Compact(ps)
		if eph {
			ps = nil
		}
		m.Parents = append(m.Parents, ps...)
		if got, want := m.ID(), specID(m.Group, ts, body, ps, eph); got != want {
			t.Fatalf("ID %x, SPEC gives %x", got, want)
		}
		b, err := EncodeFrame(&Frame{Messages: []Message{m}})
		if err != nil {
			t.Fatal(err)
		}
		fr, err := DecodeFrame(b)
		if err != nil {
			t.Fatal(err)
		}
		if fr.Messages[0].ID() != m.ID() {
			t.Fatal("id changed across the wire")
		}
	})
}

// reconcileByteBound is the bound SPEC.md states for one reconciliation
// while d·B fits in a round: per level, a header, B fingerprint ranges for
// each of at most d mismatched ranges, SKIP ranges between them, and the
// short ids of ID_LIST and NEED ranges.
func reconcileByteBound(n, d int, p reconcile.Params) int {
	levels := 2
	for c := max(n, 1); c > p.IDListThreshold; c = (c + p.Branch - 1) / p.Branch {
		levels++
	}
	const header, maxRange = 64, 52
	perLevel := header + d*p.Branch*maxRange + (2*d+1)*maxRange + d*(p.IDListThreshold+1)*reconcile.ShortIDSize*2
	return 2 * levels * perLevel
}

// FuzzReconcile: two sets derived from the input converge to exactly their
// differences through the wire codec, within the stated byte bound.
func FuzzReconcile(f *testing.F) {
	f.Add(uint64(1), uint16(100), uint8(1), uint8(0), uint8(16))
	f.Add(uint64(2), uint16(1000), uint8(5), uint8(7), uint8(4))
	f.Add(uint64(3), uint16(0), uint8(3), uint8(0), uint8(2))
	f.Add(uint64(4), uint16(17), uint8(0), uint8(0), uint8(16))
	f.Fuzz(func(t *testing.T, seed uint64, n16 uint16, dA, dB, branch uint8) {
		n := int(n16 % 3000)
		p := reconcile.DefaultParams()
		p.Branch = 2 + int(branch)%31
		r := rand.New(rand.NewPCG(seed, 1))
		item := func() reconcile.Item {
			var it reconcile.Item
			it.Timestamp = r.Uint64N(1 << uint(r.IntN(40)+1))
			for i := range it.ID {
				it.ID[i] = byte(r.Uint32())
			}
			return it
		}
		var common, onlyA, onlyB []reconcile.Item
		for range n {
			common = append(common, item())
		}
		for range int(dA % 64) {
			onlyA = append(onlyA, item())
		}
		for range int(dB % 64) {
			onlyB = append(onlyB, item())
		}
		a := slices.Concat(common, onlyA)
		b := slices.Concat(common, onlyB)
		rounds, haveA, haveB, err := transcript(gid("g"), a, b, r.Uint64(), p)
		if err != nil {
			t.Fatal(err)
		}
		if !sameIDs(haveA, onlyA) || !sameIDs(haveB, onlyB) {
			t.Fatalf("A found %d for B (want %d), B found %d for A (want %d)", len(haveA), len(onlyA), len(haveB), len(onlyB))
		}
		total := 0
		for _, rb := range rounds {
			total += len(rb)
		}
		d := len(onlyA) + len(onlyB)
		if bound := reconcileByteBound(n+d, d, p); total > bound {
			t.Fatalf("n=%d d=%d B=%d: %d bytes, bound %d", n, d, p.Branch, total, bound)
		}
	})
}

func sameIDs(got, want []reconcile.Item) bool {
	g := make([]string, 0, len(got))
	for _, it := range got {
		g = append(g, string(it.ID[:]))
	}
	w := make([]string, 0, len(want))
	for _, it := range want {
		w = append(w, string(it.ID[:]))
	}
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(slices.Compact(g), slices.Compact(w)) && len(g) == len(slices.Compact(slices.Clone(g)))
}

// FuzzEngine drives three engines through a script of sends, losses,
// duplicates, reorders, disconnects, clock jumps and corrupted frames, then
// lets the links stay up and checks: no duplicate delivery, causal order
// (except parents reported lost), every non-ephemeral message delivered
// everywhere, and no state change from any rejected frame.
func FuzzEngine(f *testing.F) {
	f.Add([]byte{0, 0, 2, 0, 0, 1, 2, 1, 3, 0, 5, 1, 0, 2, 2})
	f.Add([]byte{1, 0, 0, 0, 1, 0, 2, 4, 0, 2, 2, 7, 0, 6, 200, 2, 0})
	f.Add([]byte{2, 5, 0, 1, 0, 0, 0, 1, 0, 2, 0, 5, 0, 1, 6, 50, 2, 0, 2, 0})
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 0, 1, 3, 0, 3, 0, 2, 0, 2, 0})
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) == 0 || len(script) > 400 {
			return
		}
		mode := script[0]
		peers := []PeerID{"a", "b", "c"}
		n := newTestNet(t, func(c *Config) {
			c.MaxParents = 3
			if mode&4 != 0 {
				c.Delivery = DeliveryEventual
			}
			if mode&8 != 0 {
				c.PiggybackAcks = false
			}
		}, peers...)
		m := ModeBatch
		if mode&1 != 0 {
			m = ModeInteractive
		}
		n.link(m, mode&2 != 0, gid("g"))
		online := map[[2]PeerID]bool{}
		for _, a := range peers {
			for _, b := range peers {
				online[[2]PeerID{a, b}] = true
			}
		}
		sent := map[ID]bool{}
		arg := func(i *int) int {
			*i++
			if *i < len(script) {
				return int(script[*i])
			}
			return 0
		}
		for i := 1; i < len(script); i++ {
			op := script[i] % 8
			switch op {
			case 0, 1: // send
				p := peers[arg(&i)%3]
				id, err := n.engines[p].Send(n.now, gid("g"), []byte{byte(i)}, op == 1)
				n.must(err)
				if op == 0 {
					sent[id] = true
				}
			case 2, 3, 4: // deliver, lose, duplicate a frame in flight
				n.pump()
				if len(n.flight) == 0 {
					continue
				}
				k := arg(&i) % len(n.flight)
				fl := n.flight[k]
				if op != 4 {
					n.flight = slices.Delete(n.flight, k, k+1)
				}
				if op != 3 && online[[2]PeerID{fl.to, fl.from}] {
					n.must(n.engines[fl.to].Receive(n.now, fl.from, fl.b))
				}
			case 5: // toggle the link between two peers, both ways
				ai := arg(&i) % 3
				a, b := peers[ai], peers[(ai+1+arg(&i)%2)%3]
				up := !online[[2]PeerID{a, b}]
				online[[2]PeerID{a, b}], online[[2]PeerID{b, a}] = up, up
				if up {
					n.must(n.engines[a].PeerOnline(n.now, b))
					n.must(n.engines[b].PeerOnline(n.now, a))
				} else {
					n.must(n.engines[a].PeerOffline(n.now, b))
					n.must(n.engines[b].PeerOffline(n.now, a))
				}
			case 6: // advance the clock and run timers
				n.now = n.now.Add(time.Duration(arg(&i)) * 3 * time.Second)
				for _, p := range peers {
					n.must(n.engines[p].Tick(n.now))
				}
			case 7: // a corrupted copy of a frame in flight must change nothing
				n.pump()
				if len(n.flight) == 0 {
					continue
				}
				fl := n.flight[arg(&i)%len(n.flight)]
				bad := slices.Clone(fl.b)
				pos := arg(&i) % len(bad)
				bad[pos] ^= byte(1 + arg(&i)%255)
				e := n.engines[fl.to]
				before := e.StateDigest()
				if err := e.Receive(n.now, fl.from, bad); err != nil {
					if !errors.Is(err, ErrMalformed) {
						t.Fatalf("corrupted frame: unclassified error %v", err)
					}
					if e.StateDigest() != before {
						t.Fatal("a rejected frame changed the engine's state")
					}
				}
			}
		}
		// Links stay up from now on; frames in flight may still arrive.
		for k, up := range online {
			if !up && k[0] != k[1] {
				n.must(n.engines[k[0]].PeerOnline(n.now, k[1]))
			}
		}
		n.run(n.now.Add(48 * time.Hour))
		checkDeliveries(t, n, peers, sent)
	})
}

func checkDeliveries(t *testing.T, n *testNet, peers []PeerID, sent map[ID]bool) {
	for _, p := range peers {
		seen := map[ID]bool{}
		lost := map[ID]bool{}
		for _, ev := range n.events[p] {
			switch ev.Kind {
			case EventParentLost:
				for _, id := range ev.Missing {
					lost[id] = true
				}
			case EventDelivered:
				if seen[ev.ID] {
					t.Fatalf("%s delivered %s twice", p, Short(ev.ID))
				}
				seen[ev.ID] = true
				if n.engines[p].cfg.Delivery == DeliveryCausal {
					for _, par := range ev.Message.Parents {
						own := n.engines[p].msgs[par] != nil && !seenBefore(n.events[p], par)
						if !seen[par] && !lost[par] && !own {
							t.Fatalf("%s delivered %s before its parent %s", p, Short(ev.ID), Short(par))
						}
					}
				}
			}
		}
		for id := range sent {
			ms := n.engines[p].msgs[id]
			if ms == nil || !ms.delivered {
				t.Fatalf("%s never got %s", p, Short(id))
			}
		}
	}
}

// seenBefore reports whether id was delivered as a received message (as
// opposed to being one of the node's own messages, which are never
// delivered back to it).
func seenBefore(evs []Event, id ID) bool {
	for _, ev := range evs {
		if ev.Kind == EventDelivered && ev.ID == id {
			return true
		}
	}
	return false
}

func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// TestFuzzSeedsFromVectors guards against a seed source that silently
// yields nothing: the frame fuzzer is seeded from the vectors.
func TestFuzzSeedsFromVectors(t *testing.T) {
	if n := len(vectorFrames(t)); n < 20 {
		t.Fatalf("only %d seed frames from the vectors", n)
	}
}
