package loopix

import (
	"crypto/ed25519"
	"testing"
	"time"
)

// benchPacket builds a packet whose first hop is node, on a 5-hop route.
func benchPacket(b *testing.B, f Format, node NodeID, pub [32]byte, seed uint64) []byte {
	b.Helper()
	hops := []Hop{{Node: node, Key: pub, Delay: time.Millisecond}}
	for i := 1; i < 5; i++ {
		id := testID("bench", i, 0)
		p, _, err := f.NewKey(ReaderFrom(newRand(uint64(i))), id, 0)
		if err != nil {
			b.Fatal(err)
		}
		hops = append(hops, Hop{Node: id, Key: p})
	}
	pkt, err := f.Build(ReaderFrom(newRand(seed)), 0, Route{Hops: hops, Recipient: Recipient{Kind: ToDrop}}, []byte("bench"))
	if err != nil {
		b.Fatal(err)
	}
	return pkt
}

func benchUnwrap(b *testing.B, f Format) {
	node := testID("bench", 0, 0)
	pkts := make([][]byte, 256)
	var u Unwrapper
	// batch makes a fresh key and packets for it: a packet opens once per
	// key (replay filter).
	batch := func(seed uint64) {
		pub, k, err := f.NewKey(ReaderFrom(newRand(seed)), node, 0)
		if err != nil {
			b.Fatal(err)
		}
		u = k
		for i := range pkts {
			pkts[i] = benchPacket(b, f, node, pub, seed<<16|uint64(i))
		}
	}
	batch(99)
	b.SetBytes(int64(len(pkts[0])))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%len(pkts) == 0 && i > 0 {
			b.StopTimer()
			batch(uint64(i))
			b.StartTimer()
		}
		if _, err := u.Unwrap(pkts[i%len(pkts)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkUnwrap opens 5-hop packets of the default geometry: SimFormat
// (what simulations pay per hop) and Sphinx through the adapter (what a
// node pays).
func BenchmarkUnwrap(b *testing.B) {
	sim, err := NewSimFormat(DefaultGeometry())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("format=sim", func(b *testing.B) { benchUnwrap(b, sim) })
	b.Run("format=sphinx", func(b *testing.B) { benchUnwrap(b, sphinxFormat(b)) })
}

// BenchmarkMixForward measures a mix core's own work per packet (receive,
// replay check, hold, release) on SimFormat: one op is one packet in and
// out.
func BenchmarkMixForward(b *testing.B) {
	p := DefaultParams()
	p.LambdaM = 0
	tp := newTopo(b, 3, 1, 1, p)
	mid := tp.mixes[1][0]
	m, _, err := NewMix(MixConfig{ID: mid, Format: tp.format, Rand: newRand(1)}, tp.dir, tp.keys[mid], t0)
	if err != nil {
		b.Fatal(err)
	}
	r := Route{Hops: []Hop{{Node: mid, Delay: time.Millisecond}, {Node: tp.mixes[2][0]}, {Node: tp.providers[0]}}, Recipient: Recipient{Kind: ToDrop}}
	frames := make([][]byte, 4096)
	rnd := ReaderFrom(newRand(2))
	for i := range frames {
		pkt, err := tp.format.Build(rnd, 0, r, nil)
		if err != nil {
			b.Fatal(err)
		}
		frames[i] = EncodePacketFrame(pkt)
	}
	from := tp.mixes[0][0]
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%len(frames) == 0 && i > 0 {
			b.StopTimer()
			for j := range frames { // fresh nonces: the replay set would refuse the old ones
				pkt, _ := tp.format.Build(rnd, 0, r, nil)
				frames[j] = EncodePacketFrame(pkt)
			}
			b.StartTimer()
		}
		m.Receive(now, from, frames[i%len(frames)], 0)
		now = now.Add(2 * time.Millisecond)
		m.Tick(now)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkClientStreams measures a client core building and sending its
// cover and payload packets on SimFormat: one op is one packet.
func BenchmarkClientStreams(b *testing.B) {
	tp := newTopo(b, 3, 3, 4, DefaultParams())
	c, _, err := NewClient(ClientConfig{ID: testID("c", 0, 0), Provider: tp.providers[0], Format: tp.format, Rand: newRand(1)}, tp.dir, t0)
	if err != nil {
		b.Fatal(err)
	}
	sent := 0
	b.ReportAllocs()
	b.ResetTimer()
	for sent < b.N {
		now, _ := c.Deadline()
		for _, a := range c.Tick(now) {
			if a.Kind == ActSend && a.Class != ClassPull {
				sent++
			}
		}
	}
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkDirectoryOpen decodes and verifies a signed directory of 3×3
// mixes and 4 providers.
func BenchmarkDirectoryOpen(b *testing.B) {
	key := vecKey("bench")
	d := vecDirectory(3, 3, 4, DefaultGeometry(), DefaultParams())
	if err := d.Sign(key); err != nil {
		b.Fatal(err)
	}
	enc, err := d.Encode()
	if err != nil {
		b.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := OpenDirectory(enc, pub); err != nil {
			b.Fatal(err)
		}
	}
}
