package syncsim

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/strata-lab/strata/reports/result"
	"github.com/strata-lab/strata/testnet/study"
)

// StudyOptions configure a study.
type StudyOptions = study.Options

// churnGrid is the grid of the churn study.
func churnGrid(quick bool) (uptimes []float64, groups []int, write time.Duration) {
	if quick {
		return []float64{0.1, 0.5, 0.9, 1.0}, []int{2, 10}, 12 * time.Hour
	}
	return []float64{0.1, 0.5, 0.9, 1.0}, []int{2, 10, 100}, 48 * time.Hour
}

// runAll runs every configuration on a pool of workers, keeping order.
func runAll(ctx context.Context, ps []Params, opts StudyOptions, label func(Params) string) ([]*Outcome, error) {
	outs, _, err := study.Run(ctx, opts, len(ps), func(i int) string { return label(ps[i]) },
		func(i int, _ func(string)) (*Outcome, error) { return Run(ps[i]) }, nil)
	return outs, err
}

func fmtUptime(u float64) string { return strconv.FormatFloat(u, 'f', -1, 64) }

// ChurnStudy measures every mode over a grid of uptime and group size:
// bandwidth overhead, latency, delivered fraction, metadata, ack and repair
// bytes, with the MVDS profile in the same run.
func ChurnStudy(ctx context.Context, opts StudyOptions) (*result.Result, error) {
	started := time.Now()
	uptimes, groups, write := churnGrid(opts.Quick)
	modes := append(append([]Mode{}, OurModes...), MVDSModes...)
	var ps []Params
	for _, g := range groups {
		for _, u := range uptimes {
			for _, m := range modes {
				p := DefaultParams()
				p.Seed = uint64(opts.Seed)
				p.Mode, p.Uptime, p.Nodes = m, u, g
				p.Write, p.Drain = write, write
				// The group writes one message a minute on average while
				// its members are online, whatever its size.
				p.MsgInterval = time.Duration(g) * time.Minute
				ps = append(ps, p)
			}
		}
	}
	label := func(p Params) string {
		return fmt.Sprintf("mode=%s uptime=%s group=%d", p.Mode, fmtUptime(p.Uptime), p.Nodes)
	}
	outs, err := runAll(ctx, ps, opts, label)
	if err != nil {
		return nil, err
	}
	r := result.New(result.KindScenario, "sync", "sync/churn", opts.Seed, started)
	d := DefaultParams()
	r.Params = map[string]any{
		"uptimes": uptimes, "group_sizes": groups, "modes": modes,
		"write": write.String(), "drain": write.String(), "mean_session": d.MeanSession.String(),
		"churn": d.ChurnDist, "group_msg_interval": "1m", "body_bytes": d.BodySize,
		"latency": "normal(80ms,20ms)", "jitter": d.Jitter.String(), "loss": d.Loss,
		"min_contact": d.MinContact.String(), "quick": opts.Quick,
	}
	hashes := map[string]string{}
	totals := map[Mode]*struct{ starved, over, dup int }{}
	for _, m := range modes {
		totals[m] = &struct{ starved, over, dup int }{}
	}
	for _, o := range outs {
		p := o.Params
		lb := map[string]string{"mode": string(p.Mode), "uptime": fmtUptime(p.Uptime), "group": strconv.Itoa(p.Nodes)}
		hashes[label(p)] = o.TraceHash
		addOutcomeMetrics(r, o, lb)
		t := totals[p.Mode]
		t.starved += o.Starved
		t.over += o.OverBound
		t.dup += o.Duplicates
	}
	r.Params["trace_hashes"] = hashes
	// Our best mode at 10% uptime between two nodes.
	best, bestMode := 0.0, Mode("")
	for _, o := range outs {
		p := o.Params
		if p.Uptime == 0.1 && p.Nodes == 2 && !p.Mode.mvds() && o.PayloadDelivered > 0 {
			if v := ratio(o.WireBytes, o.PayloadDelivered); bestMode == "" || v < best {
				best, bestMode = v, p.Mode
			}
		}
	}
	if bestMode != "" {
		r.Add("best_overhead_ratio", "x", best, map[string]string{"uptime": "0.1", "group": "2", "best_mode": string(bestMode)})
	}
	for _, m := range modes {
		t := totals[m]
		lb := map[string]string{"mode": string(m)}
		r.Add("starved_total", "deliveries", float64(t.starved), lb)
		r.Add("over_bound_total", "deliveries", float64(t.over), lb)
		r.Add("duplicates_total", "deliveries", float64(t.dup), lb)
	}
	r.Goals = append(r.Goals, result.Goal{Metric: "best_overhead_ratio", Labels: map[string]string{"uptime": "0.1", "group": "2"},
		Op: result.OpLE, Target: 3, Anchor: "Vac 2019 (MVDS, 2 nodes, 10% uptime): 100-1000x interactive, about 100x batch; with an always-on cache below 10x"})
	for _, m := range modes {
		lb := map[string]string{"mode": string(m)}
		r.Goals = append(r.Goals, result.Goal{Metric: "duplicates_total", Labels: lb, Op: result.OpLE, Target: 0,
			Anchor: "exactly-once delivery (SPEC.md, Provides)"})
		if m.mvds() {
			continue
		}
		r.Goals = append(r.Goals,
			result.Goal{Metric: "starved_total", Labels: lb, Op: result.OpLE, Target: 0,
				Anchor: "no message starves: delivered once sender and receiver meet (MVDS PR #86: retransmission stopped as time passed)"},
			result.Goal{Metric: "over_bound_total", Labels: lb, Op: result.OpLE, Target: 0,
				Anchor: "latency bounded by the time to the next contact plus the backoff cap (Vac 2019: ~5 min extra latency at 90% offline)"})
	}
	for _, g := range groups {
		gs := strconv.Itoa(g)
		r.Plots = append(r.Plots,
			result.Plot{ID: "sync-overhead-group" + gs, Title: "Bandwidth overhead vs uptime, group of " + gs, Kind: result.PlotLine,
				Metric: "overhead_ratio", X: "uptime", Series: "mode", Filter: map[string]string{"group": gs},
				XLabel: "uptime (fraction of time online)", YLabel: "wire bytes / payload bytes delivered", LogY: true},
			result.Plot{ID: "sync-delivered-group" + gs, Title: "Delivered fraction vs uptime, group of " + gs, Kind: result.PlotLine,
				Metric: "delivered_fraction", X: "uptime", Series: "mode", Filter: map[string]string{"group": gs},
				XLabel: "uptime", YLabel: "deliveries / expected deliveries"})
	}
	for _, u := range []string{"0.1", "0.5"} {
		r.Plots = append(r.Plots, result.Plot{ID: "sync-latency-cdf-up" + u, Title: "Delivery latency CDF, uptime " + u + ", group of 2",
			Kind: result.PlotCDF, Metric: "latency", Series: "mode", Filter: map[string]string{"uptime": u, "group": "2"},
			XLabel: "latency (s)", YLabel: "fraction of deliveries", LogX: true})
	}
	r.Command = fmt.Sprintf("strata sim sync --study churn --seed %d%s", opts.Seed, quickFlag(opts.Quick))
	r.Finished = time.Now()
	_ = r.Evaluate()
	return r, nil
}

