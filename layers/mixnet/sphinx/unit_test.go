package sphinx

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"golang.org/x/crypto/chacha20"
)

// TestStreamMatchesChaCha20 checks that streamXOR's assembly path (the
// ChaCha20-Poly1305 seal with spare capacity) and its fallback both equal
// ChaCha20 from block counter 1, for lengths around block boundaries.
func TestStreamMatchesChaCha20(t *testing.T) {
	var k [32]byte
	copy(k[:], "stream test key, thirty-two byte")
	for _, n := range []int{1, 31, 63, 64, 65, 127, 128, 500, 2032, 7038} {
		want := make([]byte, n)
		c, _ := chacha20.NewUnauthenticatedCipher(k[:], zeroNonce[:])
		c.SetCounter(1)
		c.XORKeyStream(want, want)
		fast := make([]byte, n, n+streamSlack)
		streamXOR(&k, fast)
		slow := make([]byte, n)
		streamXOR(&k, slow)
		if !bytes.Equal(fast, want) || !bytes.Equal(slow, want) {
			t.Fatalf("n=%d: key streams differ", n)
		}
	}
}

// TestHeaderSize checks the computed sizes against built packets, and the
// 5-hop X25519 header against the 480-byte target.
func TestHeaderSize(t *testing.T) {
	if h := DefaultGeometry().HeaderSize(); h > 480 {
		t.Fatalf("5-hop X25519 header is %d bytes, more than 480", h)
	}
	for _, g := range geometries(t) {
		tn := newTestNet(t, g, 5, "size")
		pkt, err := NewPacket(seededReader("size"), g, tn.hops[:2], Recipient{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := g.Sizes()
		if len(pkt) != s.Packet || s.Header != ADSize+g.Mode.elementSize()+g.Hops*s.Slot+MACSize {
			t.Fatalf("%s: packet %d, sizes %+v", g, len(pkt), s)
		}
		surb, _, err := NewSURB(seededReader("size"), g, tn.hops[:2], Recipient{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := surb.MarshalBinary()
		if len(b) != s.SURB {
			t.Fatalf("%s: SURB %d bytes, want %d", g, len(b), s.SURB)
		}
	}
}

func TestGeometry(t *testing.T) {
	g, err := NewGeometry(5, 2048, ModeX25519, false)
	if err != nil || g != DefaultGeometry() {
		t.Fatal("default geometry")
	}
	b, _ := g.MarshalBinary()
	g2, err := ParseGeometry(b)
	if err != nil || g2 != g {
		t.Fatal("round trip")
	}
	for _, bad := range []Geometry{{0, 2048, ModeX25519, false}, {17, 2048, ModeX25519, false},
		{5, 63, ModeX25519, false}, {5, 1<<16 + 1, ModeX25519, false}, {5, 2048, 0, false}} {
		if err := bad.Validate(); !errors.Is(err, ErrBadGeometry) {
			t.Errorf("%+v: %v", bad, err)
		}
		if _, err := bad.MarshalBinary(); !errors.Is(err, ErrBadGeometry) {
			t.Errorf("%+v marshals: %v", bad, err)
		}
	}
}

// TestDeterminism: the same reader bytes give the same packet and SURB.
func TestDeterminism(t *testing.T) {
	for _, g := range geometries(t) {
		tn := newTestNet(t, g, 5, "det")
		a, _ := NewPacket(seededReader("d"), g, tn.hops, Recipient{}, []byte("x"))
		b, _ := NewPacket(seededReader("d"), g, tn.hops, Recipient{}, []byte("x"))
		c, _ := NewPacket(seededReader("e"), g, tn.hops, Recipient{}, []byte("x"))
		if !bytes.Equal(a, b) || bytes.Equal(a, c) {
			t.Fatalf("%s: creation is not a function of the reader", g)
		}
	}
}

func TestNodeKey(t *testing.T) {
	r := seededReader("keys")
	for _, mode := range []Mode{ModeX25519, ModeMLKEM768} {
		k, err := GenerateNodeKeyFor(r, mode, 1234)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := k.MarshalBinary()
		k2, err := ParseNodeKey(b)
		if err != nil || k2.Epoch() != 1234 || k2.Mode() != mode || !bytes.Equal(k2.PublicKey(), k.PublicKey()) {
			t.Fatalf("%s: round trip: %v", mode, err)
		}
		for _, bad := range [][]byte{nil, b[:8], b[:len(b)-1], append(bytes.Clone(b), 0), append([]byte{9}, b[1:]...)} {
			if _, err := ParseNodeKey(bad); !errors.Is(err, ErrBadKey) {
				t.Errorf("%s: %d bytes: %v", mode, len(bad), err)
			}
		}
	}
	if _, err := GenerateNodeKey(bytes.NewReader(nil), 0); !errors.Is(err, ErrRandom) {
		t.Fatal(err)
	}
	// A key of one mode cannot unwrap packets of the other.
	x, _ := GenerateNodeKey(r, 0)
	f, _ := NewReplayFilter(0, 10, 1e-6)
	kemG, _ := NewGeometry(3, 128, ModeMLKEM768, false)
	if _, err := x.Unwrap(kemG, make([]byte, kemG.PacketSize()), f); !errors.Is(err, ErrBadGeometry) {
		t.Fatal(err)
	}
}

func TestSURBErrors(t *testing.T) {
	g := DefaultGeometry()
	slotG, _ := NewGeometry(5, 2048, ModeX25519, true)
	kemG, _ := NewGeometry(5, 2048, ModeMLKEM768, true)
	tn := newTestNet(t, g, 5, "surb-errors")
	surb, _, err := NewSURB(seededReader("s"), g, tn.hops[:2], Recipient{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewPacketWithSURB(seededReader("p"), g, tn.hops, Recipient{}, surb, nil); !errors.Is(err, ErrBadGeometry) {
		t.Fatalf("SURB in a geometry without a slot: %v", err)
	}
	if _, err := NewPacketWithSURB(seededReader("p"), slotG, tn.hops, Recipient{}, nil, nil); !errors.Is(err, ErrBadSURB) {
		t.Fatalf("nil SURB: %v", err)
	}
	if _, _, err := NewPacketFromSURB(kemG, surb, nil); !errors.Is(err, ErrBadSURB) {
		t.Fatalf("SURB of another geometry: %v", err)
	}
	if _, _, err := NewPacketFromSURB(g, surb, make([]byte, g.PayloadSize+1)); !errors.Is(err, ErrBadLength) {
		t.Fatalf("long reply: %v", err)
	}
	if _, _, err := NewSURB(bytes.NewReader(make([]byte, 20)), g, tn.hops, Recipient{}); !errors.Is(err, ErrRandom) {
		t.Fatal("short reader")
	}
}

func TestReplayFilterSizing(t *testing.T) {
	for _, c := range []struct {
		n uint64
		p float64
	}{{1, 0.5}, {1000, 1e-3}, {1000000, 1e-6}, {1 << 20, 1e-9}} {
		m, k, got, err := ReplayFilterSize(c.n, c.p)
		if err != nil {
			t.Fatal(err)
		}
		mf := -float64(c.n) * math.Log(c.p) / (math.Ln2 * math.Ln2)
		if float64(m) < mf || float64(m) > mf+64 || m%64 != 0 {
			t.Errorf("n=%d p=%g: m=%d, formula %f", c.n, c.p, m, mf)
		}
		if want := math.Round(float64(m) / float64(c.n) * math.Ln2); float64(k) != max(1, want) {
			t.Errorf("n=%d p=%g: k=%d want %v", c.n, c.p, k, want)
		}
		if got > c.p*1.1 {
			t.Errorf("n=%d p=%g: achieved %g", c.n, c.p, got)
		}
	}
	for _, c := range []struct {
		n uint64
		p float64
	}{{0, 1e-3}, {10, 0}, {10, 0.6}, {10, math.NaN()}, {1 << 40, 1e-9}} {
		if _, err := NewReplayFilter(0, c.n, c.p); !errors.Is(err, ErrBadReplayFilter) {
			t.Errorf("n=%d p=%g: %v", c.n, c.p, err)
		}
	}
}

// TestReplayFilterRate fills a filter with its expected number of random
// tags and measures the false-positive rate on fresh tags: it must be
// near the one FalsePositiveRate reports.
func TestReplayFilterRate(t *testing.T) {
	const n = 20000
	f, err := NewReplayFilter(3, n, 1e-2)
	if err != nil {
		t.Fatal(err)
	}
	r := seededReader("bloom")
	var tag [ReplayTagSize]byte
	for range n {
		r.Read(tag[:])
		f.seen(&tag)
	}
	// Tags that hit a false positive while the filter fills are not counted.
	if f.Count() > n || f.Count() < n-n/100 {
		t.Fatalf("count %d", f.Count())
	}
	const probes = 200000
	fp := 0
	for range probes {
		r.Read(tag[:])
		if f.lookup(&tag, false) {
			fp++
		}
	}
	rate := float64(fp) / probes
	if want := f.FalsePositiveRate(); rate > 1.3*want || rate < want/1.3 {
		t.Fatalf("measured false-positive rate %g, formula %g", rate, want)
	}
	f.Rotate(4)
	if f.Epoch() != 4 || f.Count() != 0 || f.seen(&tag) {
		t.Fatal("rotation did not empty the filter")
	}
	if !f.seen(&tag) {
		t.Fatal("a recorded tag is not seen")
	}
}

// TestConcurrentUnwrap: goroutines sharing a key and a filter accept each
// packet exactly once.
func TestConcurrentUnwrap(t *testing.T) {
	g := DefaultGeometry()
	tn := newTestNet(t, g, 2, "concurrent")
	key, f := tn.keys[tn.hops[0].ID], tn.filters[tn.hops[0].ID]
	var pkts [][]byte
	for i := range 16 {
		p, err := NewPacket(seededReader(fmt.Sprint(i)), g, tn.hops, Recipient{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
	}
	var mu sync.Mutex
	ok := map[int]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i, p := range pkts {
				_, err := key.Unwrap(g, p, f)
				if err != nil && !errors.Is(err, ErrReplay) {
					t.Error(err)
				}
				if err == nil {
					mu.Lock()
					ok[i]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for i := range pkts {
		if ok[i] != 1 {
			t.Fatalf("packet %d accepted %d times", i, ok[i])
		}
	}
}

func TestErrorName(t *testing.T) {
	if ErrorName(nil) != "valid" || ErrorName(fmt.Errorf("x: %w", ErrReplay)) != "ErrReplay" {
		t.Fatal("names")
	}
	if ErrorName(errors.New("other"))[:12] != "unclassified" {
		t.Fatal("unclassified")
	}
}

// TestZeroValues: zero values of the package's types give classified
// errors, not panics.
func TestZeroValues(t *testing.T) {
	g := DefaultGeometry()
	k, _ := GenerateNodeKey(seededReader("zero"), 0)
	if _, err := k.Unwrap(g, make([]byte, g.PacketSize()), &ReplayFilter{}); !errors.Is(err, ErrBadReplayFilter) {
		t.Fatal(err)
	}
	if _, err := new(NodeKey).Unwrap(g, make([]byte, g.PacketSize()), nil); !errors.Is(err, ErrBadGeometry) {
		t.Fatal(err)
	}
	if _, err := new(SURBKeys).DecryptReply(make([]byte, 16)); !errors.Is(err, ErrBadSURB) {
		t.Fatal(err)
	}
	if _, _, err := NewPacketFromSURB(g, &SURB{}, nil); !errors.Is(err, ErrBadSURB) {
		t.Fatal(err)
	}
	if _, err := NewPacketWithSURB(seededReader("z"), Geometry{5, 2048, ModeX25519, true}, nil, Recipient{}, &SURB{}, nil); !errors.Is(err, ErrBadSURB) {
		t.Fatal(err)
	}
	if _, err := (Geometry{}).MarshalBinary(); !errors.Is(err, ErrBadGeometry) {
		t.Fatal(err)
	}
}

func TestUnwrapToMatchesUnwrapWithADirtyBuffer(t *testing.T) {
	for _, mode := range []Mode{ModeX25519, ModeMLKEM768} {
		g := DefaultGeometry()
		g.Mode = mode
		tn := newTestNet(t, g, 3, "unwrap-to/"+mode.String())
		pkt, err := NewPacket(seededReader("unwrap-to"), g, tn.hops, Recipient{7}, []byte("payload"))
		if err != nil {
			t.Fatal(err)
		}
		dirty := bytes.Repeat([]byte{0xa5}, g.PacketSize()+UnwrapSlack)
		for hop := range tn.hops {
			key := tn.keys[tn.hops[hop].ID]
			f1, _ := NewReplayFilter(key.Epoch(), 100, 1e-6)
			f2, _ := NewReplayFilter(key.Epoch(), 100, 1e-6)
			want, err := key.Unwrap(g, pkt, f1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := key.UnwrapTo(dirty[:0], g, pkt, f2)
			if err != nil {
				t.Fatal(err)
			}
			if want.Action != got.Action || !bytes.Equal(want.Packet, got.Packet) || !bytes.Equal(want.Payload, got.Payload) {
				t.Fatalf("%s hop %d: UnwrapTo differs from Unwrap", mode, hop)
			}
			if want.Action != ActionForward {
				break
			}
			pkt = bytes.Clone(got.Packet)
			dirty = bytes.Repeat([]byte{0x5a}, g.PacketSize()+UnwrapSlack)
		}
	}
}
