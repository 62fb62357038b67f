package mixsim

import (
	"context"
	"fmt"
	"time"

	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/reports/result"
)

// observerWindow is the window of the link observer's activity test.
const observerWindow = 10 * time.Second

// windowStats are what a link observer learns from clients' uplinks in
// windows of observerWindow.
type windowStats struct {
	// accuracy of "a packet-sized uplink frame in the window ⇒ the
	// application is in the foreground" (majority of the window), over
	// every client window.
	accuracy float64
	// withSend and withoutSend are the mean numbers of uplink packets in
	// windows in which the user handed the client a message and in windows
	// in which the user did not, over windows wholly in the foreground;
	// sendRatio is their ratio (1: sending is invisible; 0 if undefined).
	withSend, withoutSend, sendRatio float64
}

func observe(o *Outcome) windowStats {
	c := o.Config
	nw := int(c.Duration / observerWindow)
	if nw == 0 || len(o.LinkEvents) == 0 {
		return windowStats{}
	}
	pktSize := int32(1 + o.Config.Geometry.PacketSize)
	clientIdx := map[int32]int{}
	for i, ct := range o.Clients {
		clientIdx[ct.Node] = i
	}
	pkts := make([][]int, len(o.Clients))
	sends := make([][]bool, len(o.Clients))
	for i := range pkts {
		pkts[i] = make([]int, nw)
		sends[i] = make([]bool, nw)
	}
	window := func(t time.Duration) (int, bool) {
		if t < c.Warmup {
			return 0, false
		}
		w := int((t - c.Warmup) / observerWindow)
		return w, w < nw
	}
	for _, e := range o.LinkEvents {
		ci, ok := clientIdx[e.From]
		if !ok || e.Size != pktSize {
			continue
		}
		if w, ok := window(e.T); ok {
			pkts[ci][w]++
		}
	}
	for _, m := range o.Messages {
		if w, ok := window(m.Created); ok {
			sends[clientIdx[m.From]][w] = true
		}
	}
	var correct, total int
	var withSend, withoutSend, nWith, nWithout float64
	for i, ct := range o.Clients {
		iv, mobile := o.ForegroundIntervals[ct.Node]
		for w := range nw {
			from := c.Warmup + time.Duration(w)*observerWindow
			fg := true
			if mobile {
				fg = overlap(iv, from, from+observerWindow) > observerWindow/2
			}
			active := pkts[i][w] > 0
			total++
			if active == fg {
				correct++
			}
			if mobile && overlap(iv, from, from+observerWindow) < observerWindow {
				continue // the send test looks at windows wholly in the foreground
			}
			if sends[i][w] {
				withSend += float64(pkts[i][w])
				nWith++
			} else {
				withoutSend += float64(pkts[i][w])
				nWithout++
			}
		}
	}
	st := windowStats{accuracy: float64(correct) / float64(total)}
	if nWith > 0 {
		st.withSend = withSend / nWith
	}
	if nWithout > 0 {
		st.withoutSend = withoutSend / nWithout
	}
	if st.withoutSend > 0 {
		st.sendRatio = st.withSend / st.withoutSend
	}
	return st
}

