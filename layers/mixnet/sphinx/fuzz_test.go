package sphinx

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers/vectorstest"
)

// classified reports whether err is nil or wraps one of the package's
// sentinels.
func classified(err error) bool {
	return !strings.HasPrefix(ErrorName(err), "unclassified")
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fuzzNets holds one five-node network per mode for the fuzz targets
// (building keys is the slow part).
var fuzzNets = map[Mode]*testNet{}

func fuzzNet(t testing.TB, g Geometry) *testNet {
	tn, ok := fuzzNets[g.Mode]
	if !ok {
		tn = newTestNet(t, g, 5, "fuzz/"+g.Mode.String())
		fuzzNets[g.Mode] = tn
	}
	cp := *tn
	cp.g = g
	cp.filters = map[NodeID]*ReplayFilter{}
	for id := range tn.keys {
		f, err := NewReplayFilter(7, 64, 1e-9)
		if err != nil {
			t.Fatal(err)
		}
		cp.filters[id] = f
	}
	return &cp
}

// FuzzUnwrap builds a valid packet from a fuzzer-chosen seed, path
// (length, order, delays), payload and mode, and checks that every hop
// unwraps it to the command its sender wrote and the last hop delivers the
// payload; then it flips one fuzzer-chosen bit of the packet at a
// fuzzer-chosen hop and requires the header MAC (header bits) or the final
// zero tag (body bits) to reject it, never a delivery.
func FuzzUnwrap(f *testing.F) {
	f.Add([]byte("seed"), uint8(5), uint8(0), []byte("payload"), uint32(7), uint8(0), false)
	f.Add([]byte("x"), uint8(1), uint8(3), []byte{}, uint32(9999), uint8(0), false)
	f.Add([]byte("y"), uint8(3), uint8(1), bytes.Repeat([]byte{1}, 64), uint32(8*400), uint8(2), false)
	f.Add([]byte("kem"), uint8(2), uint8(2), []byte("pq"), uint32(8*100), uint8(1), true)
	f.Fuzz(func(t *testing.T, seed []byte, n, perm uint8, payload []byte, bit uint32, flipHop uint8, kem bool) {
		g, _ := NewGeometry(5, 64, ModeX25519, false)
		if kem {
			g.Mode = ModeMLKEM768
		}
		tn := fuzzNet(t, g)
		hops := int(n)%g.Hops + 1
		path := make([]Hop, hops)
		for i := range path {
			path[i] = tn.hops[(i+int(perm))%len(tn.hops)]
			var d [2]byte
			copy(d[:], seed[min(i%2, len(seed)):])
			path[i].Delay = time.Duration(binary.BigEndian.Uint16(d[:])) * time.Millisecond
		}
		if len(payload) > g.PayloadSize {
			payload = payload[:g.PayloadSize]
		}
		var rcpt Recipient
		copy(rcpt[:], seed)
		pkt, err := NewPacket(seededReader(string(seed)), g, path, rcpt, payload)
		if err != nil {
			t.Fatal(err)
		}
		// The clean run.
		cur := pkt
		var packets [][]byte
		for i, h := range path {
			packets = append(packets, cur)
			u, err := tn.keys[h.ID].Unwrap(g, cur, tn.filters[h.ID])
			if err != nil {
				t.Fatalf("hop %d: %v", i, err)
			}
			if u.Delay != h.Delay {
				t.Fatalf("hop %d: delay %v, want %v", i, u.Delay, h.Delay)
			}
			if i < hops-1 {
				if u.Action != ActionForward || u.NextHop != path[i+1].ID {
					t.Fatalf("hop %d: %v to %x", i, u.Action, u.NextHop[:4])
				}
				cur = u.Packet
				continue
			}
			want := make([]byte, g.PayloadSize)
			copy(want, payload)
			if u.Action != ActionDeliver || u.Recipient != rcpt || !bytes.Equal(u.Payload, want) {
				t.Fatalf("final hop: %v, payload mismatch", u.Action)
			}
		}
		// The altered run: a fresh filter set, one bit flipped at hop j.
		tn = fuzzNet(t, g)
		j := int(flipHop) % hops
		b := bytes.Clone(packets[j])
		pos := int(bit % uint32(8*len(b)))
		b[pos/8] ^= 1 << (pos % 8)
		for i := j; i < hops; i++ {
			u, err := tn.keys[path[i].ID].Unwrap(g, b, tn.filters[path[i].ID])
			if err != nil {
				inHeader := pos/8 < g.HeaderSize()
				switch {
				case inHeader && i == j && (errors.Is(err, ErrBadMAC) || errors.Is(err, ErrBadVersion) || errors.Is(err, ErrWrongEpoch) || errors.Is(err, ErrLowOrderPoint)):
				case !inHeader && i == hops-1 && errors.Is(err, ErrBadPayloadTag):
				default:
					t.Fatalf("bit %d flipped at hop %d: hop %d says %v", pos, j, i, err)
				}
				return
			}
			if u.Action != ActionForward {
				t.Fatalf("bit %d flipped at hop %d: delivered", pos, j)
			}
			b = u.Packet
		}
		t.Fatalf("bit %d flipped at hop %d: never rejected", pos, j)
	})
}

// FuzzUnwrapGarbage feeds arbitrary bytes (resized, at a fuzzer-chosen
// length, to the geometry's packet size or not) to Unwrap in both modes:
// it must return a classified error and never panic; the vector packets
// seed it.
func FuzzUnwrapGarbage(f *testing.F) {
	var cases []unwrapCase
	vectorstest.Cases(f, Descriptor, "unwrap_errors.json", &cases)
	for _, c := range cases {
		f.Add(mustHex(f, c.Packet), c.Geometry != cases[0].Geometry)
	}
	if len(cases) == 0 {
		f.Fatal("no seeds")
	}
	def := DefaultGeometry()
	kemG, _ := NewGeometry(3, 128, ModeMLKEM768, false)
	f.Fuzz(func(t *testing.T, data []byte, kem bool) {
		g := def
		if kem {
			g = kemG
		}
		tn := fuzzNet(t, g)
		for _, h := range tn.hops[:2] {
			u, err := tn.keys[h.ID].Unwrap(g, data, tn.filters[h.ID])
			if !classified(err) {
				t.Fatalf("unclassified: %v", err)
			}
			if err == nil && u.Action == ActionForward && len(u.Packet) != g.PacketSize() {
				t.Fatal("forwarded packet of the wrong size")
			}
		}
		// Same length as a packet: only the header MAC can save it.
		if len(data) > 0 && len(data) < g.PacketSize() {
			p := make([]byte, g.PacketSize())
			for i := range p {
				p[i] = data[i%len(data)]
			}
			p[0], p[1] = g.Mode.format(), 7
			h := tn.hops[0]
			if _, err := tn.keys[h.ID].Unwrap(g, p, tn.filters[h.ID]); err == nil {
				t.Fatal("a packet made of repeated fuzzer bytes was accepted")
			} else if !classified(err) {
				t.Fatalf("unclassified: %v", err)
			}
		}
	})
}

// FuzzGeometry: an encoded geometry either fails with ErrBadGeometry or
// parses to a valid geometry whose canonical encoding is the input and
// whose sizes are consistent.
func FuzzGeometry(f *testing.F) {
	var cases []geometryCase
	vectorstest.Cases(f, Descriptor, "geometry.json", &cases)
	for _, c := range cases {
		if c.Encoding != "" {
			f.Add(mustHex(f, c.Encoding))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := ParseGeometry(data)
		if err != nil {
			if !errors.Is(err, ErrBadGeometry) {
				t.Fatalf("unclassified: %v", err)
			}
			return
		}
		re, err := g.MarshalBinary()
		if err != nil || !bytes.Equal(re, data) {
			t.Fatalf("re-encoding differs: %x vs %x (%v)", re, data, err)
		}
		g2, err := NewGeometry(g.Hops, g.PayloadSize, g.Mode, g.WithSURB)
		if err != nil || g2 != g {
			t.Fatalf("NewGeometry disagrees: %v", err)
		}
		s := g.Sizes()
		if s.Packet != s.Header+s.Body || s.Routing != g.Hops*s.Slot || s.SURB != NodeIDSize+SURBKeySeedSize+s.Header {
			t.Fatalf("inconsistent sizes %+v", s)
		}
	})
}

// FuzzSURB: bytes either fail to parse as a SURB (ErrBadSURB) or parse and
// re-encode to themselves, and a reply built from the parsed SURB has the
// geometry's packet size; the same for SURB key sets, whose reply
// decryption of arbitrary bodies must fail with a classified error.
func FuzzSURB(f *testing.F) {
	var cases []surbCase
	vectorstest.Cases(f, Descriptor, "surb.json", &cases)
	for _, c := range cases {
		for _, s := range []string{c.SURB, c.SURBKeys, c.Data} {
			if s != "" {
				f.Add(mustHex(f, s))
			}
		}
	}
	def := DefaultGeometry()
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := ParseSURB(def, data); err != nil {
			if !errors.Is(err, ErrBadSURB) {
				t.Fatalf("unclassified: %v", err)
			}
		} else {
			re, _ := s.MarshalBinary()
			if !bytes.Equal(re, data) {
				t.Fatal("SURB re-encodes differently")
			}
			pkt, first, err := NewPacketFromSURB(def, s, data[:10])
			if err != nil || len(pkt) != def.PacketSize() || first != s.FirstHop {
				t.Fatalf("reply from a parsed SURB: %v", err)
			}
		}
		k, err := ParseSURBKeys(data)
		if err != nil {
			if !errors.Is(err, ErrBadSURB) {
				t.Fatalf("unclassified: %v", err)
			}
			return
		}
		re, _ := k.MarshalBinary()
		if !bytes.Equal(re, data) {
			t.Fatal("SURB keys re-encode differently")
		}
		body := make([]byte, k.Geometry().BodySize())
		copy(body, data)
		if _, err := k.DecryptReply(body); !classified(err) {
			t.Fatalf("unclassified: %v", err)
		}
	})
}

