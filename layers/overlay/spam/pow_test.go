package spam

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"
)

// referenceWork recomputes a PoW envelope's work from its encoding with
// nothing of pow.go: SHA-256 twice and a bit-by-bit zero count.
func referenceWork(enc []byte) (zeros int, work float64) {
	d := sha256.Sum256(append([]byte(labelPoW), enc[:len(enc)-8]...))
	h := sha256.Sum256(append(d[:], enc[len(enc)-8:]...))
	for _, c := range h {
		for bit := 7; bit >= 0; bit-- {
			if c>>bit&1 != 0 {
				goto done
			}
			zeros++
		}
	}
done:
	ttl := binary.BigEndian.Uint32(enc[len(enc)-12:])
	return zeros, math.Pow(2, float64(zeros)) / (float64(len(enc)) * float64(ttl))
}

func TestMintReachesTarget(t *testing.T) {
	payload := make([]byte, 1000)
	for _, target := range []float64{0, 0.002, 0.5, 2, 20} {
		e, tries, err := Mint(payload, testTime, MintParams{TTL: 10, Target: target, Start: 1000})
		if err != nil {
			t.Fatal(err)
		}
		enc := mustEncode(t, e)
		zeros, work := referenceWork(enc)
		r, err := Work(e)
		if err != nil {
			t.Fatal(err)
		}
		if r.LeadingZeros != zeros || r.Work != work || r.Size != len(enc) {
			t.Fatalf("Work %+v, reference %d zeros, work %v", r, zeros, work)
		}
		if work < target {
			t.Fatalf("target %v: work %v", target, work)
		}
		need, _ := RequiredBits(target, len(enc), 10)
		if zeros < need {
			t.Fatalf("target %v: %d zero bits, need %d", target, zeros, need)
		}
		if e.PoW.Nonce != 1000+tries-1 {
			t.Fatalf("nonce %d after %d tries from 1000", e.PoW.Nonce, tries)
		}
		// Deterministic: the same inputs give the same envelope.
		again, _, _ := Mint(payload, testTime, MintParams{TTL: 10, Target: target, Start: 1000})
		if again.PoW.Nonce != e.PoW.Nonce {
			t.Fatal("Mint is not deterministic")
		}
		if _, err := VerifyPoW(e, testTime, PoWPolicy{MinWork: target, MaxTTL: 10}); err != nil {
			t.Fatalf("target %v: %v", target, err)
		}
	}
}

func TestRequiredBits(t *testing.T) {
	for _, c := range []struct {
		target float64
		size   int
		ttl    uint32
		want   int
	}{
		{0, 100, 10, 0}, {-1, 100, 10, 0}, {0.001, 1000, 1, 0}, {1, 1, 1, 0},
		{1, 2, 1, 1}, {1, 3, 1, 2}, {0.002, 1026, 10, 5}, {1, 1000, 10, 14},
		// SPEC.md, "Proof of work on a phone": 1 KiB payload, TTL 10.
		{0.002, 1050, 10, 5}, {1597, 1050, 10, 24}, {1598, 1050, 10, 25},
	} {
		got, err := RequiredBits(c.target, c.size, c.ttl)
		if err != nil || got != c.want {
			t.Errorf("RequiredBits(%v, %d, %d) = %d, %v; want %d", c.target, c.size, c.ttl, got, err, c.want)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Ldexp(1, 300)} {
		if _, err := RequiredBits(bad, 10, 10); !errors.Is(err, ErrConfig) {
			t.Errorf("target %v: %v", bad, err)
		}
	}
	if _, err := RequiredBits(1, 0, 10); !errors.Is(err, ErrConfig) {
		t.Error("size 0 accepted")
	}
	d, err := ExpectedMintTime(1, 1000, 10, 1<<20)
	if err != nil || d != time.Duration(float64(1<<14)/float64(1<<20)*float64(time.Second)) {
		t.Errorf("ExpectedMintTime = %v, %v", d, err)
	}
	if _, err := ExpectedMintTime(1, 1000, 10, 0); !errors.Is(err, ErrConfig) {
		t.Error("zero hash rate accepted")
	}
}

func TestVerifyPoWPolicy(t *testing.T) {
	payload := []byte("policy")
	e, _, err := Mint(payload, testTime, MintParams{TTL: 20, Target: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := Work(e)
	pol := PoWPolicy{MinWork: 0.05, MaxTTL: 60, MaxSkew: 2 * time.Second}
	for _, c := range []struct {
		name string
		now  time.Time
		pol  PoWPolicy
		want error
	}{
		{"at send time", testTime, pol, nil},
		{"at expiry", testTime.Add(20 * time.Second), pol, nil},
		{"after expiry", testTime.Add(21 * time.Second), pol, ErrExpired},
		{"within skew", testTime.Add(-2 * time.Second), pol, nil},
		{"from the future", testTime.Add(-3 * time.Second), pol, ErrExpired},
		{"ttl above policy", testTime, PoWPolicy{MinWork: 0.05, MaxTTL: 19}, ErrTTL},
		{"work just enough", testTime, PoWPolicy{MinWork: r.Work, MaxTTL: 60}, nil},
		{"work short", testTime, PoWPolicy{MinWork: math.Nextafter(r.Work, 1e9), MaxTTL: 60}, ErrInsufficientWork},
	} {
		if _, err := VerifyPoW(e, c.now, c.pol); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := VerifyPoW(&Envelope{Kind: KindNone}, testTime, pol); !errors.Is(err, ErrKind) {
		t.Errorf("kind none: %v", err)
	}
	huge := &Envelope{Kind: KindPoW, Payload: payload, PoW: &PoWProof{Expiry: math.MaxUint64, TTL: 1}}
	if _, err := VerifyPoW(huge, testTime, pol); !errors.Is(err, ErrExpired) {
		t.Errorf("expiry at the end of time: %v", err)
	}
	early := &Envelope{Kind: KindPoW, Payload: payload, PoW: &PoWProof{Expiry: 5, TTL: 10}}
	if _, err := VerifyPoW(early, time.Unix(1, 0), pol); !errors.Is(err, ErrExpired) {
		t.Errorf("expiry before TTL: %v", err)
	}
}

func TestMintErrors(t *testing.T) {
	if _, _, err := Mint(nil, testTime, MintParams{TTL: 0}); !errors.Is(err, ErrConfig) {
		t.Errorf("TTL 0: %v", err)
	}
	if _, _, err := Mint(nil, time.Unix(-5, 0), MintParams{TTL: 1}); !errors.Is(err, ErrConfig) {
		t.Errorf("before 1970: %v", err)
	}
	if _, _, err := Mint(make([]byte, MaxPayload+1), testTime, MintParams{TTL: 1}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	_, tries, err := Mint([]byte("x"), testTime, MintParams{TTL: 1, Target: 1 << 40, MaxTries: 50})
	if !errors.Is(err, ErrMintExhausted) || tries != 50 {
		t.Errorf("budget: %v after %d tries", err, tries)
	}
	if err := (PoWPolicy{MinWork: math.NaN(), MaxTTL: 1}).Validate(); !errors.Is(err, ErrConfig) {
		t.Error("NaN MinWork accepted")
	}
	if err := DefaultPoWPolicy().Validate(); err != nil {
		t.Error(err)
	}
}
