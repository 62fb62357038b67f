package trace

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestDropNeedsKnownReason(t *testing.T) {
	base := Event{Time: time.Unix(0, 0), Node: "n1", Kind: KindDrop}
	if err := base.Validate(); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("drop without reason: %v", err)
	}
	base.Reason = "cosmic_ray"
	if err := base.Validate(); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("drop with unknown reason: %v", err)
	}
	for _, r := range Reasons() {
		base.Reason = r
		if err := base.Validate(); err != nil {
			t.Fatalf("reason %q rejected: %v", r, err)
		}
	}
	send := Event{Time: time.Unix(0, 0), Node: "n1", Kind: KindSend, Reason: ReasonLinkLoss}
	if err := send.Validate(); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("send with reason accepted: %v", err)
	}
}

func TestWriterHashAndRead(t *testing.T) {
	events := []Event{
		{Time: time.Unix(1, 0), Node: "a", Kind: KindSend, Peer: "b", Bytes: 10},
		{Time: time.Unix(2, 0), Node: "b", Kind: KindDrop, Reason: ReasonLinkLoss, Bytes: 10},
	}
	write := func() (*Writer, *bytes.Buffer) {
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, e := range events {
			if err := w.Emit(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		return w, &buf
	}
	w1, buf := write()
	w2, _ := write()
	if w1.Hash() != w2.Hash() || w1.Count() != 2 {
		t.Fatalf("hashes differ or count wrong: %s %s %d", w1.Hash(), w2.Hash(), w1.Count())
	}
	var got []Event
	if err := Read(buf, func(e Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].Reason != ReasonLinkLoss || !got[0].Time.Equal(events[0].Time) {
		t.Fatalf("read %+v", got)
	}
	if err := Read(bytes.NewBufferString("{\"kind\":\"drop\",\"node\":\"x\"}\n"), func(Event) error { return nil }); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("invalid line accepted: %v", err)
	}
}
