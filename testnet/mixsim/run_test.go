package mixsim

import (
	"testing"
	"time"

	"github.com/strata-lab/strata/layers/mixnet/loopix"
)

func smallConfig() Config {
	c := DefaultConfig()
	c.Clients = 40
	c.Duration = 30 * time.Second
	c.Drain = 10 * time.Second
	c.Epoch = 20 * time.Second
	c.RecordLinks = true
	return c
}

// TestRunDeliversAndAccounts: every message arrives, the ground truth is
// consistent with the link events, and no packet is dropped.
func TestRunDeliversAndAccounts(t *testing.T) {
	o, err := Run(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Messages) == 0 {
		t.Fatal("no messages")
	}
	for i, m := range o.Messages {
		if m.Delivered < 0 || m.Stored < m.Departed || m.Delivered < m.Stored || m.Departed < m.Created {
			t.Fatalf("message %d: %+v", i+1, m)
		}
		if m.FirstLink < 0 || o.GroundTruth[m.FirstLink].Msg != uint64(i+1) || o.GroundTruth[m.DeliverLink].Class != loopix.ClassPullResponse {
			t.Fatalf("message %d: links %d %d", i+1, m.FirstLink, m.DeliverLink)
		}
	}
	if len(o.Drops) != 0 {
		t.Errorf("drops: %v", o.Drops)
	}
	if len(o.LinkEvents) != len(o.GroundTruth) || len(o.Epochs) != 3 {
		t.Fatalf("%d link events, %d truths, %d epochs", len(o.LinkEvents), len(o.GroundTruth), len(o.Epochs))
	}
	// Every forwarded frame leaves the node its input frame entered, with
	// the same packet one hop further; mixes hold packets (time passes).
	for k, tr := range o.GroundTruth {
		if tr.In < 0 {
			continue
		}
		in, out := o.LinkEvents[tr.In], o.LinkEvents[k]
		if in.To != out.From || in.T > out.T {
			t.Fatalf("link %d: input %d goes to %d at %v, output from %d at %v", k, tr.In, in.To, in.T, out.From, out.T)
		}
		if tr.Class != loopix.ClassPullResponse && (o.GroundTruth[tr.In].Packet != tr.Packet || o.GroundTruth[tr.In].Hop+1 != tr.Hop) {
			t.Fatalf("link %d: truth %+v, input %+v", k, tr, o.GroundTruth[tr.In])
		}
	}
	for _, m := range o.Mixes {
		if len(m.Pool) == 0 || m.Rate <= 0 || m.Entropy <= 0 || m.LoopsBack == 0 {
			t.Errorf("mix %d: %+v", m.Node, m)
		}
	}
}

// TestDeterministic: one seed gives one trace hash; another seed another.
func TestDeterministic(t *testing.T) {
	c := smallConfig()
	c.Profile = loopix.Mobile()
	c.Adaptive = true
	a, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if a.TraceHash != b.TraceHash || a.Events != b.Events || len(a.LinkEvents) != len(b.LinkEvents) {
		t.Fatalf("two runs with one seed differ: %s/%d vs %s/%d", a.TraceHash, a.Events, b.TraceHash, b.Events)
	}
	c.Seed++
	d, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if d.TraceHash == a.TraceHash {
		t.Fatal("another seed gives the same trace")
	}
}

// TestSphinxDeployment runs a small deployment over real Sphinx packets.
func TestSphinxDeployment(t *testing.T) {
	c := smallConfig()
	c.Clients, c.Duration, c.Format = 10, 10*time.Second, SphinxFormat
	o, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	del := 0
	for _, m := range o.Messages {
		if m.Delivered >= 0 {
			del++
		}
	}
	if del != len(o.Messages) || del == 0 || len(o.Drops) != 0 {
		t.Fatalf("%d of %d delivered, drops %v", del, len(o.Messages), o.Drops)
	}
	if o.LinkEvents[0].Size != int32(1+2379) {
		t.Errorf("first frame of %d bytes", o.LinkEvents[0].Size)
	}
	c.Format = nil
	s, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.TraceHash != o.TraceHash {
		t.Error("the same seed over SimFormat gives another trace than over Sphinx")
	}
}

// TestFlushAttackDetected: the flush adversary makes the victim alarm.
func TestFlushAttackDetected(t *testing.T) {
	c := smallConfig()
	c.Clients, c.MsgRate, c.Duration = 10, 0, 90*time.Second
	c.Attack = &Flush{Mix: 4, Fraction: 0.8, From: 30 * time.Second}
	o, err := Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if v := o.Mixes[4]; v.FirstAlarm < c.Warmup+30*time.Second || o.Drops["flush"] == 0 {
		t.Fatalf("victim %+v, drops %v", v, o.Drops)
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	c.Layers = 0
	if _, err := Run(c); err == nil {
		t.Fatal("0 layers accepted")
	}
}
