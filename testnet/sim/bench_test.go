package sim

import (
	"fmt"
	"testing"
	"time"
)

// pingNode bounces every payload back to its sender; at Start it serves
// one to its partner.
type pingNode struct {
	peer NodeID
	buf  []byte
}

func (p *pingNode) Start(env *Env)                                { env.Send(p.peer, p.buf) }
func (p *pingNode) Receive(env *Env, from NodeID, payload []byte) { env.Send(from, payload) }
func (p *pingNode) Timer(*Env, uint64)                            {}
func (p *pingNode) Up(*Env)                                       {}
func (p *pingNode) Down(*Env)                                     {}

// newPingSim returns a started simulator of n ping-pong nodes (n even) on
// a fixed-latency link.
func newPingSim(tb testing.TB, n int, traceLinks bool) *Sim {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.DefaultLink = LinkModel{Latency: Fixed(10 * time.Millisecond)}
	cfg.TraceLinks = traceLinks
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		if _, err := s.Add(&pingNode{peer: NodeID(i ^ 1), buf: make([]byte, 64)}, NodeConfig{}); err != nil {
			tb.Fatal(err)
		}
	}
	s.Step() // start: every Start runs before the timer
	return s
}

// BenchmarkSimEvents measures raw event throughput: nodes ping-pong 64-byte
// packets in pairs over a fixed-latency link, one event per delivery, so the
// queue holds one packet per node. One op is one event; events/s is the
// headline figure. trace=on adds a send and a recv trace event per packet
// (a JSON encoding and SHA-256 of each), which is what it then measures.
func BenchmarkSimEvents(b *testing.B) {
	for _, bc := range []struct {
		nodes int
		trace bool
	}{{1000, false}, {1000, true}, {10000, false}} {
		name := fmt.Sprintf("nodes=%d/trace=%s", bc.nodes, map[bool]string{false: "off", true: "on"}[bc.trace])
		b.Run(name, func(b *testing.B) {
			s := newPingSim(b, bc.nodes, bc.trace)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if !s.Step() {
					b.Fatal("queue ran dry")
				}
			}
			b.StopTimer()
			if err := s.Err(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
