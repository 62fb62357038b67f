package mixsim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/strata-lab/strata/reports/result"
)

// withMeanDelay returns c with the default delay set to d, which must be
// one of the published set.
func withMeanDelay(c Config, d time.Duration) Config {
	c.Params.MuSet = slices.Clone(c.Params.MuSet)
	i := slices.Index(c.Params.MuSet, d)
	if i < 0 {
		c.Params.MuSet = append(c.Params.MuSet, d)
		slices.Sort(c.Params.MuSet)
		i = slices.Index(c.Params.MuSet, d)
	}
	c.Params.DefaultMu = i
	return c
}

// erlangQuantile is the q-quantile of the sum of k exponentials of mean
// m: the latency the mixes add on a path of k mixes.
func erlangQuantile(k int, m time.Duration, q float64) time.Duration {
	cdf := func(x float64) float64 {
		s, t := 0.0, 1.0
		for i := range k {
			if i > 0 {
				t *= x / float64(i)
			}
			s += t
		}
		return 1 - math.Exp(-x)*s
	}
	lo, hi := 0.0, 100.0+10*float64(k)
	for range 200 {
		mid := (lo + hi) / 2
		if cdf(mid) < q {
			lo = mid
		} else {
			hi = mid
		}
	}
	return time.Duration(lo * float64(m))
}

func latencyGrid(quick bool) (delays []time.Duration, clients int, dur time.Duration) {
	if quick {
		return []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond}, 200, 60 * time.Second
	}
	return []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond,
		500 * time.Millisecond, time.Second, 2 * time.Second}, 1000, 300 * time.Second
}

