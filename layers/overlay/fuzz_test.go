package overlay

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/strata-lab/strata/layers/vectorstest"
)

// messageSeeds returns the (topic, data) pairs of the message vectors.
func messageSeeds(tb testing.TB) [][2]string {
	var cases []messageCase
	vectorstest.Cases(tb, Descriptor, "messages.json", &cases)
	if len(cases) == 0 {
		tb.Fatal("no message vectors to seed from")
	}
	var out [][2]string
	for _, c := range cases {
		d, err := hex.DecodeString(c.Data)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, [2]string{c.Topic, string(d)})
	}
	return out
}

// FuzzTopic checks that ParseTopic accepts exactly the canonical names:
// whatever it accepts prints back to the same string, and TopicName of the
// parts agrees; whatever it rejects is ErrTopic.
func FuzzTopic(f *testing.F) {
	for _, s := range messageSeeds(f) {
		f.Add(s[0])
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := ParseTopic(s)
		if err != nil {
			if !errors.Is(err, ErrTopic) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if tp.String() != s {
			t.Fatalf("%q parses to %+v, which prints as %q", s, tp, tp.String())
		}
		name, err := TopicName(tp.Layer, tp.Name)
		if err != nil || name != s {
			t.Fatalf("TopicName(%q, %q) = %q, %v", tp.Layer, tp.Name, name, err)
		}
	})
}

// FuzzValidate checks Validate's classification against its definition,
// and that the message id separates topic from data (moving a byte from
// one to the other changes the id).
func FuzzValidate(f *testing.F) {
	for _, s := range messageSeeds(f) {
		f.Add(s[0], []byte(s[1]), 64)
	}
	f.Fuzz(func(t *testing.T, topic string, data []byte, max int) {
		err := Validate(topic, data, max)
		_, terr := ParseTopic(topic)
		switch {
		case terr != nil:
			if !errors.Is(err, ErrTopic) {
				t.Fatalf("bad topic gives %v", err)
			}
		case len(data) == 0:
			if !errors.Is(err, ErrEmpty) {
				t.Fatalf("empty data gives %v", err)
			}
		case len(data) > max:
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%d bytes over %d gives %v", len(data), max, err)
			}
		case err != nil:
			t.Fatalf("valid message rejected: %v", err)
		}
		if len(data) > 0 {
			moved := MessageID(topic+string(data[:1]), data[1:])
			if moved == MessageID(topic, data) {
				t.Fatal("id does not separate topic from data")
			}
		}
	})
}

// FuzzStemFrame checks the stem frame decoder: every error is classified;
// whatever decodes re-encodes to the same bytes; and the stream reader
// agrees with the whole-frame decoder (differential).
func FuzzStemFrame(f *testing.F) {
	var cases []stemCase
	vectorstest.Cases(f, Descriptor, "stem.json", &cases)
	if len(cases) == 0 {
		f.Fatal("no stem vectors to seed from")
	}
	for _, c := range cases {
		b, err := hex.DecodeString(c.Frame)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, c.MaxBytes)
	}
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		max = max % (1 << 16)
		fr, err := DecodeStemFrame(b, max)
		_, rerr := readStemFrame(bytes.NewReader(b), max)
		if ErrorName(err) != ErrorName(rerr) {
			t.Fatalf("DecodeStemFrame gives %v, readStemFrame %v", err, rerr)
		}
		if err != nil {
			for _, s := range []error{ErrStemFrame, ErrTopic, ErrEmpty, ErrTooLarge} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("unclassified error %v", err)
		}
		again, err := AppendStemFrame(nil, fr, max)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("%x decodes to %q %x, which encodes to %x (%v)", b, fr.Topic, fr.Data, again, err)
		}
	})
}
