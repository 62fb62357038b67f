package sphinx

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// vectorEpoch is the key epoch of every vector (its low byte, 0x2a, is
// the header's epoch byte).
const vectorEpoch = 42

// pathHop is one hop of a vector path: the node's id and key seed, and the
// public key derived from the seed.
type pathHop struct {
	ID        string `json:"id"`
	NodeSeed  string `json:"node_seed"`
	PublicKey string `json:"public_key"`
	DelayMs   uint32 `json:"delay_ms"`
}

// hopResult is what one hop's unwrap gives.
type hopResult struct {
	SharedSecret string `json:"shared_secret"`
	StreamKey    string `json:"stream_key"`
	ReplayTag    string `json:"replay_tag"`
	Action       string `json:"action"`
	DelayMs      uint32 `json:"delay_ms"`
	NextHop      string `json:"next_hop,omitempty"`
	Packet       string `json:"packet,omitempty"`
	Recipient    string `json:"recipient,omitempty"`
	Payload      string `json:"payload,omitempty"`
	SURBID       string `json:"surb_id,omitempty"`
	SURB         string `json:"surb,omitempty"`
}

// vectorPath makes n hops with ids and key seeds drawn from a stream named
// after the case, and delays of 10·(i+1)+i ms.
func vectorPath(name string, mode Mode, n int) []pathHop {
	r := seededReader(name + "/nodes")
	sl, _ := seedSize(mode)
	var out []pathHop
	for i := range n {
		id, seed := make([]byte, NodeIDSize), make([]byte, sl)
		io.ReadFull(r, id)
		io.ReadFull(r, seed)
		out = append(out, pathHop{ID: hx(id), NodeSeed: hx(seed), DelayMs: uint32(10*(i+1) + i)})
	}
	return out
}

// loadPath derives the node keys of a vector path and fills in the public
// keys.
func loadPath(g Geometry, in []pathHop) ([]pathHop, []Hop, []*NodeKey, error) {
	var out []pathHop
	var hops []Hop
	var keys []*NodeKey
	for _, p := range in {
		id, err := unhex(p.ID)
		if err != nil {
			return nil, nil, nil, err
		}
		seed, err := unhex(p.NodeSeed)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(id) != NodeIDSize {
			return nil, nil, nil, fmt.Errorf("node id of %d bytes", len(id))
		}
		k, err := NodeKeyFromSeed(g.Mode, seed, vectorEpoch)
		if err != nil {
			return nil, nil, nil, err
		}
		h := Hop{ID: NodeID(id), PublicKey: k.PublicKey(), Epoch: vectorEpoch, Delay: time.Duration(p.DelayMs) * time.Millisecond}
		out = append(out, pathHop{ID: p.ID, NodeSeed: p.NodeSeed, PublicKey: hx(h.PublicKey), DelayMs: p.DelayMs})
		hops = append(hops, h)
		keys = append(keys, k)
	}
	return out, hops, keys, nil
}

func parseGeometryHex(s string) (Geometry, error) {
	b, err := unhex(s)
	if err != nil {
		return Geometry{}, err
	}
	return ParseGeometry(b)
}

func geometryHex(g Geometry) string {
	b, err := g.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return hx(b)
}

// routeVector unwraps pkt along hops with fresh filters and records each
// hop; it returns the results and the first error.
func routeVector(g Geometry, hops []Hop, keys []*NodeKey, pkt []byte, flipBit int) ([]hopResult, []Unwrapped, error) {
	if flipBit >= 0 {
		pkt = bytes.Clone(pkt)
		pkt[flipBit/8] ^= 1 << (flipBit % 8)
	}
	var res []hopResult
	var us []Unwrapped
	for i, k := range keys {
		f, err := NewReplayFilter(vectorEpoch, 1000, 1e-9)
		if err != nil {
			return nil, nil, err
		}
		var tr unwrapTrace
		u, err := k.unwrap(nil, g, pkt, f, &tr)
		if err != nil {
			return res, us, err
		}
		h := hopResult{SharedSecret: hx(tr.shared[:]), StreamKey: hx(tr.streamKey[:]), ReplayTag: hx(u.ReplayTag[:]),
			Action: u.Action.String(), DelayMs: uint32(u.Delay / time.Millisecond)}
		switch u.Action {
		case ActionForward:
			h.NextHop, h.Packet = hx(u.NextHop[:]), hx(u.Packet)
		case ActionDeliver:
			h.Recipient, h.Payload = hx(u.Recipient[:]), hx(u.Payload)
			if u.SURB != nil {
				b, _ := u.SURB.MarshalBinary()
				h.SURB = hx(b)
			}
		case ActionReply:
			h.Recipient, h.Payload, h.SURBID = hx(u.Recipient[:]), hx(u.Payload), hx(u.SURBID[:])
		}
		res = append(res, h)
		us = append(us, u)
		if u.Action != ActionForward {
			if i != len(keys)-1 {
				return res, us, fmt.Errorf("hop %d of %d is final", i, len(keys))
			}
			return res, us, nil
		}
		if i+1 >= len(hops) || u.NextHop != hops[i+1].ID {
			return res, us, fmt.Errorf("hop %d forwards to an unexpected node", i)
		}
		pkt = u.Packet
	}
	return res, us, fmt.Errorf("the path ended before a final hop")
}

