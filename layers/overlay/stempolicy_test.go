package overlay

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func testPolicy(q float64) *stemPolicy {
	p := &stemPolicy{q: q, epoch: DefaultStemEpoch, failSafe: DefaultStemFailSafe}
	copy(p.key[:], "a fixed stem key for the tests..")
	return p
}

// TestStemPolicyRole: over many epochs a node is a diffuser in about a
// share q of them (binomial, 5 standard deviations).
func TestStemPolicyRole(t *testing.T) {
	for _, q := range []float64{0.1, 0.3} {
		p := testPolicy(q)
		const n = 20000
		k := 0
		for e := range uint64(n) {
			if p.diffuser(e) {
				k++
			}
		}
		if sd := math.Sqrt(n * q * (1 - q)); math.Abs(float64(k)-n*q) > 5*sd {
			t.Fatalf("q = %v: diffuser in %d of %d epochs", q, k, n)
		}
	}
}

// TestStemPolicyRelays: two relays, distinct, among the candidates, the
// same whatever the candidates' order, kept when an unchosen candidate
// joins, and (usually) changed by the epoch; routes are 0 or 1; relay
// timers lie in [FailSafe/2, FailSafe).
func TestStemPolicyRelays(t *testing.T) {
	p := testPolicy(0.1)
	var cands []peer.ID
	for i := range 10 {
		cands = append(cands, peer.ID(fmt.Sprintf("peer-%02d", i)))
	}
	rs := p.relays(1, "/strata/1/test/t", cands)
	if len(rs) != StemRelays || rs[0] == rs[1] || !slices.Contains(cands, rs[0]) || !slices.Contains(cands, rs[1]) {
		t.Fatalf("relays %v", rs)
	}
	rev := slices.Clone(cands)
	slices.Reverse(rev)
	if got := p.relays(1, "/strata/1/test/t", rev); !slices.Equal(got, rs) {
		t.Fatalf("order changes the choice: %v, %v", got, rs)
	}
	for i := 10; i < 20; i++ {
		more := append(slices.Clone(cands), peer.ID(fmt.Sprintf("peer-%02d", i)))
		got := p.relays(1, "/strata/1/test/t", more)
		if !slices.Contains(got, more[10]) && !slices.Equal(got, rs) {
			t.Fatalf("an unchosen newcomer changed the relays: %v, %v", got, rs)
		}
	}
	changed := 0
	for e := uint64(2); e < 22; e++ {
		if !slices.Equal(p.relays(e, "/strata/1/test/t", cands), rs) {
			changed++
		}
	}
	if changed < 10 {
		t.Fatalf("relays changed in only %d of 20 epochs", changed)
	}
	if got := p.relays(1, "/strata/1/test/t", cands[:1]); len(got) != 1 {
		t.Fatalf("one candidate gives %v", got)
	}
	routes := map[int]int{}
	for _, c := range cands {
		routes[p.route(1, "/strata/1/test/t", c)]++
	}
	if len(routes) != 2 || routes[0]+routes[1] != len(cands) {
		t.Fatalf("routes %v", routes)
	}
	for i := range 1000 {
		d := p.relayTimeout([]byte(fmt.Sprint(i)))
		if d < p.failSafe/2 || d >= p.failSafe {
			t.Fatalf("relay timer %v outside [%v, %v)", d, p.failSafe/2, p.failSafe)
		}
	}
	if p.epochOf(time.Unix(0, 0).Add(DefaultStemEpoch)) != 1 {
		t.Fatal("epoch numbering")
	}
}
