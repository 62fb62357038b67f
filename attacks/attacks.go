// Package attacks defines the adversary models' common shape: an Attack
// runs a number of attempts against a layer and counts how many the layer
// accepted (must be none) and why it rejected the others. Each run becomes
// a result document of kind "attack" whose goal is zero accepted attempts.
//
// The models themselves live in subpackages: attacks/session targets the
// trust and session layers.
package attacks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/strata-lab/strata/reports/result"
)

// Options configure one run of an attack.
type Options struct {
	Seed  int64
	Quick bool
	// Progress receives a line per attack (nil: silent).
	Progress io.Writer
}

// Attempts is how many attempts an attack makes: fewer with Quick.
func (o Options) Attempts(quick, full int) int {
	if o.Quick {
		return quick
	}
	return full
}

// Outcome counts what the attempts achieved.
type Outcome struct {
	Attempts int
	// Accepted counts attempts that got what the adversary wanted.
	Accepted int
	// Rejected counts the other attempts by the error class that stopped
	// them ("ErrBadMAC", ...).
	Rejected map[string]int
}

// Reject records a rejected attempt under class.
func (o *Outcome) Reject(class string) {
	if o.Rejected == nil {
		o.Rejected = map[string]int{}
	}
	o.Rejected[class]++
}

// Attack is one adversary model.
type Attack struct {
	// Group names the set the attack belongs to on the command line
	// ("session"); Layer the layer it targets.
	Group, Layer string
	// Name is the attack's stable id within the layer ("mitm-key-substitution").
	Name string
	// Property is what the layer protects against it ("authentication").
	Property string
	// About says what the adversary does; Anchor what the goal is held to.
	About, Anchor string
	Run           func(ctx context.Context, o Options) (*Outcome, error)
}

// ErrInconsistent: an outcome whose counts do not add up.
var ErrInconsistent = errors.New("attacks: inconsistent outcome")

// Execute runs the attack and returns its result document.
func (a Attack) Execute(ctx context.Context, o Options) (*result.Result, error) {
	started := time.Now()
	out, err := a.Run(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", a.Layer, a.Name, err)
	}
	rejected := 0
	for _, n := range out.Rejected {
		rejected += n
	}
	if out.Attempts == 0 || out.Accepted+rejected != out.Attempts {
		return nil, fmt.Errorf("%w: %s/%s: %d attempts, %d accepted, %d rejected", ErrInconsistent, a.Layer, a.Name, out.Attempts, out.Accepted, rejected)
	}
	r := result.New(result.KindAttack, a.Layer, a.Layer+"/attack/"+a.Name, o.Seed, started)
	r.Params = map[string]any{"group": a.Group, "property": a.Property, "about": a.About, "quick": o.Quick}
	r.Add("attempts", "attempts", float64(out.Attempts), nil)
	r.Add("accepted", "attempts", float64(out.Accepted), nil)
	for _, class := range slices.Sorted(maps.Keys(out.Rejected)) {
		r.Add("rejected", "attempts", float64(out.Rejected[class]), map[string]string{"reason": class})
	}
	r.Goals = []result.Goal{{Metric: "accepted", Op: result.OpLE, Target: 0, Anchor: a.Property + ": " + a.Anchor}}
	quick := ""
	if o.Quick {
		quick = " --quick"
	}
	r.Command = fmt.Sprintf("strata attack %s --only %s --seed %d%s", a.Group, a.Name, o.Seed, quick)
	r.Finished = time.Now()
	if err := r.Evaluate(); err != nil {
		return nil, err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "  attack %s/%s: %d attempts, %d accepted\n", a.Layer, a.Name, out.Attempts, out.Accepted)
	}
	return r, nil
}
