package spam

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	ospam "github.com/strata-lab/strata/layers/overlay/spam"
	"github.com/strata-lab/strata/reports/result"
)

// Layer is the layer the group targets.
const Layer = "overlay"

// Recorder collects a part's runs into its result document.
type Recorder struct {
	part     Part
	size     Size
	r        *result.Result
	progress io.Writer
}

// NewRecorder starts the result of part p at size sz; hashRate is this
// machine's measured proof-of-work hash rate (hashes per second, one
// core), which the proof-of-work model uses.
func NewRecorder(p Part, sz Size, seed int64, quick bool, hashRate float64, started time.Time, progress io.Writer) *Recorder {
	r := result.New(result.KindAttack, Layer, Layer+"/attack/"+p.Name, seed, started)
	r.Params = map[string]any{
		"quick": quick, "honest_nodes": sz.Honest, "degree": sz.Degree, "attacker_links": sz.Links,
		"publishers": sz.Publishers, "publish_interval": sz.Interval.String(),
		"warmup": sz.Warmup.String(), "attack_window": sz.Attack.String(), "drain": sz.Drain.String(),
		"flood": string(p.Flood), "flood_rate_per_neighbour": p.Rate,
		"allowed_rate": p.AllowedRate, "allowed_burst": p.AllowedBurst,
		"links":              "honest: 10 Mbit/s, 20-60 ms one way; attacker: unlimited, 20 ms",
		"harness":            "testnet/inproc: go-libp2p hosts on simnet (QUIC) in virtual time (synctest); honest nodes run layers/overlay gossipsub with DefaultParams; the attacker is a raw gossipsub peer (attacks/gossipwire)",
		"spam_hops":          "largest connection-graph distance from the attacker (at the start of the flood) of an honest node that received more of the attacker's messages than its allowance (allowed burst + allowed rate × window; 0 for invalid messages); 0: not even the neighbours did",
		"bandwidth":          "gossipsub RPC bytes (protobuf size) each honest node queued to send or received, per virtual second of the attack window and drain (overlay.Config.Tracer SendRPC/RecvRPC); transport framing and RPCs a node drops before reading (graylist) not counted",
		"cpu":                "CPU time (user+system, getrusage) of the whole test process over the attack window and drain, divided by honest nodes and virtual seconds: honest routers, the attacker and the simulated network together; there is no per-node CPU clock in virtual time",
		"pow_hash_rate":      "measured before the runs: SHA-256 proof-of-work nonces searched on one core per second of process CPU time",
		"validation_workers": "gossipsub runs NumCPU validation workers per node (this machine's count); modelled RLN verification occupies one for 12 ms per RLN message",
		"reproducibility":    "who connects, publishes and attacks and every payload come from the seed; gossipsub's internal randomness is not seeded, so reruns reproduce figures closely, not traces exactly",
	}
	switch p.Flood {
	case FloodRate:
		r.Params["rln_prove_delay"] = ospam.ProveDelay.String()
		r.Params["rln_verify_delay"] = ospam.VerifyDelay.String()
		r.Params["rln_proof_bytes"] = ospam.ProofBytes
		r.Params["rln_model"] = "layers/overlay/spam's RLN-like scheme (Merkle membership, Shamir share, Schnorr signature) checks every signal; the real RLN's cost is added as virtual delays: 150 ms before publishing, 12 ms of a validation worker per RLN message at every node. The envelope is this scheme's (depth-8 path), not RLN's 384-byte proof"
		r.Params["rln_epoch"] = RLNEpoch.String()
		r.Params["rln_limit"] = RLNLimit
	}
	return &Recorder{part: p, size: sz, r: r, progress: progress}
}

