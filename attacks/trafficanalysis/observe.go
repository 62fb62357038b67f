package trafficanalysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/strata-lab/strata/testnet/mixsim"
)

// Verdict is what the global passive adversary concluded about one
// message: the entropy of its sender posterior, whether its best guess
// was right, and its advantage against a challenge sender.
type Verdict struct {
	Msg     int // index into Outcome.Messages
	Entropy float64
	Top1    bool
	// LogRatio is ln(p(sender)/p(other)) (LogRatio), where other sent the
	// message that left closest in time from another client: the two
	// challenge senders of Loopix's ε. NaN when no other client sent.
	LogRatio float64
	// Latency is from the message leaving its sender to reaching the
	// recipient's provider.
	Latency time.Duration
}

// observation is a run seen from the links: the tracker's trace, its
// network, and the link event that brought each message to its
// recipient's provider.
type observation struct {
	trace  []Transmission
	net    Network
	client map[int32]int // sim node index → client index
	target map[int]int   // message index → link event index
	mixes  []int         // tracker indexes of the mixes, in Outcome order
}

// observe builds what a global passive adversary sees of a run recorded
// with RecordLinks: every frame of the packet size (pull requests and
// responses differ in size, and the adversary drops them), with its send
// and arrival times. Nodes are renumbered clients first; providers forward
// at once (Network.Immediate).
func observe(o *mixsim.Outcome) (*observation, error) {
	if len(o.LinkEvents) == 0 || len(o.LinkEvents) != len(o.GroundTruth) {
		return nil, fmt.Errorf("%w: the run did not record its links", ErrBadTrace)
	}
	if o.Config.Loss > 0 || o.Config.Attack != nil {
		return nil, fmt.Errorf("%w: lossy links or a flush adversary (the trace does not say which frames arrived)", ErrBadTrace)
	}
	ob := &observation{client: map[int32]int{}, target: map[int]int{}}
	idx := make([]int, len(o.Nodes))
	nc := 0
	for i, n := range o.Nodes {
		if n.Role == mixsim.RoleClient {
			idx[i] = nc
			ob.client[int32(i)] = nc
			nc++
		}
	}
	next := nc
	ob.net = Network{Clients: nc, Nodes: len(o.Nodes), Immediate: map[int]bool{}, Originate: map[int]float64{},
		MeanDelay: o.Config.MeanDelay()}
	for i, n := range o.Nodes {
		if n.Role == mixsim.RoleClient {
			continue
		}
		idx[i] = next
		switch n.Role {
		case mixsim.RoleProvider:
			ob.net.Immediate[next] = true
		case mixsim.RoleMix:
			ob.mixes = append(ob.mixes, next)
			if o.Config.Baseline {
				ob.net.Immediate[next] = true // no mixing: mixes forward at once
			} else {
				ob.net.Originate[next] = o.Config.Params.LambdaM.PerSecond()
			}
		}
		next++
	}
	// The packet size: every frame between two mixes is a packet.
	size := int32(-1)
	for _, e := range o.LinkEvents {
		if o.Nodes[e.From].Role == mixsim.RoleMix && o.Nodes[e.To].Role == mixsim.RoleMix {
			size = e.Size
			break
		}
	}
	if size < 0 {
		return nil, fmt.Errorf("%w: no frame between two mixes", ErrBadTrace)
	}
	lat := o.Config.Latency
	for i, e := range o.LinkEvents {
		if e.Size != size {
			continue
		}
		ob.trace = append(ob.trace, Transmission{ID: uint64(i), From: idx[e.From], To: idx[e.To], Sent: e.T, Recv: e.T + lat})
		tr := o.GroundTruth[i]
		if tr.Msg > 0 && o.Nodes[e.From].Role == mixsim.RoleMix && o.Nodes[e.To].Role == mixsim.RoleProvider {
			ob.target[int(tr.Msg)-1] = i
		}
	}
	return ob, nil
}

// compromise marks the mixes at the given positions (indexes into the
// run's mixes) as compromised: their outputs map to their inputs.
func (ob *observation) compromise(o *mixsim.Outcome, which []int) Network {
	net := ob.net
	net.Compromised = map[int]bool{}
	net.Mapping = map[uint64]uint64{}
	simIdx := map[int]bool{}
	k := 0
	for i, n := range o.Nodes {
		if n.Role != mixsim.RoleMix {
			continue
		}
		if slices.Contains(which, k) {
			simIdx[i] = true
			net.Compromised[ob.mixes[k]] = true
		}
		k++
	}
	for i, e := range o.LinkEvents {
		if simIdx[int(e.From)] && o.GroundTruth[i].In >= 0 {
			net.Mapping[uint64(i)] = uint64(o.GroundTruth[i].In)
		}
	}
	return net
}

// judge runs the tracker over the observation and scores it against the
// ground truth: one verdict per message that reached its recipient's
// provider after leaving its sender within the measured window.
func judge(o *mixsim.Outcome, ob *observation, net Network) ([]Verdict, error) {
	var targets []uint64
	var msgs []int
	for m, ev := range ob.target {
		msg := o.Messages[m]
		if msg.Departed < o.Config.Warmup || msg.Departed >= o.Config.Warmup+o.Config.Duration {
			continue
		}
		targets = append(targets, uint64(ev))
		msgs = append(msgs, m)
	}
	slices.Sort(msgs)
	tk, err := NewTracker(net, targets)
	if err != nil {
		return nil, err
	}
	seen, err := tk.Run(ob.trace)
	if err != nil {
		return nil, err
	}
	// Challenge partners: the message that left closest in time from
	// another client.
	byDeparture := slices.Clone(msgs)
	slices.SortFunc(byDeparture, func(a, b int) int { return int(o.Messages[a].Departed - o.Messages[b].Departed) })
	var out []Verdict
	for i, m := range byDeparture {
		msg := o.Messages[m]
		p := Posterior(seen[uint64(ob.target[m])])
		if p == nil { // the adversary attributes it to no client: it guesses uniformly
			p = make([]float64, net.Clients)
			for i := range p {
				p[i] = 1 / float64(net.Clients)
			}
		}
		sender := ob.client[msg.From]
		other := partner(o, ob, byDeparture, i)
		v := Verdict{Msg: m, Entropy: Entropy(p), Top1: Top1(p, sender), LogRatio: math.NaN(), Latency: msg.Stored - msg.Departed}
		if other >= 0 {
			v.LogRatio = LogRatio(p, sender, other)
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b Verdict) int { return a.Msg - b.Msg })
	return out, nil
}

// partner returns the client index of the sender of the message that left
// closest in time to byDeparture[i] from another client, or −1.
func partner(o *mixsim.Outcome, ob *observation, byDeparture []int, i int) int {
	me := o.Messages[byDeparture[i]]
	best, bestGap := -1, time.Duration(math.MaxInt64)
	for _, dir := range []int{-1, 1} {
		for j := i + dir; j >= 0 && j < len(byDeparture); j += dir {
			m := o.Messages[byDeparture[j]]
			if m.From == me.From {
				continue
			}
			if gap := (m.Departed - me.Departed).Abs(); gap < bestGap {
				best, bestGap = ob.client[m.From], gap
			}
			break
		}
	}
	return best
}

// pickMixes chooses k of n mixes with r.
func pickMixes(r *rand.Rand, n, k int) []int {
	return r.Perm(n)[:k]
}