// ---- packets.json ----

type packetCase struct {
	Name      string      `json:"name"`
	Geometry  string      `json:"geometry"`
	Path      []pathHop   `json:"path"`
	Recipient string      `json:"recipient"`
	Payload   string      `json:"payload"`
	SURB      string      `json:"surb,omitempty"`
	Random    string      `json:"random"`
	Packet    string      `json:"packet"`
	Hops      []hopResult `json:"hops"`
	Expect    string      `json:"expect"`
}

func runPacket(in packetCase, check bool) (packetCase, error) {
	out := packetCase{Name: in.Name, Geometry: in.Geometry, Recipient: in.Recipient, Payload: in.Payload, SURB: in.SURB}
	g, err := parseGeometryHex(in.Geometry)
	if err != nil {
		return out, err
	}
	var hops []Hop
	var keys []*NodeKey
	if out.Path, hops, keys, err = loadPath(g, in.Path); err != nil {
		return out, err
	}
	rb, err := unhex(in.Recipient)
	if err != nil || len(rb) != RecipientSize {
		return out, fmt.Errorf("bad recipient")
	}
	payload, err := unhex(in.Payload)
	if err != nil {
		return out, err
	}
	var surb *SURB
	if in.SURB != "" {
		b, err := unhex(in.SURB)
		if err != nil {
			return out, err
		}
		if surb, err = ParseSURB(g, b); err != nil {
			return out, err
		}
	}
	rec, br, err := source(in.Name, in.Random, check)
	if err != nil {
		return out, err
	}
	pkt, err := newPacket(rec, g, hops, Recipient(rb), surb, payload)
	out.Random = hx(rec.got)
	if err != nil {
		return out, err
	}
	if err := consumed(br); err != nil {
		return out, err
	}
	out.Packet = hx(pkt)
	var runErr error
	out.Hops, _, runErr = routeVector(g, hops, keys, pkt, -1)
	out.Expect = ErrorName(runErr)
	return out, nil
}

func genPackets() (any, error) {
	mk := func(name string, g Geometry, n int, payload []byte) packetCase {
		var rcpt [RecipientSize]byte
		copy(rcpt[:], "recipient:"+name)
		return packetCase{Name: name, Geometry: geometryHex(g), Path: vectorPath(name, g.Mode, n), Recipient: hx(rcpt[:]), Payload: hx(payload)}
	}
	def := DefaultGeometry()
	withSURB, _ := NewGeometry(3, 128, ModeX25519, true)
	kem, _ := NewGeometry(3, 128, ModeMLKEM768, false)
	ins := []packetCase{
		mk("x25519 default geometry, 5-hop path", def, 5, []byte("Sphinx packet test vector")),
		mk("x25519 default geometry, 2-hop path", def, 2, bytes.Repeat([]byte{0xA5}, def.PayloadSize)),
		mk("x25519 default geometry, 1-hop path, empty payload", def, 1, nil),
		mk("mlkem768 3 hops, 128-byte payload", kem, 3, []byte("post-quantum hop by hop")),
	}
	// A packet that carries a SURB for the reply.
	c := mk("x25519 3 hops with a SURB attached", withSURB, 3, []byte("reply to the attached SURB"))
	_, surbHops, _, err := loadPath(withSURB, vectorPath("attached surb", ModeX25519, 2))
	if err != nil {
		return nil, err
	}
	surb, _, err := NewSURB(seededReader("attached surb"), withSURB, surbHops, Recipient{0x5b})
	if err != nil {
		return nil, err
	}
	sb, _ := surb.MarshalBinary()
	c.SURB = hx(sb)
	ins = append(ins, c)
	return generate(runPacket, ins)
}

// ---- surb.json ----

