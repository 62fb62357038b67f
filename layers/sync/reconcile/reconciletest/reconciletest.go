// Package reconciletest generates the reconciliation workloads that the
// benchmarks and the simulator studies share: a set of n items and the same
// set less d of them.
package reconciletest

import (
	"math/rand/v2"

	"github.com/strata-lab/strata/layers/sync/reconcile"
)

// Epoch is the timestamp (ms) of the first item: 2026-01-01T00:00:00Z.
const Epoch = 1767225600000

// Span is the time the items spread over: 30 days, in milliseconds.
const Span = 30 * 24 * 3600 * 1000

// Items returns n items with timestamps uniform over Span from Epoch and
// uniformly random ids, drawn from seed.
func Items(seed uint64, n int) []reconcile.Item {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	items := make([]reconcile.Item, n)
	for i := range items {
		items[i].Timestamp = Epoch + r.Uint64N(Span)
		for j := 0; j < len(items[i].ID); j += 8 {
			v := r.Uint64()
			for k := range 8 {
				items[i].ID[j+k] = byte(v >> (8 * k))
			}
		}
	}
	return items
}

// Lacking returns items less d of them spread evenly (the d-th part's
// middle element of each of d equal parts), so that the differences fall
// in different ranges. d must be at most len(items).
func Lacking(items []reconcile.Item, d int) []reconcile.Item {
	n := len(items)
	skip := make(map[int]bool, d)
	for i := range d {
		skip[(i*n)/d+n/(2*d)] = true
	}
	out := make([]reconcile.Item, 0, n-d)
	for i, it := range items {
		if !skip[i] {
			out = append(out, it)
		}
	}
	return out
}