// FuzzLIONESS: decryption inverts encryption for every key and block, and
// a one-bit change anywhere in the ciphertext garbles the first 16 bytes
// of the decryption (the fragility the final hop's zero tag relies on).
func FuzzLIONESS(f *testing.F) {
	var cases []lionessCase
	vectorstest.Cases(f, Descriptor, "lioness.json", &cases)
	for _, c := range cases {
		f.Add(mustHex(f, c.Key), mustHex(f, c.Plaintext), uint16(3))
	}
	f.Fuzz(func(t *testing.T, key, block []byte, bit uint16) {
		ct := bytes.Clone(block)
		if err := LionessEncrypt(key, ct); err != nil {
			if !errors.Is(err, ErrBadLength) {
				t.Fatalf("unclassified: %v", err)
			}
			return
		}
		back := bytes.Clone(ct)
		if err := LionessDecrypt(key, back); err != nil || !bytes.Equal(back, block) {
			t.Fatal("decryption does not invert encryption")
		}
		pos := int(bit) % (8 * len(ct))
		ct[pos/8] ^= 1 << (pos % 8)
		if err := LionessDecrypt(key, ct); err != nil {
			t.Fatal(err)
		}
		same := 0
		for i := range PayloadTagSize {
			if ct[i] == block[i] {
				same++
			}
		}
		// 16 independent bytes agree on average 16/256 times; 8 or more
		// agreeing has probability below 2^-40.
		if same >= 8 {
			t.Fatalf("flipping bit %d left %d of the first 16 bytes unchanged", pos, same)
		}
	})
}

func TestFuzzSeedsPresent(t *testing.T) {
	for _, f := range []string{"unwrap_errors.json", "geometry.json", "surb.json", "lioness.json"} {
		var raw []json.RawMessage
		vectorstest.Cases(t, Descriptor, f, &raw)
		if len(raw) == 0 {
			t.Errorf("%s: no seeds", f)
		}
	}
}
