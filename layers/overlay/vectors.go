package overlay

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/strata-lab/strata/layers"
)

// errorNames maps the sentinels a vector may expect to their names.
var errorNames = layers.ErrorNames{
	{Name: "ErrTopic", Err: ErrTopic}, {Name: "ErrTooLarge", Err: ErrTooLarge}, {Name: "ErrEmpty", Err: ErrEmpty},
	{Name: "ErrUnknownTopic", Err: ErrUnknownTopic}, {Name: "ErrConfig", Err: ErrConfig}, {Name: "ErrIdentity", Err: ErrIdentity},
	{Name: "ErrRejected", Err: ErrRejected}, {Name: "ErrIgnored", Err: ErrIgnored},
	{Name: "ErrStemFrame", Err: ErrStemFrame}, {Name: "ErrStemRefused", Err: ErrStemRefused},
}

// ErrorName names the sentinel err wraps ("valid" for nil).
func ErrorName(err error) string { return errorNames.Name(err) }

// vectorSet lists the overlay's vector files.
var vectorSet = layers.VectorSet{Layer: "overlay", Files: []layers.VectorFileSpec{
	{Name: "messages.json", Description: "Topic names, the overlay's validation rules (canonical topic, not empty, at most max_bytes) and the content-addressed message id of each valid message: id = SHA-256(lp(\"" + MessageIDLabel + "\") || lp(topic) || lp(data))[:20], lp(x) = u32be(len(x)) || x.",
		Generate: genMessages, Check: layers.CheckCases(checkMessage)},
	{Name: "params.json", Description: "The default gossipsub and peer-score parameter set (canonical JSON and its SHA-256), and altered sets that break a relation gossipsub v1.1 requires.",
		Generate: genParams, Check: layers.CheckCases(checkParams)},
	{Name: "stem.json", Description: "Stem frames (" + string(StemProtocol) + "): frame = u8 version (1) || u8 len(topic) || topic || u32be len(data) || data, with the data limit max_bytes; a valid case gives its topic and data (hex), an invalid one the error a decoder must return.",
		Generate: genStemFrames, Check: layers.CheckCases(checkStemFrame)},
}}

// GenerateVectors computes every vector file of the layer.
func GenerateVectors() (map[string][]byte, error) { return vectorSet.Generate() }

// CheckVector verifies one vector file.
func CheckVector(name string, data []byte) error { return vectorSet.Check(name, data) }

// ---- messages.json ----

type messageCase struct {
	Name     string `json:"name"`
	Topic    string `json:"topic"`
	MaxBytes int    `json:"max_bytes"`
	// ID is the message id (hex) of a valid message, empty otherwise.
	ID     string `json:"id"`
	Data   string `json:"data"`
	Expect string `json:"expect"`
}

func genMessages() (any, error) {
	long := bytes.Repeat([]byte{0xab}, 300)
	inputs := []struct {
		name, topic string
		max         int
		data        []byte
	}{
		{"short chat message", "/strata/1/chat/general", 1024, []byte("hello, strata")},
		{"sync frame topic, group id name", "/strata/1/sync/" + strings.Repeat("0f", 32), 4096, []byte{0x0a, 0x03, 0x01, 0x02, 0x03}},
		{"one byte", "/strata/1/test/t", 1, []byte{0}},
		{"at the size limit", "/strata/1/test/big", 300, long},
		{"name with dot, dash and underscore", "/strata/1/test/a.b-c_d", 64, []byte("x")},
		{"same data, other topic: other id", "/strata/1/chat/random", 1024, []byte("hello, strata")},
		{"one byte over the limit", "/strata/1/test/big", 299, long},
		{"empty message", "/strata/1/test/t", 64, nil},
		{"another version", "/strata/2/chat/general", 64, []byte("x")},
		{"upper case layer", "/strata/1/Chat/general", 64, []byte("x")},
		{"trailing slash", "/strata/1/chat/general/", 64, []byte("x")},
		{"missing name", "/strata/1/chat", 64, []byte("x")},
		{"name starts with a dash", "/strata/1/chat/-x", 64, []byte("x")},
		{"layer starts with a digit", "/strata/1/1chat/x", 64, []byte("x")},
		{"layer too long", "/strata/1/" + strings.Repeat("a", MaxLayerLen+1) + "/x", 64, []byte("x")},
		{"name too long", "/strata/1/chat/" + strings.Repeat("a", MaxNameLen+1), 64, []byte("x")},
		{"no prefix", "strata/1/chat/general", 64, []byte("x")},
		{"foreign topic", "/eth2/beacon_block/ssz_snappy", 64, []byte("x")},
	}
	var out []messageCase
	for _, in := range inputs {
		c := messageCase{Name: in.name, Topic: in.topic, MaxBytes: in.max, Data: hex.EncodeToString(in.data)}
		err := Validate(in.topic, in.data, in.max)
		c.Expect = ErrorName(err)
		if err == nil {
			id := MessageID(in.topic, in.data)
			c.ID = hex.EncodeToString(id[:])
		}
		out = append(out, c)
	}
	return out, nil
}

