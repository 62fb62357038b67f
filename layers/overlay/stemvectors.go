package overlay

import (
	"encoding/hex"
	"fmt"
)

// ---- stem.json ----

type stemCase struct {
	Name     string `json:"name"`
	MaxBytes int    `json:"max_bytes"`
	Frame    string `json:"frame"`
	// Topic and Data (hex) are the decoded message of a valid frame.
	Topic  string `json:"topic,omitempty"`
	Data   string `json:"data,omitempty"`
	Expect string `json:"expect"`
}

func genStemFrames() (any, error) {
	var genErr error
	valid := func(topic string, data []byte, max int) []byte {
		b, err := AppendStemFrame(nil, StemFrame{Topic: topic, Data: data}, max)
		if err != nil && genErr == nil {
			genErr = fmt.Errorf("stem vector on %q: %w", topic, err)
		}
		return b
	}
	chat := "/strata/1/chat/general"
	hello := valid(chat, []byte("hello, strata"), 1024)
	raw := func(version byte, topic string, dlen uint32, data []byte) []byte {
		b := []byte{version, byte(len(topic))}
		b = append(b, topic...)
		b = append(b, byte(dlen>>24), byte(dlen>>16), byte(dlen>>8), byte(dlen))
		return append(b, data...)
	}
	inputs := []struct {
		name  string
		max   int
		frame []byte
	}{
		{"chat message", 1024, hello},
		{"one byte at the limit", 1, valid("/strata/1/test/t", []byte{0}, 1)},
		{"sync topic", 4096, valid("/strata/1/sync/"+hex.EncodeToString(make([]byte, 32)), []byte{0x0a, 0x01, 0x00}, 4096)},
		{"empty input", 1024, nil},
		{"version 2", 1024, append([]byte{2}, hello[1:]...)},
		{"topic length beyond the longest topic", 1024, raw(1, string(make([]byte, MaxTopicLen+1)), 1, []byte{1})},
		{"truncated topic", 1024, hello[:10]},
		{"truncated data", 1024, hello[:len(hello)-1]},
		{"trailing byte", 1024, append(append([]byte{}, hello...), 0)},
		{"data over the limit", 12, hello},
		{"data length field over the limit, no data", 1024, raw(1, chat, 1<<31, nil)},
		{"empty data", 1024, raw(1, chat, 0, nil)},
		{"non-canonical topic", 1024, raw(1, "/strata/1/Chat/general", 1, []byte{1})},
	}
	if genErr != nil {
		return nil, genErr
	}
	var out []stemCase
	for _, in := range inputs {
		c := stemCase{Name: in.name, MaxBytes: in.max, Frame: hex.EncodeToString(in.frame)}
		f, err := DecodeStemFrame(in.frame, in.max)
		c.Expect = ErrorName(err)
		if err == nil {
			c.Topic, c.Data = f.Topic, hex.EncodeToString(f.Data)
		}
		out = append(out, c)
	}
	return out, nil
}

func checkStemFrame(c stemCase) error {
	b, err := hex.DecodeString(c.Frame)
	if err != nil {
		return err
	}
	f, err := DecodeStemFrame(b, c.MaxBytes)
	if got := ErrorName(err); got != c.Expect {
		return fmt.Errorf("%s: decoding gives %s, want %s", c.Name, got, c.Expect)
	}
	if err != nil {
		if c.Topic != "" || c.Data != "" {
			return fmt.Errorf("%s: an invalid frame has a message", c.Name)
		}
		return nil
	}
	if f.Topic != c.Topic || hex.EncodeToString(f.Data) != c.Data {
		return fmt.Errorf("%s: decodes to %q %x, want %q %s", c.Name, f.Topic, f.Data, c.Topic, c.Data)
	}
	again, err := AppendStemFrame(nil, f, c.MaxBytes)
	if err != nil || hex.EncodeToString(again) != c.Frame {
		return fmt.Errorf("%s: re-encodes to %x (%v)", c.Name, again, err)
	}
	return nil
}