// LatencyStudy measures end-to-end latency against the mean per-hop delay
// 1/μ with 3 mix layers, beside the Erlang(3, μ) model of the delays and a
// no-mixing baseline of the same traffic.
func LatencyStudy(ctx context.Context, opts StudyOptions) (*result.Result, error) {
	started := time.Now()
	delays, clients, dur := latencyGrid(opts.Quick)
	base := DefaultConfig()
	base.Seed = uint64(opts.Seed)
	base.Clients = clients
	base.Duration = dur
	var jobs []job
	for _, d := range delays {
		c := withMeanDelay(base, d)
		c.Drain = 20*time.Second + 30*d
		jobs = append(jobs, job{label: "loopix mean_delay=" + d.String(), cfg: c})
	}
	bl := base
	bl.Baseline = true
	jobs = append(jobs, job{label: "baseline (no mixing)", cfg: bl})
	// The same small deployment over real Sphinx packets and over
	// SimFormat: with one seed, the cores must produce the same link
	// events (times, ends, sizes) and deliveries.
	small := withMeanDelay(base, 100*time.Millisecond)
	small.Clients, small.Duration = 20, 20*time.Second
	if !opts.Quick {
		small.Duration = 60 * time.Second
	}
	sphinxCfg := small
	sphinxCfg.Format = SphinxFormat
	jobs = append(jobs, job{label: "format check: 20 clients over Sphinx", cfg: sphinxCfg}, job{label: "format check: 20 clients over SimFormat", cfg: small})
	outs, walls, err := runAll(ctx, jobs, opts)
	if err != nil {
		return nil, err
	}
	checks, checkWalls := outs[len(outs)-2:], walls[len(walls)-2:]
	outs, jobs = outs[:len(outs)-2], jobs[:len(jobs)-2]
	r := result.New(result.KindScenario, "mixnet", "mixnet/latency", opts.Seed, started)
	overhead := time.Duration(base.Layers+2) * base.Latency
	r.Params = map[string]any{"clients": clients, "layers": base.Layers, "mixes_per_layer": base.MixesPerLayer, "providers": base.Providers,
		"mean_delays_ms": msList(delays), "duration": dur.String(), "warmup": base.Warmup.String(), "link_latency": base.Latency.String(),
		"msg_rate_per_client": base.MsgRate, "rates_per_s": fmt.Sprintf("λP=%g λL=%g λD=%g λM=%g", base.Params.LambdaP.PerSecond(),
			base.Params.LambdaL.PerSecond(), base.Params.LambdaD.PerSecond(), base.Params.LambdaM.PerSecond()),
		"network_latency": "from the packet leaving the sender to its arrival at the recipient's provider",
		"app_latency":     "from the application handing the message over to its delivery after a pull (adds the λP queue wait and the pull period)",
		"bound":           fmt.Sprintf("3/μ + %d links × %v = 3/μ + %v", base.Layers+2, base.Latency, overhead),
		"format":          formatNote + "; a 20-client deployment also runs over real Sphinx packets (format_check_*)",
		"trace_hashes":    traceHashes(append(jobs, job{label: "format check sphinx"}, job{label: "format check sim"}), append(outs, checks...)), "quick": opts.Quick}
	blOut := outs[len(outs)-1]
	blNet, blApp, blDel := latencies(blOut)
	for i, d := range delays {
		o := outs[i]
		net, app, del := latencies(o)
		if len(net) == 0 {
			return nil, fmt.Errorf("mean delay %v: no message delivered", d)
		}
		x := ms(d)
		lb := func(mode string) map[string]string { return map[string]string{"mean_delay_ms": x, "mode": mode} }
		m := addDist(r, "latency_network", "s", seconds(net), lb("loopix"), 100)
		r.Add("latency_network_p95", "s", m.Dist.P95, lb("loopix"))
		r.Add("latency_network_sd", "s", stddev(seconds(net)), lb("loopix"))
		bound := (3*d + overhead).Seconds()
		r.Add("latency_network", "s", bound, lb("bound 3/μ+links"))
		r.Add("latency_network", "s", (erlangQuantile(base.Layers, d, 0.5) + overhead).Seconds(), lb("model Erlang(3,μ)+links"))
		r.Add("latency_network_p95", "s", (erlangQuantile(base.Layers, d, 0.95) + overhead).Seconds(), lb("model Erlang(3,μ)+links"))
		addDist(r, "latency_app", "s", seconds(app), lb("loopix"), 0)
		r.Add("delivered_fraction", "ratio", del, lb("loopix"))
		// The baseline does not depend on μ: its one run is drawn at every x.
		r.Add("latency_network", "s", median(seconds(blNet)), lb("baseline (no mixing)"))
		r.Add("latency_network_p95", "s", result.Summarize(seconds(blNet), 0).P95, lb("baseline (no mixing)"))
		r.Add("latency_app", "s", median(seconds(blApp)), lb("baseline (no mixing)"))
		r.Goals = append(r.Goals, result.Goal{Metric: "latency_network", Labels: lb("loopix"), Op: result.OpLE, Target: bound,
			Anchor: fmt.Sprintf("p50 ≤ 3/μ + %d link latencies with 3 layers (prior-art target: p50 ≤ 3·(1/μ) + 50 ms)", base.Layers+2)})
		if d == 500*time.Millisecond {
			r.Goals = append(r.Goals,
				result.Goal{Metric: "latency_network_sd", Labels: lb("loopix"), Op: result.OpLE, Target: 0.87 * 1.15,
					Anchor: "Loopix Fig. 10 (μ=2, 0.5 s/hop, 500 users): latency SD 0.87 s, within 15%"},
				result.Goal{Metric: "latency_network_sd", Labels: lb("loopix"), Op: result.OpGE, Target: 0.87 * 0.85,
					Anchor: "Loopix Fig. 10 (μ=2, 0.5 s/hop, 500 users): latency SD 0.87 s, within 15%"})
		}
	}
	r.Add("delivered_fraction", "ratio", blDel, map[string]string{"mode": "baseline (no mixing)"})
	for k, name := range []string{"sphinx", "sim"} {
		o := checks[k]
		net, _, del := latencies(o)
		lb := map[string]string{"format": name}
		r.Add("format_check_latency_p50", "s", median(seconds(net)), lb)
		r.Add("format_check_delivered_fraction", "ratio", del, lb)
		r.Add("format_check_wall_seconds", "s", checkWalls[k].Seconds(), lb)
		r.Add("format_check_events", "events", float64(o.Events), lb)
	}
	same := 0.0
	if checks[0].TraceHash == checks[1].TraceHash {
		same = 1
	}
	r.Add("format_check_same_trace", "bool", same, nil)
	sph := map[string]string{"format": "sphinx"}
	r.Goals = append(r.Goals,
		result.Goal{Metric: "format_check_delivered_fraction", Labels: sph, Op: result.OpGE, Target: 1,
			Anchor: "over real Sphinx packets every message of a 20-client deployment arrives (the cores do not depend on the format)"},
		result.Goal{Metric: "format_check_same_trace", Op: result.OpEQ, Target: 1,
			Anchor: "SimFormat stands in for Sphinx: one seed gives the same trace hash (every link event and delivery) over both formats"})
	r.Plots = []result.Plot{
		{ID: "mixnet-latency-p50", Title: "End-to-end network latency p50 vs mean delay per hop (3 layers)", Kind: result.PlotLine,
			Metric: "latency_network", X: "mean_delay_ms", Series: "mode", XLabel: "mean delay per hop 1/μ (ms)", YLabel: "latency p50 (s)", LogX: true, LogY: true},
		{ID: "mixnet-latency-p95", Title: "End-to-end network latency p95 vs mean delay per hop", Kind: result.PlotLine,
			Metric: "latency_network_p95", X: "mean_delay_ms", Series: "mode", XLabel: "mean delay per hop 1/μ (ms)", YLabel: "latency p95 (s)", LogX: true, LogY: true},
		{ID: "mixnet-latency-cdf", Title: "Network latency CDF by mean delay", Kind: result.PlotCDF, Metric: "latency_network",
			Series: "mean_delay_ms", Filter: map[string]string{"mode": "loopix"}, XLabel: "latency (s)", YLabel: "fraction of messages", LogX: true},
		{ID: "mixnet-latency-app", Title: "Application latency p50 (queue wait, mixing, pull) vs mean delay", Kind: result.PlotLine,
			Metric: "latency_app", X: "mean_delay_ms", Series: "mode", XLabel: "mean delay per hop 1/μ (ms)", YLabel: "latency p50 (s)", LogX: true},
	}
	r.Command = fmt.Sprintf("strata sim mixnet --study latency --seed %d%s", opts.Seed, quickFlag(opts.Quick))
	r.Finished = time.Now()
	_ = r.Evaluate()
	return r, nil
}

func msList(ds []time.Duration) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.Milliseconds()
	}
	return out
}

func stddev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var s, s2 float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	for _, x := range xs {
		s2 += (x - m) * (x - m)
	}
	return math.Sqrt(s2 / float64(len(xs)-1))
}
