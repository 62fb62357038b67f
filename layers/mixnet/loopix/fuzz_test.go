package loopix

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers/vectorstest"
)

func classified(err error, allowed ...error) bool {
	for _, e := range allowed {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// FuzzDecodeDirectory: any input is refused with ErrMalformed, ErrVersion
// or ErrDirectory, or decodes to a document that encodes back to the same
// bytes; checking its signature never panics.
func FuzzDecodeDirectory(f *testing.F) {
	for _, b := range vectorstest.HexField(f, Descriptor, "directory.json", "directory") {
		f.Add(b)
	}
	pub := vecKey("directory-authority").Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDirectory(b)
		if err != nil {
			if !classified(err, ErrMalformed, ErrVersion, ErrDirectory) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		re, err := d.Encode()
		if err != nil || !bytes.Equal(re, b) {
			t.Fatalf("decode→encode differs (%v)", err)
		}
		if err := d.Verify(pub); err != nil && !errors.Is(err, ErrBadSignature) {
			t.Fatalf("verify: unclassified error %v", err)
		}
	})
}

// FuzzDecodeFrame: a frame is refused with ErrMalformed or re-encodes to
// the same bytes.
func FuzzDecodeFrame(f *testing.F) {
	for _, b := range vectorstest.HexField(f, Descriptor, "frames.json", "frame") {
		f.Add(b)
	}
	g := vecSimGeometry
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(g, b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		re, err := reencodeFrame(g, fr)
		if err != nil || !bytes.Equal(re, b) {
			t.Fatalf("decode→encode differs (%v)", err)
		}
	})
}

// FuzzSimUnwrap: a SimFormat packet is refused with a classified error or
// opens to a forward of the same size or a final delivery of the payload
// size.
func FuzzSimUnwrap(f *testing.F) {
	for _, b := range vectorstest.HexField(f, Descriptor, "simformat.json", "packet") {
		f.Add(b, uint8(0))
	}
	sf, err := NewSimFormat(vecSimGeometry)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, hop uint8) {
		node := vecID("hop-" + string('0'+rune(hop%5)))
		_, u, _ := sf.NewKey(bytes.NewReader(make([]byte, 32)), node, 7)
		o, err := u.Unwrap(b)
		if err != nil {
			if !classified(err, ErrMalformed, ErrVersion, ErrUnwrap) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if o.Final && len(o.Body) != vecSimGeometry.PayloadSize || !o.Final && len(o.Packet) != len(b) {
			t.Fatalf("opened to %+v", o)
		}
	})
}

