package syncsim

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/strata-lab/strata/reports/result"
	"github.com/strata-lab/strata/testnet/sim"
)

// ScaleStudy runs one large deployment: 10,000 nodes in groups of 10, at
// 50% uptime, with reconciliation, and records the simulator's wall time,
// event rate and peak memory beside the delivery figures.
func ScaleStudy(ctx context.Context, opts StudyOptions) (*result.Result, error) {
	started := time.Now()
	p := DefaultParams()
	p.Seed = uint64(opts.Seed)
	p.Nodes, p.Groups = 10, 1000
	p.Mode, p.Uptime = ModeReconcile, 0.5
	p.MsgInterval = 10 * time.Minute
	p.Write, p.Drain = 2*time.Hour, 2*time.Hour
	if opts.Quick {
		p.Write, p.Drain = 30*time.Minute, 30*time.Minute
	}
	epoch := sim.DefaultConfig().Epoch
	last := time.Now()
	p.Progress = func(now time.Time, events uint64) {
		if opts.Progress != nil && time.Since(last) > 5*time.Second {
			last = time.Now()
			fmt.Fprintf(opts.Progress, "  scale: virtual %s, %d events\n", now.Sub(epoch).Round(time.Second), events)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	o, err := Run(p)
	if err != nil {
		return nil, err
	}
	wall := time.Since(t0)
	r := result.New(result.KindScenario, "sync", "sync/scale", opts.Seed, started)
	r.Params = map[string]any{"nodes": p.Nodes * p.Groups, "group_size": p.Nodes, "groups": p.Groups, "mode": string(p.Mode),
		"uptime": p.Uptime, "write": p.Write.String(), "drain": p.Drain.String(), "msg_interval": p.MsgInterval.String(),
		"trace_hash": o.TraceHash, "quick": opts.Quick}
	lb := map[string]string{"nodes": strconv.Itoa(p.Nodes * p.Groups)}
	addOutcomeMetrics(r, o, lb)
	r.Add("wall_seconds", "s", wall.Seconds(), lb)
	r.Add("sim_events_per_second", "events/s", float64(o.Events)/wall.Seconds(), lb)
	if rss, ok := peakRSS(); ok {
		r.Add("peak_rss", "B", float64(rss), lb)
	} else {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		r.Add("go_sys_memory", "B", float64(ms.Sys), lb)
	}
	r.Goals = []result.Goal{
		{Metric: "delivered_fraction", Labels: lb, Op: result.OpGE, Target: 0.99,
			Anchor: "a 10,000-node sync deployment runs to completion on one 2-core machine and delivers"},
	}
	r.Command = fmt.Sprintf("strata sim sync --study scale --seed %d%s", opts.Seed, quickFlag(opts.Quick))
	r.Finished = time.Now()
	_ = r.Evaluate()
	return r, nil
}

// peakRSS reads the process's peak resident set size (Linux VmHWM).
func peakRSS() (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			fields := strings.Fields(rest)
			if len(fields) == 2 && fields[1] == "kB" {
				if v, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
					return v * 1024, true
				}
			}
		}
	}
	return 0, false
}
