// Package attacks defines the adversary models' common shape: an Attack
// runs a number of attempts against a layer and counts how many the layer
// accepted (must be none) and why it rejected the others. Each run becomes
// a result document of kind "attack" whose goal is zero accepted attempts.
//
// Traffic-analysis adversaries do not win or lose single attempts: they
// estimate, and an Attack with Measure records what they learned.
//
// The models themselves live in subpackages: attacks/session targets the
// trust and session layers, attacks/trafficanalysis the mixnet.
package attacks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/strata-lab/strata/internal/gotest"
	"github.com/strata-lab/strata/reports/result"
)

// Options configure one run of an attack.
type Options struct {
	Seed  int64
	Quick bool
	// Progress receives a line per attack (nil: silent).
	Progress io.Writer
	// Root is the module root, for attacks whose studies run through
	// `go test` (internal/gotest); "" when the command runs outside the
	// repository.
	Root string
	// Runs selects the runs of a study part by their labels
	// (gotest.Params.Runs); nil runs them all.
	Runs map[string]string
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
	// Run counts attempts the layer accepted or rejected. Measure, used
	// instead when set, is for adversaries that estimate rather than win
	// or lose (traffic analysis): it returns a result document of its own,
	// with metrics, goals and plots, which Execute completes.
	Run     func(ctx context.Context, o Options) (*Outcome, error)
	Measure func(ctx context.Context, o Options) (*result.Result, error)
}

// ErrInconsistent: an outcome whose counts do not add up.
var ErrInconsistent = errors.New("attacks: inconsistent outcome")

// ErrNoRuns reports a run selection (Options.Runs) given to an attack
// whose runs cannot be selected.
var ErrNoRuns = errors.New("attacks: this attack cannot select runs")

// RunsSelected is the result parameter by which a study that honoured
// Options.Runs says which runs it selected.
const RunsSelected = "runs_selected"

// Execute runs the attack and returns its result document.
func (a Attack) Execute(ctx context.Context, o Options) (*result.Result, error) {
	if a.Measure != nil {
		return a.measure(ctx, o)
	}
	if len(o.Runs) > 0 {
		return nil, fmt.Errorf("%w: %s/%s makes attempts, not labelled runs", ErrNoRuns, a.Layer, a.Name)
	}
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
	r.Command = a.command(o)
	r.Finished = time.Now()
	if err := r.Evaluate(); err != nil {
		return nil, err
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "  attack %s/%s: %d attempts, %d accepted\n", a.Layer, a.Name, out.Attempts, out.Accepted)
	}
	return r, nil
}

func (a Attack) command(o Options) string {
	quick := ""
	if o.Quick {
		quick = " --quick"
	}
	if len(o.Runs) > 0 {
		quick += " --runs " + gotest.FormatRuns(o.Runs)
	}
	return fmt.Sprintf("strata attack %s --only %s --seed %d%s", a.Group, a.Name, o.Seed, quick)
}

// measure runs a measuring attack and completes its document: kind,
// layer, name, the attack's description and the command that replays it.
func (a Attack) measure(ctx context.Context, o Options) (*result.Result, error) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "  attack %s/%s: %s\n", a.Layer, a.Name, a.About)
	}
	r, err := a.Measure(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", a.Layer, a.Name, err)
	}
	if _, ok := r.Params[RunsSelected]; len(o.Runs) > 0 && !ok {
		return nil, fmt.Errorf("%w: %s/%s ran every run", ErrNoRuns, a.Layer, a.Name)
	}
	r.Kind, r.Layer, r.Name = result.KindAttack, a.Layer, a.Layer+"/attack/"+a.Name
	if r.Params == nil {
		r.Params = map[string]any{}
	}
	r.Params["group"], r.Params["property"], r.Params["about"] = a.Group, a.Property, a.About
	r.Command = a.command(o)
	r.Finished = time.Now()
	if err := r.Evaluate(); err != nil {
		return nil, err
	}
	return r, nil
}

// ErrNoRoot reports a study that needs the repository, run outside it.
var ErrNoRoot = errors.New("attacks: this study runs through `go test` and needs the repository: run from the repository or pass --root")

// Study runs part only of a study test function of pkg (a path relative to
// the module root) through `go test` (see internal/gotest) and returns the
// one result document it wrote. Measure functions of adversaries on the
// in-process overlay harness, which needs synctest, use it.
func (o Options) Study(ctx context.Context, pkg, test, only string) (*result.Result, error) {
	if o.Root == "" {
		return nil, ErrNoRoot
	}
	rs, err := gotest.Run(ctx, o.Root, pkg, test, gotest.Params{Seed: o.Seed, Quick: o.Quick, Only: only, Runs: o.Runs}, o.Progress)
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("%w: %s %s (%s) wrote %d results, want 1", gotest.ErrStudy, pkg, test, only, len(rs))
	}
	return rs[0], nil
}
