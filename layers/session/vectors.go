package session

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/strata-lab/strata/layers"
	sessionpb "github.com/strata-lab/strata/layers/session/pb"
)

const expectValid = layers.ExpectValid

// errorNames maps the sentinels a vector may expect to their names.
var errorNames = layers.ErrorNames{
	{Name: "ErrVersion", Err: ErrVersion}, {Name: "ErrBadSignature", Err: ErrBadSignature}, {Name: "ErrLowOrderKey", Err: ErrLowOrderKey},
	{Name: "ErrDecrypt", Err: ErrDecrypt}, {Name: "ErrTooManySkipped", Err: ErrTooManySkipped}, {Name: "ErrDuplicate", Err: ErrDuplicate}, {Name: "ErrRollback", Err: ErrRollback},
	{Name: "ErrUnknownPrekey", Err: ErrUnknownPrekey}, {Name: "ErrTooLarge", Err: ErrTooLarge}, {Name: "ErrStaleDeviceList", Err: ErrStaleDeviceList},
	{Name: "ErrUnknownDevice", Err: ErrUnknownDevice}, {Name: "ErrConfig", Err: ErrConfig}, {Name: "ErrRandom", Err: ErrRandom}, {Name: "ErrMalformed", Err: ErrMalformed},
}

// ErrorName names the sentinel err wraps ("valid" for nil).
func ErrorName(err error) string { return errorNames.Name(err) }

// recorder records every byte drawn from r.
type recorder struct {
	r   io.Reader
	got []byte
}

func (c *recorder) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.got = append(c.got, p[:n]...)
	return n, err
}

// sources returns Alice's and Bob's randomness for a case: the recorded
// bytes when checking, fresh seeded streams when generating.
func sources(seed, aliceRandom, bobRandom string, check bool) (ra, rb *recorder, err error) {
	if !check {
		aliceRandom, bobRandom = "", ""
	}
	if ra, err = source(seed+"/alice", aliceRandom); err != nil {
		return nil, nil, err
	}
	if rb, err = source(seed+"/bob", bobRandom); err != nil {
		return nil, nil, err
	}
	return ra, rb, nil
}

// source returns the reader a case runs with: the seeded stream when
// generating (recorded is nil), the recorded bytes when checking.
func source(seed string, recorded string) (*recorder, error) {
	if recorded == "" {
		return &recorder{r: NewSeededReader(seed)}, nil
	}
	b, err := hex.DecodeString(recorded)
	if err != nil {
		return nil, err
	}
	return &recorder{r: bytes.NewReader(b)}, nil
}

func hx(b []byte) string { return hex.EncodeToString(b) }

// ---- handshake.json ----

type handshakeCase struct {
	Name        string            `json:"name"`
	Seed        string            `json:"seed"`
	OneTime     bool              `json:"one_time_prekey"`
	Mutation    string            `json:"mutation"`
	Plaintext   string            `json:"plaintext"`
	AliceRandom string            `json:"alice_random"`
	BobRandom   string            `json:"bob_random"`
	AliceID     string            `json:"alice_identity"`
	BobID       string            `json:"bob_identity"`
	Bundle      string            `json:"bundle"`
	Initial     string            `json:"initial_message"`
	Keys        map[string]string `json:"keys"`
	DH          []string          `json:"dh_outputs"`
	KEMSecret   string            `json:"kem_shared_secret"`
	SK          string            `json:"sk"`
	HKa         string            `json:"hk_a"`
	NHKb        string            `json:"nhk_b"`
	AD          string            `json:"ad"`
	Received    string            `json:"received"`
	Expect      string            `json:"expect"`
}

func identityHex(p IdentityPublic) string { return hx(append(p.DH[:], p.Sign[:]...)) }

