package spam

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/vectorstest"
)

// classified reports whether err is nil or wraps one of the package's
// sentinels.
func classified(err error) bool {
	n := ErrorName(err)
	return n == "valid" || n[:3] == "Err"
}

// envelopeSeeds returns every envelope of the generated vectors; it fails
// when there is none.
func envelopeSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, file := range []string{"spam_envelopes.json", "spam_pow.json"} {
		out = append(out, vectorstest.HexField(tb, Descriptor, file, "envelope")...)
	}
	var rln []rlnCase
	vectorstest.Cases(tb, Descriptor, "spam_rln.json", &rln)
	for _, c := range rln {
		for _, s := range c.Steps {
			b, err := unhex(s.Envelope)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

// FuzzDecodeEnvelope: every input either fails with a classified error
// or decodes to an envelope that re-encodes to exactly the input (so the
// decoder accepts one encoding per envelope), whose Size is its length,
// and which decodes again to the same bytes.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, b := range envelopeSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		enc, err := e.Encode()
		if err != nil {
			t.Fatalf("a decoded envelope does not encode: %v", err)
		}
		if !bytes.Equal(enc, data) {
			t.Fatalf("decode→encode changed the bytes:\n in  %x\n out %x", data, enc)
		}
		if e.Size() != len(data) {
			t.Fatalf("Size %d, encoding %d bytes", e.Size(), len(data))
		}
		e2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if enc2, _ := e2.Encode(); !bytes.Equal(enc2, enc) {
			t.Fatal("decode→encode→decode→encode is not stable")
		}
	})
}

// fuzzRLNSetup is a fixed group of three members (depth 4) and two valid
// signals, each with its topic.
type fuzzRLNSetup struct {
	g     *testGroup
	valid []struct {
		enc   []byte
		topic string
	}
}

func newFuzzRLNSetup(tb testing.TB) *fuzzRLNSetup {
	cfg := DefaultRLNConfig()
	cfg.Depth = 4
	s := &fuzzRLNSetup{g: newTestGroup(tb, cfg, 3)}
	for i, topic := range []string{testTopic, "/strata/1/chat/other"} {
		e := s.g.signal(tb, i+1, testTime, 0, topic, []byte("fuzzed signal"))
		s.valid = append(s.valid, struct {
			enc   []byte
			topic string
		}{mustEncode(tb, e), topic})
	}
	return s
}

// FuzzRLNVerify: a fresh verifier that accepts the group's root accepts
// an input (envelope, topic) only if it is one of the two valid signals
// byte for byte. Seeds are the two signals and single-bit changes of
// them (of the envelope and of the topic), so the engine starts from
// near-misses; every rejection is classified.
func FuzzRLNVerify(f *testing.F) {
	s := newFuzzRLNSetup(f)
	for _, v := range s.valid {
		f.Add(v.enc, v.topic)
		for bit := 0; bit < len(v.enc)*8; bit += 29 {
			b := bytes.Clone(v.enc)
			b[bit/8] ^= 1 << (bit % 8)
			f.Add(b, v.topic)
		}
		tp := []byte(v.topic)
		tp[len(tp)-1] ^= 1
		f.Add(v.enc, string(tp))
	}
	f.Fuzz(func(t *testing.T, data []byte, topic string) {
		e, err := Decode(data)
		if err != nil {
			return
		}
		ver, err := NewVerifier(s.g.cfg)
		if err != nil {
			t.Fatal(err)
		}
		ver.AcceptRoot(s.g.reg.Root())
		_, err = ver.Check(testTime, topic, e)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		for _, v := range s.valid {
			if bytes.Equal(v.enc, data) && v.topic == topic {
				return
			}
		}
		t.Fatalf("accepted a signal nobody proved: topic %q, envelope %x", topic, data)
	})
}

