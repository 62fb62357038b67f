package testnet

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/reports/result"
	"github.com/strata-lab/strata/testnet/node"
)

// traceData is what the nodes' traces say about the workload.
type traceData struct {
	// deliver: message id -> node -> first delivery time.
	deliver map[string]map[int]time.Time
	// sent: message id -> the publisher's send time.
	sent map[string]time.Time
	// depart: mixnet message id -> when it left its client.
	depart     map[string]time.Time
	duplicates int
	// mesh is each node's mesh degree on the workload topic at the end,
	// from its graft and prune events.
	mesh []int
}

// readTraces reads every node's trace for the workload's layer: overlay
// deliveries on the workload topic, or sync deliveries.
func (r *runner) readTraces() (*traceData, error) {
	kind := r.plan.Scenario.Workload.Kind
	topic := r.plan.Scenario.Topics[0]
	td := &traceData{deliver: map[string]map[int]time.Time{}, sent: map[string]time.Time{}, depart: map[string]time.Time{},
		mesh: make([]int, len(r.plan.Nodes))}
	for i := range r.plan.Nodes {
		f, err := os.Open(filepath.Join(r.nodeDir(i), node.TraceFile))
		if err != nil {
			return nil, err
		}
		mesh := map[string]bool{}
		err = trace.Read(f, func(e trace.Event) error {
			switch {
			case e.Detail == "graft "+topic:
				mesh[e.Peer] = true
			case e.Detail == "prune "+topic:
				delete(mesh, e.Peer)
			case e.Layer == "node" && strings.HasPrefix(e.Detail, "ready "):
				clear(mesh) // a node (re)starts with an empty mesh
			}
			switch {
			case kind == "gossip" && e.Layer == "overlay":
				switch {
				case e.Kind == trace.KindDeliver && e.Detail == topic:
					td.add(e.MsgID, i, e.Time)
				case e.Kind == trace.KindSend && e.Detail == "publish "+topic:
					td.sent[e.MsgID] = e.Time
				case e.Kind == trace.KindDrop && e.Reason == trace.ReasonDuplicate && e.Detail == topic:
					td.duplicates++
				}
			case kind == "session" && e.Layer == "session":
				switch {
				case e.Kind == trace.KindDeliver:
					td.add(e.MsgID, i, e.Time)
				case e.Kind == trace.KindSend:
					td.sent[e.MsgID] = e.Time
				case e.Kind == trace.KindDrop && e.Reason == trace.ReasonReplay:
					td.duplicates++
				}
			case kind == "mixnet" && e.Layer == "mixnet":
				switch {
				case e.Kind == trace.KindDeliver:
					if _, again := td.deliver[e.MsgID][i]; again {
						td.duplicates++
					}
					td.add(e.MsgID, i, e.Time)
				case e.Kind == trace.KindSend && strings.HasPrefix(e.Detail, "queue "):
					td.sent[e.MsgID] = e.Time
				case e.Kind == trace.KindSend && strings.HasPrefix(e.Detail, "depart "):
					td.depart[e.MsgID] = e.Time
				}
			case kind == "sync" && e.Layer == "sync":
				switch {
				case e.Kind == trace.KindDeliver:
					td.add(e.MsgID, i, e.Time)
				case e.Kind == trace.KindSend && strings.HasPrefix(e.Detail, "publish "):
					td.sent[e.MsgID] = e.Time
				case e.Kind == trace.KindDrop && e.Reason == trace.ReasonDuplicate:
					td.duplicates++
				}
			}
			return nil
		})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.plan.Nodes[i].Name, err)
		}
		td.mesh[i] = len(mesh)
	}
	return td, nil
}

func (td *traceData) add(id string, i int, t time.Time) {
	m := td.deliver[id]
	if m == nil {
		m = map[int]time.Time{}
		td.deliver[id] = m
	}
	if old, ok := m[i]; !ok || t.Before(old) {
		m[i] = t
	}
}

