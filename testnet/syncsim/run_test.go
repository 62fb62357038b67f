package syncsim

import (
	"testing"
	"time"
)

func quickParams(m Mode, uptime float64, nodes int) Params {
	p := DefaultParams()
	p.Mode, p.Uptime, p.Nodes = m, uptime, nodes
	p.Write, p.Drain = 6*time.Hour, 12*time.Hour
	return p
}

func TestRunDeliversEverything(t *testing.T) {
	for _, m := range append(append([]Mode{}, OurModes...), MVDSModes...) {
		t.Run(string(m), func(t *testing.T) {
			o, err := Run(quickParams(m, 0.5, 3))
			if err != nil {
				t.Fatal(err)
			}
			if o.Sent == 0 || o.Delivered != o.Expected || o.Duplicates != 0 {
				t.Fatalf("sent %d, delivered %d of %d, %d duplicates", o.Sent, o.Delivered, o.Expected, o.Duplicates)
			}
			t.Logf("%s: sent %d overhead %.2f wire %d payload %d frames %d events %d overbound %d starved %d",
				m, o.Sent, float64(o.WireBytes)/float64(o.PayloadDelivered), o.WireBytes, o.PayloadDelivered, o.Frames, o.Events, o.OverBound, o.Starved)
		})
	}
}

func TestRunDeterministic(t *testing.T) {
	p := quickParams(ModeReconcile, 0.3, 4)
	a, err := Run(p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(p)
	if err != nil {
		t.Fatal(err)
	}
	if a.TraceHash != b.TraceHash || a.WireBytes != b.WireBytes || a.Delivered != b.Delivered {
		t.Fatalf("two runs with one seed differ: %s/%d/%d vs %s/%d/%d", a.TraceHash, a.WireBytes, a.Delivered, b.TraceHash, b.WireBytes, b.Delivered)
	}
	p.Seed++
	c, err := Run(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.TraceHash == a.TraceHash {
		t.Fatal("another seed gives the same trace")
	}
}
