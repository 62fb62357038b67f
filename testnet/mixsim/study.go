package mixsim

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/strata-lab/strata/reports/result"
	"github.com/strata-lab/strata/testnet/study"
)

// StudyOptions configure a study.
type StudyOptions = study.Options

// formatNote is stated in every study's parameters.
const formatNote = "packets use loopix.SimFormat: the fixed size of a 5-hop X25519 Sphinx packet with routing in the clear, " +
	"so that a simulated deployment can process millions of packets; the cores behave as with Sphinx"

// job is one configuration of a study.
type job struct {
	label string
	cfg   Config
}

// runAll runs every job on a pool of workers, keeping order, and returns
// the outcomes and each run's wall time. Long runs print a line every 10 s.
func runAll(ctx context.Context, jobs []job, opts StudyOptions) ([]*Outcome, []time.Duration, error) {
	return study.Run(ctx, opts, len(jobs), func(i int) string { return jobs[i].label },
		func(i int, note func(string)) (*Outcome, error) {
			cfg := jobs[i].cfg
			if opts.Progress != nil && cfg.Progress == nil {
				last := time.Now()
				cfg.Progress = func(_ time.Time, events uint64) {
					if time.Since(last) >= 10*time.Second {
						last = time.Now()
						note(fmt.Sprintf("%d events", events))
					}
				}
			}
			return Run(cfg)
		},
		func(o *Outcome) string { return fmt.Sprintf("%d events", o.Events) })
}

func quickFlag(q bool) string {
	if q {
		return " --quick"
	}
	return ""
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

func fmtF(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }

// seconds returns the durations in seconds, for quantiles.
func seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// traceHashes collects the runs' trace hashes by label.
func traceHashes(jobs []job, outs []*Outcome) map[string]string {
	h := map[string]string{}
	for i, o := range outs {
		h[jobs[i].label] = o.TraceHash
	}
	return h
}

// latencies returns, for messages created in the measured window, the
// network latency (departure to storage at the recipient's provider) and
// the application latency (creation to delivery), and the delivered
// fraction.
func latencies(o *Outcome) (network, app []time.Duration, delivered float64) {
	c := o.Config
	n, d := 0, 0
	for _, m := range o.Messages {
		if m.Created < c.Warmup || m.Created >= c.Warmup+c.Duration {
			continue
		}
		n++
		if m.Departed >= 0 && m.Stored >= 0 {
			network = append(network, m.Stored-m.Departed)
		}
		if m.Delivered >= 0 {
			d++
			app = append(app, m.Delivered-m.Created)
		}
	}
	if n > 0 {
		delivered = float64(d) / float64(n)
	}
	return network, app, delivered
}

// addDist records a distribution metric whose value is its median.
func addDist(r *result.Result, name, unit string, xs []float64, lb map[string]string, cdf int) *result.Metric {
	d := result.Summarize(append([]float64(nil), xs...), cdf)
	m := r.Add(name, unit, d.P50, lb)
	m.Dist = d
	return m
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return result.Quantile(s, 0.5)
}
