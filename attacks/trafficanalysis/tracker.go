package trafficanalysis

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Transmission is one packet on one link, as a global passive adversary
// sees it: who sent it to whom and when it left and arrived. ID is the
// same at both ends of the link (the bytes on a link do not change), and
// nothing else links transmissions: a relay re-encodes each packet.
type Transmission struct {
	ID         uint64
	From, To   int
	Sent, Recv time.Duration
}

// Network says how the adversary treats each node. Nodes 0..Clients-1 are
// the clients (senders); every other node below Nodes is a relay.
type Network struct {
	Clients, Nodes int
	// Compromised relays reveal which input each of their outputs was:
	// Mapping[output ID] = input ID (absent: the relay originated it).
	Compromised map[int]bool
	Mapping     map[uint64]uint64
	// Immediate relays forward without delay (Loopix providers): a packet
	// leaving one at time t is one that arrived at t exactly.
	Immediate map[int]bool
	// Originate is the rate (packets/s) at which a pooling relay sends
	// packets of its own (a mix's loops, λM), and MeanDelay the mean
	// delay of a pooled packet (1/μ); both are in the directory. A packet
	// leaving a relay whose pool holds n packets is then one of its own
	// with probability λM / (λM + n·μ).
	Originate map[int]float64
	MeanDelay time.Duration
}

// ErrBadTrace: a transmission that names a node outside the network, does
// not arrive strictly after it leaves (links have latency), or repeats an
// ID.
var ErrBadTrace = errors.New("trafficanalysis: inconsistent trace")

// Tracker is the global passive adversary of Loopix's analysis: it follows
// every packet's sender distribution through every relay. With
// exponential per-hop delays every packet in a mix's pool is equally
// likely to be the next to leave (memorylessness), so a packet leaving an
// honest relay carries the mean distribution of the pool and the pool's
// mass shrinks by that much; a compromised relay reveals the input each
// output was. A client's own packets carry all of their mass on it. Mass
// the adversary cannot attribute to a client (packets a relay originates,
// such as a mix's loops) sits in one extra bucket.
type Tracker struct {
	net     Network
	pool    [][]float64 // per relay: summed distributions of its pool
	count   []float64   // per relay: packets in the pool
	inPool  map[uint64][]float64
	held    map[uint64][]float64   // compromised relays: input ID → distribution
	instant map[instantKey]*bucket // immediate relays: arrivals by node and time
	targets map[uint64]bool
	seen    map[uint64][]float64
}

// NewTracker returns a tracker that records the sender distribution of
// every target transmission when it arrives.
func NewTracker(net Network, targets []uint64) (*Tracker, error) {
	if net.Clients <= 0 || net.Nodes <= net.Clients {
		return nil, fmt.Errorf("%w: %d clients among %d nodes", ErrBadTrace, net.Clients, net.Nodes)
	}
	t := &Tracker{net: net, pool: make([][]float64, net.Nodes), count: make([]float64, net.Nodes),
		inPool: map[uint64][]float64{}, held: map[uint64][]float64{}, instant: map[instantKey]*bucket{},
		targets: map[uint64]bool{}, seen: map[uint64][]float64{}}
	for _, id := range targets {
		t.targets[id] = true
	}
	return t, nil
}

type instantKey struct {
	node int
	at   time.Duration
}

type bucket struct {
	mass  []float64
	count float64
}

// take removes the mean of b's distributions from b.
func (b *bucket) take() []float64 {
	d := make([]float64, len(b.mass))
	for i := range b.mass {
		d[i] = b.mass[i] / b.count
		b.mass[i] -= d[i]
	}
	b.count--
	return d
}

func (b *bucket) put(d []float64) {
	for i, v := range d {
		b.mass[i] += v
	}
	b.count++
}

func (t *Tracker) unknown() []float64 {
	d := make([]float64, t.net.Clients+1)
	d[t.net.Clients] = 1
	return d
}