func quickFlag(q bool) string {
	if q {
		return " --quick"
	}
	return ""
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// addOutcomeMetrics records one run's figures under labels lb.
func addOutcomeMetrics(r *result.Result, o *Outcome, lb map[string]string) {
	if o.PayloadDelivered > 0 {
		r.Add("overhead_ratio", "x", ratio(o.WireBytes, o.PayloadDelivered), lb)
	}
	if o.Expected > 0 {
		r.Add("delivered_fraction", "ratio", float64(o.Delivered)/float64(o.Expected), lb)
	}
	if len(o.Latencies) > 0 {
		lat := append([]float64(nil), o.Latencies...)
		dist := result.Summarize(lat, 100)
		m := r.Add("latency", "s", dist.P50, lb)
		m.Dist = dist
	}
	if len(o.Bounds) > 0 {
		b := result.Summarize(append([]float64(nil), o.Bounds...), 0)
		r.Add("latency_bound_p99", "s", b.P99, lb)
	}
	if o.MessagesSent > 0 {
		r.Add("metadata_bytes_per_msg", "B", float64(o.MessageBytes-o.BodyBytesSent)/float64(o.MessagesSent), lb)
	}
	if o.Delivered > 0 {
		d := float64(o.Delivered)
		r.Add("ack_bytes_per_delivery", "B", float64(o.AckBytes)/d, lb)
		r.Add("offer_bytes_per_delivery", "B", float64(o.OfferBytes)/d, lb)
		r.Add("repair_bytes_per_delivery", "B", float64(o.ReconcileBytes+o.RequestBytes)/d, lb)
		r.Add("transmissions_per_delivery", "msgs", float64(o.MessagesSent)/d, lb)
	}
	r.Add("messages_sent", "msgs", float64(o.Sent), lb)
	r.Add("over_bound", "deliveries", float64(o.OverBound), lb)
	r.Add("starved", "deliveries", float64(o.Starved), lb)
	r.Add("expired", "records", float64(o.Expired), lb)
	r.Add("sim_events", "events", float64(o.Events), lb)
}
