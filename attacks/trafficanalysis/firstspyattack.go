package trafficanalysis

import (
	"context"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/reports/result"
)

// FirstSpy returns the first-spy adversary of the overlay (group
// "firstspy"): spies log who relayed each message to them first and guess
// its origin, against plain gossip, the overlay's stem phase and sending
// through the mixnet. The study runs on the in-process overlay harness
// through `go test` (TestStudyFirstSpy).
func FirstSpy() []attacks.Attack {
	return []attacks.Attack{{
		Group: "firstspy", Layer: "overlay", Name: "first-spy",
		Property: "publisher anonymity on gossip",
		About: "a fraction f of the nodes spy and pool their logs; the guess for a message is the peer that handed it to the earliest spy; " +
			"f swept, with no defence (flood publishing on, and off for comparison), with the stem phase, and sending through the mixnet",
		Anchor: "a first spy found the origin of Bitcoin transactions ~30% of the time; Dandelion++ (Fanti et al., 2018) answers with a stem phase; precision should fall toward 1/N",
		Measure: func(ctx context.Context, o attacks.Options) (*result.Result, error) {
			return o.Study(ctx, "./attacks/trafficanalysis", "TestStudyFirstSpy", "first-spy")
		},
	}}
}
