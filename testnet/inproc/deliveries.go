package inproc

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
)

// MessageID is the hex form of a message's overlay id, the key Deliveries
// uses.
func MessageID(topic string, data []byte) string {
	id := overlay.MessageID(topic, data)
	return hex.EncodeToString(id[:])
}

// Delivery is one node's first receipt of one message.
type Delivery struct {
	At time.Time
	// From is the peer that forwarded the message (the node itself for
	// its own publications).
	From peer.ID
}

// Deliveries records which node received which message when, for a
// gossip workload. It is safe for concurrent use.
type Deliveries struct {
	mu   sync.Mutex
	got  map[string]map[int]Delivery
	sent map[string]time.Time
	wg   sync.WaitGroup
}

// NewDeliveries returns an empty record.
func NewDeliveries() *Deliveries {
	return &Deliveries{got: map[string]map[int]Delivery{}, sent: map[string]time.Time{}}
}

// Watch subscribes node's overlay to topic and records every message it
// delivers until ctx ends. Call Wait after ending ctx.
func (d *Deliveries) Watch(ctx context.Context, node int, o *overlay.Overlay, topic string) error {
	tp, err := o.Topic(topic)
	if err != nil {
		return err
	}
	sub, err := tp.Subscribe()
	if err != nil {
		return fmt.Errorf("inproc: node %d subscribing to %s: %w", node, topic, err)
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer sub.Cancel()
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				return
			}
			d.record(MessageID(topic, m.Data), node, Delivery{At: time.Now(), From: m.ReceivedFrom})
		}
	}()
	return nil
}

func (d *Deliveries) record(id string, node int, dl Delivery) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := d.got[id]
	if m == nil {
		m = map[int]Delivery{}
		d.got[id] = m
	}
	if _, ok := m[node]; !ok {
		m[node] = dl
	}
}

// Published notes that message id was published at.
func (d *Deliveries) Published(id string, at time.Time) {
	d.mu.Lock()
	d.sent[id] = at
	d.mu.Unlock()
}

// Got returns node's first receipt of message id.
func (d *Deliveries) Got(id string, node int) (Delivery, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, ok := d.got[id][node]
	return dl, ok
}

// Wait waits for the Watch goroutines, which end with their contexts.
func (d *Deliveries) Wait() { d.wg.Wait() }

// Message is a published message and the node that published it.
type Message struct {
	ID     string
	Origin int
}

// Outcome is a gossip workload's delivery figures.
type Outcome struct {
	Expected, Delivered int
	// Latency lists every delivery's latency from publication, sorted.
	Latency []time.Duration
	// Set lists "receiver message" for every delivery, sorted: two runs
	// that delivered the same messages to the same nodes have equal sets.
	Set []string
}

// Outcome counts, for every message, the receivers other than its origin
// that got it; name labels receivers in Set.
func (d *Deliveries) Outcome(msgs []Message, receivers []int, name func(int) string) Outcome {
	d.mu.Lock()
	defer d.mu.Unlock()
	var o Outcome
	for _, m := range msgs {
		sent, published := d.sent[m.ID]
		for _, r := range receivers {
			if r == m.Origin {
				continue
			}
			o.Expected++
			dl, ok := d.got[m.ID][r]
			if !ok {
				continue
			}
			o.Delivered++
			if published {
				o.Latency = append(o.Latency, dl.At.Sub(sent))
			}
			o.Set = append(o.Set, name(r)+" "+m.ID)
		}
	}
	slices.Sort(o.Latency)
	slices.Sort(o.Set)
	return o
}

// Rate is the delivered share of expected deliveries (1 when nothing was
// expected).
func (o Outcome) Rate() float64 {
	if o.Expected == 0 {
		return 1
	}
	return float64(o.Delivered) / float64(o.Expected)
}

// Percentile returns the q-quantile (0 ≤ q ≤ 1) of the latencies, or 0
// when there are none.
func (o Outcome) Percentile(q float64) time.Duration {
	if len(o.Latency) == 0 {
		return 0
	}
	i := int(q * float64(len(o.Latency)-1))
	return o.Latency[min(max(i, 0), len(o.Latency)-1)]
}
