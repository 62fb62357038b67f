package sphinx

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudflare/circl/dh/x25519"
	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20"
)

// Benchmark replay filters are sized like a busy node's: a million
// packets per epoch at a 1e-6 false-positive rate (3.6 MB, 20 hashes).
const (
	benchExpected = 1_000_000
	benchFPRate   = 1e-6
)

// benchPool is a growing set of distinct packets that all go to one node
// first (two-hop paths: the first hop forwards, which is the full
// per-hop work whatever the path length, since the geometry fixes the
// sizes). Each packet is unwrapped once per filter rotation.
type benchPool struct {
	mu     sync.Mutex
	g      Geometry
	net    *testNet
	filter *ReplayFilter
	pkts   [][]byte
	n      int // packets built so far (seed counter)
}

var pools sync.Map // Mode → *benchPool

func getPool(b *testing.B, mode Mode) *benchPool {
	b.Helper()
	v, _ := pools.LoadOrStore(mode, &benchPool{})
	p := v.(*benchPool)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.net == nil {
		g := DefaultGeometry()
		g.Mode = mode
		p.g = g
		p.net = newTestNet(b, g, 2, "bench/"+mode.String())
		f, err := NewReplayFilter(7, benchExpected, benchFPRate)
		if err != nil {
			b.Fatal(err)
		}
		p.filter = f
	}
	return p
}

// take returns n distinct packets and an empty filter for the first node.
func (p *benchPool) take(b *testing.B, n int) ([][]byte, *NodeKey, *ReplayFilter) {
	b.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	payload := make([]byte, p.g.PayloadSize)
	for len(p.pkts) < n {
		r := seededReader(fmt.Sprint("bench-pkt-", p.n))
		p.n++
		pkt, err := NewPacket(r, p.g, p.net.hops, Recipient{}, payload)
		if err != nil {
			b.Fatal(err)
		}
		p.pkts = append(p.pkts, pkt)
	}
	p.filter.Rotate(7)
	return p.pkts[:n], p.net.keys[p.net.hops[0].ID], p.filter
}

// twoX25519 is the floor of an X25519 unwrap: one multiplication for the
// shared secret, one for blinding, with the same library and checks.
func twoX25519(a, b, pt *[32]byte) {
	if _, ok := x25519Mul(a, pt); !ok {
		panic("zero")
	}
	if _, ok := x25519Mul(b, pt); !ok {
		panic("zero")
	}
}

// BenchmarkUnwrap measures the unwrap of an X25519 packet (5-hop
// geometry, 2048-byte payload, a 3.6 MB replay filter) at a forwarding
// hop, and in the same run, right after each unwrap and outside the
// timer, two X25519 multiplications (the floor: one for the shared
// secret, one for blinding). It reports the ratio of the median unwrap
// time to the median time of the two multiplications as x-of-2x25519, and
// both medians (unwrap-ns, 2x25519-ns); medians, unlike sec/op (a mean),
// are not moved by the preemptions of a shared machine. Each packet is
// first copied, outside the timer, into one receive buffer, as a node's
// read from its socket leaves it: thousands of pre-built packets would
// otherwise be read from main memory, a cost no receiving node pays. The
// output goes to one recycled buffer (UnwrapTo), as a node's send queue
// would; a fresh 2.4 KB allocation per packet adds page faults whose cost
// depends on the heap's state more than on the unwrap.
func BenchmarkUnwrap(b *testing.B) { benchUnwrap(b, ModeX25519) }

// BenchmarkUnwrapKEM is BenchmarkUnwrap in ModeMLKEM768 (one ML-KEM-768
// decapsulation, no blinding), with the same X25519 floor for
// comparison; it also reports the header size.
func BenchmarkUnwrapKEM(b *testing.B) { benchUnwrap(b, ModeMLKEM768) }

