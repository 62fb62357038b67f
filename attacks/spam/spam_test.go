package spam

import (
	"errors"
	"slices"
	"testing"
	"time"

	ospam "github.com/strata-lab/strata/layers/overlay/spam"
)

func TestBFS(t *testing.T) {
	// 0-1-2-3, 4 alone.
	adj := [][]int{{1}, {0, 2}, {1, 3}, {2}, nil}
	if got, want := bfs(adj, 0), []int{0, 1, 2, 3, -1}; !slices.Equal(got, want) {
		t.Fatalf("bfs = %v, want %v", got, want)
	}
}

func TestTopologyConnectedNoDuplicates(t *testing.T) {
	i := 0
	next := func(n int) int { i = (i*7 + 3) % n; return i }
	edges := topology(10, 3, next)
	adj := make([][]int, 10)
	seen := map[[2]int]bool{}
	for _, e := range edges {
		k := [2]int{min(e[0], e[1]), max(e[0], e[1])}
		if e[0] == e[1] || seen[k] {
			t.Fatalf("self loop or duplicate edge %v", e)
		}
		seen[k] = true
		adj[e[0]] = append(adj[e[0]], e[1])
		adj[e[1]] = append(adj[e[1]], e[0])
	}
	for v, d := range bfs(adj, 0) {
		if d < 0 {
			t.Fatalf("node %d unreachable", v)
		}
	}
}

func TestSpamMarker(t *testing.T) {
	if !isSpam(payload(7)) {
		t.Fatal("a flood payload is not recognised")
	}
	b, _, err := invalid(time.Time{}, 3)
	if err != nil || !isSpam(b) {
		t.Fatal("an invalid flood message is not recognised")
	}
	if _, err := ospam.Decode(b); !errors.Is(err, ospam.ErrVersion) {
		t.Fatalf("the invalid flood message decodes: %v", err)
	}
	if isSpam([]byte("honest\x00\x00\x00\x01")) {
		t.Fatal("an honest payload is taken for spam")
	}
}

func TestSpread(t *testing.T) {
	o := &Outcome{SpamSent: 10, Dist: []int{1, 2, 3, 1}, SpamReceived: []int{10, 5, 0, 10}, SpamAccepted: []int{0, 5, 0, 0}}
	hops, reach, acc := spread(o, 4)
	if hops != 2 || reach != 0.75 || acc != 5.0/40 {
		t.Fatalf("spread = %d %v %v", hops, reach, acc)
	}
	if hops, _, _ := spread(o, 10); hops != 0 {
		t.Fatalf("no node above the allowance, hops %d", hops)
	}
}

func TestDist(t *testing.T) {
	xs := []float64{1, 2, 3, 4}
	d := dist(xs)
	if d.N != 4 || d.Min != 1 || d.Max != 4 || d.Mean != 2.5 {
		t.Fatalf("dist = %+v", d)
	}
	if last := d.Points[len(d.Points)-1]; last != [2]float64{4, 1} {
		t.Fatalf("CDF ends at %v", last)
	}
	if dist(nil) != nil {
		t.Fatal("dist of nothing")
	}
}

func TestPartsWellFormed(t *testing.T) {
	names := map[string]bool{}
	for _, p := range Parts() {
		if names[p.Name] {
			t.Fatalf("duplicate part %s", p.Name)
		}
		names[p.Name] = true
		var base, on, offAttack bool
		for _, r := range p.Runs {
			l := labels(r)
			switch {
			case r.Flood == "":
				base = true
			case l["defence"] == "on":
				if on {
					t.Fatalf("%s: two defence-on attack runs", p.Name)
				}
				on = true
			default:
				offAttack = true
			}
		}
		if !base || !on || !offAttack {
			t.Fatalf("%s: needs a baseline, a defence-on and a defence-off attack run", p.Name)
		}
		if p.messageFlood() && p.Rate < Multiplier*p.AllowedRate {
			t.Fatalf("%s: floods at %v/s, below %d× the allowed %v/s", p.Name, p.Rate, Multiplier, p.AllowedRate)
		}
	}
	for _, a := range All() {
		if !names[a.Name] || a.Measure == nil || a.Group != "spam" {
			t.Fatalf("attack %s does not match a part", a.Name)
		}
	}
}

func TestAllowance(t *testing.T) {
	p := Part{AllowedRate: 4, AllowedBurst: 8}
	if got := p.allowance(10 * time.Second); got != 48 {
		t.Fatalf("allowance = %v", got)
	}
}
