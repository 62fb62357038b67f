package dht

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/strata-lab/strata/internal/gotest"
	"github.com/strata-lab/strata/layers/overlay"
)

// runNet runs one configuration in a synctest bubble.
func runNet(t *testing.T, c Config) *Outcome {
	t.Helper()
	var out *Outcome
	synctest.Test(t, func(t *testing.T) {
		var err error
		out, err = Run(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
	})
	return out
}

func logPoints(t *testing.T, o *Outcome) {
	t.Helper()
	for _, p := range o.Points {
		t.Logf("filter %s, K=%d (%d Sybils, %d connected): table %d → %d entries, attacker %d (share %.3f, %d groups, ≤%d per group, ≤%d per group and depth), "+
			"neighbourhood %d/%d, honest entries lost %d, %d connections; lookups all-attacker %.2f → %.2f, attacker share %.2f → %.2f",
			onOff(o.Config.Filter()), p.K, p.Sybils, p.Connected, p.Before.Size, p.After.Size, p.After.Attacker, p.After.Share(), p.After.Groups,
			p.After.MaxPerGroup, p.After.MaxPerGroupCPL, p.After.Near, p.After.NearOf, p.HonestLost, p.Conns,
			p.LookupsBefore.AllAttacker, p.LookupsAfter.AllAttacker, p.LookupsBefore.Share, p.LookupsAfter.Share)
	}
}

// TestStudyDHTEclipse is the study of routing-table poisoning against
// kad-dht's diversity filter. Run by `strata attack sybil` (see
// internal/gotest) it runs at the quick or full size and writes the
// result; as an ordinary test it runs a small network and checks what
// the filter promises: with it on, an attacker's entries stay within 3
// per /16 group (2 per depth); with it off, one address floods the
// victim's deep buckets.
func TestStudyDHTEclipse(t *testing.T) {
	p, ok, err := gotest.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		if p.Only != "" && p.Only != Name {
			t.Fatalf("no part %q in this study (it has %q)", p.Only, Name)
		}
		if err := p.NoRuns(); err != nil {
			t.Fatal(err)
		}
		study(t, p)
		return
	}
	pool, err := Grind(7, 1<<12)
	if err != nil {
		t.Fatal(err)
	}
	lim := overlay.DefaultLimits()
	base := Config{Seed: 7, Honest: 16, PerAddr: 6, Pool: pool, Latency: 20 * time.Millisecond,
		Bootstraps: 3, Settle: 90 * time.Second, Attack: 45 * time.Second, Lookups: 2,
		ConnLow: lim.ConnLow, ConnHigh: lim.ConnHigh, ConnGrace: time.Duration(lim.ConnGrace)}

	on := base
	on.Ks, on.PerCPL, on.PerTable = []int{2}, FilterPerCPL, FilterPerTable
	o := runNet(t, on)
	logPoints(t, o)
	pt := o.Points[0]
	switch {
	case pt.Before.Attacker != 0:
		t.Fatalf("filter on: %d attacker entries before the attack", pt.Before.Attacker)
	case pt.After.Attacker == 0:
		t.Fatalf("filter on: no Sybil entered the victim's table (%d of %d connected): the attack did not run", pt.Connected, pt.Sybils)
	case pt.After.Attacker > FilterPerTable*pt.K || pt.After.MaxPerGroup > FilterPerTable || pt.After.MaxPerGroupCPL > FilterPerCPL:
		t.Fatalf("filter on: %d attacker entries from %d groups (≤ %d per group, ≤ %d per group and depth): beyond the filter's limits",
			pt.After.Attacker, pt.K, pt.After.MaxPerGroup, pt.After.MaxPerGroupCPL)
	}

	off := base
	off.Ks = []int{1}
	o = runNet(t, off)
	logPoints(t, o)
	pt = o.Points[0]
	if pt.After.Attacker <= FilterPerTable || pt.After.MaxPerGroup <= FilterPerTable {
		t.Fatalf("filter off: one address holds %d entries of the victim's table, want more than the filter's %d", pt.After.Attacker, FilterPerTable)
	}
	if pt.After.Near < pt.After.Attacker && pt.After.Near < pt.After.NearOf {
		t.Fatalf("filter off: %d Sybils in the table but only %d among the victim's %d closest entries: they did not land in the deep buckets",
			pt.After.Attacker, pt.After.Near, pt.After.NearOf)
	}
}

// study runs the study at p's size with the filter on and off and writes
// its result.
func study(t *testing.T, p gotest.Params) {
	started := time.Now()
	s := StudyAt(p.Quick)
	t.Logf("grinding %d identities", s.Grind)
	pool, err := Grind(p.Seed, s.Grind)
	if err != nil {
		t.Fatal(err)
	}
	var outs []*Outcome
	for _, filter := range []bool{true, false} {
		t.Logf("filter %s: %d honest servers, attackers with K = %v addresses × %d Sybils", onOff(filter), s.Honest, s.Ks, s.PerAddr)
		c := s.Config(p.Seed, pool, filter)
		c.Progress = func(m string) { t.Log(m) }
		o := runNet(t, c)
		logPoints(t, o)
		outs = append(outs, o)
	}
	r, err := s.Result(p.Seed, p.Quick, started, outs)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(r); err != nil {
		t.Fatal(err)
	}
}
