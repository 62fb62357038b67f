package sim

import (
	"math"
	"math/rand/v2"
)

// Random streams. Every stream is a PCG generator whose two seed words are
// derived from (Config.Seed, purpose, node id) by SplitMix64 finalizers, so
// a stream depends on nothing but those three values: adding a node, or a
// node drawing more numbers, never shifts another node's streams.
const (
	streamNode  = 1 // Env.Rand of a node
	streamChurn = 2 // a node's on/off periods
	streamLink  = 3 // loss, latency and jitter of the packets a node sends
)

// mix64 is the SplitMix64 finalizer, a bijection on uint64 with full
// avalanche.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// newStream returns the stream of a purpose for node id.
func newStream(seed uint64, purpose uint64, id int) *rand.Rand {
	k := mix64(mix64(seed) ^ purpose)
	k = mix64(k ^ uint64(id))
	return rand.New(rand.NewPCG(k, mix64(k^0x5851f42d4c957f2d)))
}

// drawDist draws a duration in nanoseconds from d (≥ 0).
func drawDist(r *rand.Rand, d *Dist) int64 {
	if d.Kind != DistNormal || d.StdDev == 0 {
		return int64(d.Mean)
	}
	// Truncated normal by rejection: with Mean ≥ 0 each try is accepted with
	// probability ≥ 1/2. After 64 rejections (probability ≤ 2^-64) give 0.
	for range 64 {
		x := float64(d.Mean) + float64(d.StdDev)*r.NormFloat64()
		if x >= 0 {
			return clampNanos(x)
		}
	}
	return 0
}

// clampNanos converts a float count of nanoseconds to int64, clamped to
// [0, 2^62] so that sums with virtual time never overflow.
func clampNanos(x float64) int64 {
	const maxN = 1 << 62
	if !(x > 0) {
		return 0
	}
	if x >= maxN {
		return maxN
	}
	return int64(x)
}

// gammaDraw draws from Gamma(shape a, scale 1) for a ≥ 1 (Marsaglia and
// Tsang, "A simple method for generating gamma variables", 2000).
func gammaDraw(r *rand.Rand, a float64) float64 {
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}
