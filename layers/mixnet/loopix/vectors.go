package loopix

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/strata-lab/strata/layers"
	"github.com/strata-lab/strata/layers/mixnet/sphinx"
)

const expectValid = layers.ExpectValid

var errorNames = layers.ErrorNames{
	{Name: "ErrBadSignature", Err: ErrBadSignature}, {Name: "ErrVersion", Err: ErrVersion}, {Name: "ErrDirectory", Err: ErrDirectory},
	{Name: "ErrUnwrap", Err: ErrUnwrap}, {Name: "ErrReplay", Err: ErrReplay}, {Name: "ErrRoute", Err: ErrRoute},
	{Name: "ErrTooLarge", Err: ErrTooLarge}, {Name: "ErrQueueFull", Err: ErrQueueFull}, {Name: "ErrConfig", Err: ErrConfig},
	{Name: "ErrRandom", Err: ErrRandom}, {Name: "ErrMalformed", Err: ErrMalformed},
}

// ErrorName names the sentinel err wraps ("valid" for nil).
func ErrorName(err error) string { return errorNames.Name(err) }

func hx(b []byte) string { return hex.EncodeToString(b) }

func hxID(id NodeID) string { return hex.EncodeToString(id[:]) }

func unhex(s string) ([]byte, error) { return hex.DecodeString(s) }

// vecID is a deterministic node or client id: SHA-256 of a label.
func vecID(label string) NodeID { return sha256.Sum256([]byte(label)) }

// vecKey is an Ed25519 key from SHA-256 of a label.
func vecKey(label string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(label))
	return ed25519.NewKeyFromSeed(s[:])
}

// vecEpochStart is the vectors' epoch start: 2026-01-01T00:00:00Z.
var vecEpochStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// vecDirectory builds a directory of layers × perLayer mixes and
// `providers` providers, keys and ids derived from labels.
func vecDirectory(layers, perLayer, providers int, g Geometry, p Params) *Directory {
	var nodes []Node
	for i := range providers {
		nodes = append(nodes, Node{ID: vecID(fmt.Sprintf("provider-%d", i)), Role: RoleProvider, Key: vecID(fmt.Sprintf("provider-key-%d", i)),
			Addr: fmt.Sprintf("provider%d.example:4000", i)})
	}
	for l := 1; l <= layers; l++ {
		for i := range perLayer {
			nodes = append(nodes, Node{ID: vecID(fmt.Sprintf("mix-%d-%d", l, i)), Role: RoleMix, Layer: l,
				Key: vecID(fmt.Sprintf("mix-key-%d-%d", l, i)), Rate: Rate(25000 + 1000*l + i), Addr: fmt.Sprintf("mix%d-%d.example:4000", l, i)})
		}
	}
	d := &Directory{Epoch: 7, EpochStart: vecEpochStart, EpochLength: 20 * time.Minute, Geometry: g, Layers: layers, Params: p, Nodes: nodes}
	SortNodes(d.Nodes)
	return d
}

// ---- directory.json

type directoryCase struct {
	Name      string `json:"name"`
	Directory string `json:"directory"`
	Authority string `json:"authority"`
	Expect    string `json:"expect"`
	// Decoded fields of a valid case.
	Epoch  uint64 `json:"epoch,omitempty"`
	Layers int    `json:"layers,omitempty"`
	Nodes  int    `json:"nodes,omitempty"`
	MuMs   []int  `json:"mu_ms,omitempty"`
}

// resign replaces the signature of an encoded directory after an edit, so
// that the case tests the edit and not the signature.
func resign(b []byte, key ed25519.PrivateKey) []byte {
	body := b[:len(b)-ed25519.SignatureSize]
	return append(slices.Clone(body), ed25519.Sign(key, signingInput(body))...)
}