// referencePoWVerdict decides a PoW envelope's verdict with arbitrary-
// precision time arithmetic and referenceWork, independently of
// VerifyPoW: "" for accept, else the expected sentinel name.
func referencePoWVerdict(enc []byte, now int64, p PoWPolicy) string {
	ttl := binary.BigEndian.Uint32(enc[len(enc)-12:])
	if ttl < 1 || ttl > p.MaxTTL {
		return "ErrTTL"
	}
	exp := new(big.Int).SetUint64(binary.BigEndian.Uint64(enc[len(enc)-20:]))
	n := big.NewInt(now)
	if n.Cmp(exp) > 0 {
		return "ErrExpired"
	}
	sent := new(big.Int).Sub(exp, big.NewInt(int64(ttl)))
	latest := big.NewInt(time.Unix(now, 0).Add(p.MaxSkew).Unix())
	if sent.Sign() < 0 || sent.Cmp(latest) > 0 {
		return "ErrExpired"
	}
	if _, work := referenceWork(enc); work < p.MinWork {
		return "ErrInsufficientWork"
	}
	return ""
}

// FuzzPoWVerify: for any envelope, time and required work, VerifyPoW
// agrees with an independent reference (big-integer time checks,
// bit-by-bit zero count), and its reported work is the reference's.
func FuzzPoWVerify(f *testing.F) {
	for _, b := range vectorstest.HexField(f, Descriptor, "spam_pow.json", "envelope") {
		f.Add(b, testTime.Unix(), 0.002)
		f.Add(b, int64(1767225600), 1.0)
	}
	f.Fuzz(func(t *testing.T, data []byte, now int64, minWork float64) {
		if math.IsNaN(minWork) || math.IsInf(minWork, 0) || minWork < 0 {
			minWork = 0
		}
		if now > 1<<40 || now < -(1<<40) {
			now %= 1 << 40 // stay where time.Time arithmetic is exact
		}
		e, err := Decode(data)
		if err != nil || e.Kind != KindPoW {
			if e != nil {
				if _, err := VerifyPoW(e, time.Unix(now, 0), DefaultPoWPolicy()); ErrorName(err) != "ErrKind" {
					t.Fatalf("a %s envelope: %v", e.Kind, err)
				}
			}
			return
		}
		p := PoWPolicy{MinWork: minWork, MaxTTL: 3600, MaxSkew: 5 * time.Second}
		r, err := VerifyPoW(e, time.Unix(now, 0), p)
		want := referencePoWVerdict(data, now, p)
		got := ""
		if err != nil {
			got = ErrorName(err)
		}
		if got != want {
			t.Fatalf("VerifyPoW says %q (%v), the reference %q", got, err, want)
		}
		if err == nil || got == "ErrInsufficientWork" {
			if zeros, work := referenceWork(data); r.LeadingZeros != zeros || r.Work != work {
				t.Fatalf("work %v (%d bits), reference %v (%d bits)", r.Work, r.LeadingZeros, work, zeros)
			}
		}
	})
}

// FuzzRateLimiter drives a limiter with a sequence of (peer, time step)
// operations and checks the token-bucket bound for every bucket that was
// never evicted: messages allowed ≤ Burst + Rate × time since its first.
func FuzzRateLimiter(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 1, 0, 1, 200, 0, 50})
	f.Add(bytes.Repeat([]byte{3, 1}, 100))
	f.Fuzz(func(t *testing.T, ops []byte) {
		cfg := RateLimitConfig{Rate: 5, Burst: 3, MaxEntries: 4}
		l, err := NewRateLimiter(cfg)
		if err != nil {
			t.Fatal(err)
		}
		type stat struct {
			first   time.Time
			allowed int
		}
		stats := map[peer.ID]*stat{}
		now := testTime
		for i := 0; i+1 < len(ops); i += 2 {
			p := peer.ID([]byte{ops[i] % 6})
			now = now.Add(time.Duration(ops[i+1]) * 10 * time.Millisecond)
			before := l.Evicted()
			err := l.Allow(now, p, testTopic)
			if l.Evicted() != before {
				clear(stats) // some bucket was evicted: start the bound afresh
			}
			st := stats[p]
			if st == nil {
				st = &stat{first: now}
				stats[p] = st
			}
			if err == nil {
				st.allowed++
			} else if !classified(err) {
				t.Fatal(err)
			}
			if bound := cfg.Burst + cfg.Rate*now.Sub(st.first).Seconds(); float64(st.allowed) > bound+1e-9 {
				t.Fatalf("peer %x: %d allowed, bound %.3f", p, st.allowed, bound)
			}
			if l.Len() > cfg.MaxEntries {
				t.Fatalf("%d buckets, at most %d", l.Len(), cfg.MaxEntries)
			}
		}
	})
}