// runHandshake runs a handshake case; with check set it replays the
// recorded random bytes.
func runHandshake(in handshakeCase, check bool) (handshakeCase, error) {
	out := handshakeCase{Name: in.Name, Seed: in.Seed, OneTime: in.OneTime, Mutation: in.Mutation, Plaintext: in.Plaintext}
	ra, rb, err := sources(in.Seed, in.AliceRandom, in.BobRandom, check)
	if err != nil {
		return out, err
	}
	pt, err := hex.DecodeString(in.Plaintext)
	if err != nil {
		return out, err
	}
	var runErr error
	func() {
		alice, err := NewDevice(ra)
		if err != nil {
			runErr = err
			return
		}
		bob, err := NewDevice(rb)
		if err != nil {
			runErr = err
			return
		}
		if in.OneTime {
			if runErr = bob.AddOneTimePrekeys(rb, 1); runErr != nil {
				return
			}
		}
		out.AliceID, out.BobID = identityHex(alice.id.pub), identityHex(bob.id.pub)
		bundle, err := bob.Bundle()
		if err != nil {
			runErr = err
			return
		}
		bundle = mutateBundle(in.Mutation, bundle, bob)
		out.Bundle = hx(bundle)
		b, err := ParseBundle(bundle)
		if err != nil {
			runErr = err
			return
		}
		sa, sec, err := initiate(ra, alice.id, b)
		if err != nil {
			runErr = err
			return
		}
		out.SK, out.HKa, out.NHKb = hx(sec.SK[:]), hx(sec.HKa[:]), hx(sec.NHKb[:])
		out.KEMSecret = hx(sec.KEMSecret[:])
		for _, d := range sec.DH[:sec.NDH] {
			out.DH = append(out.DH, hx(d[:]))
		}
		ad := sa.ad()
		out.AD = hx(ad[:])
		m, err := sa.Encrypt(pt)
		if err != nil {
			runErr = err
			return
		}
		m = mutateInitial(in.Mutation, m)
		out.Initial = hx(m)
		cfg := DefaultConfig()
		if in.Mutation == "replay-initial" {
			if _, _, _, err := bob.respond(rb, cfg, vectorTime, m, false); err != nil {
				runErr = err
				return
			}
		}
		_, bsec, got, err := bob.respond(rb, cfg, vectorTime, m, false)
		if err != nil {
			runErr = err
			return
		}
		if bsec != sec {
			runErr = fmt.Errorf("initiator and responder derived different secrets")
			return
		}
		out.Received = hx(got)
	}()
	out.AliceRandom, out.BobRandom = hx(ra.got), hx(rb.got)
	out.Keys = namedKeys(ra.got, rb.got, in.OneTime)
	out.Expect = ErrorName(runErr)
	return out, nil
}

// namedKeys slices the random streams into the keys they become
// (SPEC.md, "Keys and draw order").
func namedKeys(a, b []byte, oneTime bool) map[string]string {
	keys := map[string]string{}
	take := func(stream []byte, name string, off, n int) {
		if len(stream) >= off+n {
			keys[name] = hx(stream[off : off+n])
		}
	}
	for _, p := range []struct {
		who    string
		stream []byte
	}{{"alice", a}, {"bob", b}} {
		take(p.stream, p.who+"_identity_x25519_private", 0, 32)
		take(p.stream, p.who+"_identity_ed25519_seed", 32, 32)
		take(p.stream, p.who+"_signed_prekey_private", 64, 32)
		take(p.stream, p.who+"_last_resort_mlkem_seed", 96, 64)
	}
	take(a, "alice_ephemeral_private", 160, 32) // also her first ratchet key
	take(a, "alice_encapsulation_m", 192, 32)
	if oneTime {
		take(b, "bob_one_time_prekey_private", 160, 32)
		take(b, "bob_one_time_mlkem_seed", 192, 64)
	}
	return keys
}

var vectorTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mutateBundle(mutation string, bundle []byte, bob *Device) []byte {
	var pb sessionpb.PrekeyBundle
	if proto.Unmarshal(bundle, &pb) != nil {
		return bundle
	}
	switch mutation {
	case "bundle-bad-signature":
		pb.Signature[0] ^= 1
	case "bundle-kem-key":
		pb.KemPrekey.PublicKey[5] ^= 1
	case "bundle-spk-swapped":
		// a signed prekey the device never signed with this ML-KEM key
		pb.SignedPrekey.PublicKey = pb.OneTimePrekey.PublicKey
	case "bundle-last-resort-flag":
		pb.KemPrekey.LastResort = !pb.KemPrekey.LastResort
	case "bundle-low-order-spk":
		pb.SignedPrekey.PublicKey = lowOrder[2][:]
	case "bundle-version-2":
		pb.Version = 2
	case "bundle-short-key":
		pb.IdentityDh = pb.IdentityDh[:31]
	default:
		return bundle
	}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&pb)
	return b
}

func mutateInitial(mutation string, m []byte) []byte {
	switch mutation {
	case "initial-low-order-ephemeral", "initial-kem-ciphertext", "initial-version-2", "initial-body":
	default:
		return m
	}
	var pb sessionpb.InitialMessage
	if proto.Unmarshal(m[1:], &pb) != nil {
		return m
	}
	switch mutation {
	case "initial-low-order-ephemeral":
		pb.Ephemeral = lowOrder[3][:]
	case "initial-kem-ciphertext":
		pb.KemCiphertext[0] ^= 1
	case "initial-version-2":
		pb.Version = 2
	case "initial-body":
		pb.Message[len(pb.Message)-1] ^= 1
	}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&pb)
	return append([]byte{TypeInitial}, b...)
}