func genDirectoryCases() (any, error) {
	auth := vecKey("directory-authority")
	pub := auth.Public().(ed25519.PublicKey)
	def := vecDirectory(3, 3, 4, DefaultGeometry(), DefaultParams())
	minP := DefaultParams()
	minP.MuSet, minP.DefaultMu = []time.Duration{time.Second}, 0
	minimal := vecDirectory(1, 1, 1, Geometry{Format: FormatSim, PacketSize: 300, PayloadSize: 40, MaxHops: 3}, minP)
	for i := range minimal.Nodes {
		minimal.Nodes[i].Addr = ""
	}
	sf, err := NewSphinxFormat(sphinx.DefaultGeometry(), 0, 0)
	if err != nil {
		return nil, err
	}
	sph := vecDirectory(3, 2, 2, sf.Geometry(), DefaultParams())
	var cases []directoryCase
	enc := func(d *Directory) ([]byte, error) {
		if err := d.Sign(auth); err != nil {
			return nil, err
		}
		return d.Encode()
	}
	for _, v := range []struct {
		name string
		d    *Directory
	}{{"default-3x3-4-providers", def}, {"minimal-1-layer", minimal}, {"sphinx-geometry", sph}} {
		b, err := enc(v.d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
		var mu []int
		for _, m := range v.d.Params.MuSet {
			mu = append(mu, int(m.Milliseconds()))
		}
		cases = append(cases, directoryCase{Name: v.name, Directory: hx(b), Authority: hx(pub), Expect: expectValid,
			Epoch: v.d.Epoch, Layers: v.d.Layers, Nodes: len(v.d.Nodes), MuMs: mu})
	}
	good, err := enc(def.Clone())
	if err != nil {
		return nil, err
	}
	small, err := enc(minimal.Clone())
	if err != nil {
		return nil, err
	}
	// Offsets in the minimal document (SPEC.md, "Wire format").
	const offRates, offNMu = 36, 36 + 16 + 4 + 4 + 4 + 1
	offNodes := offNMu + 1 + 4 + 1 // n_mu, one delay, default index
	edit := func(b []byte, f func([]byte) []byte) []byte { return f(slices.Clone(b)) }
	other := vecKey("another-authority")
	otherSigned := func() []byte {
		d := def.Clone()
		if err := d.Sign(other); err != nil {
			panic(err)
		}
		b, _ := d.Encode()
		return b
	}()
	bad := []struct {
		name, expect string
		b            []byte
	}{
		{"signature-bit-flipped", "ErrBadSignature", edit(good, func(b []byte) []byte { b[len(b)-1] ^= 1; return b })},
		{"signed-by-another-authority", "ErrBadSignature", otherSigned},
		{"rate-changed-after-signing", "ErrBadSignature", edit(small, func(b []byte) []byte { b[offRates+3]++; return b })},
		{"truncated", "ErrMalformed", small[:len(small)-1]},
		{"trailing-byte", "ErrMalformed", append(slices.Clone(small), 0)},
		{"bad-magic", "ErrMalformed", edit(small, func(b []byte) []byte { b[0] = 'X'; return b })},
		{"version-2", "ErrVersion", edit(small, func(b []byte) []byte { b[4] = 2; return b })},
		{"empty", "ErrMalformed", []byte{}},
		{"no-delays-offered", "ErrMalformed", resign(edit(small, func(b []byte) []byte { b[offNMu] = 0; return b }), auth)},
		{"too-many-nodes", "ErrMalformed", resign(edit(small, func(b []byte) []byte {
			binary.BigEndian.PutUint16(b[offNodes:], MaxNodes+1)
			return b
		}), auth)},
		{"payload-not-below-packet", "ErrDirectory", resign(edit(small, func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[26+4:], 300) // payload size = packet size
			return b
		}), auth)},
		{"default-delay-out-of-range", "ErrDirectory", resign(edit(small, func(b []byte) []byte { b[offNMu+5] = 1; return b }), auth)},
		{"mix-in-layer-0", "ErrDirectory", resign(edit(small, func(b []byte) []byte {
			// The second node (the mix, after the provider) claims layer 0.
			b[offNodes+2+dirNodeFixed+len("")+32+1] = 0
			return b
		}), auth)},
	}
	for _, c := range bad {
		cases = append(cases, directoryCase{Name: c.name, Directory: hx(c.b), Authority: hx(pub), Expect: c.expect})
	}
	return cases, nil
}

func checkDirectoryCase(c directoryCase) error {
	b, err := unhex(c.Directory)
	if err != nil {
		return err
	}
	auth, err := unhex(c.Authority)
	if err != nil {
		return err
	}
	d, err := OpenDirectory(b, ed25519.PublicKey(auth))
	if got := ErrorName(err); got != c.Expect {
		return fmt.Errorf("%s: %s, want %s", c.Name, got, c.Expect)
	}
	if err != nil {
		return nil
	}
	re, err := d.Encode()
	if err != nil || !bytes.Equal(re, b) {
		return fmt.Errorf("%s: does not re-encode to the same bytes (%v)", c.Name, err)
	}
	var mu []int
	for _, m := range d.Params.MuSet {
		mu = append(mu, int(m.Milliseconds()))
	}
	if d.Epoch != c.Epoch || d.Layers != c.Layers || len(d.Nodes) != c.Nodes || !slices.Equal(mu, c.MuMs) {
		return fmt.Errorf("%s: decoded epoch %d layers %d nodes %d delays %v", c.Name, d.Epoch, d.Layers, len(d.Nodes), mu)
	}
	return nil
}

