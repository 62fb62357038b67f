package sybil

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/strata-lab/strata/reports/result"
)

// Goal constants of the main attack (the figures).
const (
	// goalDelivery: every honest node gets every message at 10:1 with
	// scoring on.
	goalDelivery = 1.0
	// goalP99Factor: p99 latency at most twice the attack-free baseline's.
	goalP99Factor = 2.0
	// anchorStudy cites where the figures come from.
	anchorStudy = "gossipsub v1.1 hardening study (Vyzovitis et al., 2020; Testground, 1,000 honest nodes against up to 10,000 Sybils): "
)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func with(l map[string]string, kv ...string) map[string]string {
	out := maps.Clone(l)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Build turns a part's runs and their outcomes into its result document.
func Build(p Part, size Size, seed int64, started time.Time, runs []Labeled, outs []Outcome) (*result.Result, error) {
	r, err := measured(p, size, seed, started, runs, outs)
	if err != nil {
		return nil, err
	}
	r.Goals = goals(p, size)
	if err := r.Evaluate(); err != nil {
		return nil, err
	}
	return r, nil
}

// BuildPartial is Build for the runs done so far of a study that goes on,
// so that a study stopped part-way leaves what it measured: it keeps the
// goals whose metrics were measured and notes in the params how many
// runs of how many the document holds.
func BuildPartial(p Part, size Size, seed int64, started time.Time, runs []Labeled, outs []Outcome, planned int) (*result.Result, error) {
	r, err := measured(p, size, seed, started, runs, outs)
	if err != nil {
		return nil, err
	}
	for _, g := range goals(p, size) {
		if _, ok := r.Lookup(g.Metric, g.Labels); ok {
			r.Goals = append(r.Goals, g)
		}
	}
	r.Params["runs_done"] = fmt.Sprintf("%d of %d", len(runs), planned)
	if err := r.Evaluate(); err != nil {
		return nil, err
	}
	return r, nil
}

// measured builds the document's metrics and plots, without goals.
func measured(p Part, size Size, seed int64, started time.Time, runs []Labeled, outs []Outcome) (*result.Result, error) {
	if len(runs) != len(outs) {
		return nil, fmt.Errorf("%w: %d runs, %d outcomes", ErrConfig, len(runs), len(outs))
	}
	r := result.New(result.KindAttack, "overlay", "overlay/attack/"+p.Name, seed, started)
	r.Params["size"] = [...]string{"small", "quick", "full"}[size]
	r.Params["quick"] = size == Quick
	// The baseline p99 for each scoring setting.
	baseP99 := map[string]time.Duration{}
	for i, l := range runs {
		if l.Labels["run"] == "baseline" {
			baseP99[l.Labels["scoring"]] = outs[i].All.Percentile(0.99)
		}
	}
	for i, l := range runs {
		o, run := outs[i], l.Run
		lb := l.Labels
		r.Add("honest_nodes", "nodes", float64(run.Honest), lb)
		r.Add("sybils", "nodes", float64(run.Sybils), lb)
		r.Add("delivery_rate", "ratio", o.All.Rate(), lb)
		r.Add("victim_delivery_rate", "ratio", o.Victims.Rate(), lb)
		r.Add("expected_deliveries", "deliveries", float64(o.All.Expected), lb)
		if len(o.All.Latency) > 0 {
			samples := make([]float64, len(o.All.Latency))
			for k, d := range o.All.Latency {
				samples[k] = ms(d)
			}
			dist := result.Summarize(samples, 60)
			r.Add("latency_ms", "ms", dist.P50, lb).Dist = dist
			r.Add("latency_p99_ms", "ms", dist.P99, lb)
			if b := baseP99[lb["scoring"]]; lb["run"] == "attack" && b > 0 {
				r.Add("latency_p99_vs_baseline", "x", dist.P99/ms(b), lb)
			}
		}
		r.Add("honest_conns_mean", "connections", o.ConnsMean, lb)
		r.Add("honest_conns_max", "connections", float64(o.ConnsMax), lb)
		if run.Sybils > 0 {
			r.Add("honest_outbound_to_sybils_mean", "connections", o.OutboundToSybils, lb)
		}
		r.Add("wall_s", "s", o.Wall.Seconds(), lb)
		if o.PeakRSS > 0 {
			r.Add("peak_memory_mib", "MiB", float64(o.PeakRSS>>20), lb)
		}
		if o.PeakLive > 0 {
			r.Add("peak_live_heap_mib", "MiB", float64(o.PeakLive>>20), lb)
		}
		if run.Sybils == 0 {
			continue
		}
		var after, n float64
		for _, sp := range o.Share {
			if sp.At >= 0 {
				after += sp.Share
				n++
				r.Add("sybil_mesh_share", "ratio", sp.Share, with(lb, "t", strconv.Itoa(int(sp.At.Seconds()))))
			}
		}
		if n > 0 {
			r.Add("sybil_mesh_share_mean", "ratio", after/n, lb)
			r.Add("eclipsed_victims_final", "ratio", o.Share[len(o.Share)-1].Eclipsed, lb)
		}
		r.Add("sybil_messages_dropped", "messages", float64(o.Sybil.Dropped), lb)
		r.Add("sybil_messages_relayed", "messages", float64(o.Sybil.Relayed), lb)
		r.Add("sybil_grafts", "grafts", float64(o.Sybil.Grafts), lb)
		r.Add("sybil_prunes_received", "prunes", float64(o.Sybil.Prunes), lb)
		if run.ScoringOff || o.Pairs == 0 {
			continue
		}
		// Scores: the share of (victim, Sybil) pairs whose score fell
		// below 0 and below the graylist threshold, and the median time
		// it took (from the attack's start), where any did.
		for _, c := range []struct {
			name string
			at   []time.Duration
		}{{"sybil_score_below_zero", o.Below0}, {"sybil_score_below_graylist", o.BelowGray}} {
			r.Add(c.name+"_share", "ratio", float64(len(c.at))/float64(o.Pairs), lb)
			if len(c.at) > 0 {
				s := make([]float64, len(c.at))
				for k, d := range c.at {
					s[k] = d.Seconds()
				}
				dist := result.Summarize(s, 0)
				r.Add(c.name+"_s", "s", dist.P50, lb).Dist = dist
			}
		}
	}
	r.Plots = plots(p)
	r.Finished = time.Now()
	return r, nil
}

func plots(p Part) []result.Plot {
	ps := []result.Plot{
		{ID: p.Name + "-latency-cdf", Title: p.Name + ": honest delivery latency CDF",
			Kind: result.PlotCDF, Metric: "latency_ms", Series: "run", XLabel: "latency (ms, log)", YLabel: "share of deliveries", LogX: true},
		{ID: p.Name + "-mesh-share", Title: p.Name + ": Sybil share of victims' meshes",
			Kind: result.PlotLine, Metric: "sybil_mesh_share", X: "t", Series: "scoring", Filter: map[string]string{"run": "attack"},
			XLabel: "time since the attack started (s)", YLabel: "Sybil share of mesh"},
	}
	if p.Name == "ratio-push" {
		ps = append(ps, result.Plot{ID: p.Name + "-delivery-by-ratio", Title: p.Name + ": honest delivery by Sybil ratio",
			Kind: result.PlotLine, Metric: "delivery_rate", X: "ratio", Series: "scoring",
			XLabel: "Sybils per honest node (0: baseline)", YLabel: "honest delivery rate"})
	}
	return ps
}

// goals are the figures, held for the main attack: with scoring
// on at 10:1, every honest node gets every message and p99 stays within
// twice the baseline's. The other parts report without goals: the issue
// sets none for them.
func goals(p Part, size Size) []result.Goal {
	if p.Name != "eclipse-network" {
		return nil
	}
	l := map[string]string{"run": "attack", "scoring": "on", "ratio": "10"}
	scale := ""
	if size != Full {
		scale = fmt.Sprintf(" (here at the %s size, not 1,000 honest nodes)", [...]string{"small", "quick", "full"}[size])
	}
	return []result.Goal{
		{Metric: "delivery_rate", Labels: l, Op: result.OpGE, Target: goalDelivery,
			Anchor: anchorStudy + "100% honest delivery at 10:1 Sybils with scoring on" + scale},
		{Metric: "latency_p99_vs_baseline", Labels: l, Op: result.OpLE, Target: goalP99Factor,
			Anchor: anchorStudy + "p99 latency at most 2× the attack-free baseline at 10:1 with scoring on" + scale},
	}
}
