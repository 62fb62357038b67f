package overlay_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/inproc"
)

// TestScoringOff: with Config.ScoringOff gossip still flows but no peer
// is scored; with scoring on, the connected peer has a score.
func TestScoringOff(t *testing.T) {
	const topic = "/strata/1/test/chat"
	for _, off := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			nw, err := inproc.New(1, make([]inproc.HostSpec, 2))
			if err != nil {
				t.Fatal(err)
			}
			defer nw.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			d := inproc.NewDeliveries()
			var ovs []*overlay.Overlay
			for i := range 2 {
				o, err := overlay.Attach(ctx, nw.Host(i), overlay.Config{Params: overlay.DefaultParams(), Topics: []string{topic}, ScoringOff: off})
				if err != nil {
					t.Fatal(err)
				}
				defer o.Close()
				if err := d.Watch(ctx, i, o, topic); err != nil {
					t.Fatal(err)
				}
				ovs = append(ovs, o)
			}
			if err := nw.Connect(ctx, 0, 1); err != nil {
				t.Fatal(err)
			}
			time.Sleep(3 * time.Second)
			if _, err := ovs[0].Publish(ctx, topic, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			if _, ok := d.Got(inproc.MessageID(topic, []byte("hello")), 1); !ok {
				t.Fatalf("scoring off %v: message not delivered", off)
			}
			_, scored := ovs[1].Scores()[nw.Host(0).ID()]
			if scored == off {
				t.Fatalf("scoring off %v: peer scored %v", off, scored)
			}
			cancel()
			d.Wait()
		})
	}
}
