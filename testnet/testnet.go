package testnet

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/strata-lab/strata/reports/result"
)

// Run runs a scenario: it launches the nodes, drives the workload and the
// faults, collects, tears every node down and returns the result (not yet
// written). It fails if a node cannot start; a failed publication or a
// missed goal is a figure of the result, not an error.
func Run(ctx context.Context, s *Scenario, opts Options) (*result.Result, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	seed := s.Seed
	if opts.Seed != 0 {
		seed = opts.Seed
	}
	plan, err := NewPlan(s, seed)
	if err != nil {
		return nil, err
	}
	r := &runner{
		plan: plan, opts: opts, procs: make([]*proc, len(plan.Nodes)),
		dir: filepath.Join(opts.Out, "testnet", fmt.Sprintf("%s-seed%d", s.Name, seed)),
	}
	layer := "overlay"
	switch s.Workload.Kind {
	case "sync":
		layer = "sync"
	case "session":
		layer = "session"
	case "mixnet":
		layer = "mixnet"
	}
	started := time.Now()
	res := result.New(result.KindScenario, layer, "testnet/"+s.Name, seed, started)
	res.Params["plan_hash"] = plan.Hash()
	res.Params["nodes"] = len(plan.Nodes)
	res.Params["rate"] = s.Workload.Rate
	res.Params["size"] = s.Workload.Size
	res.Params["duration_s"] = time.Duration(s.Workload.Duration).Seconds()
	res.Params["workload"] = s.Workload.Kind
	res.Params["run_dir"] = r.dir
	res.Params["runtime"] = fmt.Sprintf("%+v", s.Runtime)
	r.logf("%d nodes, %d messages, %d fault events, plan %s", len(plan.Nodes), len(plan.Publications), len(plan.Events), plan.Hash()[:16])
	if err := r.prepare(); err != nil {
		return nil, err
	}
	defer r.teardown(0) // whatever happens, no node outlives the run
	if err := r.launchAll(ctx); err != nil {
		return nil, err
	}
	ready := time.Since(started)
	loadReady := loadAvg1()
	r.logf("all %d nodes ready in %v", len(plan.Nodes), ready.Round(time.Millisecond))
	if err := sleep(ctx, time.Duration(s.Workload.Warmup)); err != nil {
		return nil, err
	}
	r.start = time.Now()
	pubs := r.drive(ctx)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.logf("workload done; draining %v", time.Duration(s.Measure.Drain))
	if err := sleep(ctx, time.Duration(s.Measure.Drain)); err != nil {
		return nil, err
	}
	loadEnd := loadAvg1()
	stats := r.collect(ctx)
	r.teardown(5 * time.Second)
	td, err := r.readTraces()
	if err != nil {
		return nil, err
	}
	r.analyse(res, pubs, stats, td)
	if s.Workload.Kind == "mixnet" {
		r.analyseMixnet(res, pubs, stats, td)
	}
	res.Add("ready_seconds", "s", ready.Seconds(), nil)
	// The machine's load average (every process on it, not only the
	// testnet's) once all nodes were up and at the end of the workload.
	res.Add("host_load1", "load", loadReady, map[string]string{"at": "ready"})
	res.Add("host_load1", "load", loadEnd, map[string]string{"at": "end"})
	res.Finished = time.Now().UTC()
	res.Add("wall_seconds", "s", res.Finished.Sub(started).Seconds(), nil)
	res.Goals = append(res.Goals, s.Measure.Goals...)
	res.Artifacts = append(res.Artifacts, r.dir)
	if err := res.Evaluate(); err != nil {
		return res, err
	}
	return res, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
