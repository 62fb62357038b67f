package sim

import (
	"math"
	"math/rand/v2"
)

// churnModel is a Churn with its derived constants.
type churnModel struct {
	always  bool
	uptime  float64
	weibull bool
	invK    float64 // 1/k (Weibull)
	// onScale and offScale are, in nanoseconds, the mean of the period for
	// exp and the Weibull scale λ = mean/Γ(1+1/k) for weibull.
	onScale, offScale float64
}

func newChurnModel(c Churn) churnModel {
	if c.always() {
		return churnModel{always: true, uptime: 1}
	}
	on := float64(c.MeanSession)
	off := on * (1 - c.Uptime) / c.Uptime
	m := churnModel{uptime: c.Uptime, onScale: on, offScale: off}
	if c.Dist == ChurnWeibull {
		m.weibull = true
		m.invK = 1 / c.WeibullShape
		g := math.Gamma(1 + m.invK)
		m.onScale /= g
		m.offScale /= g
	}
	return m
}

func (m *churnModel) scale(on bool) float64 {
	if on {
		return m.onScale
	}
	return m.offScale
}

// period draws the length in nanoseconds of a fresh ON (on) or OFF period.
// exp: mean·E; weibull: λ·E^(1/k); E ~ Exp(1).
func (m *churnModel) period(r *rand.Rand, on bool) int64 {
	e := r.ExpFloat64()
	if m.weibull {
		e = math.Pow(e, m.invK)
	}
	return max(1, clampNanos(m.scale(on)*e))
}

// residual draws the time left in an ON or OFF period observed at a random
// instant of a stationary process: the equilibrium (forward recurrence)
// distribution with density S(x)/mean. It is drawn as U·L where U is
// uniform on [0,1) and L is length-biased (density x·f(x)/mean): for exp,
// L·U is again exponential with the same mean; for weibull,
// (L/λ)^k ~ Gamma(1+1/k, 1).
func (m *churnModel) residual(r *rand.Rand, on bool) int64 {
	if !m.weibull {
		return m.period(r, on)
	}
	l := m.scale(on) * math.Pow(gammaDraw(r, 1+m.invK), m.invK)
	return max(1, clampNanos(r.Float64()*l))
}
