package boltstore_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers/sync"
	"github.com/strata-lab/strata/layers/sync/boltstore"
)

// BenchmarkApply applies batches of one received message plus one record
// (the shape of an engine's Receive step), durable or with NoSync.
func BenchmarkApply(b *testing.B) {
	for _, noSync := range []bool{false, true} {
		for _, body := range []int{100, 4096} {
			b.Run(fmt.Sprintf("nosync=%v/body=%d", noSync, body), func(b *testing.B) {
				s, err := boltstore.Open(filepath.Join(b.TempDir(), "sync.db"), boltstore.Options{NoSync: noSync})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				now := time.Unix(1.9e9, 0).UTC()
				batch := &sync.Batch{
					Messages: []sync.StoredMessage{{Message: sync.Message{Group: sync.ID{1}, Body: make([]byte, body)}, Since: now}},
					Records:  []sync.Record{{RecordKey: sync.RecordKey{Peer: "peer", Kind: sync.RecordMessage}, First: now, Next: now}},
				}
				b.SetBytes(int64(body))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					batch.Messages[0].Message.Timestamp = uint64(i)
					batch.Records[0].ID = batch.Messages[0].Message.ID()
					if err := s.Apply(batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
			})
		}
	}
}

// BenchmarkLoad loads a store of 10,000 messages and 10,000 records.
func BenchmarkLoad(b *testing.B) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "sync.db"), boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 10_000
	now := time.Unix(1.9e9, 0).UTC()
	batch := &sync.Batch{Groups: []sync.Group{{ID: sync.ID{1}, Members: []sync.PeerID{"a", "b"}}}}
	for i := range n {
		m := sync.Message{Group: sync.ID{1}, Timestamp: uint64(i), Body: make([]byte, 200)}
		batch.Messages = append(batch.Messages, sync.StoredMessage{Message: m, Delivered: true})
		batch.Records = append(batch.Records, sync.Record{RecordKey: sync.RecordKey{Peer: "b", Kind: sync.RecordMessage, ID: m.ID()}, First: now, Next: now})
	}
	if err := s.Apply(batch); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Load(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "msgs/s")
}