func benchUnwrap(b *testing.B, mode Mode) {
	p := getPool(b, mode)
	pkts, key, filter := p.take(b, b.N)
	var s1, s2, pt [32]byte
	s1[0], s2[0], pt[0] = 1, 2, 9
	unwrapNs, mulNs := make([]time.Duration, b.N), make([]time.Duration, b.N)
	b.SetBytes(int64(p.g.PacketSize()))
	b.ReportAllocs()
	b.ResetTimer()
	rx := make([]byte, p.g.PacketSize())
	tx := make([]byte, 0, p.g.PacketSize()+UnwrapSlack) // recycled, as a node would
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		copy(rx, pkts[i])
		b.StartTimer()
		t := time.Now()
		u, err := key.UnwrapTo(tx, p.g, rx, filter)
		unwrapNs[i] = time.Since(t)
		if err != nil || u.Action != ActionForward {
			b.Fatal(err)
		}
		b.StopTimer()
		t = time.Now()
		twoX25519(&s1, &s2, &pt)
		mulNs[i] = time.Since(t)
		b.StartTimer()
	}
	b.StopTimer()
	un, mul := median(unwrapNs), median(mulNs)
	if mul > 0 {
		b.ReportMetric(float64(un)/float64(mul), "x-of-2x25519")
		b.ReportMetric(float64(un.Nanoseconds()), "unwrap-ns")
		b.ReportMetric(float64(mul.Nanoseconds()), "2x25519-ns")
	}
	b.ReportMetric(float64(p.g.HeaderSize()), "header-bytes")
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// BenchmarkUnwrapParallel unwraps distinct X25519 packets on every
// GOMAXPROCS goroutine against one shared node key and replay filter (a
// node using all its cores); run it with -cpu 1,2 to see the scaling. It
// reports pkts/s across all goroutines.
func BenchmarkUnwrapParallel(b *testing.B) {
	p := getPool(b, ModeX25519)
	pkts, key, filter := p.take(b, b.N)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	t := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		tx := make([]byte, 0, p.g.PacketSize()+UnwrapSlack)
		for pb.Next() {
			i := next.Add(1) - 1
			if _, err := key.UnwrapTo(tx, p.g, pkts[i], filter); err != nil {
				b.Error(err)
				return
			}
		}
	})
	el := time.Since(t)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "pkts/s")
}

// BenchmarkNewPacket measures creating a full-length (5-hop) packet.
func BenchmarkNewPacket(b *testing.B) {
	for _, mode := range []Mode{ModeX25519, ModeMLKEM768} {
		b.Run("mode="+mode.String(), func(b *testing.B) {
			g := DefaultGeometry()
			g.Mode = mode
			tn := newTestNet(b, g, 5, "bench-new/"+mode.String())
			payload := make([]byte, g.PayloadSize)
			r := seededReader("bench-new")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := NewPacket(r, g, tn.hops, Recipient{}, payload); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(g.PacketSize()), "packet-bytes")
		})
	}
}

// BenchmarkHeaderSize reports the header size of the default geometry (5
// hops, 2048-byte payload) in each mode, computed from the geometry (the
// loop times that computation; TestHeaderSize checks it against built
// packets).
func BenchmarkHeaderSize(b *testing.B) {
	for _, mode := range []Mode{ModeX25519, ModeMLKEM768} {
		b.Run("mode="+mode.String(), func(b *testing.B) {
			g := DefaultGeometry()
			g.Mode = mode
			var s Sizes
			for b.Loop() {
				s = g.Sizes()
			}
			b.ReportMetric(float64(s.Header), "bytes")
			b.ReportMetric(float64(s.Packet), "packet-bytes")
		})
	}
}

// BenchmarkLIONESS measures one LIONESS decryption of the default body
// (2064 bytes), as each hop does.
func BenchmarkLIONESS(b *testing.B) {
	var k [LionessKeySize]byte
	n := DefaultGeometry().BodySize()
	block := make([]byte, n, n+streamSlack)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		lionessDecrypt(&k, block)
	}
}

