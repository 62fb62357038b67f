package session

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/strata-lab/strata/layers"
	sessionpb "github.com/strata-lab/strata/layers/session/pb"
	"google.golang.org/protobuf/proto"
)

// vectorSeeds returns byte strings from the generated vectors by kind
// ("bundle", "message", "session_state", "device_list"); it fails when
// none are found.
func vectorSeeds(t testing.TB, kind string) [][]byte {
	t.Helper()
	gen, err := GenerateVectors()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	var vf layers.VectorFile
	var dc []decodeCase
	if err := json.Unmarshal(gen["decode.json"], &vf); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(vf.Cases, &dc); err != nil {
		t.Fatal(err)
	}
	for _, c := range dc {
		if c.Kind == kind {
			b, _ := hex.DecodeString(c.Data)
			out = append(out, b)
		}
	}
	var hc []handshakeCase
	if err := json.Unmarshal(gen["handshake.json"], &vf); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(vf.Cases, &hc); err != nil {
		t.Fatal(err)
	}
	for _, c := range hc {
		switch kind {
		case "bundle":
			b, _ := hex.DecodeString(c.Bundle)
			out = append(out, b)
		case "message":
			b, _ := hex.DecodeString(c.Initial)
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s seeds in the vectors", kind)
	}
	return out
}

// classified reports whether err wraps one of the package's sentinels.
func classified(err error) bool {
	return err == nil || ErrorName(err)[:3] == "Err"
}

// FuzzParseBundle: a bundle either fails with a classified error or
// parses; then its canonical re-encoding parses to an equal Bundle
// (decode→encode→decode stability).
func FuzzParseBundle(f *testing.F) {
	for _, b := range vectorSeeds(f, "bundle") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBundle(data)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		var pb sessionpb.PrekeyBundle
		if err := proto.Unmarshal(data, &pb); err != nil {
			t.Fatal(err)
		}
		re, err := proto.MarshalOptions{Deterministic: true}.Marshal(&pb)
		if err != nil {
			t.Fatal(err)
		}
		b2, err := ParseBundle(re)
		if err != nil {
			t.Fatalf("re-encoded bundle fails: %v", err)
		}
		if !reflect.DeepEqual(b, b2) {
			t.Fatal("re-encoded bundle parses differently")
		}
	})
}

// FuzzDecodeMessage: a message either fails to split with ErrMalformed
// or splits into parts that concatenate back to it; a header either fails
// or re-encodes to the same bytes; and feeding the bytes to a live
// session either fails with a classified error, leaving the state
// unchanged, or (for the seed messages) succeeds.
func FuzzDecodeMessage(f *testing.F) {
	for _, b := range vectorSeeds(f, "message") {
		f.Add(b)
	}
	cfg := DefaultConfig()
	sa, sb := pair(f, "fuzz-message", cfg)
	f.Add(mustEnc(f, sa, "seed"))
	snap := sb.Marshal()
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := parseMessage(data); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unclassified: %v", err)
			}
		} else {
			if !bytes.Equal(append(bytes.Clone(m.prefix), m.body...), data) {
				t.Fatal("parts do not concatenate to the message")
			}
			if h, err := parseHeader(m.typ, m.encHeader[:len(m.encHeader)-TagSize]); err == nil {
				if !bytes.Equal(h.marshal(), m.encHeader[:len(m.encHeader)-TagSize]) {
					t.Fatal("header does not re-encode to its bytes")
				}
			} else if !errors.Is(err, ErrMalformed) {
				t.Fatalf("header: unclassified: %v", err)
			}
		}
		if len(data) > 0 && data[0] == TypeInitial {
			if _, err := parseInitial(data); !classified(err) {
				t.Fatalf("initial: unclassified: %v", err)
			}
		}
		s, err := Unmarshal(snap)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Decrypt(NewSeededReader("x"), cfg, t0, data); err != nil {
			if !classified(err) {
				t.Fatalf("decrypt: unclassified: %v", err)
			}
			if !bytes.Equal(s.Marshal(), snap) {
				t.Fatal("state changed after a rejected message")
			}
		}
	})
}

// FuzzSessionState: Unmarshal either fails with a classified error or
// accepts only the canonical encoding (Marshal returns the input).
func FuzzSessionState(f *testing.F) {
	for _, b := range vectorSeeds(f, "session_state") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Unmarshal(data)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified: %v", err)
			}
			return
		}
		if !bytes.Equal(s.Marshal(), data) {
			t.Fatal("accepted a non-canonical state")
		}
	})
}