// FuzzCores drives a small network (3 layers of 1 mix, 2 providers, a
// desktop and a mobile client) with a random event sequence: time steps,
// messages, foreground changes, directory rotations, garbage, replayed and
// corrupted frames from any sender. Invariants: no panic, no action or
// timer in the past (the harness checks), every core's ledger balances
// after every event (nothing lost silently).
func FuzzCores(f *testing.F) {
	f.Add([]byte{0, 10, 1, 0, 2, 5, 3, 0, 4, 1, 5, 7, 6, 3, 7, 0, 0, 200})
	f.Add(bytes.Repeat([]byte{0, 255, 1, 1}, 16))
	f.Add([]byte{4, 0, 4, 1, 6, 6, 6, 2, 0, 50, 5, 9})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 400 {
			ops = ops[:400]
		}
		p := DefaultParams()
		sf, err := NewSimFormat(DefaultGeometry())
		if err != nil {
			t.Fatal(err)
		}
		tp := newTopoFormat(t, sf, 3, 1, 2, p)
		h := newHarness(t)
		rng := rand.New(rand.NewPCG(1, 1))
		clients := []NodeID{testID("client", 0, 0), testID("client", 0, 1)}
		served := map[NodeID][]NodeID{tp.providers[0]: {clients[0]}, tp.providers[1]: {clients[1]}}
		provOf := map[NodeID]NodeID{clients[0]: tp.providers[0], clients[1]: tp.providers[1]}
		var ledgers []func() Ledger
		var mixes []*Mix
		var provs []*Provider
		for i, pid := range tp.providers {
			pr, acts, err := NewProvider(ProviderConfig{ID: pid, Format: sf, Rand: newRand(uint64(10 + i)), Clients: served[pid]}, tp.dir, tp.keys[pid], t0)
			if err != nil {
				t.Fatal(err)
			}
			h.add(pid, pr, acts)
			ledgers = append(ledgers, pr.Ledger)
			provs = append(provs, pr)
		}
		for i, l := range tp.mixes {
			m, acts, err := NewMix(MixConfig{ID: l[0], Format: sf, Rand: newRand(uint64(20 + i))}, tp.dir, tp.keys[l[0]], t0)
			if err != nil {
				t.Fatal(err)
			}
			h.add(l[0], m, acts)
			ledgers = append(ledgers, m.Ledger)
			mixes = append(mixes, m)
		}
		var cs []*Client
		for i, id := range clients {
			prof := Desktop()
			if i == 1 {
				prof = Mobile()
			}
			c, acts, err := NewClient(ClientConfig{ID: id, Provider: provOf[id], Format: sf, Rand: newRand(uint64(30 + i)), Profile: prof}, tp.dir, t0)
			if err != nil {
				t.Fatal(err)
			}
			h.add(id, c, acts)
			ledgers = append(ledgers, c.Ledger)
			cs = append(cs, c)
		}
		var seen [][]byte
		h.onSend = func(now time.Time, from NodeID, a Action) {
			if len(seen) < 64 {
				seen = append(seen, a.Frame)
			}
		}
		all := append(append(append([]NodeID{}, tp.providers...), tp.mixes[0][0], tp.mixes[1][0], tp.mixes[2][0]), clients...)
		epoch := uint64(0)
		arg := func(i int) byte {
			if i < len(ops) {
				return ops[i]
			}
			return 0
		}
		for i := 0; i < len(ops); i += 2 {
			op, a := ops[i]%8, arg(i+1)
			switch op {
			case 0: // let time pass
				h.run(h.now.Add(time.Duration(a) * 37 * time.Millisecond))
			case 1: // a message
				k := int(a) % 2
				to := clients[1-k]
				_, acts, err := cs[k].Send(h.now, to, provOf[to], []byte{a})
				if err != nil && !classified(err, ErrQueueFull) {
					t.Fatal(err)
				}
				h.apply(clients[k], acts)
			case 2, 3: // garbage or a corrupted recorded frame, to any node
				to, from := all[int(a)%len(all)], all[int(a/8)%len(all)]
				var fr []byte
				if op == 3 && len(seen) > 0 {
					fr = bytes.Clone(seen[int(a)%len(seen)])
					fr[int(a)%len(fr)] ^= 0x40
				} else {
					fr = make([]byte, int(a)%7)
					for j := range fr {
						fr[j] = byte(rng.Uint32())
					}
				}
				h.push(hevent{at: h.now, to: to, from: from, frame: fr, ref: 1})
			case 4: // replay a recorded frame to a random node
				if len(seen) > 0 {
					h.push(hevent{at: h.now, to: all[int(a)%len(all)], from: all[int(a/3)%len(all)], frame: seen[int(a)%len(seen)], ref: 2})
				}
			case 5: // the mobile client changes state
				h.apply(clients[1], cs[1].SetForeground(h.now, a%2 == 0))
			case 6: // a new directory epoch
				epoch++
				d := tp.dir.Clone()
				d.Epoch = epoch
				if err := d.Sign(testAuthority()); err != nil {
					t.Fatal(err)
				}
				for k, m := range mixes {
					_, u, _ := sf.NewKey(bytes.NewReader(make([]byte, 32)), tp.mixes[k][0], epoch)
					acts, err := m.SetDirectory(h.now, d, u)
					if err != nil {
						t.Fatal(err)
					}
					h.apply(tp.mixes[k][0], acts)
				}
				for k, pr := range provs {
					_, u, _ := sf.NewKey(bytes.NewReader(make([]byte, 32)), tp.providers[k], epoch)
					acts, err := pr.SetDirectory(h.now, d, u)
					if err != nil {
						t.Fatal(err)
					}
					h.apply(tp.providers[k], acts)
				}
				for k, c := range cs {
					acts, err := c.SetDirectory(h.now, d)
					if err != nil {
						t.Fatal(err)
					}
					h.apply(clients[k], acts)
				}
			case 7: // deliver what is due now
				h.run(h.now)
			}
			for k, l := range ledgers {
				if lg := l(); !lg.Balanced() {
					t.Fatalf("op %d: core %d ledger %+v", i, k, lg)
				}
			}
		}
		for k, m := range mixes {
			if m.Ledger().Held != uint64(m.PoolSize()) {
				t.Fatalf("mix %d holds %d, ledger %d", k, m.PoolSize(), m.Ledger().Held)
			}
		}
	})
}

// FuzzReadStreamFrame: reading a stream of framed link frames either ends
// cleanly (io.EOF at a frame boundary) or fails with ErrMalformed; every
// frame read is within the limit, and the frames read re-encode to exactly
// the bytes consumed.
func FuzzReadStreamFrame(f *testing.F) {
	for _, b := range vectorstest.HexField(f, Descriptor, "stream.json", "stream") {
		f.Add(b)
	}
	limit := MaxStreamFrame(vecSimGeometry, 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		var re []byte
		for {
			fr, err := ReadStreamFrame(r, limit)
			if errors.Is(err, io.EOF) {
				if !bytes.Equal(re, b) {
					t.Fatalf("clean end after %d of %d bytes", len(re), len(b))
				}
				return
			}
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("unclassified error: %v", err)
				}
				if !bytes.HasPrefix(b, re) {
					t.Fatal("frames read are not a prefix of the stream")
				}
				return
			}
			if len(fr) < 1 || len(fr) > limit {
				t.Fatalf("frame of %d bytes, limit %d", len(fr), limit)
			}
			re = AppendStreamFrame(re, fr)
		}
	})
}