// analyse turns the run into a result document.
func (r *runner) analyse(res *result.Result, pubs []published, stats []nodeStats, td *traceData) {
	s := r.plan.Scenario
	name := map[string]string{"scenario": s.Name}
	tl := r.plan.timeline()
	window := time.Duration(s.Measure.Window)
	var expected, deliveredExpected, deliveredAll, possibleAll, ok, failed int
	var latency, latencyAll []float64
	var pairs []string
	for k, pub := range r.plan.Publications {
		p := pubs[k]
		if !p.ok {
			if failed == 0 {
				res.Params["first_publish_error"] = p.err
			}
			failed++
			continue
		}
		ok++
		id := p.id
		sentAt, have := td.sent[id]
		if !have {
			sentAt = p.time
		}
		var recipients []int
		switch s.Workload.Kind {
		case "sync":
			recipients = r.plan.SyncGroups[pub.Topic]
		case "session", "mixnet":
			recipients = []int{pub.To}
		default:
			// Gossip reaches every node, but only nodes without a
			// behaviour count: an adversary (a censoring Sybil) delivers
			// what it likes, and its receipts say nothing of the overlay.
			for j, nd := range r.plan.Nodes {
				if nd.Behaviour == "" {
					recipients = append(recipients, j)
				}
			}
		}
		for _, j := range recipients {
			if j == pub.Node {
				continue
			}
			possibleAll++
			at, got := td.deliver[id][j]
			var ms float64
			if got {
				deliveredAll++
				ms = float64(at.Sub(sentAt)) / 1e6
				latencyAll = append(latencyAll, ms)
				pairs = append(pairs, fmt.Sprintf("%s %s", r.plan.Nodes[j].Name, id))
			}
			// Sync is reliable: every member is expected to get it. Gossip
			// and session messages are expected only where the node was up
			// and reachable.
			if s.Workload.Kind == "sync" || tl.eligible(j, pub.Node, pub.At, window) {
				expected++
				if got {
					deliveredExpected++
					latency = append(latency, ms)
				}
			}
		}
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	res.Add("nodes", "nodes", float64(len(r.plan.Nodes)), nil)
	res.Add("published", "messages", float64(ok), nil)
	res.Add("publish_failed", "messages", float64(failed), nil)
	res.Add("expected_deliveries", "deliveries", float64(expected), nil)
	for _, nd := range r.plan.Nodes {
		if nd.Behaviour != "" && s.Workload.Kind == "gossip" {
			res.Params["receivers"] = "nodes without a behaviour (adversaries' receipts are not counted)"
			break
		}
	}
	res.Add("delivery_rate", "ratio", ratio(deliveredExpected, expected), nil)
	res.Add("delivery_rate_all", "ratio", ratio(deliveredAll, possibleAll), nil)
	// latency_ms covers the expected deliveries; latency_all_ms every
	// delivery, late ones at nodes that were stopped or cut off included.
	if len(latency) > 0 {
		d := result.Summarize(latency, 60)
		res.Add("latency_ms", "ms", d.P50, name).Dist = d
	}
	if len(latencyAll) > 0 {
		d := result.Summarize(latencyAll, 0)
		res.Add("latency_all_ms", "ms", d.P50, nil).Dist = d
	}
	res.Add("duplicates_per_delivery", "x", ratio(td.duplicates, deliveredAll), nil)
	var bytes, cpu, rss, anon, pss, peers, mesh, fds []float64
	var pssTotal float64
	restarts := 0
	unanswered := 0
	for _, st := range stats {
		// Bytes come from the node's status; a node that did not answer
		// (stopped, or starved of CPU past the client timeout) has none.
		if st.status != nil {
			bytes = append(bytes, float64(st.bytes))
		} else {
			unanswered++
		}
		cpu = append(cpu, st.cpu)
		rss = append(rss, float64(st.rssKiB)/1024)
		anon = append(anon, float64(st.anonKiB)/1024)
		pss = append(pss, float64(st.pssKiB)/1024)
		pssTotal += float64(st.pssKiB) / 1024
		restarts += st.restarts
		if st.status != nil {
			peers = append(peers, float64(st.status.Peers))
		}
		if st.fds > 0 {
			fds = append(fds, float64(st.fds))
		}
	}
	for _, m := range td.mesh {
		mesh = append(mesh, float64(m))
	}
	if s.Workload.Kind == "gossip" {
		md := result.Summarize(mesh, 0)
		res.Add("mesh_degree", "peers", md.Mean, nil).Dist = md
	}
	if len(peers) > 0 {
		cd := result.Summarize(peers, 0)
		res.Add("connections_per_node", "peers", cd.Mean, nil).Dist = cd
	}
	if len(fds) > 0 {
		fd := result.Summarize(fds, 0)
		res.Add("fds_per_node", "fds", fd.Max, nil).Dist = fd
	}
	bd := result.Summarize(bytes, 0)
	res.Add("bytes_per_node", "bytes", bd.Mean, nil).Dist = bd
	cd := result.Summarize(cpu, 0)
	res.Add("cpu_seconds_per_node", "s", cd.Mean, nil).Dist = cd
	rd := result.Summarize(rss, 0)
	res.Add("peak_rss_mib", "MiB", rd.Max, nil).Dist = rd
	// Peak RSS counts the pages of the binary every node maps and shares;
	// anonymous memory at the end of the run is each node's own.
	ad := result.Summarize(anon, 0)
	res.Add("rss_anon_mib", "MiB", ad.Max, nil).Dist = ad
	// PSS divides shared pages among the nodes: the sum is what the
	// testnet's nodes cost the machine.
	pd := result.Summarize(pss, 0)
	res.Add("pss_mib", "MiB", pd.Mean, nil).Dist = pd
	res.Add("pss_total_mib", "MiB", pssTotal, nil)
	res.Add("restarts", "restarts", float64(restarts), nil)
	res.Add("status_unanswered", "nodes", float64(unanswered), nil)
	slices.Sort(pairs)
	h := sha256.New()
	for _, p := range pairs {
		fmt.Fprintln(h, p)
	}
	res.Params["delivery_set_hash"] = fmt.Sprintf("%x", h.Sum(nil))
	if len(latency) > 0 {
		res.Plots = append(res.Plots, result.Plot{ID: "latency-cdf", Title: "Delivery latency, " + s.Name, Kind: result.PlotCDF,
			Metric: "latency_ms", Series: "scenario", XLabel: "latency (ms)", YLabel: "fraction of deliveries"})
	}
}
