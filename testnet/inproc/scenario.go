package inproc

import (
	"context"
	"fmt"
	"time"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet"
)

// RunScenario runs the gossip workload of s with seed: its nodes (with
// their plan identities, link classes' latency and bandwidth, and
// bootstrap topology) as hosts of one Net, each with an honest overlay.
// Faults and churn are not modelled in process. Call it inside a
// synctest bubble; durations are virtual.
func RunScenario(ctx context.Context, s *testnet.Scenario, seed int64) (Outcome, error) {
	plan, err := testnet.NewPlan(s, seed)
	if err != nil {
		return Outcome{}, err
	}
	if s.Workload.Kind != "gossip" {
		return Outcome{}, fmt.Errorf("%w: the in-process harness runs gossip workloads, not %q", ErrConfig, s.Workload.Kind)
	}
	specs := make([]HostSpec, len(plan.Nodes))
	for i, nd := range plan.Nodes {
		c := s.Links[nd.Class]
		specs[i] = HostSpec{Key: nd.Key, Link: Link{Latency: time.Duration(c.Latency), Bandwidth: c.Bandwidth}}
	}
	nw, err := New(seed, specs)
	if err != nil {
		return Outcome{}, err
	}
	defer nw.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	topic := s.Topics[0]
	d := NewDeliveries()
	ovs := make([]*overlay.Overlay, nw.Len())
	for i := range ovs {
		o, err := overlay.Attach(ctx, nw.Host(i), overlay.Config{Params: overlay.DefaultParams(), Topics: s.Topics})
		if err != nil {
			return Outcome{}, err
		}
		defer o.Close()
		ovs[i] = o
		if err := d.Watch(ctx, i, o, topic); err != nil {
			return Outcome{}, err
		}
	}
	for i, nd := range plan.Nodes {
		for _, b := range nd.Bootstrap {
			if err := nw.Connect(ctx, i, b); err != nil {
				return Outcome{}, fmt.Errorf("%s → %s: %w", nd.Name, plan.Nodes[b].Name, err)
			}
		}
	}
	time.Sleep(time.Duration(s.Workload.Warmup))
	start := time.Now()
	var msgs []Message
	for _, pub := range plan.Publications {
		time.Sleep(time.Until(start.Add(pub.At)))
		id := MessageID(topic, pub.Data)
		d.Published(id, time.Now())
		if _, err := ovs[pub.Node].Publish(ctx, topic, pub.Data); err != nil {
			return Outcome{}, err
		}
		msgs = append(msgs, Message{ID: id, Origin: pub.Node})
	}
	time.Sleep(time.Duration(s.Measure.Drain))
	all := make([]int, len(plan.Nodes))
	for i := range all {
		all[i] = i
	}
	out := d.Outcome(msgs, all, func(i int) string { return plan.Nodes[i].Name })
	cancel()
	d.Wait()
	return out, nil
}
