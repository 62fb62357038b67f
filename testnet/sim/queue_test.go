package sim

import (
	"math/rand/v2"
	"testing"
)

func TestQueueOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q queue
	var seq uint64
	for round := range 50 {
		for range r.IntN(200) {
			seq++
			q.push(event{at: r.Int64N(50), seq: seq})
		}
		for range r.IntN(150) {
			if q.len() == 0 {
				break
			}
			q.pop()
		}
		// Drain a copy and check it comes out sorted by (at, seq).
		c := queue{h: append([]event(nil), q.h...)}
		var prev *event
		for c.len() > 0 {
			e := c.pop()
			if prev != nil && e.less(prev) {
				t.Fatalf("round %d: %+v popped after %+v", round, e, *prev)
			}
			prev = &e
		}
	}
}
