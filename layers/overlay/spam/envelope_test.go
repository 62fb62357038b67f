package spam

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	g := newTestGroup(t, DefaultRLNConfig(), 3)
	pow, _, err := Mint([]byte("minted"), testTime, MintParams{TTL: 10, Target: 0.002})
	if err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]*Envelope{
		"none":          {Kind: KindNone, Payload: []byte("plain")},
		"none, empty":   {Kind: KindNone},
		"pow":           pow,
		"rln":           g.signal(t, 2, testTime, 0, testTopic, []byte("signal")),
		"rln, no bytes": g.signal(t, 0, testTime, 0, testTopic, nil),
	} {
		t.Run(name, func(t *testing.T) {
			b := mustEncode(t, e)
			if len(b) != e.Size() {
				t.Fatalf("encoded %d bytes, Size says %d", len(b), e.Size())
			}
			if got := len(b) - len(e.Payload); got != Overhead(e.Kind, g.cfg.Depth) && e.Kind == KindRLN {
				t.Fatalf("overhead %d, Overhead says %d", got, Overhead(e.Kind, g.cfg.Depth))
			}
			d, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if again := mustEncode(t, d); !bytes.Equal(again, b) {
				t.Fatal("decode→encode differs")
			}
			if d.Kind != e.Kind || !bytes.Equal(d.Payload, e.Payload) {
				t.Fatalf("decoded %s %q, want %s %q", d.Kind, d.Payload, e.Kind, e.Payload)
			}
		})
	}
}

func TestOverheadFigures(t *testing.T) {
	// The byte counts SPEC.md states (section "Wire format").
	for _, c := range []struct {
		k     Kind
		depth int
		want  int
	}{{KindNone, 0, 6}, {KindPoW, 0, 26}, {KindRLN, 16, 695}, {KindRLN, 20, 823}, {KindRLN, 1, 215}, {KindRLN, 32, 1207}} {
		if got := Overhead(c.k, c.depth); got != c.want {
			t.Errorf("Overhead(%s, %d) = %d, SPEC.md says %d", c.k, c.depth, got, c.want)
		}
	}
	if Overhead(KindRLN, MaxDepth)+MaxPayload > 1<<20+4096 {
		t.Error("the largest envelope exceeds the overlay's message limit")
	}
}

func TestDecodeErrors(t *testing.T) {
	g := newTestGroup(t, DefaultRLNConfig(), 2)
	rln := mustEncode(t, g.signal(t, 1, testTime, 0, testTopic, []byte("x")))
	pow := mustEncode(t, &Envelope{Kind: KindPoW, Payload: []byte("x"), PoW: &PoWProof{Expiry: 100, TTL: 10, Nonce: 7}})
	none := mustEncode(t, &Envelope{Kind: KindNone, Payload: []byte("x")})
	rlnOff := HeaderSize + 1 // where the RLN proof starts for a 1-byte payload
	set := func(b []byte, off int, v ...byte) []byte {
		c := bytes.Clone(b)
		copy(c[off:], v)
		return c
	}
	big := make([]byte, HeaderSize)
	big[0] = Version
	binary.BigEndian.PutUint32(big[2:], MaxPayload+1)
	ff := bytes.Repeat([]byte{0xff}, 32)
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"short header", none[:5], ErrMalformed},
		{"version 0", set(none, 0, 0), ErrVersion},
		{"version 2", set(none, 0, 2), ErrVersion},
		{"kind 3", set(none, 1, 3), ErrKind},
		{"payload too large", big, ErrTooLarge},
		{"payload truncated", none[:len(none)-1], ErrMalformed},
		{"none trailing", append(bytes.Clone(none), 0), ErrMalformed},
		{"pow truncated", pow[:len(pow)-1], ErrMalformed},
		{"pow trailing", append(bytes.Clone(pow), 0), ErrMalformed},
		{"pow ttl 0", set(pow, rlnOff+8, 0, 0, 0, 0), ErrMalformed},
		{"rln truncated", rln[:len(rln)-1], ErrMalformed},
		{"rln no depth", rln[:rlnOff+rlnDepthOffset], ErrMalformed},
		{"rln trailing", append(bytes.Clone(rln), 0), ErrMalformed},
		{"rln depth 0", set(rln, rlnOff+rlnDepthOffset, 0), ErrMalformed},
		{"rln depth 33", set(rln, rlnOff+rlnDepthOffset, 33), ErrMalformed},
		{"rln depth 15 (length mismatch)", set(rln, rlnOff+rlnDepthOffset, 15), ErrMalformed},
		{"rln leaf index beyond depth", set(rln, rlnOff+ElementSize, 0, 1, 0, 0), ErrMalformed},
		{"rln member key not an element", set(rln, rlnOff, ff...), ErrNonCanonical},
		{"rln share not reduced", set(rln, len(rln)-ElementSize-2*ScalarSize, ff...), ErrNonCanonical},
		{"rln signature s not reduced", set(rln, len(rln)-ScalarSize, ff...), ErrNonCanonical},
		{"rln R not an element", set(rln, len(rln)-ElementSize-ScalarSize, ff...), ErrNonCanonical},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.b)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if ErrorName(err) == "" || ErrorName(err)[:3] != "Err" {
				t.Fatalf("unclassified: %v", err)
			}
		})
	}
}

func TestEncodeRefusesInconsistentEnvelopes(t *testing.T) {
	path := make([][HashSize]byte, 4)
	for name, c := range map[string]struct {
		e    Envelope
		want error
	}{
		"none with proof":  {Envelope{Kind: KindNone, PoW: &PoWProof{TTL: 1}}, ErrMalformed},
		"pow without":      {Envelope{Kind: KindPoW}, ErrMalformed},
		"pow ttl 0":        {Envelope{Kind: KindPoW, PoW: &PoWProof{}}, ErrMalformed},
		"rln without":      {Envelope{Kind: KindRLN}, ErrMalformed},
		"rln empty path":   {Envelope{Kind: KindRLN, RLN: &RLNProof{}}, ErrMalformed},
		"rln index beyond": {Envelope{Kind: KindRLN, RLN: &RLNProof{Path: path, LeafIndex: 16}}, ErrMalformed},
		"unknown kind":     {Envelope{Kind: 9}, ErrKind},
		"too large":        {Envelope{Kind: KindNone, Payload: make([]byte, MaxPayload+1)}, ErrTooLarge},
	} {
		if _, err := c.e.Encode(); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}