type surbCase struct {
	Name         string      `json:"name"`
	Kind         string      `json:"kind"` // "reply", "parse-surb" or "parse-keys"
	Geometry     string      `json:"geometry"`
	Data         string      `json:"data,omitempty"`
	Path         []pathHop   `json:"path,omitempty"`
	Recipient    string      `json:"recipient,omitempty"`
	Random       string      `json:"random,omitempty"`
	SURB         string      `json:"surb,omitempty"`
	SURBKeys     string      `json:"surb_keys,omitempty"`
	ReplyPayload string      `json:"reply_payload,omitempty"`
	ReplyPacket  string      `json:"reply_packet,omitempty"`
	FlipBit      int         `json:"flip_bit"`
	Hops         []hopResult `json:"hops,omitempty"`
	Decrypted    string      `json:"decrypted,omitempty"`
	Expect       string      `json:"expect"`
}

func runSURB(in surbCase, check bool) (surbCase, error) {
	out := surbCase{Name: in.Name, Kind: in.Kind, Geometry: in.Geometry, Data: in.Data, FlipBit: in.FlipBit}
	g, err := parseGeometryHex(in.Geometry)
	if err != nil {
		return out, err
	}
	switch in.Kind {
	case "parse-surb", "parse-keys":
		data, err := unhex(in.Data)
		if err != nil {
			return out, err
		}
		var re []byte
		if in.Kind == "parse-surb" {
			var s *SURB
			if s, err = ParseSURB(g, data); err == nil {
				re, _ = s.MarshalBinary()
			}
		} else {
			var k *SURBKeys
			if k, err = ParseSURBKeys(data); err == nil {
				re, _ = k.MarshalBinary()
			}
		}
		if err == nil && !bytes.Equal(re, data) {
			return out, fmt.Errorf("decoded %s re-encodes differently", in.Kind)
		}
		out.Expect = ErrorName(err)
		return out, nil
	case "reply":
	default:
		return out, fmt.Errorf("unknown kind %q", in.Kind)
	}
	out.Recipient, out.ReplyPayload = in.Recipient, in.ReplyPayload
	var hops []Hop
	var keys []*NodeKey
	if out.Path, hops, keys, err = loadPath(g, in.Path); err != nil {
		return out, err
	}
	rb, err := unhex(in.Recipient)
	if err != nil || len(rb) != RecipientSize {
		return out, fmt.Errorf("bad recipient")
	}
	rec, br, err := source(in.Name, in.Random, check)
	if err != nil {
		return out, err
	}
	surb, sk, err := NewSURB(rec, g, hops, Recipient(rb))
	out.Random = hx(rec.got)
	if err != nil {
		return out, err
	}
	if err := consumed(br); err != nil {
		return out, err
	}
	sb, _ := surb.MarshalBinary()
	kb, _ := sk.MarshalBinary()
	out.SURB, out.SURBKeys = hx(sb), hx(kb)
	payload, err := unhex(in.ReplyPayload)
	if err != nil {
		return out, err
	}
	reply, first, err := NewPacketFromSURB(g, surb, payload)
	if err != nil {
		return out, err
	}
	if first != hops[0].ID {
		return out, fmt.Errorf("reply goes to the wrong first hop")
	}
	out.ReplyPacket = hx(reply)
	res, us, runErr := routeVector(g, hops, keys, reply, in.FlipBit)
	out.Hops = res
	if runErr == nil {
		last := us[len(us)-1]
		var pt []byte
		if pt, runErr = sk.DecryptReply(last.Payload); runErr == nil {
			out.Decrypted = hx(pt)
		}
	}
	out.Expect = ErrorName(runErr)
	return out, nil
}