// BenchmarkUnwrapSteps measures the non-X25519 steps of an X25519 unwrap
// one by one (default geometry), to show where the time over the two
// scalar multiplications goes.
func BenchmarkUnwrapSteps(b *testing.B) {
	g := DefaultGeometry()
	sz := g.Sizes()
	var s, k [32]byte
	zlen := keysBytes + (g.Hops+1)*sz.Slot
	z := make([]byte, zlen, zlen+streamSlack)
	hdr := make([]byte, sz.Header)
	b.Run("kdf", func(b *testing.B) {
		for b.Loop() {
			kdf(ModeX25519, &s)
		}
	})
	b.Run("kdf-hkdf-sha256", func(b *testing.B) {
		// The alternative KDF: HKDF-SHA256 extract and expand to 64 bytes.
		for b.Loop() {
			if _, err := hkdf.Key(sha256.New, s[:], nil, kdfDomain, 64); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("keystream", func(b *testing.B) {
		b.SetBytes(int64(zlen))
		for b.Loop() {
			keyStream(&k, z)
		}
	})
	b.Run("mac", func(b *testing.B) {
		b.SetBytes(int64(sz.Header - MACSize))
		for b.Loop() {
			mac(k[:], hdr[:sz.Header-MACSize])
		}
	})
	b.Run("lioness", func(b *testing.B) {
		var lk [LionessKeySize]byte
		body := make([]byte, sz.Body, sz.Body+streamSlack)
		b.SetBytes(int64(sz.Body))
		for b.Loop() {
			lionessDecrypt(&lk, body)
		}
	})
	b.Run("replay", func(b *testing.B) {
		f, err := NewReplayFilter(0, benchExpected, benchFPRate)
		if err != nil {
			b.Fatal(err)
		}
		tags := make([][ReplayTagSize]byte, 1<<16)
		r := seededReader("bench-replay")
		for i := range tags {
			r.Read(tags[i][:])
		}
		f.Rotate(0) // fault the filter's pages in
		i := 0
		for b.Loop() {
			f.seen(&tags[i%len(tags)])
			i++
		}
	})
}

// BenchmarkX25519 compares circl's dh/x25519 (the layer's) with the
// standard library's crypto/ecdh for one variable-base multiplication.
func BenchmarkX25519(b *testing.B) {
	b.Run("circl", func(b *testing.B) {
		var sk, pk, out x25519.Key
		sk[0], pk[0] = 1, 9
		for b.Loop() {
			x25519.Shared(&out, &sk, &pk)
		}
	})
	b.Run("stdlib-ecdh", func(b *testing.B) {
		k, _ := ecdh.X25519().NewPrivateKey(make([]byte, 32))
		p, _ := ecdh.X25519().NewPrivateKey([]byte("0123456789abcdef0123456789abcdef"))
		pub := p.PublicKey()
		for b.Loop() {
			if _, err := k.ECDH(pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMLKEM768 compares circl's kem/mlkem/mlkem768 (the layer's)
// with the standard library's crypto/mlkem: decapsulation (per hop) and
// derandomized encapsulation (per hop at the sender).
func BenchmarkMLKEM768(b *testing.B) {
	seed := make([]byte, KEMSeedSize)
	m := make([]byte, KEMEncapsSeedSize)
	pk, sk := mlkem768.NewKeyFromSeed(seed)
	ct := make([]byte, KEMCiphertextSize)
	ss := make([]byte, 32)
	pk.EncapsulateTo(ct, ss, m)
	dk, _ := mlkem.NewDecapsulationKey768(seed)
	ek := dk.EncapsulationKey()
	b.Run("circl-decaps", func(b *testing.B) {
		for b.Loop() {
			sk.DecapsulateTo(ss, ct)
		}
	})
	b.Run("stdlib-decaps", func(b *testing.B) {
		for b.Loop() {
			if _, err := dk.Decapsulate(ct); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("circl-encaps", func(b *testing.B) {
		for b.Loop() {
			pk.EncapsulateTo(ct, ss, m)
		}
	})
	b.Run("stdlib-encaps", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := mlkemtest.Encapsulate768(ek, m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStream compares the two ChaCha20 implementations streamXOR
// chooses between, over a 2032-byte LIONESS half.
func BenchmarkStream(b *testing.B) {
	var k [32]byte
	buf := make([]byte, 2032, 2032+streamSlack)
	b.Run("chacha20poly1305-asm", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			streamXOR(&k, buf)
		}
	})
	b.Run("chacha20-generic", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			c, _ := chacha20.NewUnauthenticatedCipher(k[:], zeroNonce[:])
			c.SetCounter(1)
			c.XORKeyStream(buf, buf)
		}
	})
}

// BenchmarkLionessHash compares the LIONESS hash round (keyed BLAKE2b-256)
// with SHA-256 over the same 2032 bytes; SHA-256 is not used by the
// layer, it is measured to size the alternative (SPEC.md, "Trade-offs").
func BenchmarkLionessHash(b *testing.B) {
	key := make([]byte, 32)
	buf := make([]byte, 2032)
	b.Run("blake2b-256", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			h, _ := blake2b.New256(key)
			h.Write(buf)
			h.Sum(nil)
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		for b.Loop() {
			h := sha256.New()
			h.Write(key)
			h.Write(buf)
			h.Sum(nil)
		}
	})
}
