package trafficanalysis

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/testnet/mixsim"
)

func smallRun(t *testing.T, baseline bool) (*mixsim.Outcome, *observation) {
	t.Helper()
	c := mixsim.DefaultConfig()
	c.Clients, c.RecordLinks, c.Baseline = 30, true, baseline
	c.Warmup, c.Duration, c.Drain = 5*time.Second, 20*time.Second, 10*time.Second
	c.MsgRate = 0.2
	o, err := mixsim.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := observe(o)
	if err != nil {
		t.Fatal(err)
	}
	return o, ob
}

func TestGPATracesUnmixedTrafficAndNotMixedTraffic(t *testing.T) {
	o, ob := smallRun(t, true)
	p, err := score(o, ob, ob.net)
	if err != nil {
		t.Fatal(err)
	}
	if p.messages < 50 || p.top1 != 1 || p.entropy != 0 {
		t.Fatalf("no mixing: %+v, want every sender found", p)
	}
	o, ob = smallRun(t, false)
	m, err := score(o, ob, ob.net)
	if err != nil {
		t.Fatal(err)
	}
	if m.messages < 50 || m.top1 > 0.3 || m.entropy < 3 {
		t.Fatalf("mixing: %+v, want the senders hidden", m)
	}
	// Compromising every mix gives the mapping away.
	all := make([]int, len(ob.mixes))
	for i := range all {
		all[i] = i
	}
	c, err := score(o, ob, ob.compromise(o, all))
	if err != nil {
		t.Fatal(err)
	}
	if c.top1 != 1 || c.entropy != 0 {
		t.Fatalf("all mixes compromised: %+v, want every sender found", c)
	}
}

func TestObserveNeedsLinks(t *testing.T) {
	c := mixsim.DefaultConfig()
	c.Clients, c.Duration = 10, 5*time.Second
	o, err := mixsim.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := observe(o); !errors.Is(err, ErrBadTrace) {
		t.Fatalf("a run without links: %v", err)
	}
}

func TestStudiesReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the SDA study twice")
	}
	o := attacks.Options{Seed: 5, Quick: true}
	a, err := SDAStudy(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SDAStudy(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Metrics, b.Metrics) {
		t.Fatal("the same seed gave different metrics")
	}
	if err := a.Evaluate(); err != nil {
		t.Fatal(err)
	}
	for _, g := range a.Goals {
		if !g.Met {
			t.Errorf("goal missed: %+v", g)
		}
	}
}
