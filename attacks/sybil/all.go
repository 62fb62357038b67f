package sybil

import (
	"context"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/reports/result"
)

// All returns the group's adversary models, one per study part. Each runs
// its part of TestStudySybil through `go test` (the in-process harness
// needs synctest's virtual time) and returns the part's result.
func All() []attacks.Attack {
	var out []attacks.Attack
	for _, p := range Parts() {
		out = append(out, attacks.Attack{
			Group: "sybil", Layer: "overlay", Name: p.Name,
			Property: p.Property, About: p.About, Anchor: p.Anchor,
			Measure: func(ctx context.Context, o attacks.Options) (*result.Result, error) {
				return o.Study(ctx, "./attacks/sybil", "TestStudySybil", p.Name)
			},
		})
	}
	return out
}
