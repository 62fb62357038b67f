package loopix

import (
	"math"
	"time"
)

// DefaultTargetPool is the expected pool λ/μ per mix an adaptive client
// aims for by default: Loopix finds λ/μ ≥ 2 "a good choice"; 4 leaves a
// margin for the rate falling within an epoch.
const DefaultTargetPool = 4

// HopReport is the expected anonymity at one mix of a message's path.
type HopReport struct {
	Node  NodeID
	Layer int
	// Rate is the mix's input rate from the directory, in packets per
	// second (0: not published).
	Rate float64
	// MeanDelay is the mean delay 1/μ chosen for this hop.
	MeanDelay time.Duration
	// ExpectedPool is λ/μ: by Loopix Lemma 1 the pool at this mix is
	// Poisson with this mean when all traffic uses this delay.
	ExpectedPool float64
	// EntropyFloor is max(0, log2(λ/μ) − 1) bits: the per-mix entropy the
	// pool study checks the Loopix entropy measure (Eq. 5) stays above.
	EntropyFloor float64
}

// Report is the expected anonymity of one message, computed by the client
// when the message leaves and handed to the user (ActReport).
type Report struct {
	Msg  uint64
	Hops []HopReport
	// ExpectedPool and EntropyFloor are the minimum over the mix hops:
	// the weakest mix bounds what the path offers.
	ExpectedPool float64
	EntropyFloor float64
	// Target is the client's target pool; TargetMet whether every hop
	// reached it (an adaptive client falls short only when even the
	// longest delay offered is not enough, or a rate is unknown).
	Target    float64
	TargetMet bool
	// ExpectedDelay is the sum of the mean delays of the path.
	ExpectedDelay time.Duration
	// LoopReturn is the fraction of the client's last resolved loops that
	// came back (−1 before any): a low value warns of an active attack or
	// of heavy loss.
	LoopReturn float64
	// Adaptive says whether the delays were chosen adaptively.
	Adaptive bool
}

// EntropyFloor is max(0, log2(pool) − 1).
func EntropyFloor(pool float64) float64 {
	if pool <= 0 {
		return 0
	}
	return math.Max(0, math.Log2(pool)-1)
}

// ChooseDelay returns the mean delay an adaptive client uses at a mix of
// input rate λ (packets/s) for target pool P: the shortest delay d of the
// set with λ·d ≥ P, or the longest of the set if none reaches it; with an
// unknown rate (0) the directory's default. Every client that reads the
// same directory with the same target makes the same choice, so the choice
// does not single a client out.
func ChooseDelay(p *Params, lambda, target float64) time.Duration {
	if lambda <= 0 {
		return p.MuSet[p.DefaultMu]
	}
	for _, d := range p.MuSet {
		if lambda*d.Seconds() >= target {
			return d
		}
	}
	return p.MuSet[len(p.MuSet)-1]
}

// hopReport computes the expectation at mix n with mean delay d.
func hopReport(n Node, d time.Duration) HopReport {
	h := HopReport{Node: n.ID, Layer: n.Layer, Rate: n.Rate.PerSecond(), MeanDelay: d}
	h.ExpectedPool = h.Rate * d.Seconds()
	h.EntropyFloor = EntropyFloor(h.ExpectedPool)
	return h
}

// summarize fills the path-wide figures of r from its hops.
func (r *Report) summarize() {
	r.ExpectedPool, r.EntropyFloor = math.Inf(1), math.Inf(1)
	r.TargetMet = true
	for _, h := range r.Hops {
		r.ExpectedPool = math.Min(r.ExpectedPool, h.ExpectedPool)
		r.EntropyFloor = math.Min(r.EntropyFloor, h.EntropyFloor)
		r.ExpectedDelay += h.MeanDelay
		if h.Rate <= 0 || h.ExpectedPool < r.Target {
			r.TargetMet = false
		}
	}
	if len(r.Hops) == 0 {
		r.ExpectedPool, r.EntropyFloor, r.TargetMet = 0, 0, false
	}
}
