package boltstore

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers/sync"
)

// The fuzz targets check that every decoder either rejects its input with
// ErrCorrupt or accepts exactly the bytes its encoder produces
// (decode → encode is the identity), and never panics.

func FuzzDecodeMessage(f *testing.F) {
	for _, sm := range []sync.StoredMessage{
		{},
		{Message: sync.Message{Group: sync.ID{1}, Timestamp: 7, Body: []byte("hello"), Parents: []sync.ID{{1}, {2}}}, Delivered: true},
		{Message: sync.Message{Body: make([]byte, 100), Ephemeral: true}, Since: time.Unix(0, 1)},
		{Since: time.Unix(0, math.MaxInt64)},
	} {
		b, err := encodeMessage(&sm)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sm, err := decodeMessageValue(sync.ID{}, b)
		if err != nil {
			if !errorsIsCorrupt(err) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		re, err := encodeMessage(&sm)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("re-encoding differs:\n in  %x\n out %x", b, re)
		}
		// With its true id as the key, the value loads.
		if _, err := decodeMessage(sm.Message.ID(), b); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzDecodeGroup(f *testing.F) {
	for _, g := range []sync.Group{{}, {Members: []sync.PeerID{"a", "bb", ""}}} {
		b, err := encodeGroup(&g)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := decodeGroup(sync.ID{}, b)
		if err != nil {
			if !errorsIsCorrupt(err) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		re, err := encodeGroup(&g)
		if err != nil || !bytes.Equal(re, b) {
			t.Fatalf("re-encoding differs (%v):\n in  %x\n out %x", err, b, re)
		}
	})
}

func FuzzDecodeRecord(f *testing.F) {
	for _, r := range []sync.Record{
		{},
		{RecordKey: sync.RecordKey{Peer: "peer", Kind: sync.RecordRequest, ID: sync.ID{3}}, Group: sync.ID{4},
			Attempts: 3, Backoff: -1, First: time.Unix(0, -5), Next: time.Unix(1e9, 0)},
	} {
		k, err := recordKey(r.RecordKey)
		if err != nil {
			f.Fatal(err)
		}
		v, err := encodeRecord(&r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(k, v)
	}
	f.Fuzz(func(t *testing.T, kb, vb []byte) {
		k, err := decodeRecordKey(kb)
		if err != nil {
			if !errorsIsCorrupt(err) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if re, err := recordKey(k); err != nil || !bytes.Equal(re, kb) {
			t.Fatalf("key re-encoding differs (%v):\n in  %x\n out %x", err, kb, re)
		}
		r, err := decodeRecord(k, vb)
		if err != nil {
			if !errorsIsCorrupt(err) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if re, err := encodeRecord(&r); err != nil || !bytes.Equal(re, vb) {
			t.Fatalf("value re-encoding differs (%v):\n in  %x\n out %x", err, vb, re)
		}
	})
}

func errorsIsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }

func TestTimeEncoding(t *testing.T) {
	for _, tm := range []time.Time{
		{}, time.Unix(0, 0), time.Unix(0, -1), time.Unix(0, math.MaxInt64), time.Unix(0, math.MinInt64+1),
		time.Date(2030, 5, 6, 7, 8, 9, 10, time.FixedZone("z", -7200)),
	} {
		n, err := encodeTime(tm)
		if err != nil {
			t.Fatalf("%v: %v", tm, err)
		}
		got := decodeTime(n)
		if !got.Equal(tm) || got.IsZero() != tm.IsZero() {
			t.Errorf("%v loaded back as %v", tm, got)
		}
	}
}
