package trust

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"testing"
)

// BenchmarkPairing: a full pairing, both devices (key generation, both
// KEY records, X25519, X-Wing encapsulation and decapsulation, both
// CONFIRMs), through PairOverPipe. bytes = record bytes on the link per
// pairing (both directions; the QR payloads are not counted).
func BenchmarkPairing(b *testing.B) {
	for _, mode := range []Mode{ModeMutual, ModeOneWay} {
		b.Run(mode.String(), func(b *testing.B) {
			b.ReportAllocs()
			now := at(t0)
			wire := 0
			for b.Loop() {
				pa, err := NewPairing(Config{Mode: mode}, rand.Reader, now)
				if err != nil {
					b.Fatal(err)
				}
				pb, err := NewPairing(Config{Mode: mode}, rand.Reader, now)
				if err != nil {
					b.Fatal(err)
				}
				ex, err := PairOverPipe(pa, pb, now)
				if err != nil {
					b.Fatal(err)
				}
				wire = ex.WireBytes
			}
			b.ReportMetric(float64(wire), "bytes")
		})
	}
}

// BenchmarkPairingSide splits the CPU cost: "new" is one device's key
// generation (NewPairing); "bob" is Bob's processing of Alice's KEY (X25519,
// X-Wing encapsulation, key schedule) and of her CONFIRM; "alice" is
// Alice's processing of Bob's KEY (X25519, X-Wing decapsulation, key
// schedule) and of his CONFIRM. A device's total is new + its role's line.
func BenchmarkPairingSide(b *testing.B) {
	now := at(t0)
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := NewPairing(DefaultConfig(), rand.Reader, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	// setup returns Alice, Bob and Alice's KEY, both devices having
	// scanned.
	setup := func(b *testing.B) (*Pairing, *Pairing, []byte) {
		pa, _ := NewPairing(DefaultConfig(), rand.Reader, now)
		pb, _ := NewPairing(DefaultConfig(), rand.Reader, now)
		if bytes.Compare(pa.own, pb.own) > 0 {
			pa, pb = pb, pa
		}
		if err := pa.ScanPeer(pb.Payload(), now); err != nil {
			b.Fatal(err)
		}
		if err := pb.ScanPeer(pa.Payload(), now); err != nil {
			b.Fatal(err)
		}
		return pa, pb, pa.Outbox()[0]
	}
	b.Run("bob", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			alice, bob, keyA := setup(b)
			b.StartTimer()
			keyB, err := bob.Receive(keyA, now)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			conf, err := alice.Receive(keyB[0], now)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := bob.Receive(conf[0], now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("alice", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			alice, bob, keyA := setup(b)
			keyB, err := bob.Receive(keyA, now)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			conf, err := alice.Receive(keyB[0], now)
			if err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			confB, err := bob.Receive(conf[0], now)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if _, err := alice.Receive(confB[0], now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkPayload(b *testing.B) {
	for _, hints := range []int{0, MaxHints} {
		p := Payload{Created: t0}
		for i := range hints {
			p.Hints = append(p.Hints, Hint{HintLoopback, []byte(fmt.Sprintf("127.0.0.1:%d", 7000+i))})
		}
		enc, _ := EncodePayload(&p)
		b.Run(fmt.Sprintf("encode/hints=%d", hints), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := EncodePayload(&p); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("decode/hints=%d", hints), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := DecodePayload(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("qrtext/hints=%d", hints), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := DecodeQRText(EncodeQRText(enc)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(EncodeQRText(enc))), "chars")
		})
	}
}
