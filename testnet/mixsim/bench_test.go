package mixsim

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkDeployment runs a deployment of n clients for 30 s of virtual
// time with SimFormat and reports the simulator's events per wall second
// and packets (link frames) per wall second.
func BenchmarkDeployment(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Clients = n
			cfg.Warmup, cfg.Duration, cfg.Drain = 0, 30*time.Second, 0
			b.ReportAllocs()
			var events, links uint64
			for range b.N {
				o, err := Run(cfg)
				if err != nil {
					b.Fatal(err)
				}
				events += o.Events
				for _, c := range o.Clients {
					links += c.PacketsUp
				}
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(events)/s, "events/s")
			b.ReportMetric(float64(links)/s, "client-pkts/s")
		})
	}
}