func genSURBs() (any, error) {
	def := DefaultGeometry()
	withSURB, _ := NewGeometry(3, 128, ModeX25519, true)
	kem, _ := NewGeometry(3, 128, ModeMLKEM768, false)
	reply := func(name string, g Geometry, n, flip int) surbCase {
		var rcpt [RecipientSize]byte
		copy(rcpt[:], "mailbox:"+name)
		return surbCase{Name: name, Kind: "reply", Geometry: geometryHex(g), Path: vectorPath(name, g.Mode, n),
			Recipient: hx(rcpt[:]), ReplyPayload: hx([]byte("reply: " + name)), FlipBit: flip}
	}
	ins := []surbCase{
		reply("x25519 default geometry, 3-hop SURB", def, 3, -1),
		reply("x25519 default geometry, 5-hop SURB", def, 5, -1),
		reply("x25519 SURB-slot geometry, 2-hop SURB", withSURB, 2, -1),
		reply("mlkem768 3-hop SURB", kem, 3, -1),
		reply("tampered reply body", def, 3, 8*(def.HeaderSize()+100)+3),
		reply("tampered reply header", def, 3, 8*40),
	}
	// Decoding cases, from a valid SURB and key set.
	gen, err := generate(runSURB, ins)
	if err != nil {
		return nil, err
	}
	cases := gen.([]surbCase)
	s, k := cases[0].SURB, cases[0].SURBKeys
	dec := func(name, kind, data string) surbCase {
		return surbCase{Name: name, Kind: kind, Geometry: geometryHex(def), Data: data, FlipBit: -1}
	}
	badFormat := []byte(s)
	badFormat[2*(NodeIDSize+SURBKeySeedSize)+1] = '2' // format byte 0x01 → 0x02
	badHops := []byte(k)
	badHops[2*(GeometryEncodingSize+SURBIDSize+SURBKeySeedSize)+1] = '9' // 3 → 9 hops
	zeroHops := []byte(k)
	zeroHops[2*(GeometryEncodingSize+SURBIDSize+SURBKeySeedSize)+1] = '0'
	more := []surbCase{
		dec("valid SURB", "parse-surb", s),
		dec("truncated SURB", "parse-surb", s[:len(s)-2]),
		dec("SURB with a trailing byte", "parse-surb", s+"00"),
		dec("SURB header of another mode", "parse-surb", string(badFormat)),
		dec("valid SURB keys", "parse-keys", k),
		dec("truncated SURB keys", "parse-keys", k[:len(k)-2]),
		dec("SURB keys with a trailing byte", "parse-keys", k+"00"),
		dec("SURB keys with a hop count the key bytes do not match", "parse-keys", string(badHops)),
		dec("SURB keys for zero hops", "parse-keys", string(zeroHops)),
		dec("SURB keys with a bad geometry", "parse-keys", "02"+k[2:]),
	}
	for _, c := range more {
		o, err := runSURB(c, false)
		if err != nil {
			return nil, err
		}
		cases = append(cases, o)
	}
	return cases, nil
}

// ---- unwrap_errors.json ----

type unwrapCase struct {
	Name        string `json:"name"`
	Geometry    string `json:"geometry"`
	NodeSeed    string `json:"node_seed"`
	KeyEpoch    uint64 `json:"key_epoch"`
	FilterEpoch uint64 `json:"filter_epoch"`
	UnwrapTwice bool   `json:"unwrap_twice"`
	Packet      string `json:"packet"`
	Expect      string `json:"expect"`
}

func runUnwrapError(in unwrapCase, _ bool) (unwrapCase, error) {
	out := in
	g, err := parseGeometryHex(in.Geometry)
	if err != nil {
		return out, err
	}
	seed, err := unhex(in.NodeSeed)
	if err != nil {
		return out, err
	}
	pkt, err := unhex(in.Packet)
	if err != nil {
		return out, err
	}
	k, err := NodeKeyFromSeed(g.Mode, seed, in.KeyEpoch)
	if err != nil {
		return out, err
	}
	f, err := NewReplayFilter(in.FilterEpoch, 1000, 1e-9)
	if err != nil {
		return out, err
	}
	if in.UnwrapTwice {
		if _, err := k.Unwrap(g, pkt, f); err != nil {
			return out, fmt.Errorf("first unwrap: %w", err)
		}
	}
	_, err = k.Unwrap(g, pkt, f)
	out.Expect = ErrorName(err)
	return out, nil
}

// craftPacket builds a packet whose last hop executes final and whose body
// plaintext is body: it makes malformed but authentic packets.
func craftPacket(r io.Reader, g Geometry, hops []Hop, final command, body []byte) ([]byte, error) {
	h, err := buildHeader(r, g, hops, final)
	if err != nil {
		return nil, err
	}
	b := make([]byte, len(body), len(body)+streamSlack)
	copy(b, body)
	for i := len(h.keys) - 1; i >= 0; i-- {
		lionessEncrypt(&h.keys[i].sprp, b)
	}
	return append(h.header, b...), nil
}

