package sync

import (
	"fmt"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers/sync/reconcile"
	"github.com/strata-lab/strata/layers/sync/reconcile/reconciletest"
)

func benchFrame() *Frame {
	g := gid("bench")
	f := &Frame{Acks: sortedIDs("ack", 16), Offers: sortedIDs("offer", 16)}
	for i := range 16 {
		f.Messages = append(f.Messages, Message{Group: g, Timestamp: uint64(1767225600000 + i), Body: detBytes(fmt.Sprint(i), 512), Parents: sortedIDs(fmt.Sprint("p", i), 2)})
	}
	return f
}

func BenchmarkEncodeFrame(b *testing.B) {
	f := benchFrame()
	enc, err := EncodeFrame(f)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := EncodeFrame(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeFrame(b *testing.B) {
	enc, err := EncodeFrame(benchFrame())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := DecodeFrame(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessageID(b *testing.B) {
	for _, size := range []int{64, 1024, 16384} {
		b.Run(fmt.Sprintf("body=%d", size), func(b *testing.B) {
			m := Message{Group: gid("g"), Timestamp: 1, Body: detBytes("b", size), Parents: sortedIDs("p", 4)}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				_ = m.ID()
			}
		})
	}
}

// BenchmarkEngineStep measures one message end to end between two engines
// in memory: Send at a, Receive at b, the ack back at a. One op is one
// message; msgs/s counts them.
func BenchmarkEngineStep(b *testing.B) {
	for _, mode := range []Mode{ModeBatch, ModeInteractive} {
		b.Run("mode="+mode.String(), func(b *testing.B) {
			n := newTestNet(b, func(c *Config) { c.AckDelay = 0 }, "a", "b")
			g := gid("g")
			n.link(mode, false, g)
			body := detBytes("body", 256)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := n.engines["a"].Send(n.now, g, body, false); err != nil {
					b.Fatal(err)
				}
				n.run(n.now.Add(time.Second))
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// reconcileSets caches the benchmark sets per n.
var reconcileSets = map[int][]reconcile.Item{}

func benchItems(n int) []reconcile.Item {
	if items, ok := reconcileSets[n]; ok {
		return items
	}
	items := reconciletest.Items(uint64(n), n)
	reconcileSets[n] = items
	return items
}

// BenchmarkReconcile runs a whole reconciliation between a set of n items
// and the same set less d of them, through the wire codec, and reports the
// bytes of every frame exchanged (both directions together) and the round
// trips (messages / 2, rounded up).
func BenchmarkReconcile(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000, 1000000} {
		for _, d := range []int{0, 1, 10, 100, 1000} {
			if d > n {
				continue
			}
			b.Run(fmt.Sprintf("n=%d/d=%d", n, d), func(b *testing.B) {
				if n > 100000 && testing.Short() {
					b.Skip("n > 100000 is skipped with -short")
				}
				items := benchItems(n)
				a := reconcile.NewSet(items)
				bs := reconcile.NewSet(reconciletest.Lacking(items, d))
				p := reconcile.DefaultParams()
				var bytes, msgs int
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					rounds, haveA, haveB, err := Transcript(gid("g"), a, bs, uint64(i), p)
					if err != nil {
						b.Fatal(err)
					}
					if len(haveA) != d || len(haveB) != 0 {
						b.Fatalf("found %d and %d differences, want %d and 0", len(haveA), len(haveB), d)
					}
					bytes, msgs = 0, len(rounds)
					for _, r := range rounds {
						bytes += len(r)
					}
				}
				b.ReportMetric(float64(bytes), "bytes")
				b.ReportMetric(float64((msgs+1)/2), "roundtrips")
				b.ReportMetric(float64(msgs), "messages")
			})
		}
	}
}
