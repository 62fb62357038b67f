package dht

import (
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// TestResultDocument checks the result built from two runs: valid, with
// the filter-on goals evaluated against the measured entries.
func TestResultDocument(t *testing.T) {
	s := StudyAt(true)
	s.Ks = []int{1, 2}
	pt := func(k, entries int) Point {
		return Point{K: k, Sybils: 8 * k, Connected: 8 * k, Victim: peer.ID("v"),
			Before:       Table{Size: 80, Honest: 80, NearOf: 20},
			After:        Table{Size: 80 + entries, Honest: 80, Attacker: entries, Groups: k, MaxPerGroup: 3, MaxPerGroupCPL: 2, Near: entries, NearOf: 20},
			LookupsAfter: Lookups{Done: 10, Share: 0.5}}
	}
	on := &Outcome{Config: s.Config(1, nil, true), Points: []Point{pt(1, 3), pt(2, 7)}, HonestTable: 80}
	off := &Outcome{Config: s.Config(1, nil, false), Points: []Point{pt(1, 8), pt(2, 16)}, HonestTable: 80}
	r, err := s.Result(1, true, time.Now(), []*Outcome{on, off})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Evaluate(); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(r.Goals) != 2 || !r.Goals[0].Met || r.Goals[1].Met || r.Goals[1].Target != 6 || r.Goals[1].Measured != 7 {
		t.Fatalf("goals: %+v", r.Goals)
	}
	m, ok := r.Lookup("attacker_share", map[string]string{"filter": "off", "K": "2", "run": "attack"})
	if !ok || m.Value != 16.0/96 {
		t.Fatalf("attacker share, filter off, K=2: %+v", m)
	}
}
