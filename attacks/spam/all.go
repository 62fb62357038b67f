package spam

import (
	"context"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/reports/result"
)

// studyPkg and studyTest locate the study test the command line runs
// through `go test` (the harness needs synctest).
const (
	studyPkg  = "./attacks/spam"
	studyTest = "TestStudySpam"
)

// All returns the group's adversary models, one per part.
func All() []attacks.Attack {
	var out []attacks.Attack
	for _, p := range Parts() {
		name := p.Name
		out = append(out, attacks.Attack{Group: "spam", Layer: Layer, Name: name, Property: p.Property, About: p.About, Anchor: p.Anchor,
			Measure: func(ctx context.Context, o attacks.Options) (*result.Result, error) {
				return o.Study(ctx, studyPkg, studyTest, name)
			}})
	}
	return out
}