// FuzzDeviceList: a device list either fails with a classified error or
// parses, and its re-encoding parses to an equal list.
func FuzzDeviceList(f *testing.F) {
	for _, b := range vectorSeeds(f, "device_list") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseDeviceList(data)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified: %v", err)
			}
			return
		}
		var pb sessionpb.DeviceList
		_ = proto.Unmarshal(data, &pb)
		re, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&pb)
		l2, err := ParseDeviceList(re)
		if err != nil || !reflect.DeepEqual(l, l2) {
			t.Fatalf("re-encoded list differs: %v", err)
		}
	})
}

// FuzzRatchet drives a conversation from the fuzz input: each byte picks
// an action (Alice or Bob sends; deliver, duplicate, drop or tamper with a
// pending message, chosen by the next byte). Oracle: every untampered
// message decrypts exactly once to its plaintext, every second delivery
// and every tampered message is rejected, and a rejection leaves the
// serialized session unchanged.
func FuzzRatchet(f *testing.F) {
	f.Add([]byte{0, 2, 0, 1, 2, 0, 0, 1, 3, 0, 2, 1})
	f.Add([]byte{0, 0, 0, 2, 2, 2, 1, 1, 1, 2, 4, 2, 5, 2, 3, 0, 2})
	f.Add([]byte{0, 4, 0, 2, 0, 5, 1, 1, 1, 3, 0, 3, 1, 2, 0, 2, 0, 2, 0})
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 96 {
			script = script[:96]
		}
		cfg := DefaultConfig()
		cfg.PQInterval = 2
		cfg.MaxSkippedChains = maxSkippedChainsLimit
		r := NewSeededReader("fuzz-ratchet")
		alice, _ := NewDevice(r)
		bob, _ := NewDevice(r)
		_ = bob.AddOneTimePrekeys(r, 1)
		bundle, _ := bob.Bundle()
		sa, err := Initiate(r, alice, bundle)
		if err != nil {
			t.Fatal(err)
		}
		var sb *Session
		type msg struct {
			to        string
			data, pt  []byte
			delivered bool
		}
		var sent []*msg
		count := 0
		deliver := func(m *msg, data []byte, tampered bool) {
			var pt []byte
			var err error
			var s *Session
			var before []byte
			if m.to == "bob" && sb == nil {
				var ns *Session
				ns, pt, err = bob.Respond(r, cfg, t0, data)
				if err == nil {
					sb = ns
				}
			} else {
				s = sa
				if m.to == "bob" {
					s = sb
				}
				before = s.Marshal()
				pt, err = s.Decrypt(r, cfg, t0, data)
			}
			switch {
			case tampered || m.delivered:
				if err == nil {
					t.Fatalf("tampered=%v repeated=%v message accepted", tampered, m.delivered)
				}
			case err != nil:
				t.Fatalf("untampered first delivery rejected: %v", err)
			case !bytes.Equal(pt, m.pt):
				t.Fatal("wrong plaintext")
			}
			if err != nil && s != nil && !bytes.Equal(before, s.Marshal()) {
				t.Fatal("state changed after a rejection")
			}
			if err != nil && !classified(err) {
				t.Fatalf("unclassified: %v", err)
			}
			if err == nil {
				m.delivered = true
			}
		}
		for i := 0; i < len(script); i++ {
			op := script[i] % 6
			var pick int
			if op >= 2 && i+1 < len(script) {
				i++
				pick = int(script[i])
			}
			switch op {
			case 0, 1:
				from, to, s := "alice", "bob", sa
				if op == 1 {
					from, to, s = "bob", "alice", sb
				}
				if s == nil {
					continue
				}
				pt := []byte(fmt.Sprintf("%s-%d", from, count))
				count++
				c, err := s.Encrypt(pt)
				if err != nil {
					t.Fatal(err)
				}
				sent = append(sent, &msg{to: to, data: c, pt: pt})
			case 2, 3, 4: // deliver (duplicates included)
				if len(sent) == 0 {
					continue
				}
				m := sent[pick%len(sent)]
				deliver(m, m.data, false)
			case 5: // tamper
				if len(sent) == 0 {
					continue
				}
				m := sent[pick%len(sent)]
				bad := bytes.Clone(m.data)
				bad[(pick*7919)%len(bad)] ^= byte(1 << (pick % 8))
				deliver(m, bad, true)
			}
		}
	})
}

// FuzzDeviceState: UnmarshalDevice either fails with a classified error or
// accepts only the canonical encoding.
func FuzzDeviceState(f *testing.F) {
	for _, b := range vectorSeeds(f, "device_state") {
		f.Add(b)
	}
	r := NewSeededReader("fuzz-device")
	d, _ := NewDevice(r)
	f.Add(d.Marshal())
	_ = d.AddOneTimePrekeys(r, 2)
	f.Add(d.Marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := UnmarshalDevice(data)
		if err != nil {
			if !classified(err) {
				t.Fatalf("unclassified: %v", err)
			}
			return
		}
		if !bytes.Equal(d.Marshal(), data) {
			t.Fatal("accepted a non-canonical device state")
		}
	})
}
