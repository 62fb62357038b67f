package spam

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/inproc"
)

// Topic is the topic every study run gossips on.
const Topic = "/strata/1/test/spam"

// Size is a study's scale. Durations are virtual.
type Size struct {
	// Honest is the number of honest nodes; Degree how many peers each
	// dials (a ring plus random chords).
	Honest, Degree int
	// Links is how many honest nodes the attacker connects to.
	Links int
	// Publishers publish one message every Interval each, staggered,
	// during the attack window.
	Publishers int
	Interval   time.Duration
	// Warmup lets meshes form; Attack is the flood's window; Drain lets
	// the last messages arrive.
	Warmup, Attack, Drain time.Duration
}

// Link shapes of the study: honest nodes on a residential 10 Mbit/s link
// with 20-60 ms one-way latency, the attacker on an unlimited one.
const (
	honestBandwidth = 10_000_000 / 8
	minLatency      = 20 * time.Millisecond
	latencySpread   = 40 // ms
)

// Run is one run of a study part: a flood (or none: the baseline) against
// honest nodes with a set of defences.
type Run struct {
	// Setting names the run in the result ("baseline", "attack, defence
	// on", ...).
	Setting string
	Flood   Flood // "" for the baseline
	Defence Defence
	// DefenceOn says whether the part's defence is on in this run (its
	// "defence on" case; for a baseline, the baseline it is compared with).
	DefenceOn bool
}

// Outcome is what one run measured.
type Outcome struct {
	Delivery           float64
	Expected, Received int
	Latency            []time.Duration
	// SpamSent is how many flood messages the attacker sent (0 for
	// control floods); SpamReceived and SpamAccepted count, per honest
	// node, the distinct ones that reached it and that it accepted; Dist
	// is each honest node's distance from the attacker when the flood
	// started; Rejected counts the spam rejections by gossipsub reason.
	SpamSent     int
	SpamReceived []int
	SpamAccepted []int
	Dist         []int
	Rejected     map[string]int
	// HonestRejected counts honest messages rejected or ignored (by some
	// node, on some copy), by gossipsub reason.
	HonestRejected map[string]int
	// AttackerSent counts the messages or control RPCs the attacker sent
	// (each to every neighbour), AttackerErrors the sends that failed,
	// AttackerRate the achieved rate per second of the attack window.
	AttackerSent   int
	AttackerErrors int
	AttackerRate   float64
	// BytesIn and BytesOut are, per honest node, gossipsub RPC bytes per
	// second of the window; ToAttacker is what all honest nodes sent the
	// attacker per second.
	BytesIn, BytesOut []float64
	ToAttacker        float64
	// CPU is the process CPU time over the window (CPUKnown: measured).
	CPU      time.Duration
	CPUKnown bool
	Window   time.Duration
	// AttackerScore is the lowest score an attacker's neighbour gives it at
	// the end (NaN with scoring off); Graylisted counts the neighbours
	// whose score is below the graylist threshold.
	AttackerScore float64
	Graylisted    int
	// RLNRemoved counts the honest verifiers that removed the attacker's
	// member, RLNEvidence the double signals they detected.
	RLNRemoved  int
	RLNEvidence int
	// PoWHashes counts the hashes honest publishers searched.
	PoWHashes uint64
	// Published counts the honest messages published in the window.
	Published int
}

// run executes r at size sz with seed: the flood (at rate per second to
// every neighbour) and the honest workload over the attack window, then
// the drain; hashRate is this machine's measured proof-of-work hash rate.
// Call it inside a synctest bubble.
func run(ctx context.Context, seed int64, sz Size, r Run, rate float64, hashRate float64) (*Outcome, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tb, err := newTestbed(ctx, seed, sz, r, hashRate)
	if err != nil {
		return nil, err
	}
	defer tb.close()

	time.Sleep(sz.Warmup)
	dist := distances(tb.hosts(), sz.Honest)
	for _, o := range tb.obs {
		o.count(true)
	}
	cpu0, cpuOK := processCPU()
	start := time.Now()
	end := start.Add(sz.Attack)
	var wg sync.WaitGroup
	var atkErr error
	if r.Flood != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			atkErr = tb.atk.run(ctx, r.Flood, tb.data, rate, start, end)
		}()
	}
	msgs, pubErr := tb.publish(ctx, seed, start, end)
	wg.Wait()
	if atkErr != nil {
		return nil, fmt.Errorf("%w: attacker: %w", ErrStudy, atkErr)
	}
	if pubErr != nil {
		return nil, pubErr
	}
	time.Sleep(sz.Drain)
	window := time.Since(start)
	cpu1, _ := processCPU()
	for _, o := range tb.obs {
		o.count(false)
	}
	out := tb.collect(msgs, dist[:sz.Honest], window)
	out.CPU, out.CPUKnown = cpu1-cpu0, cpuOK
	if r.Flood != "" {
		out.AttackerRate = float64(tb.atk.sent) / sz.Attack.Seconds()
	}
	if r.Flood == FloodInvalid || r.Flood == FloodRate {
		out.SpamSent = tb.atk.sent
	}
	cancel()
	tb.deliveries.Wait()
	return out, nil
}

// collect gathers a run's figures from the deliveries, the observers, the
// neighbours' scores and the defences.
func (tb *testbed) collect(msgs []inproc.Message, dist []int, window time.Duration) *Outcome {
	all := make([]int, len(tb.ovs))
	for i := range all {
		all[i] = i
	}
	slices.SortFunc(msgs, func(a, b inproc.Message) int { return strings.Compare(a.ID, b.ID) })
	oc := tb.deliveries.Outcome(msgs, all, strconv.Itoa)
	out := &Outcome{Delivery: oc.Rate(), Expected: oc.Expected, Received: oc.Delivered, Latency: oc.Latency,
		Dist: dist, Rejected: map[string]int{}, HonestRejected: map[string]int{},
		AttackerSent: tb.atk.sent, AttackerErrors: tb.atk.failed, Window: window, AttackerScore: math.NaN(), Published: len(msgs)}
	for _, o := range tb.obs {
		s := o.snapshot()
		out.SpamReceived = append(out.SpamReceived, s.received)
		out.SpamAccepted = append(out.SpamAccepted, s.accepted)
		for k, v := range s.rejected {
			out.Rejected[k] += v
		}
		for k, v := range s.honestRej {
			out.HonestRejected[k] += v
		}
		out.BytesIn = append(out.BytesIn, float64(s.bytesIn)/window.Seconds())
		out.BytesOut = append(out.BytesOut, float64(s.bytesOut)/window.Seconds())
		out.ToAttacker += float64(s.toAtk) / window.Seconds()
	}
	if tb.ds.d.Scoring {
		thr := overlay.DefaultParams().Thresholds.Graylist
		atkID := tb.atk.raw.Host().ID()
		for _, t := range tb.targets {
			sc, ok := tb.ovs[t].Scores()[atkID]
			if !ok {
				continue
			}
			if math.IsNaN(out.AttackerScore) || sc < out.AttackerScore {
				out.AttackerScore = sc
			}
			if sc < thr {
				out.Graylisted++
			}
		}
	}
	out.RLNRemoved = tb.ds.removed()
	tb.ds.mu.Lock()
	out.RLNEvidence = tb.ds.evidence
	tb.ds.mu.Unlock()
	for _, s := range tb.senders {
		out.PoWHashes += s.powN
	}
	return out
}
