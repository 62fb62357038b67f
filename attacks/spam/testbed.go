package spam

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/host"

	"github.com/strata-lab/strata/attacks/gossipwire"
	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/inproc"
)

// testbed is one run's network: honest overlays with their defences and
// observers, connected in a ring with random chords, the attacker joined
// to a few of them, and the publishers.
type testbed struct {
	sz         Size
	nw         *inproc.Net
	ds         *defences
	obs        []*observer
	ovs        []*overlay.Overlay
	deliveries *inproc.Deliveries
	atk        *attacker
	targets    []int // the attacker's honest neighbours
	pubs       []int // the publishing nodes
	senders    []*honestSender
	data       spamData // the attacker's messages (message floods)
}

// newTestbed builds the network of run r; every random choice comes from
// seed. The attacker has joined its neighbours' meshes when it returns.
func newTestbed(ctx context.Context, seed int64, sz Size, r Run, hashRate float64) (_ *testbed, err error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5a4d))
	n := sz.Honest
	specs := make([]inproc.HostSpec, n+1)
	for i := range n {
		specs[i].Link = inproc.Link{Latency: minLatency + time.Duration(rng.IntN(latencySpread))*time.Millisecond, Bandwidth: honestBandwidth}
	}
	specs[n].Link = inproc.Link{Latency: minLatency}
	tb := &testbed{sz: sz, deliveries: inproc.NewDeliveries()}
	if tb.nw, err = inproc.New(seed, specs); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			tb.close()
		}
	}()
	if tb.ds, err = newDefences(r.Defence, Topic, hashRate, sz.Publishers, rng); err != nil {
		return nil, err
	}
	tb.atk = &attacker{topic: Topic, rng: rand.New(rand.NewPCG(uint64(seed), 0xa77)), have: map[string]bool{}}
	tb.atk.raw = gossipwire.New(tb.nw.Host(n), tb.atk)
	for i := range n {
		if err := tb.attach(ctx, i, r.Defence.Scoring); err != nil {
			return nil, err
		}
	}
	for _, e := range topology(n, sz.Degree, rng.IntN) {
		if err := tb.nw.Connect(ctx, e[0], e[1]); err != nil {
			return nil, err
		}
	}
	tb.targets = rng.Perm(n)[:sz.Links]
	for _, t := range tb.targets {
		if err := tb.nw.Connect(ctx, n, t); err != nil {
			return nil, err
		}
		tb.atk.neighbours = append(tb.atk.neighbours, tb.nw.Host(t).ID())
	}
	if err := tb.atk.join(ctx); err != nil {
		return nil, err
	}
	tb.pubs = rng.Perm(n)[:sz.Publishers]
	for j := range tb.pubs {
		s, err := tb.ds.sender(j, rand.New(rand.NewPCG(uint64(seed), uint64(j))))
		if err != nil {
			return nil, err
		}
		tb.senders = append(tb.senders, s)
	}
	switch r.Flood {
	case FloodInvalid:
		tb.data = invalid
	case FloodRate:
		if tb.data, err = tb.ds.messageData(rand.New(rand.NewPCG(uint64(seed), 0xd47a))); err != nil {
			return nil, err
		}
	}
	return tb, nil
}

// attach runs honest node i's overlay with its validator and observer,
// and records what it delivers.
func (tb *testbed) attach(ctx context.Context, i int, scoring bool) error {
	ob := newObserver(tb.atk.raw.Host().ID())
	cfg := overlay.Config{Params: overlay.DefaultParams(), Topics: []string{Topic}, Tracer: ob, ScoringOff: !scoring}
	v, err := tb.ds.validator()
	if err != nil {
		return err
	}
	if v != nil {
		cfg.Validators = map[string]overlay.Validator{Topic: v}
	}
	if tb.ds.d.RateLimit {
		if cfg.InspectRPC, err = tb.ds.inspector(ob); err != nil {
			return err
		}
	}
	o, err := overlay.Attach(ctx, tb.nw.Host(i), cfg)
	if err != nil {
		return err
	}
	tb.obs, tb.ovs = append(tb.obs, ob), append(tb.ovs, o)
	return tb.deliveries.Watch(ctx, i, o, Topic)
}

// hosts lists every host, the attacker's last.
func (tb *testbed) hosts() []host.Host {
	hs := make([]host.Host, tb.nw.Len())
	for i := range hs {
		hs[i] = tb.nw.Host(i)
	}
	return hs
}

// close stops the attacker, the overlays and the network.
func (tb *testbed) close() {
	if tb.atk != nil && tb.atk.raw != nil {
		tb.atk.raw.Close()
	}
	for _, o := range tb.ovs {
		o.Close()
	}
	tb.nw.Close()
}

// publish runs the honest workload from start until end: publisher j
// sends every Interval, offset by j/Publishers of it, a unique payload
// wrapped as its defences require; a message's latency counts from the
// moment it was sent, proof time included. It returns the messages
// published.
func (tb *testbed) publish(ctx context.Context, seed int64, start, end time.Time) ([]inproc.Message, error) {
	var (
		mu   sync.Mutex
		msgs []inproc.Message
		errs []error
		wg   sync.WaitGroup
	)
	for j, node := range tb.pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prng := rand.New(rand.NewPCG(uint64(seed)^0x9b, uint64(j)))
			for k := 0; ; k++ {
				at := start.Add(time.Duration(j)*tb.sz.Interval/time.Duration(len(tb.pubs)) + time.Duration(k)*tb.sz.Interval)
				if !at.Before(end) {
					return
				}
				time.Sleep(time.Until(at))
				pl := binary.BigEndian.AppendUint32([]byte("honest"), uint32(j))
				pl = binary.BigEndian.AppendUint32(pl, uint32(k))
				pl = binary.BigEndian.AppendUint64(pl, prng.Uint64())
				msg, delay, err := tb.senders[j].wrap(at, pl)
				if err == nil {
					id := inproc.MessageID(Topic, msg)
					tb.deliveries.Published(id, at)
					time.Sleep(delay)
					_, err = tb.ovs[node].Publish(ctx, Topic, msg)
					mu.Lock()
					msgs = append(msgs, inproc.Message{ID: id, Origin: node})
					mu.Unlock()
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%w: publisher %d: %w", ErrStudy, j, err))
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return msgs, nil
}