// labels names a run in metrics: run (baseline or attack), defence (on
// for the part's defended case, off otherwise) and the setting.
func labels(run Run) map[string]string {
	kind := "baseline"
	if run.Flood != "" {
		kind = "attack"
	}
	return map[string]string{"run": kind, "defence": onOff(run.DefenceOn), "setting": run.Setting,
		"validators": onOff(run.Defence.Validators), "scoring": onOff(run.Defence.Scoring)}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func with(l map[string]string, k, v string) map[string]string {
	m := maps.Clone(l)
	m[k] = v
	return m
}

// Add records one run's outcome.
func (rc *Recorder) Add(run Run, o *Outcome) {
	r, l := rc.r, labels(run)
	r.Add("delivery", "ratio", o.Delivery, l)
	lat := make([]float64, len(o.Latency))
	for i, d := range o.Latency {
		lat[i] = d.Seconds()
	}
	if len(lat) > 0 {
		m := r.Add("latency", "s", result.Quantile(lat, 0.5), l)
		m.Dist = dist(lat)
		r.Add("latency_p99", "s", result.Quantile(lat, 0.99), l)
	}
	r.Add("published", "messages", float64(o.Published), l)
	for _, reason := range slices.Sorted(maps.Keys(o.HonestRejected)) {
		r.Add("honest_rejected", "messages", float64(o.HonestRejected[reason]), with(l, "reason", reason))
	}
	bin, bout := slices.Sorted(slices.Values(o.BytesIn)), slices.Sorted(slices.Values(o.BytesOut))
	m := r.Add("bandwidth_in", "B/s", mean(bin), l)
	m.Dist = dist(bin)
	m = r.Add("bandwidth_out", "B/s", mean(bout), l)
	m.Dist = dist(bout)
	var nin, nout []float64
	for i, d := range o.Dist {
		if d == 1 {
			nin, nout = append(nin, o.BytesIn[i]), append(nout, o.BytesOut[i])
		}
	}
	r.Add("neighbour_bandwidth_in", "B/s", mean(nin), l)
	r.Add("neighbour_bandwidth_out", "B/s", mean(nout), l)
	if o.CPUKnown {
		r.Add("cpu_per_node", "ms/s", o.CPU.Seconds()*1000/float64(len(o.BytesIn))/o.Window.Seconds(), l)
	}
	if run.Defence.PoW && o.Published > 0 {
		r.Add("pow_hashes_per_message", "hashes", float64(o.PoWHashes)/float64(o.Published), l)
	}
	if run.Flood == "" {
		rc.log(run, o, "")
		return
	}
	r.Add("attacker_rate", "per s", o.AttackerRate, l)
	if rc.part.AllowedRate > 0 {
		r.Add("attacker_rate_multiple", "x", o.AttackerRate/rc.part.AllowedRate, l)
	}
	r.Add("attacker_failed_sends", "sends", float64(o.AttackerErrors), l)
	r.Add("to_attacker", "B/s", o.ToAttacker, l)
	if run.Defence.Scoring && !math.IsNaN(o.AttackerScore) {
		r.Add("attacker_score", "score", o.AttackerScore, l)
		r.Add("graylisted_by", "neighbours", float64(o.Graylisted), l)
	}
	if run.Defence.RLN {
		r.Add("rln_removed_by", "nodes", float64(o.RLNRemoved), l)
		r.Add("rln_evidence", "double signals", float64(o.RLNEvidence), l)
	}
	extra := ""
	if rc.part.messageFlood() {
		hops, reach, acc := spread(o, rc.part.allowance(rc.size.Attack))
		r.Add("spam_hops", "hops", float64(hops), l)
		r.Add("spam_reach", "ratio", reach, l)
		r.Add("spam_accepted", "ratio", acc, l)
		byDist := map[int][]float64{}
		for i, d := range o.Dist {
			byDist[d] = append(byDist[d], float64(o.SpamReceived[i]))
		}
		for _, reason := range slices.Sorted(maps.Keys(o.Rejected)) {
			r.Add("spam_rejected", "messages", float64(o.Rejected[reason]), with(l, "reason", reason))
		}
		for _, d := range slices.Sorted(maps.Keys(byDist)) {
			r.Add("spam_received", "messages/node", mean(byDist[d]), with(l, "distance", strconv.Itoa(d)))
		}
		extra = fmt.Sprintf(", spam hops %d, reach %.2f, accepted %.3f", hops, reach, acc)
	}
	rc.log(run, o, extra)
}

func (rc *Recorder) log(run Run, o *Outcome, extra string) {
	if rc.progress == nil {
		return
	}
	p50 := time.Duration(0)
	if len(o.Latency) > 0 {
		p50 = o.Latency[len(o.Latency)/2]
	}
	fmt.Fprintf(rc.progress, "    %s / %s: delivery %.4f (%d/%d), latency p50 %v, attacker %.1f/s%s\n",
		rc.part.Name, run.Setting, o.Delivery, o.Received, o.Expected, p50, o.AttackerRate, extra)
}

// spread computes the spam hops, the share of honest nodes reached by
// spam (more than allowance of the attacker's messages), and the share of
// (honest node, flood message) pairs accepted.
func spread(o *Outcome, allowance float64) (hops int, reach, accepted float64) {
	n := len(o.SpamReceived)
	var reached, acc int
	for i, got := range o.SpamReceived {
		if float64(got) > allowance {
			reached++
			hops = max(hops, o.Dist[i])
		}
		acc += o.SpamAccepted[i]
	}
	if n > 0 {
		reach = float64(reached) / float64(n)
		if o.SpamSent > 0 {
			accepted = float64(acc) / float64(n*o.SpamSent)
		}
	}
	return hops, reach, accepted
}

// PoW records the proof-of-work cost model: this machine's hash rate, the
// phone's (PhoneRatio of it), and what a message costs each at the policy.
func (rc *Recorder) PoW(hashRate float64, payloadLen int) error {
	pol := ospam.DefaultPoWPolicy()
	size := ospam.Overhead(ospam.KindPoW, 0) + payloadLen
	hashes, err := ospam.ExpectedHashes(pol.MinWork, size, powTTL)
	if err != nil {
		return err
	}
	phone := hashRate * PhoneRatio
	r := rc.r
	r.Add("pow_hash_rate", "hashes/s", hashRate, map[string]string{"device": "this machine, one core"})
	r.Add("pow_hash_rate", "hashes/s", phone, map[string]string{"device": "phone (modelled)"})
	r.Add("pow_expected_hashes", "hashes", hashes, nil)
	r.Add("pow_mint_time", "s", hashes/phone, map[string]string{"device": "phone (modelled)"})
	r.Add("pow_mint_time", "s", hashes/hashRate, map[string]string{"device": "this machine, one core"})
	// The work that would hold this machine's single core to the allowed
	// rate, and what it would cost a phone per message.
	bound := hashRate / AllowedRate
	r.Add("pow_bounding_mint_time", "s", bound/phone, map[string]string{"device": "phone (modelled)"})
	r.Params["pow_hash_rate"] = "measured before the runs: SHA-256 proof-of-work nonces searched on one core per second of process CPU time"
	r.Params["pow_policy"] = pol
	r.Params["pow_ttl"] = powTTL
	r.Params["pow_phone_ratio"] = PhoneRatio
	r.Params["pow_phone_model"] = fmt.Sprintf("phone hash rate = %.2g × this machine's measured single-core rate; an assumption (a low-end phone core without SHA-256 instructions), not a measurement on a phone", PhoneRatio)
	r.Params["pow_cost_to_phone"] = fmt.Sprintf("at the policy (MinWork %g, TTL %d s, %d-byte envelope): %.0f hashes ≈ %.3g ms on the modelled phone; work that would hold one core of this machine to %g msg/s costs the phone ≈ %.3g s per message",
		pol.MinWork, powTTL, size, hashes, hashes/phone*1000, AllowedRate, bound/phone)
	return nil
}

// Result completes the document: goals and plots.
func (rc *Recorder) Result() *result.Result {
	r := rc.r
	on := map[string]string{"run": "attack", "defence": "on"}
	switch {
	case rc.part.NoGoal != "":
		r.Params["no_goal"] = rc.part.NoGoal
	default:
		r.Goals = append(r.Goals, result.Goal{Metric: "delivery", Labels: on, Op: result.OpGE, Target: 0.99, Anchor: rc.part.Anchor})
		if rc.part.messageFlood() {
			r.Goals = append(r.Goals, result.Goal{Metric: "spam_hops", Labels: on, Op: result.OpLE, Target: 1, Anchor: rc.part.Anchor})
		}
	}
	id := rc.part.Name
	r.Plots = []result.Plot{
		{ID: id + "-latency", Title: rc.part.Name + ": honest delivery latency", Kind: result.PlotCDF, Metric: "latency",
			Series: "setting", XLabel: "latency from send (s)", YLabel: "fraction of deliveries ≤ x"},
		{ID: id + "-bandwidth", Title: rc.part.Name + ": gossip bytes received per honest node", Kind: result.PlotCDF, Metric: "bandwidth_in",
			Series: "setting", XLabel: "bytes per second", LogX: true, YLabel: "fraction of honest nodes ≤ x"},
	}
	if rc.part.messageFlood() {
		r.Plots = append(r.Plots, result.Plot{ID: id + "-spread", Title: rc.part.Name + ": flood messages per node by distance",
			Kind: result.PlotLine, Metric: "spam_received", X: "distance", Series: "setting",
			XLabel: "hops from the attacker", YLabel: "flood messages received per node"})
	}
	r.Finished = time.Now()
	_ = r.Evaluate()
	return r
}

// dist summarises sorted values, with CDF points (at most 100).
func dist(sorted []float64) *result.Dist {
	n := len(sorted)
	if n == 0 {
		return nil
	}
	d := &result.Dist{N: n, Min: sorted[0], Max: sorted[n-1], Mean: mean(sorted),
		P50: result.Quantile(sorted, 0.5), P95: result.Quantile(sorted, 0.95), P99: result.Quantile(sorted, 0.99)}
	step := max(1, n/100)
	for i := 0; i < n; i += step {
		d.Points = append(d.Points, [2]float64{sorted[i], float64(i+1) / float64(n)})
	}
	if last := d.Points[len(d.Points)-1]; last[1] != 1 {
		d.Points = append(d.Points, [2]float64{sorted[n-1], 1})
	}
	return d
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// RunPart runs every run of p (each inside the bubble that inBubble
// provides) and returns its result document.
func RunPart(ctx context.Context, p Part, sz Size, seed int64, quick bool, hashRate float64,
	inBubble func(func() error) error, progress io.Writer) (*result.Result, error) {
	rc := NewRecorder(p, sz, seed, quick, hashRate, time.Now(), progress)
	for _, run := range p.Runs {
		var o *Outcome
		err := inBubble(func() error {
			var err error
			o, err = runOnce(ctx, seed, sz, run, p.Rate, hashRate)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s / %s: %w", p.Name, run.Setting, err)
		}
		rc.Add(run, o)
	}
	if p.Name == "rate-flood-pow" {
		if err := rc.PoW(hashRate, len(payload(0))); err != nil {
			return nil, err
		}
	}
	return rc.Result(), nil
}

// runOnce is run; a variable so that tests can count calls.
var runOnce = run

// MeasureHashRate measures this machine's proof-of-work hash rate on one
// core: it searches nonces for a target no nonce meets within tries and
// divides by the process CPU time the search took (the wall-clock time
// where process CPU time is not available), so that other work on the
// machine does not lower the figure. Call it outside a synctest bubble,
// with the process otherwise idle.
func MeasureHashRate(tries uint64) (float64, error) {
	start := time.Now()
	cpu0, cpuOK := processCPU()
	_, n, err := ospam.Mint(payload(0), time.Unix(1_700_000_000, 0), ospam.MintParams{TTL: powTTL, Target: 1e30, MaxTries: tries})
	el := time.Since(start)
	if cpu1, ok := processCPU(); cpuOK && ok {
		el = cpu1 - cpu0
	}
	if err == nil || n != tries {
		return 0, fmt.Errorf("%w: hash-rate probe found a nonce for an unreachable target", ErrStudy)
	}
	if el <= 0 {
		return 0, fmt.Errorf("%w: hash-rate probe took no time", ErrStudy)
	}
	return float64(n) / el.Seconds(), nil
}
