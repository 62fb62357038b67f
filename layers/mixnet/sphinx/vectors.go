package sphinx

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"reflect"

	"github.com/strata-lab/strata/layers"
)

// errorNames maps the sentinels a vector may expect to their names.
var errorNames = layers.ErrorNames{
	{Name: "ErrBadGeometry", Err: ErrBadGeometry}, {Name: "ErrBadLength", Err: ErrBadLength},
	{Name: "ErrBadVersion", Err: ErrBadVersion}, {Name: "ErrWrongEpoch", Err: ErrWrongEpoch},
	{Name: "ErrLowOrderPoint", Err: ErrLowOrderPoint}, {Name: "ErrBadMAC", Err: ErrBadMAC},
	{Name: "ErrReplay", Err: ErrReplay}, {Name: "ErrBadCommand", Err: ErrBadCommand},
	{Name: "ErrBadPayloadTag", Err: ErrBadPayloadTag}, {Name: "ErrBadPath", Err: ErrBadPath},
	{Name: "ErrBadSURB", Err: ErrBadSURB}, {Name: "ErrBadKey", Err: ErrBadKey},
	{Name: "ErrBadReplayFilter", Err: ErrBadReplayFilter}, {Name: "ErrRandom", Err: ErrRandom},
}

// ErrorName names the sentinel err wraps ("valid" for nil, "unclassified:
// …" for an error of another package). Hosts use it as the drop reason of
// a rejected packet.
func ErrorName(err error) string { return errorNames.Name(err) }

var vectorSet = layers.VectorSet{Layer: "sphinx", Files: []layers.VectorFileSpec{
	{Name: "geometry.json", Description: "Geometries: parameters → canonical encoding and sizes; encodings → parameters or ErrBadGeometry.",
		Generate: genGeometry, Check: layers.CheckCases(checkCase(runGeometry))},
	{Name: "lioness.json", Description: "LIONESS (ChaCha20, HMAC-SHA-256) on fixed keys: encryption of plaintext under key is ciphertext.",
		Generate: genLioness, Check: layers.CheckCases(checkCase(runLioness))},
	{Name: "packets.json", Description: "Packets built from recorded randomness, and every hop's unwrap: secrets, replay tag, command, the packet after unwrap, the delivered payload.",
		Generate: genPackets, Check: layers.CheckCases(checkCase(runPacket))},
	{Name: "surb.json", Description: "SURBs built from recorded randomness, replies built from them, every hop's unwrap, the creator's decryption; SURB and SURB-key decoding.",
		Generate: genSURBs, Check: layers.CheckCases(checkCase(runSURB))},
	{Name: "unwrap_errors.json", Description: "Unwrap of altered, truncated, replayed, misdirected and malformed packets, each with the error it must give.",
		Generate: genUnwrapErrors, Check: layers.CheckCases(checkCase(runUnwrapError))},
}}

// GenerateVectors computes every vector file afresh.
func GenerateVectors() (map[string][]byte, error) { return vectorSet.Generate() }

// CheckVector verifies one vector file.
func CheckVector(name string, data []byte) error { return vectorSet.Check(name, data) }

// checkCase turns a runner (which recomputes a case from its inputs, with
// check set when it must replay recorded randomness) into a checker that
// requires the recomputed case to equal the recorded one.
func checkCase[C any](run func(C, bool) (C, error)) func(C) error {
	return func(in C) error {
		out, err := run(in, true)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(out, in) {
			return fmt.Errorf("recomputed case differs from the recorded one:\n got  %+v\n want %+v", out, in)
		}
		return nil
	}
}

