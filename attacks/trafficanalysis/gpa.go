package trafficanalysis

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/strata-lab/strata/attacks"
	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/reports/result"
	"github.com/strata-lab/strata/testnet/mixsim"
	"github.com/strata-lab/strata/testnet/study"
)

// point is what the global passive adversary achieved against one run.
type point struct {
	messages int
	// entropy: mean over messages, bits; top1: share guessed right.
	entropy, top1 float64
	// epsilon is |mean ln(p(sender)/p(other))| over the challenge pairs,
	// Loopix's ε (Eq. 3) as its reference simulator computes it; se its
	// standard error; lr50 and lr90 quantiles of |ln ratio| per message.
	epsilon, se, lr50, lr90 float64
	latencyP50              time.Duration
	uplink                  float64 // mean client uplink, bytes/s
	pool                    float64 // mean measured λ/μ per mix
}

// score runs the tracker over an observation with the given network.
func score(o *mixsim.Outcome, ob *observation, net Network) (point, error) {
	vs, err := judge(o, ob, net)
	if err != nil {
		return point{}, err
	}
	if len(vs) == 0 {
		return point{}, fmt.Errorf("%w: no message crossed the network in the measured window", ErrBadTrace)
	}
	var p point
	p.messages = len(vs)
	var lrs, abs []float64
	var lats []time.Duration
	for _, v := range vs {
		p.entropy += v.Entropy
		if v.Top1 {
			p.top1++
		}
		if !math.IsNaN(v.LogRatio) {
			lrs = append(lrs, v.LogRatio)
			abs = append(abs, math.Abs(v.LogRatio))
		}
		lats = append(lats, v.Latency)
	}
	p.entropy /= float64(len(vs))
	p.top1 /= float64(len(vs))
	if n := float64(len(lrs)); n > 1 {
		mean, ss := 0.0, 0.0
		for _, x := range lrs {
			mean += x
		}
		mean /= n
		for _, x := range lrs {
			ss += (x - mean) * (x - mean)
		}
		p.epsilon, p.se = math.Abs(mean), math.Sqrt(ss/(n-1)/n)
		slices.Sort(abs)
		p.lr50, p.lr90 = result.Quantile(abs, 0.5), result.Quantile(abs, 0.9)
	}
	slices.Sort(lats)
	p.latencyP50 = lats[len(lats)/2]
	for _, c := range o.Clients {
		p.uplink += float64(c.BytesUp) / o.Window.Seconds()
	}
	p.uplink /= float64(len(o.Clients))
	for _, m := range o.Mixes {
		p.pool += m.Rate * o.Config.MeanDelay().Seconds()
	}
	p.pool /= float64(len(o.Mixes))
	return p, nil
}

