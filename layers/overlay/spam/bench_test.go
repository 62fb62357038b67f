package spam

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
)

// benchPayload is the message size of the benchmarks: 1 KiB.
var benchPayload = bytes.Repeat([]byte{0xa5}, 1024)

// powHashBatch is how many proof hashes one op of BenchmarkPoWHash
// computes, so that even a short run times millions of hashes.
const powHashBatch = 1 << 14

// BenchmarkPoWHash measures the proof-of-work search step: the proof hash
// H = SHA-256(D || nonce) and its zero-bit count, as Mint's loop does,
// powHashBatch times per op. Metric hashes/s is the hash rate
// ExpectedMintTime takes.
func BenchmarkPoWHash(b *testing.B) {
	var buf [HashSize + 8]byte
	copy(buf[:], bytes.Repeat([]byte{7}, HashSize))
	sink := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for n := uint64(0); n < powHashBatch; n++ {
			sink += leadingZeros(powHash(&buf, uint64(i)*powHashBatch+n))
		}
	}
	b.ReportMetric(float64(b.N)*powHashBatch/b.Elapsed().Seconds(), "hashes/s")
	if sink < 0 {
		b.Fatal(sink)
	}
}

// BenchmarkPoWMint mints 1 KiB envelopes (TTL 10 s) at targets that need
// 5 (Status's mobile target 0.002), 8, 12 and 16 leading zero bits, each
// op from another start nonce; the
// mean time per op is the expected minting time on this machine, and
// hashes/op the mean number of hashes tried (2^bits expected).
func BenchmarkPoWMint(b *testing.B) {
	size := HeaderSize + len(benchPayload) + PoWProofSize
	for _, bits := range []int{5, 8, 12, 16} {
		b.Run(fmt.Sprintf("bits=%d", bits), func(b *testing.B) {
			target := workOf(bits, size, 10)
			if need, _ := RequiredBits(target, size, 10); need != bits {
				b.Fatalf("target %v needs %d bits", target, need)
			}
			var tries uint64
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, n, err := Mint(benchPayload, testTime, MintParams{TTL: 10, Target: target, Start: uint64(i) << 40})
				if err != nil {
					b.Fatal(err)
				}
				tries += n
			}
			b.ReportMetric(float64(tries)/float64(b.N), "hashes/op")
			b.ReportMetric(target, "work")
		})
	}
}

// BenchmarkPoWVerify measures VerifyPoW of a decoded 1 KiB envelope.
func BenchmarkPoWVerify(b *testing.B) {
	e, _, err := Mint(benchPayload, testTime, MintParams{TTL: 10, Target: 1})
	if err != nil {
		b.Fatal(err)
	}
	pol := PoWPolicy{MinWork: 1, MaxTTL: 60}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := VerifyPoW(e, testTime, pol); err != nil {
			b.Fatal(err)
		}
	}
}

// benchGroup is a default-depth (16) group of 4 members with a limit
// high enough for one slot per op.
func benchGroup(b *testing.B) *testGroup {
	cfg := DefaultRLNConfig()
	cfg.Limit = 1 << 30
	cfg.MaxNullifiers = 1 << 30
	return newTestGroup(b, cfg, 4)
}