// Run processes a whole trace and returns the distribution of every
// target that arrived, keyed by transmission ID. Events are taken in time
// order, arrivals before departures at equal times, then by ID, so the
// result does not depend on the order of trace.
func (t *Tracker) Run(trace []Transmission) (map[uint64][]float64, error) {
	type event struct {
		at     time.Duration
		arrive bool
		tx     *Transmission
	}
	evs := make([]event, 0, 2*len(trace))
	ids := make(map[uint64]bool, len(trace))
	for i := range trace {
		tx := &trace[i]
		if tx.From < 0 || tx.From >= t.net.Nodes || tx.To < 0 || tx.To >= t.net.Nodes || tx.Recv <= tx.Sent || ids[tx.ID] {
			return nil, fmt.Errorf("%w: transmission %d (%d→%d, %v→%v)", ErrBadTrace, tx.ID, tx.From, tx.To, tx.Sent, tx.Recv)
		}
		ids[tx.ID] = true
		evs = append(evs, event{tx.Sent, false, tx}, event{tx.Recv, true, tx})
	}
	slices.SortFunc(evs, func(a, b event) int {
		if c := cmp.Compare(a.at, b.at); c != 0 {
			return c
		}
		if a.arrive != b.arrive {
			if a.arrive {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.tx.ID, b.tx.ID)
	})
	for _, e := range evs {
		if e.arrive {
			t.arrive(e.tx)
		} else {
			t.depart(e.tx)
		}
	}
	return t.seen, nil
}

func (t *Tracker) depart(tx *Transmission) {
	n := tx.From
	var d []float64
	switch {
	case n < t.net.Clients:
		d = make([]float64, t.net.Clients+1)
		d[n] = 1
	case t.net.Compromised[n]:
		if in, ok := t.net.Mapping[tx.ID]; ok && t.held[in] != nil {
			d = t.held[in]
			delete(t.held, in)
		} else {
			d = t.unknown()
		}
	case t.net.Immediate[n]:
		if b := t.instant[instantKey{n, tx.Sent}]; b != nil && b.count >= 1 {
			d = b.take()
		} else {
			d = t.unknown()
		}
	case t.count[n] > 1e-9:
		d = t.takeMixed(n)
	default: // nothing pooled: the relay originated it
		d = t.unknown()
	}
	t.inPool[tx.ID] = d
}

// takeMixed is a departure from pooling relay n: with probability q the
// relay's own packet, otherwise the mean of the pool (each pooled packet
// equally likely, by memorylessness).
func (t *Tracker) takeMixed(n int) []float64 {
	c := t.count[n]
	q := 0.0
	if lo := t.net.Originate[n]; lo > 0 && t.net.MeanDelay > 0 {
		q = lo / (lo + c/t.net.MeanDelay.Seconds())
	}
	p := t.pool[n]
	d := make([]float64, len(p))
	for i := range p {
		d[i] = (1 - q) * p[i] / c
		p[i] -= d[i]
	}
	d[len(d)-1] += q
	t.count[n] -= 1 - q
	return d
}

func (t *Tracker) arrive(tx *Transmission) {
	d := t.inPool[tx.ID]
	delete(t.inPool, tx.ID)
	if d == nil { // departure not seen: cannot happen after Run's checks
		d = t.unknown()
	}
	if t.targets[tx.ID] {
		t.seen[tx.ID] = slices.Clone(d)
	}
	n := tx.To
	switch {
	case n < t.net.Clients:
	case t.net.Compromised[n]:
		t.held[tx.ID] = d
	case t.net.Immediate[n]:
		k := instantKey{n, tx.Recv}
		if t.instant[k] == nil {
			t.instant[k] = &bucket{mass: make([]float64, t.net.Clients+1)}
		}
		t.instant[k].put(d)
	default:
		if t.pool[n] == nil {
			t.pool[n] = make([]float64, t.net.Clients+1)
		}
		b := bucket{t.pool[n], t.count[n]}
		b.put(d)
		t.count[n] = b.count
	}
}

// Posterior normalizes a tracked distribution over the clients alone (the
// adversary knows a target is a client's message), or returns nil when
// none of its mass is on a client.
func Posterior(d []float64) []float64 {
	clients := d[:len(d)-1]
	var sum float64
	for _, v := range clients {
		sum += v
	}
	if sum <= 0 {
		return nil
	}
	p := make([]float64, len(clients))
	for i, v := range clients {
		p[i] = v / sum
	}
	return p
}

// Entropy is the Shannon entropy of p in bits.
func Entropy(p []float64) float64 {
	var h float64
	for _, v := range p {
		if v > 0 {
			h -= v * math.Log2(v)
		}
	}
	return h
}

// Top1 reports whether the most likely sender under p is sender (ties
// count as a failure unless sender is the only maximum).
func Top1(p []float64, sender int) bool {
	best := p[sender]
	for i, v := range p {
		if i != sender && v >= best {
			return false
		}
	}
	return true
}

// MaxLogRatio caps |ln(p[a]/p[b])| when one of the two has no mass, so
// that averages stay finite: e^20 ≈ 5·10^8 to one is certainty for any
// practical purpose.
const MaxLogRatio = 20.0

// LogRatio is ln(p[a]/p[b]), the adversary's log-likelihood advantage for
// a over b, capped at ±MaxLogRatio (0 when neither has mass).
func LogRatio(p []float64, a, b int) float64 {
	switch {
	case p[a] == 0 && p[b] == 0:
		return 0
	case p[b] == 0:
		return MaxLogRatio
	case p[a] == 0:
		return -MaxLogRatio
	}
	return max(-MaxLogRatio, min(MaxLogRatio, math.Log(p[a]/p[b])))
}