// BandwidthStudy measures client uplink and downlink for the desktop and
// mobile profiles and a no-cover baseline, with the anonymity each buys
// beside it and what a link observer learns.
func BandwidthStudy(ctx context.Context, opts StudyOptions) (*result.Result, error) {
	started := time.Now()
	clients, dur := 1000, 600*time.Second
	if opts.Quick {
		clients, dur = 200, 300*time.Second
	}
	base := DefaultConfig()
	base.Seed = uint64(opts.Seed)
	base.Clients, base.Duration, base.RecordLinks = clients, dur, true
	base.Drain = 90 * time.Second // mobile recipients pull once a minute in the background
	desktop := base
	mobile := base
	mobile.Profile = loopix.Mobile()
	mobileAdaptive := mobile
	mobileAdaptive.Adaptive = true
	baseline := base
	baseline.Baseline = true
	jobs := []job{{"desktop", desktop}, {"mobile", mobile}, {"mobile, adaptive delays", mobileAdaptive}, {"baseline (no cover, no mixing)", baseline}}
	outs, _, err := runAll(ctx, jobs, opts)
	if err != nil {
		return nil, err
	}
	r := result.New(result.KindScenario, "mixnet", "mixnet/bandwidth", opts.Seed, started)
	p := base.Params
	r.Params = map[string]any{"clients": clients, "duration": dur.String(), "packet_bytes": base.Geometry.PacketSize,
		"rates_per_s":       fmt.Sprintf("λP=%g λL=%g λD=%g", p.LambdaP.PerSecond(), p.LambdaL.PerSecond(), p.LambdaD.PerSecond()),
		"pull":              fmt.Sprintf("%d entries every %v (mobile background: every %v)", p.PullSize, p.PullInterval, loopix.Mobile().BackgroundPull),
		"mobile_foreground": fmt.Sprintf("%.0f%% of the time, sessions of %v on average (exponential on/off); mobile users write only in the foreground", 100*base.Foreground, base.MeanForeground),
		"mobile_tradeoff": "the mobile profile sends cover only in the foreground: a link observer learns when the application is active " +
			"(activity_detection_accuracy) but, while it is active, not when the user sends (send_signal_ratio ≈ 1)",
		"observer": fmt.Sprintf("windows of %v; a window is 'active' if the client sent a packet-sized frame in it; the send test compares windows in which the user wrote a message with windows in which the user did not", observerWindow),
		"format":   formatNote, "trace_hashes": traceHashes(jobs, outs), "quick": opts.Quick}
	names := []string{"desktop", "mobile", "mobile-adaptive", "baseline"}
	for i, o := range outs {
		lb := map[string]string{"profile": names[i]}
		w := o.Config.Duration.Seconds()
		var up, down, pk []float64
		var fg time.Duration
		for _, ct := range o.Clients {
			up = append(up, float64(ct.BytesUp)/w)
			down = append(down, float64(ct.BytesDown)/w)
			pk = append(pk, float64(ct.PacketsUp)/w)
			fg += ct.Foreground
		}
		m := addDist(r, "uplink_bytes_per_s", "B/s", up, lb, 100)
		m.Value = m.Dist.Mean
		d := addDist(r, "downlink_bytes_per_s", "B/s", down, lb, 0)
		d.Value = d.Dist.Mean
		r.Add("uplink_packets_per_s", "pkts/s", mean(pk), lb)
		r.Add("foreground_fraction", "ratio", fg.Seconds()/float64(len(o.Clients))/w, lb)
		var pools, floors []float64
		for _, msg := range o.Messages {
			if msg.Departed >= o.Config.Warmup && msg.Departed < o.Config.Warmup+o.Config.Duration {
				pools = append(pools, msg.ExpectedPool)
				floors = append(floors, msg.EntropyFloor)
			}
		}
		r.Add("reported_expected_pool", "packets", median(pools), lb)
		r.Add("reported_entropy_floor", "bits", median(floors), lb)
		var h float64
		for _, mx := range o.Mixes {
			h += mx.Entropy
		}
		r.Add("mix_entropy", "bits", h/float64(len(o.Mixes)), lb)
		st := observe(o)
		r.Add("activity_detection_accuracy", "ratio", st.accuracy, lb)
		r.Add("uplink_pkts_per_window_with_send", "pkts", st.withSend, lb)
		r.Add("uplink_pkts_per_window_without_send", "pkts", st.withoutSend, lb)
		if st.sendRatio > 0 {
			r.Add("send_signal_ratio", "x", st.sendRatio, lb)
		}
		net, _, del := latencies(o)
		r.Add("latency_network_p50", "s", median(seconds(net)), lb)
		r.Add("delivered_fraction", "ratio", del, lb)
	}
	r.Goals = []result.Goal{
		{Metric: "uplink_bytes_per_s", Labels: map[string]string{"profile": "mobile"}, Op: result.OpLE, Target: 2048,
			Anchor: "mobile client ≤ 2 KB/s average uplink at default cover (prior-art derivations: Nym defaults about 133 KB/s always on, Katzenpost about 1.5 KB/s)"},
		{Metric: "send_signal_ratio", Labels: map[string]string{"profile": "desktop"}, Op: result.OpLE, Target: 1.1,
			Anchor: "sender unobservability (Loopix): a real message replaces a drop-cover packet, so uplink volume does not reveal writing (ratio 1 ± 0.1)"},
		{Metric: "send_signal_ratio", Labels: map[string]string{"profile": "desktop"}, Op: result.OpGE, Target: 0.9,
			Anchor: "sender unobservability (Loopix): a real message replaces a drop-cover packet, so uplink volume does not reveal writing (ratio 1 ± 0.1)"},
		{Metric: "send_signal_ratio", Labels: map[string]string{"profile": "mobile"}, Op: result.OpLE, Target: 1.1,
			Anchor: "while the application is in the foreground, the mobile profile hides writing as the desktop one does (ratio 1 ± 0.1)"},
		{Metric: "send_signal_ratio", Labels: map[string]string{"profile": "mobile"}, Op: result.OpGE, Target: 0.9,
			Anchor: "while the application is in the foreground, the mobile profile hides writing as the desktop one does (ratio 1 ± 0.1)"},
	}
	r.Plots = []result.Plot{
		{ID: "mixnet-bandwidth-uplink-cdf", Title: "Client uplink bytes/s by profile (CDF over clients)", Kind: result.PlotCDF,
			Metric: "uplink_bytes_per_s", Series: "profile", XLabel: "uplink (bytes/s)", YLabel: "fraction of clients", LogX: true},
	}
	r.Command = fmt.Sprintf("strata sim mixnet --study bandwidth --seed %d%s", opts.Seed, quickFlag(opts.Quick))
	r.Finished = time.Now()
	_ = r.Evaluate()
	return r, nil
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
