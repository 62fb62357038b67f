package dht

import (
	"context"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/reports/result"
)

// All returns the group's DHT adversary: routing-table poisoning of a
// victim's kad-dht table from K addresses, with the diversity filter on
// and off.
func All() []attacks.Attack {
	return []attacks.Attack{{
		Group: "sybil", Layer: "overlay", Name: Name,
		Property: "discovery: no few addresses own a node's routing table",
		About: "Sybils ground next to a victim's Kademlia key, many per address from K addresses, fill its routing table and " +
			"answer lookups with one another; diversity filter (2 per bucket, 3 per table per /16) on and off",
		Anchor: "with the filter on, K addresses hold at most 3K entries (go-libp2p-kad-dht rt_diversity_filter.go)",
		Measure: func(ctx context.Context, o attacks.Options) (*result.Result, error) {
			return o.Study(ctx, "./attacks/sybil/dht", "TestStudyDHTEclipse", Name)
		},
	}}
}
