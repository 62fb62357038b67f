package trafficanalysis

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

const msec = time.Millisecond

// twoSenders: clients 0 and 1 each send one packet to relay 2, which sends
// both on to relay 3. Targets are the relay's two outputs (IDs 3 and 4).
func twoSenders() []Transmission {
	return []Transmission{
		{ID: 1, From: 0, To: 2, Sent: 0, Recv: 1 * msec},
		{ID: 2, From: 1, To: 2, Sent: 2 * msec, Recv: 3 * msec},
		{ID: 3, From: 2, To: 3, Sent: 10 * msec, Recv: 11 * msec},
		{ID: 4, From: 2, To: 3, Sent: 12 * msec, Recv: 13 * msec},
	}
}

func track(t *testing.T, net Network, trace []Transmission, targets ...uint64) map[uint64][]float64 {
	t.Helper()
	tr, err := NewTracker(net, targets)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.Run(trace)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestTrackerWithoutMixingTracesTheSender(t *testing.T) {
	// each packet leaves the relay before the next arrives: a pool of one
	trace := []Transmission{
		{ID: 1, From: 0, To: 2, Sent: 0, Recv: 1 * msec},
		{ID: 3, From: 2, To: 3, Sent: 1 * msec, Recv: 2 * msec},
		{ID: 2, From: 1, To: 2, Sent: 5 * msec, Recv: 6 * msec},
		{ID: 4, From: 2, To: 3, Sent: 6 * msec, Recv: 7 * msec},
	}
	got := track(t, Network{Clients: 2, Nodes: 4}, trace, 3, 4)
	for id, sender := range map[uint64]int{3: 0, 4: 1} {
		p := Posterior(got[id])
		if Entropy(p) != 0 || !Top1(p, sender) || math.Abs(LogRatio(p, 0, 1)) != MaxLogRatio {
			t.Errorf("target %d: posterior %v", id, p)
		}
	}
}

func TestTrackerPoolSplitsMass(t *testing.T) {
	got := track(t, Network{Clients: 2, Nodes: 4}, twoSenders(), 3, 4)
	for _, id := range []uint64{3, 4} {
		p := Posterior(got[id])
		if math.Abs(Entropy(p)-1) > 1e-12 || math.Abs(LogRatio(p, 0, 1)) > 1e-12 || Top1(p, 0) || Top1(p, 1) {
			t.Errorf("target %d: posterior %v, want uniform", id, p)
		}
	}
}

func TestTrackerCompromisedRelayRevealsMapping(t *testing.T) {
	net := Network{Clients: 2, Nodes: 4, Compromised: map[int]bool{2: true}, Mapping: map[uint64]uint64{3: 2, 4: 1}}
	got := track(t, net, twoSenders(), 3, 4)
	if p := Posterior(got[3]); !Top1(p, 1) || Entropy(p) != 0 {
		t.Errorf("target 3: %v, want all on client 1", p)
	}
	if p := Posterior(got[4]); !Top1(p, 0) || Entropy(p) != 0 {
		t.Errorf("target 4: %v, want all on client 0", p)
	}
}

func TestTrackerOriginatedPacketsAreUnattributed(t *testing.T) {
	trace := []Transmission{{ID: 9, From: 2, To: 3, Sent: 0, Recv: 1 * msec}}
	got := track(t, Network{Clients: 2, Nodes: 4}, trace, 9)
	if Posterior(got[9]) != nil {
		t.Errorf("a relay's own packet attributed to a client: %v", got[9])
	}
}

func TestTrackerOrderIndependent(t *testing.T) {
	want := track(t, Network{Clients: 2, Nodes: 4}, twoSenders(), 3, 4)
	r := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		tr := twoSenders()
		r.Shuffle(len(tr), func(i, j int) { tr[i], tr[j] = tr[j], tr[i] })
		got := track(t, Network{Clients: 2, Nodes: 4}, tr, 3, 4)
		for id := range want {
			if !slices.Equal(got[id], want[id]) {
				t.Fatalf("shuffled trace: %v, want %v", got, want)
			}
		}
	}
}

