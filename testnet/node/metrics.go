package node

import (
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// nodeMetrics are the node's Prometheus metrics (served at /metrics).
type nodeMetrics struct {
	reg           *prometheus.Registry
	published     prometheus.Counter
	delivered     prometheus.Counter
	duplicates    prometheus.Counter
	rejected      *prometheus.CounterVec
	syncSent      prometheus.Counter
	syncDelivered prometheus.Counter
	syncFrames    *prometheus.CounterVec
	syncDropped   *prometheus.CounterVec
	mixFrames     *prometheus.CounterVec
	mixDropped    *prometheus.CounterVec
	mixSent       prometheus.Counter
	mixDelivered  prometheus.Counter
	mixLoops      prometheus.Counter
	mixAlarms     prometheus.Counter
}

func newMetrics(bw *metrics.BandwidthCounter, peers func() float64) *nodeMetrics {
	reg := prometheus.NewRegistry()
	m := &nodeMetrics{
		reg: reg,
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_gossip_published_total", Help: "Messages this node published."}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_gossip_delivered_total", Help: "Gossip messages delivered (first copies, own included)."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_gossip_duplicates_total", Help: "Gossip messages received again after the first copy."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_gossip_rejected_total", Help: "Gossip messages rejected or ignored, by trace reason."}, []string{"reason"}),
		syncSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_sync_sent_total", Help: "Sync messages this node sent (stored before acknowledged)."}),
		syncDelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_sync_delivered_total", Help: "Sync messages delivered to the application."}),
		syncFrames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_sync_frames_total", Help: "Sync frames by direction."}, []string{"dir"}),
		syncDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_sync_dropped_total", Help: "Sync items dropped, by trace reason."}, []string{"reason"}),
		mixFrames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_mixnet_frames_total", Help: "Mixnet link frames: out by class (payload, loop, drop, mixloop, forward, pull, pullresponse), in by frame type."},
			[]string{"dir", "class"}),
		mixDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_mixnet_dropped_total", Help: "Mixnet frames, packets and entries dropped, by reason (the core's reasons, and host_* for the links)."},
			[]string{"reason"}),
		mixSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_mixnet_messages_queued_total", Help: "Messages the application handed to this mixnet client."}),
		mixDelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_mixnet_messages_delivered_total", Help: "Mixnet messages delivered to this client's application."}),
		mixLoops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_mixnet_loops_back_total", Help: "This endpoint's loop cover packets that came back in time."}),
		mixAlarms: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "strata_mixnet_alarms_total", Help: "Alarms of this mix's n-1 detector."}),
	}
	reg.MustRegister(m.published, m.delivered, m.duplicates, m.rejected, m.syncSent, m.syncDelivered, m.syncFrames, m.syncDropped,
		m.mixFrames, m.mixDropped, m.mixSent, m.mixDelivered, m.mixLoops, m.mixAlarms,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "strata_peers", Help: "Connected peers."}, peers),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "strata_p2p_bytes_in_total", Help: "Bytes received over libp2p."},
			func() float64 { return float64(bw.GetBandwidthTotals().TotalIn) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "strata_p2p_bytes_out_total", Help: "Bytes sent over libp2p."},
			func() float64 { return float64(bw.GetBandwidthTotals().TotalOut) }),
	)
	return m
}