// add records a point's metrics under labels.
func (p point) add(r *result.Result, lb map[string]string) {
	with := func(extra ...string) map[string]string {
		m := make(map[string]string, len(lb)+2)
		for k, v := range lb {
			m[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	r.Add("sender_entropy", "bits", p.entropy, lb)
	r.Add("top1", "ratio", p.top1, lb)
	r.Add("epsilon", "nats", p.epsilon, lb)
	r.Add("epsilon_stderr", "nats", p.se, lb)
	r.Add("log_ratio_abs", "nats", p.lr50, with("q", "0.5"))
	r.Add("log_ratio_abs", "nats", p.lr90, with("q", "0.9"))
	r.Add("latency_p50", "ms", float64(p.latencyP50)/float64(time.Millisecond), lb)
	r.Add("client_uplink", "bytes/s", p.uplink, lb)
	r.Add("pool_lambda_over_mu", "packets", p.pool, lb)
	r.Add("messages", "messages", float64(p.messages), lb)
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

// gpaBase is the deployment every GPA run starts from: the simulator's
// default (3 layers × 3 mixes, 4 providers, 100 desktop clients), lossless
// links, every link recorded.
func gpaBase(o attacks.Options) mixsim.Config {
	c := mixsim.DefaultConfig()
	c.Seed = uint64(o.Seed)
	c.RecordLinks = true
	c.Loss = 0
	if o.Quick {
		c.Duration = 30 * time.Second
	}
	return c
}

type labelled struct {
	label string
	cfg   mixsim.Config
}

// runPoints runs configurations in parallel and scores each with the
// plain network.
func runPoints(ctx context.Context, o attacks.Options, cs []labelled) ([]*mixsim.Outcome, []*observation, []point, error) {
	type scored struct {
		out *mixsim.Outcome
		ob  *observation
		pt  point
	}
	res, _, err := study.Run(ctx, study.Options{Seed: o.Seed, Quick: o.Quick, Progress: o.Progress}, len(cs),
		func(i int) string { return cs[i].label },
		func(i int, _ func(string)) (scored, error) {
			out, err := mixsim.Run(cs[i].cfg)
			if err != nil {
				return scored{}, err
			}
			ob, err := observe(out)
			if err != nil {
				return scored{}, err
			}
			pt, err := score(out, ob, ob.net)
			return scored{out, ob, pt}, err
		},
		func(s scored) string {
			return fmt.Sprintf("%d messages, entropy %.2f bits, top-1 %.2f, ε %.3f, latency p50 %s ms",
				s.pt.messages, s.pt.entropy, s.pt.top1, s.pt.epsilon, ms(s.pt.latencyP50))
		})
	if err != nil {
		return nil, nil, nil, err
	}
	outs := make([]*mixsim.Outcome, len(cs))
	obs := make([]*observation, len(cs))
	pts := make([]point, len(cs))
	for i, r := range res {
		outs[i], obs[i], pts[i] = r.out, r.ob, r.pt
	}
	return outs, obs, pts, nil
}

// GPAStudy is the global passive adversary against the mean per-hop delay
// and against the cover rates, beside the same traffic sent without
// mixing: sender entropy, top-1 success and ε (two challenge senders)
// against end-to-end latency and client bandwidth.
func GPAStudy(ctx context.Context, o attacks.Options) (*result.Result, error) {
	started := time.Now()
	base := gpaBase(o)
	mus := []int{0, 1, 2, 3, 4, 5} // 20 ms … 1 s
	scales := []float64{0.25, 0.5, 1, 2}
	if o.Quick {
		mus = []int{0, 1, 2, 3}
		scales = []float64{0.5, 1, 2}
	}
	var cs []labelled
	b := base
	b.Baseline = true
	cs = append(cs, labelled{"no mixing", b})
	for _, mu := range mus {
		c := base
		c.Params.DefaultMu = mu
		cs = append(cs, labelled{"mean delay " + c.MeanDelay().String(), c})
	}
	for _, s := range scales {
		if s == 1 {
			continue // the default point of the delay sweep
		}
		c := base
		c.Params.LambdaP = scaleRate(c.Params.LambdaP, s)
		c.Params.LambdaL = scaleRate(c.Params.LambdaL, s)
		c.Params.LambdaD = scaleRate(c.Params.LambdaD, s)
		cs = append(cs, labelled{fmt.Sprintf("client rates ×%g", s), c})
	}
	outs, _, pts, err := runPoints(ctx, o, cs)
	if err != nil {
		return nil, err
	}
	r := result.New(result.KindAttack, "mixnet", "mixnet/attack/gpa-timing", o.Seed, started)
	r.Params = map[string]any{
		"clients": base.Clients, "layers": base.Layers, "mixes_per_layer": base.MixesPerLayer, "providers": base.Providers,
		"msg_rate": base.MsgRate, "window": base.Duration.String(), "link_latency": base.Latency.String(),
		"adversary": "global passive: sees every link (time, endpoints, size); follows each packet's sender distribution through " +
			"every mix by Loopix's pool rule (each pooled packet equally likely to leave next; a mix's own loops at λM); providers forward at once",
		"epsilon": "|mean ln(p(sender)/p(other))| over messages, other = sender of the message that left closest in time from another client " +
			"(Loopix Eq. 3 as its reference simulator computes it); per-message |ln ratio| capped at 20",
		"trace_hashes": hashes(cs, outs), "quick": o.Quick,
	}
	defaultIdx := 0
	for i, c := range cs {
		lb := map[string]string{"mode": "loopix", "mean_delay_ms": ms(c.cfg.MeanDelay()),
			"rate_scale": strconv.FormatFloat(rateScale(base, c.cfg), 'g', 4, 64),
			"latency_ms": ms(pts[i].latencyP50), "uplink_bps": strconv.FormatFloat(pts[i].uplink, 'f', 0, 64)}
		// The baseline and the default point belong to both sweeps.
		def := !c.cfg.Baseline && c.cfg.Params.DefaultMu == base.Params.DefaultMu && rateScale(base, c.cfg) == 1
		lb["delay_sweep"] = yesNo(c.cfg.Baseline || rateScale(base, c.cfg) == 1)
		lb["rate_sweep"] = yesNo(c.cfg.Baseline || c.cfg.Params.DefaultMu == base.Params.DefaultMu)
		if c.cfg.Baseline {
			lb["mode"], lb["mean_delay_ms"] = "no mixing", "0"
		}
		if def {
			defaultIdx = i
		}
		pts[i].add(r, lb)
	}
	// Goal: ε ≤ 0.2 with 3 layers and λ/μ ≥ 2 per mix, at every point of
	// the delay sweep that reaches λ/μ ≥ 2.
	for i, c := range cs {
		if c.cfg.Baseline || rateScale(base, c.cfg) != 1 || pts[i].pool < 2 {
			continue
		}
		r.Goals = append(r.Goals, result.Goal{Metric: "epsilon", Labels: map[string]string{"mode": "loopix", "mean_delay_ms": ms(c.cfg.MeanDelay()), "rate_scale": "1"},
			Op: result.OpLE, Target: 0.2,
			Anchor: fmt.Sprintf("3 layers, measured λ/μ = %.1f ≥ 2 per mix: ε ≤ 0.2 (Loopix calls λ/μ ≥ 2 good)", pts[i].pool)})
	}
	r.Goals = append(r.Goals, result.Goal{Metric: "top1", Labels: map[string]string{"mode": "loopix", "mean_delay_ms": ms(cs[defaultIdx].cfg.MeanDelay()), "rate_scale": "1"},
		Op: result.OpLE, Target: 5.0 / float64(base.Clients),
		Anchor: fmt.Sprintf("default deployment: the adversary's best guess right at most 5× chance (1/%d)", base.Clients)})
	r.Plots = []result.Plot{
		{ID: "gpa-entropy-latency", Title: "Sender entropy vs latency (delay swept)", Kind: result.PlotLine,
			Metric: "sender_entropy", X: "latency_ms", Series: "mode", Filter: map[string]string{"delay_sweep": "yes"},
			XLabel: "end-to-end latency p50 (ms)", YLabel: "sender entropy (bits)", LogX: true},
		{ID: "gpa-epsilon-latency", Title: "ε of two challenge senders vs latency", Kind: result.PlotLine,
			Metric: "epsilon", X: "latency_ms", Series: "mode", Filter: map[string]string{"delay_sweep": "yes"},
			XLabel: "end-to-end latency p50 (ms)", YLabel: "ε (nats, capped at 20)", LogX: true, LogY: true},
		{ID: "gpa-entropy-bandwidth", Title: "Sender entropy vs client bandwidth", Kind: result.PlotLine,
			Metric: "sender_entropy", X: "uplink_bps", Series: "mode", Filter: map[string]string{"rate_sweep": "yes"},
			XLabel: "client uplink (bytes/s)", YLabel: "sender entropy (bits)"},
		{ID: "gpa-epsilon-bandwidth", Title: "ε of two challenge senders vs bandwidth", Kind: result.PlotLine,
			Metric: "epsilon", X: "uplink_bps", Series: "mode", Filter: map[string]string{"rate_sweep": "yes"},
			XLabel: "client uplink (bytes/s)", YLabel: "ε (nats, capped at 20)", LogY: true},
		{ID: "gpa-top1-latency", Title: "Adversary's top-1 success vs latency", Kind: result.PlotLine,
			Metric: "top1", X: "latency_ms", Series: "mode", Filter: map[string]string{"delay_sweep": "yes"},
			XLabel: "end-to-end latency p50 (ms)", YLabel: "top-1 success", LogX: true},
	}
	return r, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func scaleRate(x loopix.Rate, s float64) loopix.Rate { return loopix.Rate(math.Round(float64(x) * s)) }

func rateScale(base, c mixsim.Config) float64 {
	if base.Params.LambdaP == 0 {
		return 1
	}
	return math.Round(100*float64(c.Params.LambdaP)/float64(base.Params.LambdaP)) / 100
}

func hashes(cs []labelled, outs []*mixsim.Outcome) map[string]string {
	h := map[string]string{}
	for i, c := range cs {
		h[c.label] = outs[i].TraceHash
	}
	return h
}

// CompromisedStudy is the global passive adversary that also controls a
// fraction b of the mixes (it knows which input each of their outputs
// was), on the default deployment, beside the no-mixing run.
func CompromisedStudy(ctx context.Context, o attacks.Options) (*result.Result, error) {
	started := time.Now()
	base := gpaBase(o)
	b := base
	b.Baseline = true
	cs := []labelled{{"loopix", base}, {"no mixing", b}}
	outs, obs, _, err := runPoints(ctx, o, cs)
	if err != nil {
		return nil, err
	}
	nm := base.Layers * base.MixesPerLayer
	picks := 5
	if o.Quick {
		picks = 2
	}
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x636f6d70))
	r := result.New(result.KindAttack, "mixnet", "mixnet/attack/compromised-mixes", o.Seed, started)
	r.Params = map[string]any{"mixes": nm, "random_sets_per_fraction": picks, "mean_delay": base.MeanDelay().String(),
		"adversary": "global passive, plus every compromised mix's input→output mapping", "trace_hashes": hashes(cs, outs), "quick": o.Quick}
	for k := 0; k <= nm; k++ {
		frac := float64(k) / float64(nm)
		if o.Quick && k%3 != 0 {
			continue
		}
		var sum [2]point
		n := picks
		if k == 0 || k == nm {
			n = 1
		}
		for range n {
			which := pickMixes(rng, nm, k)
			for j := range cs {
				p, err := score(outs[j], obs[j], obs[j].compromise(outs[j], which))
				if err != nil {
					return nil, err
				}
				sum[j].entropy += p.entropy / float64(n)
				sum[j].top1 += p.top1 / float64(n)
				sum[j].epsilon += p.epsilon / float64(n)
			}
		}
		for j, c := range cs {
			lb := map[string]string{"mode": c.label, "fraction": strconv.FormatFloat(frac, 'f', 3, 64)}
			r.Add("sender_entropy", "bits", sum[j].entropy, lb)
			r.Add("top1", "ratio", sum[j].top1, lb)
			r.Add("epsilon", "nats", sum[j].epsilon, lb)
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "    %d of %d mixes compromised: entropy %.2f bits, top-1 %.2f, ε %.3f\n", k, nm, sum[0].entropy, sum[0].top1, sum[0].epsilon)
		}
	}
	r.Plots = []result.Plot{
		{ID: "compromised-entropy", Title: "Sender entropy vs compromised mixes", Kind: result.PlotLine,
			Metric: "sender_entropy", X: "fraction", Series: "mode", XLabel: "fraction of mixes compromised", YLabel: "sender entropy (bits)"},
		{ID: "compromised-top1", Title: "Top-1 success vs compromised mixes", Kind: result.PlotLine,
			Metric: "top1", X: "fraction", Series: "mode", XLabel: "fraction of mixes compromised", YLabel: "top-1 success"},
	}
	return r, nil
}