// ---- simformat.json

type simHopJSON struct {
	Node    string `json:"node"`
	DelayMs int64  `json:"delay_ms"`
}

type simStepJSON struct {
	Node      string `json:"node"`
	Final     bool   `json:"final"`
	Next      string `json:"next,omitempty"`
	DelayMs   int64  `json:"delay_ms"`
	Recipient string `json:"recipient_kind,omitempty"`
	ID        string `json:"recipient_id,omitempty"`
	Tag       string `json:"tag"`
}

type simCase struct {
	Name        string        `json:"name"`
	PacketSize  int           `json:"packet_size"`
	PayloadSize int           `json:"payload_size"`
	MaxHops     int           `json:"max_hops"`
	Epoch       uint64        `json:"epoch"`
	Nonce       string        `json:"nonce,omitempty"`
	Hops        []simHopJSON  `json:"hops,omitempty"`
	Recipient   string        `json:"recipient_kind,omitempty"`
	ID          string        `json:"recipient_id,omitempty"`
	Body        string        `json:"body,omitempty"`
	Packet      string        `json:"packet"`
	Steps       []simStepJSON `json:"steps,omitempty"`
	// Unwrap cases: the node and key epoch that try the packet.
	UnwrapNode  string `json:"unwrap_node,omitempty"`
	UnwrapEpoch uint64 `json:"unwrap_epoch,omitempty"`
	Expect      string `json:"expect"`
}

var vecSimGeometry = Geometry{Format: FormatSim, PacketSize: 300, PayloadSize: 40, MaxHops: 5}

func kindName(k RecipientKind) string { return k.String() }

func kindByName(s string) RecipientKind {
	for k := ToClient; k <= ToNode; k++ {
		if k.String() == s {
			return k
		}
	}
	return 0
}

// simRun builds the packet of c and processes it hop by hop.
func simRun(c simCase) ([]byte, []simStepJSON, error) {
	f, err := NewSimFormat(Geometry{Format: FormatSim, PacketSize: c.PacketSize, PayloadSize: c.PayloadSize, MaxHops: c.MaxHops})
	if err != nil {
		return nil, nil, err
	}
	nonce, err := unhex(c.Nonce)
	if err != nil {
		return nil, nil, err
	}
	body, err := unhex(c.Body)
	if err != nil {
		return nil, nil, err
	}
	var r Route
	for _, h := range c.Hops {
		id, err := unhex(h.Node)
		if err != nil {
			return nil, nil, err
		}
		r.Hops = append(r.Hops, Hop{Node: NodeID(id), Delay: time.Duration(h.DelayMs) * time.Millisecond})
	}
	rid, err := unhex(c.ID)
	if err != nil {
		return nil, nil, err
	}
	r.Recipient = Recipient{Kind: kindByName(c.Recipient), ID: NodeID(rid)}
	pkt, err := f.Build(bytes.NewReader(nonce), c.Epoch, r, body)
	if err != nil {
		return nil, nil, err
	}
	var steps []simStepJSON
	p := pkt
	for _, h := range r.Hops {
		_, u, _ := f.NewKey(bytes.NewReader(make([]byte, 32)), h.Node, c.Epoch)
		o, err := u.Unwrap(p)
		if err != nil {
			return nil, nil, err
		}
		s := simStepJSON{Node: hx(h.Node[:]), Final: o.Final, DelayMs: o.Delay.Milliseconds(), Tag: hx(o.Tag[:])}
		if o.Final {
			s.Recipient, s.ID = kindName(o.Recipient.Kind), hx(o.Recipient.ID[:])
			steps = append(steps, s)
			break
		}
		s.Next = hx(o.Next[:])
		steps = append(steps, s)
		p = o.Packet
	}
	return pkt, steps, nil
}