// BenchmarkRLNProve measures one RLN signal on a 1 KiB payload at depth
// 16: slope, share, Schnorr signature (three fixed-base scalar
// multiplications, four hashes to scalar), and the envelope encoding.
func BenchmarkRLNProve(b *testing.B) {
	g := benchGroup(b)
	path, _ := g.reg.Path(1)
	ep := Epoch(testTime, g.cfg.EpochPeriod)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := g.members[1].Prove(SignalParams{LeafIndex: 1, Path: path, Epoch: ep, MessageIndex: uint32(i)}, testTopic, benchPayload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRLNVerify measures what a relay spends on a new signal: decode
// (three Ristretto255 decodings), then Verifier.Check (Merkle path of
// 16 hashes, share check and signature: four scalar multiplications,
// nullifier store). Each op is a signal with a fresh nullifier.
func BenchmarkRLNVerify(b *testing.B) {
	g := benchGroup(b)
	ep := Epoch(testTime, g.cfg.EpochPeriod)
	path, _ := g.reg.Path(2)
	encs := make([][]byte, b.N)
	for i := range encs {
		e, err := g.members[2].Prove(SignalParams{LeafIndex: 2, Path: path, Epoch: ep, MessageIndex: uint32(i)}, testTopic, benchPayload)
		if err != nil {
			b.Fatal(err)
		}
		encs[i] = mustEncode(b, e)
	}
	b.SetBytes(int64(len(encs[0])))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := Decode(encs[i])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := g.ver.Check(testTime, testTopic, e); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRLNDuplicate measures the check of a signal seen before byte
// for byte (gossip re-delivery): decode and the store lookup, no scalar
// multiplication.
func BenchmarkRLNDuplicate(b *testing.B) {
	g := benchGroup(b)
	e := g.signal(b, 1, testTime, 0, testTopic, benchPayload)
	enc := mustEncode(b, e)
	if _, err := g.ver.Check(testTime, testTopic, e); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d, err := Decode(enc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := g.ver.Check(testTime, testTopic, d); !errorsIsDuplicate(err) {
			b.Fatal(err)
		}
	}
}

func errorsIsDuplicate(err error) bool { return ErrorName(err) == "ErrDuplicate" }

// BenchmarkRLNRecoverKey measures building the evidence of a double
// signal: both signals verified again and the key recovered.
func BenchmarkRLNRecoverKey(b *testing.B) {
	g := benchGroup(b)
	a, _ := SignalOf(g.signal(b, 3, testTime, 0, testTopic, []byte("one")), testTopic)
	c, _ := SignalOf(g.signal(b, 3, testTime, 0, testTopic, []byte("two")), testTopic)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev, err := NewEvidence(a, c)
		if err != nil || ev.Kind != EvidenceKeyRecovered {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnvelope decodes a 1 KiB payload's envelope of each kind; the
// metric overhead-bytes is what the defence adds to every message.
func BenchmarkEnvelope(b *testing.B) {
	g := benchGroup(b)
	pow, _, _ := Mint(benchPayload, testTime, MintParams{TTL: 10, Target: 0.002})
	cfg20 := DefaultRLNConfig()
	cfg20.Depth = 20
	g20 := newTestGroup(b, cfg20, 2)
	for _, c := range []struct {
		name string
		e    *Envelope
	}{
		{"kind=none", &Envelope{Kind: KindNone, Payload: benchPayload}},
		{"kind=pow", pow},
		{"kind=rln/depth=16", g.signal(b, 0, testTime, 0, testTopic, benchPayload)},
		{"kind=rln/depth=20", g20.signal(b, 0, testTime, 0, testTopic, benchPayload)},
	} {
		b.Run(c.name, func(b *testing.B) {
			enc := mustEncode(b, c.e)
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Decode(enc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(enc)-len(benchPayload)), "overhead-bytes")
		})
	}
}

// BenchmarkRateLimiterAllow measures one token-bucket decision among
// 1,000 (peer, topic) buckets.
func BenchmarkRateLimiterAllow(b *testing.B) {
	l, err := NewRateLimiter(RateLimitConfig{Rate: 1e9, Burst: 1e9, MaxEntries: 4096})
	if err != nil {
		b.Fatal(err)
	}
	peers := make([]peer.ID, 1000)
	for i := range peers {
		peers[i] = peer.ID(fmt.Sprintf("peer-%04d", i))
		if err := l.Allow(testTime, peers[i], testTopic); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := l.Allow(testTime, peers[i%len(peers)], testTopic); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRegistryRegister measures a registration at depth 16: the
// proof-of-possession check and 17 hashes up the tree.
func BenchmarkRegistryRegister(b *testing.B) {
	regs := make([]Registration, b.N)
	for i := range regs {
		regs[i] = testMember(b, fmt.Sprint("bench", i)).Registration()
	}
	reg, err := NewRegistry(16)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := reg.Register(regs[i]); err != nil {
			b.Fatal(err)
		}
	}
}