func genHandshakeCases() (any, error) {
	specs := []handshakeCase{
		{Name: "with-one-time-prekey", Seed: "hs-1", OneTime: true, Plaintext: hx([]byte("hello, bob"))},
		{Name: "last-resort-only", Seed: "hs-2", Plaintext: hx([]byte("no one-time keys left"))},
		{Name: "empty-plaintext", Seed: "hs-3", OneTime: true},
		{Name: "bad-bundle-signature", Seed: "hs-4", OneTime: true, Mutation: "bundle-bad-signature"},
		{Name: "kem-prekey-altered", Seed: "hs-5", Mutation: "bundle-kem-key"},
		{Name: "signed-prekey-swapped", Seed: "hs-15", OneTime: true, Mutation: "bundle-spk-swapped"},
		{Name: "last-resort-flag-flipped", Seed: "hs-6", Mutation: "bundle-last-resort-flag"},
		{Name: "low-order-spk", Seed: "hs-7", Mutation: "bundle-low-order-spk"},
		{Name: "bundle-version-2", Seed: "hs-8", Mutation: "bundle-version-2"},
		{Name: "bundle-short-identity", Seed: "hs-9", Mutation: "bundle-short-key"},
		{Name: "low-order-ephemeral", Seed: "hs-10", Mutation: "initial-low-order-ephemeral"},
		{Name: "kem-ciphertext-altered", Seed: "hs-11", Mutation: "initial-kem-ciphertext"},
		{Name: "initial-version-2", Seed: "hs-12", Mutation: "initial-version-2"},
		{Name: "first-message-altered", Seed: "hs-13", Mutation: "initial-body"},
		{Name: "replayed-initial-one-time-consumed", Seed: "hs-14", OneTime: true, Mutation: "replay-initial"},
	}
	var out []handshakeCase
	for _, s := range specs {
		c, err := runHandshake(s, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// ---- ratchet.json ----

// ratchetStep is one step of a transcript. "send": side encrypts
// plaintext; the outputs are the message and, for header encryption, the
// header key, plaintext header and message key used. "recv": side decrypts
// message number msg (0-based among sends), with byte flip (if ≥ 0) XORed
// with 0x01; state_unchanged records that a rejection left the serialized
// session byte for byte equal.
type ratchetStep struct {
	Op        string `json:"op"`
	Side      string `json:"side"`
	Plaintext string `json:"plaintext,omitempty"`
	Msg       int    `json:"msg"`
	Flip      int    `json:"flip"`
	Message   string `json:"message,omitempty"`
	HK        string `json:"header_key,omitempty"`
	Header    string `json:"header,omitempty"`
	MK        string `json:"message_key,omitempty"`
	Unchanged bool   `json:"state_unchanged,omitempty"`
	Expect    string `json:"expect"`
}

type ratchetCase struct {
	Name        string        `json:"name"`
	Seed        string        `json:"seed"`
	PQInterval  int           `json:"pq_interval"`
	MaxSkip     int           `json:"max_skip"`
	MaxStored   int           `json:"max_stored_keys"`
	AliceRandom string        `json:"alice_random"`
	BobRandom   string        `json:"bob_random"`
	AD          string        `json:"ad"`
	Steps       []ratchetStep `json:"steps"`
	FinalAlice  string        `json:"final_state_alice_sha256"`
	FinalBob    string        `json:"final_state_bob_sha256"`
	Expect      string        `json:"expect"`
}

func runRatchet(in ratchetCase, check bool) (ratchetCase, error) {
	out := in
	out.Steps = nil
	ra, rb, err := sources(in.Seed, in.AliceRandom, in.BobRandom, check)
	if err != nil {
		return out, err
	}
	cfg := DefaultConfig()
	cfg.PQInterval, cfg.MaxSkip, cfg.MaxStoredKeys = in.PQInterval, in.MaxSkip, in.MaxStored
	if err := cfg.Validate(); err != nil {
		return out, err
	}
	runErr := func() error {
		alice, err := NewDevice(ra)
		if err != nil {
			return err
		}
		bob, err := NewDevice(rb)
		if err != nil {
			return err
		}
		bundle, err := bob.Bundle()
		if err != nil {
			return err
		}
		sa, err := Initiate(ra, alice, bundle)
		if err != nil {
			return err
		}
		ad := sa.ad()
		out.AD = hx(ad[:])
		var sb *Session
		sess := func(side string) *Session {
			if side == "alice" {
				return sa
			}
			return sb
		}
		rnd := func(side string) io.Reader {
			if side == "alice" {
				return ra
			}
			return rb
		}
		var sent [][]byte
		for _, st := range in.Steps {
			o := ratchetStep{Op: st.Op, Side: st.Side, Plaintext: st.Plaintext, Msg: st.Msg, Flip: st.Flip}
			switch st.Op {
			case "send":
				s := sess(st.Side)
				if s == nil {
					return fmt.Errorf("bob sends before he has a session")
				}
				pt, err := hex.DecodeString(st.Plaintext)
				if err != nil {
					return err
				}
				hk, mk, hdr := s.peekSend()
				m, err := s.Encrypt(pt)
				o.Expect = ErrorName(err)
				if err == nil {
					o.Message, o.HK, o.Header, o.MK = hx(m), hx(hk[:]), hx(hdr), hx(mk[:])
				}
				sent = append(sent, m)
			case "recv":
				if st.Msg < 0 || st.Msg >= len(sent) || sent[st.Msg] == nil {
					return fmt.Errorf("step receives unknown message %d", st.Msg)
				}
				m := bytes.Clone(sent[st.Msg])
				if st.Flip >= 0 {
					if st.Flip >= len(m) {
						return fmt.Errorf("flip %d outside message", st.Flip)
					}
					m[st.Flip] ^= 1
				}
				if st.Side == "bob" && sb == nil {
					s, pt, err := bob.Respond(rb, cfg, vectorTime, m)
					o.Expect = ErrorName(err)
					if err == nil {
						sb, o.Plaintext = s, hx(pt)
					}
					break
				}
				s := sess(st.Side)
				before := s.Marshal()
				pt, err := s.Decrypt(rnd(st.Side), cfg, vectorTime, m)
				o.Expect = ErrorName(err)
				if err == nil {
					o.Plaintext = hx(pt)
				} else {
					o.Unchanged = bytes.Equal(before, s.Marshal())
				}
			default:
				return fmt.Errorf("unknown op %q", st.Op)
			}
			out.Steps = append(out.Steps, o)
		}
		out.FinalAlice = stateDigest(sa)
		out.FinalBob = stateDigest(sb)
		return nil
	}()
	out.AliceRandom, out.BobRandom = hx(ra.got), hx(rb.got)
	out.Expect = ErrorName(runErr)
	return out, nil
}

func stateDigest(s *Session) string {
	if s == nil {
		return ""
	}
	return hx(sha256Sum(s.Marshal()))
}

// peekSend returns the header key, message key and plaintext header the
// next Encrypt will use (for vectors).
func (s *Session) peekSend() (hk, mk [KeySize]byte, hdr []byte) {
	mk, _, _ = kdfCK(s.cks)
	h := header{dh: s.dhs.pub, pn: s.pn, n: s.ns, pq: s.sendPQ}
	if s.sendPQ {
		h.ek, h.hasCT, h.ct = s.ownEK, s.pendingCT != nil, s.pendingCT
	}
	return s.hks, mk, h.marshal()
}

func send(side, text string) ratchetStep {
	return ratchetStep{Op: "send", Side: side, Plaintext: hx([]byte(text)), Flip: -1}
}
func recv(side string, msg int) ratchetStep {
	return ratchetStep{Op: "recv", Side: side, Msg: msg, Flip: -1}
}
func recvFlip(side string, msg, flip int) ratchetStep {
	return ratchetStep{Op: "recv", Side: side, Msg: msg, Flip: flip}
}

func genRatchetCases() (any, error) {
	specs := []ratchetCase{
		{Name: "ping-pong-pq-every-step", Seed: "dr-1", PQInterval: 1, MaxSkip: 100, MaxStored: 100, Steps: []ratchetStep{
			send("alice", "a0"), recv("bob", 0), send("bob", "b0"), recv("alice", 1), send("alice", "a1"), recv("bob", 2),
			send("bob", "b1"), recv("alice", 3), send("alice", "a2"), recv("bob", 4),
		}},
		{Name: "out-of-order-and-duplicates", Seed: "dr-2", PQInterval: 4, MaxSkip: 100, MaxStored: 100, Steps: []ratchetStep{
			send("alice", "a0"), recv("bob", 0), send("bob", "b0"), send("bob", "b1"), send("bob", "b2"),
			recv("alice", 3), recv("alice", 1), recv("alice", 1), recv("alice", 2), recv("alice", 3),
			send("alice", "a1"), recv("bob", 4), recv("bob", 0),
		}},
		{Name: "skipped-across-chains", Seed: "dr-3", PQInterval: 2, MaxSkip: 100, MaxStored: 100, Steps: []ratchetStep{
			send("alice", "a0"), recv("bob", 0), send("bob", "b0"), send("bob", "b1"), recv("alice", 1),
			send("alice", "a1"), recv("bob", 3), send("bob", "b2"), recv("alice", 4), recv("alice", 2),
		}},
		{Name: "tampered-rejected-state-unchanged", Seed: "dr-4", PQInterval: 4, MaxSkip: 100, MaxStored: 100, Steps: []ratchetStep{
			send("alice", "a0"), recv("bob", 0), send("bob", "b0"),
			recvFlip("alice", 1, 0), recvFlip("alice", 1, 5), recvFlip("alice", 1, 40), recvFlip("alice", 1, 100), recvFlip("alice", 1, 150),
			recv("alice", 1), send("alice", "a1"), recvFlip("bob", 2, 13), recv("bob", 2),
		}},
		{Name: "too-many-skipped", Seed: "dr-5", PQInterval: 4, MaxSkip: 3, MaxStored: 2, Steps: []ratchetStep{
			send("alice", "a0"), recv("bob", 0), send("bob", "b0"), send("bob", "b1"), send("bob", "b2"), send("bob", "b3"), send("bob", "b4"),
			recv("alice", 5), recv("alice", 4), recv("alice", 1), recv("alice", 2), recv("alice", 3), recv("alice", 5),
		}},
		{Name: "initial-messages-repeat-until-answer", Seed: "dr-6", PQInterval: 4, MaxSkip: 100, MaxStored: 100, Steps: []ratchetStep{
			send("alice", "a0"), send("alice", "a1"), send("alice", "a2"), recv("bob", 1), recv("bob", 2), recv("bob", 0),
			send("bob", "b0"), recv("alice", 3), send("alice", "a3"), recv("bob", 4),
		}},
	}
	var out []ratchetCase
	for _, s := range specs {
		c, err := runRatchet(s, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		if c.Expect != expectValid {
			return nil, fmt.Errorf("%s: transcript failed: %s", s.Name, c.Expect)
		}
		out = append(out, c)
	}
	return out, nil
}

// ---- decode.json: messages, session states and device lists ----

type decodeCase struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // "session_state", "device_list", "message"
	Data   string `json:"data"`
	Expect string `json:"expect"`
}

func decodeOne(kind string, b []byte) error {
	switch kind {
	case "session_state":
		s, err := Unmarshal(b)
		if err == nil && !bytes.Equal(s.Marshal(), b) {
			return fmt.Errorf("not canonical")
		}
		return err
	case "device_list":
		_, err := ParseDeviceList(b)
		return err
	case "message":
		if len(b) > 0 && b[0] == TypeInitial {
			_, err := parseInitial(b)
			return err
		}
		_, err := parseMessage(b)
		return err
	case "bundle":
		_, err := ParseBundle(b)
		return err
	case "device_state":
		d, err := UnmarshalDevice(b)
		if err == nil && !bytes.Equal(d.Marshal(), b) {
			return fmt.Errorf("not canonical")
		}
		return err
	}
	return fmt.Errorf("unknown kind %q", kind)
}

func genDecodeCases() (any, error) {
	r := NewSeededReader("decode")
	cfg := DefaultConfig()
	alice, _ := NewDevice(r)
	bob, _ := NewDevice(r)
	bundle, _ := bob.Bundle()
	sa, err := Initiate(r, alice, bundle)
	if err != nil {
		return nil, err
	}
	m0, _ := sa.Encrypt([]byte("x"))
	sb, _, err := bob.Respond(r, cfg, vectorTime, m0)
	if err != nil {
		return nil, err
	}
	m1, _ := sb.Encrypt([]byte("y"))
	if _, err := sa.Decrypt(r, cfg, vectorTime, m1); err != nil {
		return nil, err
	}
	m2, _ := sa.Encrypt([]byte("z"))
	st := sb.Marshal()
	user, _ := NewUserKey(r)
	dl, _ := user.SignDeviceList(7, []DeviceEntry{{ID: DeviceID{1}, Identity: alice.id.pub}, {ID: DeviceID{2}, Identity: bob.id.pub}})
	badSig := bytes.Clone(dl)
	badSig[len(badSig)-1] ^= 1
	var dlpb sessionpb.DeviceList
	_ = proto.Unmarshal(dl, &dlpb)
	dlpb.Devices[0], dlpb.Devices[1] = dlpb.Devices[1], dlpb.Devices[0]
	unsorted, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&dlpb)
	dlpb.Devices[0], dlpb.Devices[1] = dlpb.Devices[1], dlpb.Devices[0]
	dlpb.Version = 2
	v2, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&dlpb)
	stV2 := bytes.Clone(st)
	stV2[4] = 2
	stFlags := bytes.Clone(st)
	stFlags[5] |= 0x80
	badType := bytes.Clone(m2)
	badType[0] = 0x07
	cases := []decodeCase{
		{"state-responder", "session_state", hx(st), ""},
		{"state-initiator", "session_state", hx(sa.Marshal()), ""},
		{"state-truncated", "session_state", hx(st[:len(st)-1]), ""},
		{"state-version-2", "session_state", hx(stV2), ""},
		{"state-unknown-flag", "session_state", hx(stFlags), ""},
		{"state-bad-magic", "session_state", hx(append([]byte("XXXX"), st[4:]...)), ""},
		{"device-list", "device_list", hx(dl), ""},
		{"device-list-bad-signature", "device_list", hx(badSig), ""},
		{"device-list-unsorted", "device_list", hx(unsorted), ""},
		{"device-list-version-2", "device_list", hx(v2), ""},
		{"bundle", "bundle", hx(bundle), ""},
		{"message-initial", "message", hx(m0), ""},
		{"message-classic", "message", hx(m1), ""},
		{"message-unknown-type", "message", hx(badType), ""},
		{"message-truncated", "message", hx(m2[:len(m2)-1]), ""},
		{"message-empty", "message", "", ""},
		{"device-state", "device_state", hx(bob.Marshal()), ""},
		{"device-state-trailing-byte", "device_state", hx(append(bob.Marshal(), 0)), ""},
		{"device-state-version-2", "device_state", hx(append([]byte("STRD\x02"), bob.Marshal()[5:]...)), ""},
	}
	for i := range cases {
		b, _ := hex.DecodeString(cases[i].Data)
		cases[i].Expect = ErrorName(decodeOne(cases[i].Kind, b))
	}
	return cases, nil
}

// vectorSet lists the layer's vector files (SPEC.md, "Test vectors").
var vectorSet = layers.VectorSet{Layer: "session", Files: []layers.VectorFileSpec{
	{Name: "handshake.json", Description: "PQXDH-shaped handshakes (SPEC.md, Handshake): every random byte each side draws, in order, the bundle, the initial message, the derived SK/HKa/NHKb, the associated data, and the outcome; invalid cases alter one field.",
		Generate: genHandshakeCases, Check: layers.CheckCases(func(c handshakeCase) error { return rerun(c, c.Name, runHandshake) })},
	{Name: "ratchet.json", Description: "Double Ratchet transcripts with header encryption (SPEC.md, Ratchet): per sent message the header key, plaintext header and message key; per received message the plaintext or the error, and whether a rejection left the state unchanged.",
		Generate: genRatchetCases, Check: layers.CheckCases(func(c ratchetCase) error { return rerun(c, c.Name, runRatchet) })},
	{Name: "decode.json", Description: "Decoder cases for session states, device states, device lists, bundles and messages: valid, or the sentinel error a decoder must return.",
		Generate: genDecodeCases, Check: layers.CheckCases(func(c decodeCase) error {
			b, err := hex.DecodeString(c.Data)
			if err != nil {
				return fmt.Errorf("%s: %w", c.Name, err)
			}
			if got := ErrorName(decodeOne(c.Kind, b)); got != c.Expect {
				return fmt.Errorf("%s: decoding gives %s, vector expects %s", c.Name, got, c.Expect)
			}
			return nil
		})},
}}

// GenerateVectors computes every vector file of the layer.
func GenerateVectors() (map[string][]byte, error) { return vectorSet.Generate() }

// CheckVector verifies one vector file: every case is re-run from its
// recorded inputs and must reproduce every recorded output and outcome.
func CheckVector(name string, data []byte) error { return vectorSet.Check(name, data) }

// rerun replays a case from its recorded inputs and compares the whole
// result with the recorded case.
func rerun[C any](c C, name string, run func(C, bool) (C, error)) error {
	got, err := run(c, true)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(c)
	if !bytes.Equal(a, b) {
		return fmt.Errorf("%s: re-running the case gives different results (first difference at byte %d)", name, firstDiff(a, b))
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
