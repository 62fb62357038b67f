package syncsim

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/strata-lab/strata/layers/sync"
	"github.com/strata-lab/strata/layers/sync/reconcile"
	"github.com/strata-lab/strata/layers/sync/reconcile/reconciletest"
	"github.com/strata-lab/strata/reports/result"
)

// reconcileGrid is the (n, d) grid of the reconciliation study.
func reconcileGrid(quick bool) (ns, ds []int) {
	ns = []int{1000, 10000, 100000, 1000000}
	if quick {
		ns = []int{1000, 100000, 1000000}
	}
	return ns, []int{0, 1, 10, 100, 1000}
}

// mvdsCatchUpBytes encodes what MVDS sends to catch a peer up on d missing
// messages out of n with the engine's codec: with per-peer state, an offer
// and a request per missing message; without it (a new peer, lost state),
// offers of the whole history and a request per missing message.
func mvdsCatchUpBytes(n, d int) (stateful, stateless int, err error) {
	frames := func(ids int, offers bool) (int, error) {
		total := 0
		for ids > 0 {
			k := min(ids, sync.MaxIDsPerList)
			f := &sync.Frame{}
			list := make([]sync.ID, k)
			if offers {
				f.Offers = list
			} else {
				f.Requests = list
			}
			b, err := sync.EncodeFrame(f)
			if err != nil {
				return 0, err
			}
			total += len(b)
			ids -= k
		}
		return total, nil
	}
	od, err := frames(d, true)
	if err != nil {
		return 0, 0, err
	}
	rd, err := frames(d, false)
	if err != nil {
		return 0, 0, err
	}
	on, err := frames(n, true)
	if err != nil {
		return 0, 0, err
	}
	return od + rd, on + rd, nil
}

// ReconcileStudy measures range-based reconciliation over a grid of set
// size n and differences d, through the wire codec, beside what MVDS's
// per-message offers cost for the same catch-up.
func ReconcileStudy(ctx context.Context, opts StudyOptions) (*result.Result, error) {
	started := time.Now()
	ns, ds := reconcileGrid(opts.Quick)
	r := result.New(result.KindScenario, "sync", "sync/reconcile", opts.Seed, started)
	p := reconcile.DefaultParams()
	r.Params = map[string]any{"n": ns, "d": ds, "branch": p.Branch, "id_list_threshold": p.IDListThreshold,
		"max_ranges": p.MaxRanges, "max_ids": p.MaxIDs, "differences": "the responder lacks d of the initiator's n items, spread evenly"}
	var g sync.GroupID
	copy(g[:], "reconcile-study")
	for _, n := range ns {
		items := reconciletest.Items(uint64(opts.Seed), n)
		a := reconcile.NewSet(items)
		for _, d := range ds {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if d > n {
				continue
			}
			b := reconcile.NewSet(reconciletest.Lacking(items, d))
			t0 := time.Now()
			rounds, haveA, haveB, err := sync.Transcript(g, a, b, uint64(opts.Seed)+uint64(n+d), p)
			if err != nil {
				return nil, fmt.Errorf("n=%d d=%d: %w", n, d, err)
			}
			cpu := time.Since(t0)
			if len(haveA) != d || len(haveB) != 0 {
				return nil, fmt.Errorf("n=%d d=%d: found %d and %d differences", n, d, len(haveA), len(haveB))
			}
			bytes := 0
			for _, f := range rounds {
				bytes += len(f)
			}
			lb := func(profile string) map[string]string {
				return map[string]string{"n": strconv.Itoa(n), "d": strconv.Itoa(d), "profile": profile}
			}
			r.Add("catchup_bytes", "B", float64(bytes), lb("strata-rbsr"))
			r.Add("roundtrips", "roundtrips", float64((len(rounds)+1)/2), lb("strata-rbsr"))
			r.Add("messages", "msgs", float64(len(rounds)), lb("strata-rbsr"))
			r.Add("wall_ms", "ms", float64(cpu.Microseconds())/1000, lb("strata-rbsr"))
			stateful, stateless, err := mvdsCatchUpBytes(n, d)
			if err != nil {
				return nil, err
			}
			r.Add("catchup_bytes", "B", float64(stateful), lb("mvds-per-peer-state"))
			r.Add("catchup_bytes", "B", float64(stateless), lb("mvds-new-peer"))
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "  reconcile n=%d d=%d: %d bytes, %d messages (%.0f ms)\n", n, d, bytes, len(rounds), float64(cpu.Microseconds())/1000)
			}
		}
	}
	one := map[string]string{"n": "1000000", "d": "1", "profile": "strata-rbsr"}
	r.Goals = []result.Goal{
		{Metric: "catchup_bytes", Labels: one, Op: result.OpLE, Target: 1500, Anchor: "Negentropy: 1e6 records differing by one, about 1.5 KB in total"},
		{Metric: "roundtrips", Labels: one, Op: result.OpLE, Target: 3, Anchor: "Negentropy: 1e6 records differing by one, about 3 round trips"},
	}
	for _, n := range ns {
		sn := strconv.Itoa(n)
		r.Plots = append(r.Plots, result.Plot{ID: "sync-reconcile-bytes-n" + sn, Title: "Catch-up bytes vs differences, n = " + sn,
			Kind: result.PlotLine, Metric: "catchup_bytes", X: "d", Series: "profile", Filter: map[string]string{"n": sn},
			XLabel: "differences d", YLabel: "bytes, both directions", LogX: true, LogY: true})
	}
	r.Command = fmt.Sprintf("strata sim sync --study reconcile --seed %d%s", opts.Seed, quickFlag(opts.Quick))
	r.Finished = time.Now()
	_ = r.Evaluate()
	return r, nil
}
