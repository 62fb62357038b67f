package trust

import (
	"bytes"
	"errors"
	"testing"

	"github.com/strata-lab/strata/layers/vectorstest"
)

// FuzzDecodePayload: any input fails with ErrMalformed or ErrVersion, or
// decodes to a payload that encodes back to the same bytes and survives
// the QR text round trip (decode→encode→decode stability).
func FuzzDecodePayload(f *testing.F) {
	for _, b := range vectorstest.HexField(f, Descriptor, "payloads.json", "payload") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePayload(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrVersion) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		enc, err := EncodePayload(p)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding gives %x (%v), input %x", enc, err, b)
		}
		p2, err := DecodePayload(enc)
		if err != nil || p2.Commitment != p.Commitment || p2.Created != p.Created || len(p2.Hints) != len(p.Hints) {
			t.Fatalf("second decode differs: %v", err)
		}
		back, err := DecodeQRText(EncodeQRText(b))
		if err != nil || !bytes.Equal(back, b) {
			t.Fatalf("QR text round trip: %v", err)
		}
	})
}

// FuzzDecodeQRText: a text either fails with ErrMalformed or is the
// canonical base45 form of what it decodes to.
func FuzzDecodeQRText(f *testing.F) {
	for _, b := range vectorstest.HexField(f, Descriptor, "payloads.json", "payload") {
		f.Add(EncodeQRText(b))
	}
	f.Add("STRATA1:GGW")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := DecodeQRText(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if got := EncodeQRText(b); got != s {
			t.Fatalf("non-canonical text %q accepted (canonical %q)", s, got)
		}
	})
}

// FuzzDecodeRecord: any input fails with ErrMalformed or ErrVersion, or
// decodes to a record that encodes back to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	for _, b := range vectorstest.HexField(f, Descriptor, "records.json", "record") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrVersion) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		enc, err := EncodeRecord(r)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding gives %x (%v)", enc, err)
		}
		if _, err := DecodeRecord(enc); err != nil {
			t.Fatalf("second decode: %v", err)
		}
	})
}

// fuzzSide is one device in FuzzPairing, with the link queue it sends on.
type fuzzSide struct {
	p    *Pairing
	keys *keys // the keys the side derived, kept after a later abort
	q    [][]byte
}

// FuzzPairing drives two honest devices through a link the fuzzer
// controls: it delivers, drops, mutates, replays and injects records (ops
// from the script). Oracles: no panic; every error wraps a sentinel; a
// device that reports a Result has a master secret and transcript equal
// to those its peer derived; in one-way mode a (simulated) user confirms
// only equal SASs.
func FuzzPairing(f *testing.F) {
	seeds := vectorstest.HexField(f, Descriptor, "records.json", "record")
	f.Add([]byte{0, 1, 0, 1}, false)
	f.Add([]byte{0, 1, 0, 1}, true)
	f.Add([]byte{0, 3, 7, 0, 1}, false)
	f.Add([]byte{2, 9, 1, 0, 1}, false)
	f.Add([]byte{0, 5, 2, 1, 0, 1}, true)
	f.Add([]byte{4, 1, 0, 6, 1}, false)
	f.Fuzz(func(t *testing.T, script []byte, oneWay bool) {
		if len(script) > 64 {
			script = script[:64]
		}
		mode := ModeMutual
		if oneWay {
			mode = ModeOneWay
		}
		now := at(t0)
		pa, _ := NewPairing(Config{Mode: mode}, NewDetReader([]byte("fuzz/a")), now)
		pb, _ := NewPairing(Config{Mode: mode}, NewDetReader([]byte("fuzz/b")), now)
		sides := [2]*fuzzSide{{p: pa}, {p: pb}}
		check := func(err error) {
			if err != nil && !Classified(err) {
				t.Fatalf("unclassified error: %v", err)
			}
		}
		check(pa.ScanPeer(pb.Payload(), now))
		if mode == ModeMutual {
			check(pb.ScanPeer(pa.Payload(), now))
		}
		var last []byte
		snap := func() {
			for _, s := range sides {
				s.q = append(s.q, s.p.Outbox()...)
				if s.p.k != nil {
					s.keys = s.p.k
				}
			}
		}
		snap()
		for i := 0; i < len(script); i++ {
			op, arg := script[i]%7, byte(0)
			if i+1 < len(script) {
				arg = script[i+1]
			}
			from := int(arg) & 1
			src, dst := sides[from], sides[1-from]
			switch op {
			case 0, 1: // deliver the next record from side op
				src, dst = sides[op], sides[1-op]
				if len(src.q) > 0 {
					last = src.q[0]
					_, err := dst.p.Receive(src.q[0], now)
					check(err)
					src.q = src.q[1:]
				}
			case 2: // mutate and deliver
				i++
				if len(src.q) > 0 {
					r := bytes.Clone(src.q[0])
					r[int(arg)%len(r)] ^= 1 << (arg % 8)
					_, err := dst.p.Receive(r, now)
					check(err)
					src.q = src.q[1:]
				}
			case 3: // drop
				i++
				if len(src.q) > 0 {
					src.q = src.q[1:]
				}
			case 4: // replay the last delivered record to a side
				i++
				if last != nil {
					_, err := dst.p.Receive(last, now)
					check(err)
				}
			case 5: // inject a vector record
				i++
				_, err := dst.p.Receive(seeds[int(arg)%len(seeds)], now)
				check(err)
			case 6: // the user aborts
				i++
				dst.p.Abort(nil)
			}
			snap()
		}
		// Flush the honest traffic that is left.
		for range maxPipeSteps {
			for k := range 2 {
				src, dst := sides[k], sides[1-k]
				for len(src.q) > 0 {
					_, err := dst.p.Receive(src.q[0], now)
					check(err)
					src.q = src.q[1:]
				}
			}
			snap()
		}
		sa, oka := pa.SAS()
		sb, okb := pb.SAS()
		if mode == ModeOneWay && oka && okb && sa == sb {
			check(pa.ConfirmSAS())
			check(pb.ConfirmSAS())
		}
		for k, s := range sides {
			m, _, ok := s.p.Result()
			if !ok {
				continue
			}
			peer := sides[1-k]
			if peer.keys == nil || peer.keys.transcript != s.keys.transcript || !bytes.Equal(peer.keys.master[:], m) {
				t.Fatalf("device %d has a result its peer does not share", k)
			}
		}
	})
}
