package trafficanalysis

import (
	"context"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/reports/result"
	"github.com/strata-lab/strata/testnet/mixsim"
	"github.com/strata-lab/strata/testnet/study"
)

// All returns the group's adversary models.
func All() []attacks.Attack {
	a := func(name, property, about, anchor string, m func(context.Context, attacks.Options) (*result.Result, error)) attacks.Attack {
		return attacks.Attack{Group: "trafficanalysis", Layer: "mixnet", Name: name, Property: property, About: about, Anchor: anchor, Measure: m}
	}
	return []attacks.Attack{
		a("gpa-timing", "sender anonymity, sender-receiver unlinkability",
			"a global passive adversary follows every packet through every mix by timing; delay and cover rates swept, beside no mixing",
			"ε ≤ 0.2 with 3 layers and λ/μ ≥ 2 per mix (Loopix)", GPAStudy),
		a("compromised-mixes", "sender anonymity under corrupt mixes",
			"the global passive adversary also controls a fraction b of the mixes and knows their input→output mapping",
			"Loopix Fig. 7: ε grows with the fraction of corrupt mixes", CompromisedStudy),
		a("statistical-disclosure", "unobservability of who talks to whom over time",
			"the statistical disclosure attack over many rounds identifies a target's contacts; cover rates swept",
			"Loopix's fixed-rate stream leaves no signal: never identified", SDAStudy),
		a("n-1-flush", "integrity of mixing (active attacks)",
			"an n−1 adversary drops a fraction of the packets entering one mix; the mix's loops detect it",
			"Loopix §4.2: loops that do not return reveal an n−1 attack", func(ctx context.Context, o attacks.Options) (*result.Result, error) {
				return mixsim.DetectStudy(ctx, study.Options{Seed: o.Seed, Quick: o.Quick, Progress: o.Progress})
			}),
	}
}