// generate runs every input case with fresh randomness.
func generate[C any](run func(C, bool) (C, error), ins []C) (any, error) {
	out := make([]C, 0, len(ins))
	for _, in := range ins {
		c, err := run(in, false)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func hx(b []byte) string { return hex.EncodeToString(b) }

func unhex(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("vector hex: %w", err)
	}
	return b, nil
}

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

// source returns the reader a case runs with: the recorded bytes when
// checking, a stream seeded with the case name when generating.
func source(name, recorded string, check bool) (*recorder, *bytes.Reader, error) {
	if !check {
		return &recorder{r: seededReader(name)}, nil, nil
	}
	b, err := unhex(recorded)
	if err != nil {
		return nil, nil, err
	}
	br := bytes.NewReader(b)
	return &recorder{r: br}, br, nil
}

// consumed fails when a replayed random stream was not read to the end.
func consumed(br *bytes.Reader) error {
	if br != nil && br.Len() != 0 {
		return fmt.Errorf("%d recorded random bytes left unread", br.Len())
	}
	return nil
}

// ---- geometry.json ----

type sizesJSON struct {
	Slot    int `json:"slot"`
	Routing int `json:"routing"`
	Header  int `json:"header"`
	SURB    int `json:"surb"`
	Body    int `json:"body"`
	Packet  int `json:"packet"`
	Payload int `json:"payload"`
}

type geometryCase struct {
	Name        string     `json:"name"`
	Kind        string     `json:"kind"` // "params" or "decode"
	Encoding    string     `json:"encoding"`
	Hops        int        `json:"hops"`
	PayloadSize int        `json:"payload_size"`
	Mode        int        `json:"mode"`
	WithSURB    bool       `json:"with_surb"`
	Sizes       *sizesJSON `json:"sizes,omitempty"`
	Expect      string     `json:"expect"`
}

func runGeometry(in geometryCase, _ bool) (geometryCase, error) {
	out := geometryCase{Name: in.Name, Kind: in.Kind}
	var g Geometry
	var err error
	switch in.Kind {
	case "params":
		out.Hops, out.PayloadSize, out.Mode, out.WithSURB = in.Hops, in.PayloadSize, in.Mode, in.WithSURB
		g, err = NewGeometry(in.Hops, in.PayloadSize, Mode(in.Mode), in.WithSURB)
		if err == nil {
			b, _ := g.MarshalBinary()
			out.Encoding = hx(b)
		}
	case "decode":
		out.Encoding = in.Encoding
		b, herr := unhex(in.Encoding)
		if herr != nil {
			return out, herr
		}
		g, err = ParseGeometry(b)
		if err == nil {
			out.Hops, out.PayloadSize, out.Mode, out.WithSURB = g.Hops, g.PayloadSize, int(g.Mode), g.WithSURB
		}
	default:
		return out, fmt.Errorf("unknown kind %q", in.Kind)
	}
	if err == nil {
		s := g.Sizes()
		out.Sizes = &sizesJSON{Slot: s.Slot, Routing: s.Routing, Header: s.Header, SURB: s.SURB, Body: s.Body, Packet: s.Packet, Payload: s.Payload}
	}
	out.Expect = ErrorName(err)
	return out, nil
}

func genGeometry() (any, error) {
	p := func(name string, hops, payload int, mode Mode, surb bool) geometryCase {
		return geometryCase{Name: name, Kind: "params", Hops: hops, PayloadSize: payload, Mode: int(mode), WithSURB: surb}
	}
	d := func(name, enc string) geometryCase { return geometryCase{Name: name, Kind: "decode", Encoding: enc} }
	return generate(runGeometry, []geometryCase{
		p("default x25519 5 hops 2048", 5, 2048, ModeX25519, false),
		p("x25519 5 hops 2048 with SURB", 5, 2048, ModeX25519, true),
		p("x25519 3 hops 2048", 3, 2048, ModeX25519, false),
		p("x25519 16 hops 65536", 16, 65536, ModeX25519, true),
		p("mlkem768 5 hops 2048", 5, 2048, ModeMLKEM768, false),
		p("mlkem768 3 hops 128 with SURB", 3, 128, ModeMLKEM768, true),
		p("zero hops", 0, 2048, ModeX25519, false),
		p("too many hops", 17, 2048, ModeX25519, false),
		p("payload too small", 5, 63, ModeX25519, false),
		p("payload too large", 5, 65537, ModeX25519, false),
		p("unknown mode", 5, 2048, Mode(3), false),
		d("decode default", "0101050000000800"),
		d("decode mlkem768 with SURB", "0102030100000080"),
		d("decode bad version", "0201050000000800"),
		d("decode unknown flag", "0101050200000800"),
		d("decode huge payload", "01010500ffffffff"),
		d("decode zero hops", "0101000000000800"),
		d("decode truncated", "01010500000008"),
		d("decode long", "010105000000080000"),
	})
}

// ---- lioness.json ----

type lionessCase struct {
	Name       string `json:"name"`
	Key        string `json:"key"`
	Plaintext  string `json:"plaintext"`
	Ciphertext string `json:"ciphertext"`
	Expect     string `json:"expect"`
}

func runLioness(in lionessCase, _ bool) (lionessCase, error) {
	out := lionessCase{Name: in.Name, Key: in.Key, Plaintext: in.Plaintext}
	key, err := unhex(in.Key)
	if err != nil {
		return out, err
	}
	pt, err := unhex(in.Plaintext)
	if err != nil {
		return out, err
	}
	ct := bytes.Clone(pt)
	err = LionessEncrypt(key, ct)
	if err == nil {
		out.Ciphertext = hx(ct)
		back := bytes.Clone(ct)
		if err := LionessDecrypt(key, back); err != nil || !bytes.Equal(back, pt) {
			return out, fmt.Errorf("decryption does not invert encryption")
		}
	}
	out.Expect = ErrorName(err)
	return out, nil
}

func genLioness() (any, error) {
	r := seededReader("lioness")
	draw := func(n int) string {
		b := make([]byte, n)
		io.ReadFull(r, b)
		return hx(b)
	}
	var ins []lionessCase
	for _, n := range []int{64, 100, 2064} {
		ins = append(ins, lionessCase{Name: fmt.Sprintf("random key, %d-byte block", n), Key: draw(LionessKeySize), Plaintext: draw(n)})
	}
	zero := hx(make([]byte, LionessKeySize))
	ins = append(ins,
		lionessCase{Name: "zero key, zero 80-byte block", Key: zero, Plaintext: hx(make([]byte, 80))},
		lionessCase{Name: "block too short", Key: zero, Plaintext: hx(make([]byte, 63))},
		lionessCase{Name: "key too short", Key: hx(make([]byte, 127)), Plaintext: hx(make([]byte, 64))},
	)
	return generate(runLioness, ins)
}