func TestTrackerRejectsBadTraces(t *testing.T) {
	for name, tr := range map[string][]Transmission{
		"duplicate id":     {{ID: 1, From: 0, To: 2, Recv: msec}, {ID: 1, From: 1, To: 2, Recv: msec}},
		"unknown node":     {{ID: 1, From: 0, To: 7, Recv: msec}},
		"no latency":       {{ID: 1, From: 0, To: 2}},
		"arrives too soon": {{ID: 1, From: 0, To: 2, Sent: 2 * msec, Recv: 1 * msec}},
	} {
		tk, _ := NewTracker(Network{Clients: 2, Nodes: 4}, nil)
		if _, err := tk.Run(tr); !errors.Is(err, ErrBadTrace) {
			t.Errorf("%s: %v, want ErrBadTrace", name, err)
		}
	}
	if _, err := NewTracker(Network{Clients: 2, Nodes: 2}, nil); !errors.Is(err, ErrBadTrace) {
		t.Errorf("a network without relays: %v", err)
	}
}

func TestLogRatio(t *testing.T) {
	p := []float64{0.5, 0.25, 0.25, 0}
	if e := LogRatio(p, 0, 1); math.Abs(e-math.Ln2) > 1e-12 || LogRatio(p, 1, 0) != -e {
		t.Errorf("ln ratio = %v, want ln 2", e)
	}
	if LogRatio(p, 3, 3) != 0 || LogRatio(p, 0, 3) != MaxLogRatio || LogRatio(p, 3, 0) != -MaxLogRatio {
		t.Error("ln ratio with zero mass")
	}
	if h := Entropy([]float64{0.25, 0.25, 0.25, 0.25}); h != 2 {
		t.Errorf("entropy %v, want 2", h)
	}
}

func TestSDAFindsContactsWithoutCover(t *testing.T) {
	// The target sends to recipients 3 and 7 when active; 20 recipients get
	// background messages.
	r := rand.New(rand.NewPCG(3, 4))
	var rounds []Round
	for range 400 {
		rd := Round{Received: make([]int, 20)}
		for range 10 {
			rd.Received[r.IntN(20)]++
		}
		if r.IntN(2) == 0 {
			rd.Target = 1
			rd.Received[[]int{3, 7}[r.IntN(2)]]++
		}
		rounds = append(rounds, rd)
	}
	n := RoundsToIdentify(rounds, 20, []int{3, 7})
	if n < 1 || n > 400 {
		t.Fatalf("contacts not identified in 400 rounds (%d)", n)
	}
	// Constant cover activity carries no signal: never identified.
	flat := slices.Clone(rounds)
	for i := range flat {
		flat[i].Target = 5
	}
	if got := RoundsToIdentify(flat, 20, []int{3, 7}); got != -1 && got < n {
		t.Errorf("constant activity identified the contacts sooner (%d < %d)", got, n)
	}
}

func TestTrackerImmediateRelayMatchesByTime(t *testing.T) {
	// Relay 2 forwards at once: the output at 1 msec is client 0's packet
	// even though client 1's packet is stored there too.
	trace := []Transmission{
		{ID: 1, From: 1, To: 2, Sent: 0, Recv: msec / 2},
		{ID: 2, From: 0, To: 2, Sent: 0, Recv: 1 * msec},
		{ID: 3, From: 2, To: 3, Sent: 1 * msec, Recv: 2 * msec},
	}
	got := track(t, Network{Clients: 2, Nodes: 4, Immediate: map[int]bool{2: true}}, trace, 3)
	if p := Posterior(got[3]); !Top1(p, 0) || Entropy(p) != 0 {
		t.Errorf("posterior %v, want all on client 0", p)
	}
	got = track(t, Network{Clients: 2, Nodes: 4}, trace, 3)
	if p := Posterior(got[3]); Entropy(p) != 1 {
		t.Errorf("as a pool: posterior %v, want uniform", p)
	}
}
