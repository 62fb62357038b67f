package trafficanalysis

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/reports/result"
)

// sdaModel is the round model of the statistical disclosure attack: users
// write Poisson messages (rate msgRate) to uniform recipients, except the
// target, who writes to its contacts; the adversary sees how many packets
// the target put on its access link per round and which recipients
// received real messages (their providers are corrupt, or receipts are
// otherwise visible). Mixing delays are far below a round and are left
// out.
type sdaModel struct {
	users, contacts int
	round           time.Duration
	msgRate         float64
	// cover: "none", "additive" (cover packets at coverRate on top of the
	// real ones) or "loopix" (a fixed-rate stream in which a real message
	// replaces a cover packet, so the count does not depend on it).
	cover     string
	coverRate float64
}

func poisson(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 50 { // normal approximation, far in the tail of use here
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// rounds draws n rounds; contacts of the target (user 0) are users 1..m.
func (m sdaModel) rounds(r *rand.Rand, n int) []Round {
	per := m.msgRate * m.round.Seconds()
	out := make([]Round, n)
	for i := range out {
		rd := Round{Received: make([]int, m.users)}
		for u := 1; u < m.users; u++ {
			for range poisson(r, per) {
				rd.Received[r.IntN(m.users)]++
			}
		}
		real := poisson(r, per)
		for range real {
			rd.Received[1+r.IntN(m.contacts)]++
		}
		switch m.cover {
		case "none":
			rd.Target = real
		case "additive":
			rd.Target = real + poisson(r, m.coverRate*m.round.Seconds())
		case "loopix":
			rd.Target = poisson(r, m.coverRate*m.round.Seconds())
		}
		out[i] = rd
	}
	return out
}

// SDAStudy measures the rounds the statistical disclosure attack needs to
// identify a target's contacts, without cover, with cover packets added
// at increasing rates, and with Loopix's fixed-rate stream.
func SDAStudy(ctx context.Context, o attacks.Options) (*result.Result, error) {
	started := time.Now()
	p := loopix.DefaultParams()
	total := p.LambdaP.PerSecond() + p.LambdaL.PerSecond() + p.LambdaD.PerSecond()
	base := sdaModel{users: 100, contacts: 3, round: 10 * time.Second, msgRate: 0.1}
	maxRounds, trials := 20000, 10
	if o.Quick {
		maxRounds, trials = 3000, 4
	}
	type cfg struct {
		label string
		m     sdaModel
	}
	cs := []cfg{}
	none := base
	none.cover = "none"
	cs = append(cs, cfg{"no cover", none})
	for _, c := range []float64{0.1, 0.3, 1, 3} {
		m := base
		m.cover, m.coverRate = "additive", c
		cs = append(cs, cfg{fmt.Sprintf("cover %.1f pkt/s added", c), m})
	}
	lx := base
	lx.cover, lx.coverRate = "loopix", total
	cs = append(cs, cfg{fmt.Sprintf("loopix stream %.1f pkt/s", total), lx})

	r := result.New(result.KindAttack, "mixnet", "mixnet/attack/statistical-disclosure", o.Seed, started)
	r.Params = map[string]any{"users": base.users, "contacts": base.contacts, "round": base.round.String(), "msg_rate": base.msgRate,
		"max_rounds": maxRounds, "trials": trials, "loopix_rate": total,
		"model": "round model: Poisson messages, receipts visible per recipient, the target's packet count per round visible; " +
			"additive cover sends cover packets besides real ones; Loopix's λP stream sends a real message in place of a cover packet",
		"estimator": "covariance SDA: rank recipients by cov(target packets, receipts); identified when the top 3 are the contacts and stay so",
		"quick":     o.Quick}
	contacts := []int{1, 2, 3}
	for ci, c := range cs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var needed []float64
		for t := range trials {
			rng := rand.New(rand.NewPCG(uint64(o.Seed), uint64(ci*1000+t)))
			n := RoundsToIdentify(c.m.rounds(rng, maxRounds), c.m.users, contacts)
			if n > 0 {
				needed = append(needed, float64(n))
			}
		}
		lb := map[string]string{"cover": c.m.cover, "cover_rate": strconv.FormatFloat(c.m.coverRate, 'g', 3, 64)}
		share := float64(len(needed)) / float64(trials)
		r.Add("identified", "ratio", share, lb)
		med := math.NaN()
		if len(needed) > 0 {
			slices.Sort(needed)
			med = result.Quantile(needed, 0.5)
			r.Add("rounds_to_identify", "rounds", med, lb)
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "    %s: identified in %d of %d trials, median %.0f rounds\n", c.label, len(needed), trials, med)
		}
	}
	r.Goals = []result.Goal{{Metric: "identified", Labels: map[string]string{"cover": "loopix"}, Op: result.OpLE, Target: 0,
		Anchor: fmt.Sprintf("Loopix's fixed-rate stream: contacts never identified within %d rounds", maxRounds)}}
	r.Plots = []result.Plot{
		{ID: "sda-rounds", Title: "SDA: rounds to identify 3 contacts", Kind: result.PlotLine,
			Metric: "rounds_to_identify", X: "cover_rate", Series: "cover", XLabel: "cover packets per second added", YLabel: "rounds to identify 3 contacts", LogY: true},
		{ID: "sda-identified", Title: "SDA: share of trials identified", Kind: result.PlotLine,
			Metric: "identified", X: "cover_rate", Series: "cover", XLabel: "cover packets per second", YLabel: "identified share"},
	}
	return r, nil
}