func genUnwrapErrors() (any, error) {
	def := DefaultGeometry()
	sz := def.Sizes()
	path := vectorPath("unwrap errors", ModeX25519, 5)
	_, hops, _, err := loadPath(def, path)
	if err != nil {
		return nil, err
	}
	r := seededReader("unwrap errors/packets")
	base, err := NewPacket(r, def, hops, Recipient{1}, []byte("base"))
	if err != nil {
		return nil, err
	}
	final, err := NewPacket(r, def, hops[:1], Recipient{2}, []byte("one hop"))
	if err != nil {
		return nil, err
	}
	body := make([]byte, sz.Body)
	badType, err := craftPacket(r, def, hops[:1], command{typ: 0x7f}, body)
	if err != nil {
		return nil, err
	}
	badTail, err := craftPacket(r, def, hops[:1], command{typ: cmdDeliver, tail: [16]byte{1}}, body)
	if err != nil {
		return nil, err
	}
	slotG, _ := NewGeometry(2, 128, ModeX25519, true)
	slotBody := make([]byte, slotG.BodySize())
	slotBody[PayloadTagSize] = 0x07
	badSlot, err := craftPacket(r, slotG, hops[:1], command{typ: cmdDeliver}, slotBody)
	if err != nil {
		return nil, err
	}
	kemG, _ := NewGeometry(3, 128, ModeMLKEM768, false)
	kemPath := vectorPath("unwrap errors kem", ModeMLKEM768, 3)
	_, kemHops, _, err := loadPath(kemG, kemPath)
	if err != nil {
		return nil, err
	}
	kemPkt, err := NewPacket(r, kemG, kemHops, Recipient{3}, []byte("kem"))
	if err != nil {
		return nil, err
	}

	flip := func(p []byte, bit int) []byte {
		b := bytes.Clone(p)
		b[bit/8] ^= 1 << (bit % 8)
		return b
	}
	set := func(p []byte, off int, v []byte) []byte {
		b := bytes.Clone(p)
		copy(b[off:], v)
		return b
	}
	u := func(name string, pkt []byte) unwrapCase {
		return unwrapCase{Name: name, Geometry: geometryHex(def), NodeSeed: path[0].NodeSeed, KeyEpoch: vectorEpoch, FilterEpoch: vectorEpoch, Packet: hx(pkt)}
	}
	var one [32]byte
	one[0] = 1
	ins := []unwrapCase{
		u("valid packet", base),
		u("truncated by one byte", base[:len(base)-1]),
		u("one byte too long", append(bytes.Clone(base), 0)),
		u("empty", nil),
		u("unknown format byte", set(base, 0, []byte{0x09})),
		u("mlkem768 format byte in an x25519 geometry", set(base, 0, []byte{formatMLKEM768})),
		u("epoch byte of another epoch", set(base, 1, []byte{vectorEpoch + 1})),
		u("alpha: one bit flipped", flip(base, 8*ADSize+5)),
		u("alpha: top bit flipped (same shared secret, MAC covers the bytes)", flip(base, 8*(ADSize+31)+7)),
		u("alpha: all zero (low order)", set(base, ADSize, make([]byte, 32))),
		u("alpha: u = 1 (low order)", set(base, ADSize, one[:])),
		u("beta: first bit flipped", flip(base, 8*(ADSize+32))),
		u("beta: last bit flipped", flip(base, 8*(sz.Header-MACSize)-1)),
		u("gamma: one bit flipped", flip(base, 8*sz.Header-1)),
		u("body bit flipped at a forwarding hop (passes; caught at the last hop)", flip(base, 8*sz.Header+3)),
		u("body bit flipped at the last hop", flip(final, 8*(sz.Header+200))),
		u("unknown command type", badType),
		u("deliver command with a non-zero tail", badTail),
	}
	wrongKey := u("packet for another node", base)
	wrongKey.NodeSeed = path[1].NodeSeed
	replay := u("replayed packet", base)
	replay.UnwrapTwice = true
	staleFilter := u("replay filter of another epoch", base)
	staleFilter.FilterEpoch = vectorEpoch - 1
	keyEpoch := u("key of another epoch", base)
	keyEpoch.KeyEpoch, keyEpoch.FilterEpoch = vectorEpoch+1, vectorEpoch+1
	slot := u("SURB slot with an unknown marker", badSlot)
	slot.Geometry = geometryHex(slotG)
	kemValid := unwrapCase{Name: "mlkem768: valid packet", Geometry: geometryHex(kemG), NodeSeed: kemPath[0].NodeSeed,
		KeyEpoch: vectorEpoch, FilterEpoch: vectorEpoch, Packet: hx(kemPkt)}
	kemFlip := kemValid
	kemFlip.Name, kemFlip.Packet = "mlkem768: ciphertext bit flipped", hx(flip(kemPkt, 8*(ADSize+500)))
	kemWrong := kemValid
	kemWrong.Name, kemWrong.NodeSeed = "mlkem768: packet for another node", kemPath[1].NodeSeed
	ins = append(ins, wrongKey, replay, staleFilter, keyEpoch, slot, kemValid, kemFlip, kemWrong)
	return generate(runUnwrapError, ins)
}