func genSimCases() (any, error) {
	g := vecSimGeometry
	base := func(name string, hops int, rk RecipientKind, body string) simCase {
		nonce := vecID("nonce-" + name)
		c := simCase{Name: name, PacketSize: g.PacketSize, PayloadSize: g.PayloadSize, MaxHops: g.MaxHops, Epoch: 7,
			Nonce: hx(nonce[:16]), Recipient: kindName(rk), Body: hx([]byte(body)), Expect: expectValid}
		for i := range hops {
			d := int64(0)
			if i > 0 && i < hops-1 {
				d = int64(10 * i * i)
			}
			c.Hops = append(c.Hops, simHopJSON{Node: hxID(vecID(fmt.Sprintf("hop-%d", i))), DelayMs: d})
		}
		switch rk {
		case ToClient:
			c.ID = hxID(vecID("client-0"))
		case ToNode:
			c.ID = c.Hops[hops-1].Node
		default:
			c.ID = hx(make([]byte, 32))
		}
		return c
	}
	var cases []simCase
	for _, c := range []simCase{
		base("client-5-hops", 5, ToClient, "hello"),
		base("drop-5-hops", 5, ToDrop, ""),
		base("mix-loop-4-hops", 4, ToNode, "loop-id-0123456789abcdef"),
		base("one-hop", 1, ToClient, "x"),
	} {
		pkt, steps, err := simRun(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		c.Packet, c.Steps = hx(pkt), steps
		cases = append(cases, c)
	}
	good, _ := unhex(cases[0].Packet)
	first := cases[0].Hops[0].Node
	bad := func(name string, pkt []byte, node string, epoch uint64, expect string) simCase {
		return simCase{Name: name, PacketSize: g.PacketSize, PayloadSize: g.PayloadSize, MaxHops: g.MaxHops, Epoch: 7,
			Packet: hx(pkt), UnwrapNode: node, UnwrapEpoch: epoch, Expect: expect}
	}
	mod := func(i int, v byte) []byte { b := slices.Clone(good); b[i] = v; return b }
	cases = append(cases,
		bad("wrong-node", good, cases[0].Hops[1].Node, 7, "ErrUnwrap"),
		bad("wrong-epoch", good, first, 8, "ErrUnwrap"),
		bad("short", good[:len(good)-1], first, 7, "ErrMalformed"),
		bad("version-2", mod(0, 2), first, 7, "ErrVersion"),
		bad("zero-hops", mod(1, 0), first, 7, "ErrMalformed"),
		bad("index-past-hops", mod(2, 5), first, 7, "ErrMalformed"),
		bad("bad-recipient-kind", mod(SimHeaderSize(g.MaxHops)-33, 9), first, 7, "ErrMalformed"),
		bad("non-zero-padding", mod(g.PacketSize-1, 1), first, 7, "ErrMalformed"),
	)
	return cases, nil
}

func checkSimCase(c simCase) error {
	if c.UnwrapNode == "" {
		pkt, steps, err := simRun(c)
		if got := ErrorName(err); got != c.Expect {
			return fmt.Errorf("%s: %s, want %s", c.Name, got, c.Expect)
		}
		if err != nil {
			return nil
		}
		if hx(pkt) != c.Packet {
			return fmt.Errorf("%s: packet differs", c.Name)
		}
		if len(steps) != len(c.Steps) {
			return fmt.Errorf("%s: %d steps, want %d", c.Name, len(steps), len(c.Steps))
		}
		for i := range steps {
			if steps[i] != c.Steps[i] {
				return fmt.Errorf("%s: step %d is %+v, want %+v", c.Name, i, steps[i], c.Steps[i])
			}
		}
		return nil
	}
	f, err := NewSimFormat(Geometry{Format: FormatSim, PacketSize: c.PacketSize, PayloadSize: c.PayloadSize, MaxHops: c.MaxHops})
	if err != nil {
		return err
	}
	pkt, err := unhex(c.Packet)
	if err != nil {
		return err
	}
	id, err := unhex(c.UnwrapNode)
	if err != nil {
		return err
	}
	_, u, _ := f.NewKey(bytes.NewReader(make([]byte, 32)), NodeID(id), c.UnwrapEpoch)
	_, err = u.Unwrap(pkt)
	if got := ErrorName(err); got != c.Expect {
		return fmt.Errorf("%s: %s, want %s", c.Name, got, c.Expect)
	}
	return nil
}

// ---- frames.json

type frameCase struct {
	Name        string `json:"name"`
	PacketSize  int    `json:"packet_size"`
	PayloadSize int    `json:"payload_size"`
	Frame       string `json:"frame"`
	Expect      string `json:"expect"`
	Type        int    `json:"type,omitempty"`
	Client      string `json:"client,omitempty"`
	Real        []bool `json:"real,omitempty"`
	// Packet and Bodies are the decoded packet and entry bodies.
	Packet string   `json:"packet,omitempty"`
	Bodies []string `json:"bodies,omitempty"`
}

func genFrameCases() (any, error) {
	g := vecSimGeometry
	pkt := bytes.Repeat([]byte{0xab}, g.PacketSize)
	client := vecID("client-0")
	resp, err := EncodePullResponse(g, []Entry{{Real: true, Body: bytes.Repeat([]byte{1}, g.PayloadSize)}, {Body: make([]byte, g.PayloadSize)}})
	if err != nil {
		return nil, err
	}
	c := func(name string, b []byte, expect string) frameCase {
		return frameCase{Name: name, PacketSize: g.PacketSize, PayloadSize: g.PayloadSize, Frame: hx(b), Expect: expect}
	}
	valid := []frameCase{c("packet", EncodePacketFrame(pkt), expectValid), c("pull", EncodePull(client), expectValid),
		c("pull-response-real-and-dummy", resp, expectValid)}
	valid[0].Type, valid[0].Packet = int(FramePacket), hx(pkt)
	valid[1].Type, valid[1].Client = int(FramePull), hx(client[:])
	valid[2].Type, valid[2].Real = int(FramePullResponse), []bool{true, false}
	valid[2].Bodies = []string{hx(bytes.Repeat([]byte{1}, g.PayloadSize)), hx(make([]byte, g.PayloadSize))}
	mod := func(b []byte, i int, v byte) []byte { b = slices.Clone(b); b[i] = v; return b }
	return append(valid,
		c("empty", nil, "ErrMalformed"),
		c("unknown-type", mod(EncodePull(client), 0, 9), "ErrMalformed"),
		c("packet-short", EncodePacketFrame(pkt[:len(pkt)-1]), "ErrMalformed"),
		c("pull-long", append(EncodePull(client), 0), "ErrMalformed"),
		c("response-count-0", mod(resp, 1, 0), "ErrMalformed"),
		c("response-count-mismatch", mod(resp, 1, 3), "ErrMalformed"),
		c("response-entry-kind-2", mod(resp, 2, 2), "ErrMalformed"),
	), nil
}

func checkFrameCase(c frameCase) error {
	g := Geometry{Format: FormatSim, PacketSize: c.PacketSize, PayloadSize: c.PayloadSize, MaxHops: 5}
	b, err := unhex(c.Frame)
	if err != nil {
		return err
	}
	f, err := DecodeFrame(g, b)
	if got := ErrorName(err); got != c.Expect {
		return fmt.Errorf("%s: %s, want %s", c.Name, got, c.Expect)
	}
	if err != nil {
		return nil
	}
	var real []bool
	var bodies []string
	for _, e := range f.Entries {
		real = append(real, e.Real)
		bodies = append(bodies, hx(e.Body))
	}
	if hx(f.Packet) != c.Packet || !slices.Equal(bodies, c.Bodies) {
		return fmt.Errorf("%s: decoded packet or bodies differ", c.Name)
	}
	client := ""
	if f.Type == FramePull {
		client = hx(f.Client[:])
	}
	if int(f.Type) != c.Type || client != c.Client || !slices.Equal(real, c.Real) {
		return fmt.Errorf("%s: decoded type %d client %q entries %v", c.Name, f.Type, client, real)
	}
	re, err := reencodeFrame(g, f)
	if err != nil || !bytes.Equal(re, b) {
		return fmt.Errorf("%s: does not re-encode to the same bytes (%v)", c.Name, err)
	}
	return nil
}

// reencodeFrame encodes a decoded frame again.
func reencodeFrame(g Geometry, f Frame) ([]byte, error) {
	switch f.Type {
	case FramePacket:
		return EncodePacketFrame(f.Packet), nil
	case FramePull:
		return EncodePull(f.Client), nil
	}
	return EncodePullResponse(g, f.Entries)
}

var vectorSet = layers.VectorSet{Layer: "mixnet", Files: []layers.VectorFileSpec{
	{Name: "directory.json", Description: "signed per-epoch directories: canonical encoding, Ed25519 signature check, malformed and invalid documents",
		Generate: genDirectoryCases, Check: layers.CheckCases(checkDirectoryCase)},
	{Name: "simformat.json", Description: "SimFormat packets (simulation only, routing in the clear): build from route, nonce and body; hop-by-hop processing; malformed packets",
		Generate: genSimCases, Check: layers.CheckCases(checkSimCase)},
	{Name: "frames.json", Description: "link frames: packet, pull request, constant-size pull response; malformed frames",
		Generate: genFrameCases, Check: layers.CheckCases(checkFrameCase)},
	{Name: "stream.json", Description: "hosting on libp2p: link frames on a /strata/mixnet/1.0.0 stream (u32be length prefix bounded by the geometry), malformed streams; node ids of libp2p peers",
		Generate: genStreamCases, Check: layers.CheckCases(checkStreamCase)},
}}

// GenerateVectors computes every vector file of the layer.
func GenerateVectors() (map[string][]byte, error) { return vectorSet.Generate() }

// CheckVector verifies one vector file: every case must have the outcome
// it records.
func CheckVector(name string, data []byte) error { return vectorSet.Check(name, data) }
