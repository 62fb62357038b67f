package mixsim

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/reports/result"
)

// AdaptiveStudy lowers the traffic (the number of clients) and shows how
// adaptive clients change their delays, what expected anonymity they
// report, and what the mixes measure, beside clients with the fixed
// default delay. Each run lets the first epochs publish the measured
// rates; the window is the epochs after.
func AdaptiveStudy(ctx context.Context, opts StudyOptions) (*result.Result, error) {
	started := time.Now()
	levels, epoch := []int{1000, 300, 100, 30}, 60*time.Second
	if opts.Quick {
		levels, epoch = []int{400, 100, 25}, 40*time.Second
	}
	var jobs []job
	for _, n := range levels {
		for _, adaptive := range []bool{true, false} {
			c := DefaultConfig()
			c.Seed = uint64(opts.Seed)
			c.Clients, c.Adaptive, c.Epoch = n, adaptive, epoch
			c.Warmup, c.Duration, c.Drain = 2*epoch, 2*epoch, 20*time.Second
			mode := "fixed"
			if adaptive {
				mode = "adaptive"
			}
			jobs = append(jobs, job{label: fmt.Sprintf("%s clients=%d", mode, n), cfg: c})
		}
	}
	outs, _, err := runAll(ctx, jobs, opts)
	if err != nil {
		return nil, err
	}
	r := result.New(result.KindScenario, "mixnet", "mixnet/adaptive", opts.Seed, started)
	base := DefaultConfig()
	r.Params = map[string]any{"clients": levels, "epoch": epoch.String(), "target_pool": loopix.DefaultTargetPool,
		"mu_set_ms": msList(base.Params.MuSet), "default_delay": base.MeanDelay().String(),
		"rule":     "per hop, the shortest mean delay d of the published set with λ_mix·d ≥ target, λ_mix the mix's rate in the directory (measured over the previous epoch)",
		"reported": "ExpectedPool = min over the path's mixes of λ_mix·d (what the client shows the user), median over the window's messages",
		"measured": "mean pool size over the mixes' samples in the window",
		"format":   formatNote, "trace_hashes": traceHashes(jobs, outs), "quick": opts.Quick}
	for _, o := range outs {
		mode := "fixed"
		if o.Config.Adaptive {
			mode = "adaptive"
		}
		n := strconv.Itoa(o.Config.Clients)
		lb := map[string]string{"clients": n, "mode": mode}
		var delays, pools, floors []float64
		met := 0
		for _, m := range o.Messages {
			if m.Departed < o.Config.Warmup || m.Departed >= o.Config.Warmup+o.Config.Duration {
				continue
			}
			delays = append(delays, float64(m.ExpectedDelay.Milliseconds())/float64(o.Config.Layers))
			pools = append(pools, m.ExpectedPool)
			floors = append(floors, m.EntropyFloor)
			if m.TargetMet {
				met++
			}
		}
		var pool, h, rate float64
		for _, mx := range o.Mixes {
			pool += meanInts(mx.Pool)
			h += mx.Entropy
			rate += mx.Rate
		}
		k := float64(len(o.Mixes))
		pool, h, rate = pool/k, h/k, rate/k
		r.Add("mean_delay_chosen", "ms", median(delays), lb)
		r.Add("reported_expected_pool", "packets", median(pools), lb)
		r.Add("reported_entropy_floor", "bits", median(floors), lb)
		r.Add("measured_pool", "packets", pool, lb)
		r.Add("mix_rate", "pkts/s", rate, lb)
		r.Add("mix_entropy", "bits", h, lb)
		if len(delays) > 0 {
			r.Add("target_met_fraction", "ratio", float64(met)/float64(len(delays)), lb)
		}
		net, _, _ := latencies(o)
		r.Add("latency_network_p50", "s", median(seconds(net)), lb)
		if mode == "adaptive" && pool > 0 {
			r.Add("report_error", "ratio", median(pools)/pool-1, lb)
			r.Goals = append(r.Goals,
				result.Goal{Metric: "measured_pool", Labels: lb, Op: result.OpGE, Target: 0.9 * loopix.DefaultTargetPool,
					Anchor: "an adaptive client keeps the pool at its target as traffic falls (nym#513: ~1 packet per mix at low traffic)"},
				result.Goal{Metric: "report_error", Labels: lb, Op: result.OpLE, Target: 0.25,
					Anchor: "the anonymity the client reports is within 25% of the pool the mixes measure"},
				result.Goal{Metric: "report_error", Labels: lb, Op: result.OpGE, Target: -0.25,
					Anchor: "the anonymity the client reports is within 25% of the pool the mixes measure"})
		}
	}
	for _, n := range levels {
		r.Add("measured_pool", "packets", loopix.DefaultTargetPool, map[string]string{"clients": strconv.Itoa(n), "mode": "target"})
	}
	r.Plots = []result.Plot{
		{ID: "mixnet-adaptive-delay", Title: "Mean delay per hop the clients choose vs number of clients", Kind: result.PlotLine,
			Metric: "mean_delay_chosen", X: "clients", Series: "mode", XLabel: "clients (traffic)", YLabel: "mean delay per hop (ms)", LogX: true, LogY: true},
		{ID: "mixnet-adaptive-pool", Title: "Measured pool per mix vs number of clients", Kind: result.PlotLine,
			Metric: "measured_pool", X: "clients", Series: "mode", XLabel: "clients (traffic)", YLabel: "mean pool (packets)", LogX: true, LogY: true},
		{ID: "mixnet-adaptive-reported", Title: "Expected pool the client reports vs number of clients", Kind: result.PlotLine,
			Metric: "reported_expected_pool", X: "clients", Series: "mode", XLabel: "clients (traffic)", YLabel: "reported λ/μ (weakest hop)", LogX: true, LogY: true},
		{ID: "mixnet-adaptive-entropy", Title: "Measured per-mix entropy vs number of clients", Kind: result.PlotLine,
			Metric: "mix_entropy", X: "clients", Series: "mode", XLabel: "clients (traffic)", YLabel: "entropy (bits)", LogX: true},
	}
	r.Command = fmt.Sprintf("strata sim mixnet --study adaptive --seed %d%s", opts.Seed, quickFlag(opts.Quick))
	r.Finished = time.Now()
	_ = r.Evaluate()
	return r, nil
}