func checkMessage(c messageCase) error {
	data, err := hex.DecodeString(c.Data)
	if err != nil {
		return err
	}
	got := ErrorName(Validate(c.Topic, data, c.MaxBytes))
	if got != c.Expect {
		return fmt.Errorf("%s: validation gives %s, want %s", c.Name, got, c.Expect)
	}
	if got != layers.ExpectValid {
		if c.ID != "" {
			return fmt.Errorf("%s: an invalid message has an id", c.Name)
		}
		return nil
	}
	id := MessageID(c.Topic, data)
	if hex.EncodeToString(id[:]) != c.ID {
		return fmt.Errorf("%s: id %x, want %s", c.Name, id, c.ID)
	}
	return nil
}

// ---- params.json ----

type paramsCase struct {
	Name string `json:"name"`
	// Digest is the hex SHA-256 of the canonical JSON of Params.
	Digest string          `json:"digest"`
	Params json.RawMessage `json:"params"`
	Expect string          `json:"expect"`
}

// ParamsDigest returns the canonical JSON of p (encoding/json, fields in
// declaration order, durations as Go duration text) and its SHA-256.
func ParamsDigest(p Params) ([]byte, [32]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, [32]byte{}, err
	}
	return b, sha256.Sum256(b), nil
}

func genParams() (any, error) {
	sets := []struct {
		name string
		edit func(*Params)
	}{
		{"default", func(*Params) {}},
		{"Dout not below Dlo", func(p *Params) { p.Gossip.Dout = p.Gossip.Dlo }},
		{"D above Dhi", func(p *Params) { p.Gossip.D = p.Gossip.Dhi + 1 }},
		{"publish threshold above gossip threshold", func(p *Params) { p.Thresholds.Publish = p.Thresholds.Gossip + 1 }},
		{"positive graylist threshold", func(p *Params) { p.Thresholds.Graylist = 1 }},
		{"positive colocation weight", func(p *Params) { p.Score.ColocationWeight = 1 }},
		{"decay factor of 1", func(p *Params) { p.Score.Topic.InvalidDecay = 1 }},
		{"P3 enabled", func(p *Params) { p.Score.Topic.MeshDeliveriesWeight = -1 }},
	}
	var out []paramsCase
	for _, s := range sets {
		p := DefaultParams()
		s.edit(&p)
		b, d, err := ParamsDigest(p)
		if err != nil {
			return nil, err
		}
		out = append(out, paramsCase{Name: s.name, Digest: hex.EncodeToString(d[:]), Params: b, Expect: ErrorName(p.Validate())})
	}
	return out, nil
}

func checkParams(c paramsCase) error {
	var p Params
	dec := json.NewDecoder(bytes.NewReader(c.Params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	b, d, err := ParamsDigest(p)
	if err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, c.Params); err != nil {
		return err
	}
	if !bytes.Equal(b, compact.Bytes()) {
		return fmt.Errorf("%s: params are not in canonical form", c.Name)
	}
	if hex.EncodeToString(d[:]) != c.Digest {
		return fmt.Errorf("%s: digest %x, want %s", c.Name, d, c.Digest)
	}
	if got := ErrorName(p.Validate()); got != c.Expect {
		return fmt.Errorf("%s: Validate gives %s, want %s", c.Name, got, c.Expect)
	}
	if c.Name == "default" {
		want, dd, _ := ParamsDigest(DefaultParams())
		if !bytes.Equal(b, want) {
			return fmt.Errorf("default: the file's parameter set is not DefaultParams (digest %x)", dd)
		}
	}
	return nil
}
