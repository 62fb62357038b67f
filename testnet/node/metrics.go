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
	}
	reg.MustRegister(m.published, m.delivered, m.duplicates, m.rejected, m.syncSent, m.syncDelivered, m.syncFrames, m.syncDropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "strata_peers", Help: "Connected peers."}, peers),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "strata_p2p_bytes_in_total", Help: "Bytes received over libp2p."},
			func() float64 { return float64(bw.GetBandwidthTotals().TotalIn) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "strata_p2p_bytes_out_total", Help: "Bytes sent over libp2p."},
			func() float64 { return float64(bw.GetBandwidthTotals().TotalOut) }),
	)
	return m
}
