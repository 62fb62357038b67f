package trafficanalysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/reports/result"
)

// FirstSpyEstimator states the adversary's estimator, as the result
// records it.
const FirstSpyEstimator = "the spies pool their logs (per message and spy: the peer the spy first received it from, by gossip or on the stem, and when); " +
	"the guess for a message is the peer from which the earliest spy (ties: lowest node index) first received it; " +
	"a guess is made for every message some spy saw; messages published by a spy are left out. " +
	"precision = correct guesses / guesses made, recall = correct guesses / messages (as in the Dandelion papers)"

// SpyScore is what the adversary achieved with one fraction of spies,
// summed over its random spy sets.
type SpyScore struct {
	Fraction                   float64
	Messages, Guesses, Correct int
}

// Precision is correct guesses / guesses made (0 with no guess).
func (s SpyScore) Precision() float64 {
	if s.Guesses == 0 {
		return 0
	}
	return float64(s.Correct) / float64(s.Guesses)
}

// Recall is correct guesses / messages (0 with no message).
func (s SpyScore) Recall() float64 {
	if s.Messages == 0 {
		return 0
	}
	return float64(s.Correct) / float64(s.Messages)
}

// firstSpyGuess applies the estimator to message m: the peer that handed
// it to the earliest spy.
func (r *ArmRun) firstSpyGuess(m int, spy []bool) (int, bool) {
	best := -1
	for i, s := range r.seen[m] {
		if !spy[i] || s.at.IsZero() {
			continue
		}
		if best < 0 || s.at.Before(r.seen[m][best].at) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return r.seen[m][best].from, true
}

// SpySets draws the random spy sets of a fraction: draws sets of
// round(f·n) nodes, from a source seeded by seed and f, so that every arm
// faces the same spies.
func SpySets(n int, f float64, draws int, seed int64) [][]bool {
	rng := rand.New(rand.NewPCG(uint64(seed), math.Float64bits(f)))
	k := int(math.Round(f * float64(n)))
	out := make([][]bool, draws)
	for d := range out {
		out[d] = make([]bool, n)
		for _, i := range rng.Perm(n)[:k] {
			out[d][i] = true
		}
	}
	return out
}

// Score runs the estimator against r for every spy set.
func (r *ArmRun) Score(f float64, sets [][]bool) SpyScore {
	s := SpyScore{Fraction: f}
	for _, spy := range sets {
		for m, o := range r.Origin {
			if spy[o] {
				continue
			}
			s.Messages++
			g, ok := r.firstSpyGuess(m, spy)
			if !ok {
				continue
			}
			s.Guesses++
			if g == o {
				s.Correct++
			}
		}
	}
	return s
}

func frac(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// FirstSpyResult builds the study's result document from the runs of its
// arms (ArmNone first).
func FirstSpyResult(cfg FirstSpyConfig, seed int64, quick bool, runs []*ArmRun, mix *MixPlan, started time.Time) *result.Result {
	r := result.New(result.KindAttack, "overlay", "overlay/attack/first-spy", seed, started)
	gates := cfg.Gateways(seed)
	r.Params = map[string]any{
		"nodes": cfg.Nodes, "dials_per_node": cfg.Degree, "messages_per_arm": cfg.Messages, "spy_sets_per_fraction": cfg.Draws,
		"link_latency": fmt.Sprintf("one-way, per host uniform in [%v, %v]", cfg.MinLatency, cfg.MaxLatency),
		"gossip":       "gossipsub v1.1 with the overlay's default parameters (flood publishing on, peer scoring on), in-process simulated network, virtual time",
		"estimator":    FirstSpyEstimator,
		"spies":        "honest-but-curious: they run the honest overlay (and relay on the stem) and only log; a fraction f of all nodes, drawn at random per set, the same sets for every arm",
		"arm_none":     "the publisher publishes into gossipsub itself",
		"arm_none_noflood": "as none, with flood publishing off (the publisher sends to its mesh peers only); a gossip setting, not a defence the overlay offers: " +
			"flood publishing protects the delivery of a publisher's messages when Sybils surround it",
		"arm_stem": fmt.Sprintf("the overlay's stem phase (layers/overlay SPEC.md, \"Stem phase\"; Dandelion++, Fanti et al. 2018): q = %g, epoch %v (longer than the run: one epoch), fail-safe %v",
			cfg.FluffProbability, overlay.DefaultStemEpoch, overlay.DefaultStemFailSafe),
		"arm_mixnet": fmt.Sprintf("the publisher hands the message to a simulated Loopix mixnet (testnet/mixsim: %d layers × %d mixes, %d providers, %d clients, mean delay %v per hop); "+
			"it enters gossip at its exit provider, an overlay node acting as gateway (%d gateways, not publishers), when mixsim says it reached that provider; "+
			"each mixsim client is mapped onto one publishing overlay node; the spies see only the overlay",
			cfg.Mix.Layers, cfg.Mix.MixesPerLayer, cfg.Mix.Providers, cfg.Mix.Clients, cfg.Mix.MeanDelay(), len(gates)),
		"chance": "1/N: a guess among all nodes at random",
		"model":  "1 − (1 − f)^D: the chance that a spy is among the publisher's D mesh peers, which is the first spy's precision when the publisher sends to its mesh only (none-noflood) and spies are the first to hear from it",
		"reproducibility": "keys, links, topology, publishers, spy sets, stem decisions and the mixnet run follow the seed; " +
			"gossipsub's own randomness is not seeded, so two runs with one seed give close, not identical, figures",
		"quick": quick,
	}
	if mix != nil {
		r.Params["mixnet_trace_hash"] = mix.TraceHash
	}
	chance := 1 / float64(cfg.Nodes)
	for _, f := range cfg.Fractions {
		sets := SpySets(cfg.Nodes, f, cfg.Draws, seed)
		for _, run := range runs {
			s := run.Score(f, sets)
			lb := map[string]string{"arm": run.Arm, "f": frac(f), "defence": defence(run.Arm), "run": "attack"}
			r.Add("precision", "ratio", s.Precision(), lb)
			r.Add("recall", "ratio", s.Recall(), lb)
			r.Add("guesses", "guesses", float64(s.Guesses), lb)
			r.Add("messages", "messages", float64(s.Messages), lb)
		}
		lb := map[string]string{"arm": "chance 1/N", "f": frac(f), "run": "baseline"}
		r.Add("precision", "ratio", chance, lb)
		r.Add("recall", "ratio", chance, lb)
		// Without a stem the first spy is right whenever a spy is among
		// the peers the publisher itself sends to: D mesh peers with
		// flood publishing off, so precision ≈ 1 − (1 − f)^D.
		d := overlay.DefaultParams().Gossip.D
		r.Add("precision", "ratio", 1-math.Pow(1-f, float64(d)),
			map[string]string{"arm": fmt.Sprintf("model 1-(1-f)^%d", d), "f": frac(f), "run": "model"})
	}
	var p50None float64
	for _, run := range runs {
		lb := map[string]string{"arm": run.Arm, "defence": defence(run.Arm)}
		lat := make([]float64, len(run.Outcome.Latency))
		for i, l := range run.Outcome.Latency {
			lat[i] = msOf(l)
		}
		m := r.Add("delivery_latency", "ms", 0, lb)
		m.Dist = result.Summarize(lat, 60)
		m.Value = m.Dist.P50
		if run.Arm == ArmNone {
			p50None = m.Dist.P50
		}
		r.Add("delivery_rate", "ratio", run.Outcome.Rate(), lb)
		if run.Arm != ArmNone {
			r.Add("added_latency_p50", "ms", m.Dist.P50-p50None, lb)
		}
		if run.Arm == ArmStem {
			st := run.Stem
			for k, v := range map[string]uint64{"originated": st.Originated, "relayed": st.Relayed, "diffused": st.Diffused,
				"fail-safe": st.FailSafes, "loop": st.Loops, "no-relay": st.NoRelay} {
				r.Add("stem_events", "messages", float64(v), map[string]string{"arm": ArmStem, "event": k})
			}
			r.Add("stem_handoffs_per_message", "hops", float64(st.Originated+st.Relayed)/float64(len(run.Origin)), lb)
		}
	}
	if mix != nil {
		lb := map[string]string{"arm": ArmMixnet}
		r.Add("mixnet_gpa_top1", "ratio", mix.GPATop1, lb)
		r.Add("mixnet_gpa_epsilon", "nats", mix.GPAEpsilon, lb)
		r.Add("mixnet_clients", "clients", float64(mix.Clients), lb)
	}
	for _, run := range runs {
		r.Goals = append(r.Goals, result.Goal{Metric: "delivery_rate", Labels: map[string]string{"arm": run.Arm}, Op: result.OpGE, Target: 1,
			Anchor: "no defence may lose messages (the stem's fail-safe publishes what a broken stem holds)"})
	}
	for _, f := range []float64{0.1, 0.2} {
		none, ok := findPrecision(r, ArmNone, f)
		if !ok {
			continue
		}
		for _, arm := range []string{ArmStem, ArmMixnet} {
			if _, ok := findPrecision(r, arm, f); !ok {
				continue
			}
			r.Goals = append(r.Goals, result.Goal{Metric: "precision", Labels: map[string]string{"arm": arm, "f": frac(f)}, Op: result.OpLT, Target: none,
				Anchor: fmt.Sprintf("f = %s: the defence lowers first-spy precision below plain gossip's, measured in this run (a first spy found Bitcoin transactions' origin ~30%% of the time; Dandelion++ answers with a stem phase)", frac(f))})
		}
	}
	r.Plots = []result.Plot{
		{ID: "firstspy-precision", Title: "First-spy precision vs fraction of spies", Kind: result.PlotLine,
			Metric: "precision", X: "f", Series: "arm", XLabel: "fraction of nodes that spy (f)", YLabel: "precision (correct / guesses)"},
		{ID: "firstspy-recall", Title: "First-spy recall vs fraction of spies", Kind: result.PlotLine,
			Metric: "recall", X: "f", Series: "arm", XLabel: "fraction of nodes that spy (f)", YLabel: "recall (correct / messages)"},
		{ID: "firstspy-latency", Title: "Delivery latency per defence", Kind: result.PlotCDF,
			Metric: "delivery_latency", Series: "arm", XLabel: "latency from hand-over to delivery (ms)", YLabel: "share of deliveries"},
	}
	return r
}

func findPrecision(r *result.Result, arm string, f float64) (float64, bool) {
	m, ok := r.Lookup("precision", map[string]string{"arm": arm, "f": frac(f)})
	return m.Value, ok
}

func defence(arm string) string {
	if arm == ArmNone || arm == ArmNoFlood {
		return "off"
	}
	return "on"
}
