package testnet

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/layers/mixnet/sphinx"
	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/reports/result"
	"github.com/strata-lab/strata/testnet/node"
)

// MixnetSpec configures the mixnet of a scenario: the nodes of role mix
// are spread over the layers in node order (the k-th mix in layer
// 1 + k mod Layers), the clients over the providers in node order (the
// k-th client at the (k mod providers)-th provider). The directory, its
// authority and every mix's and provider's key follow from the seed
// (node.MixnetDeployment). Zero values take the loopix defaults.
type MixnetSpec struct {
	// Layers of mixes (default 3). Packets are Sphinx packets of
	// Layers + 2 hops.
	Layers int `yaml:"layers"`
	// LambdaP, LambdaL and LambdaD are each client's payload, loop and
	// drop streams, LambdaM each mix's loop stream, in packets per second
	// (0: the loopix defaults 0.5, 0.2, 0.1 and 2).
	LambdaP float64 `yaml:"lambda_p"`
	LambdaL float64 `yaml:"lambda_l"`
	LambdaD float64 `yaml:"lambda_d"`
	LambdaM float64 `yaml:"lambda_m"`
	// MeanDelay is the default mean per-hop delay 1/μ (default 100ms);
	// it joins the directory's set of delays if it is not one of them.
	MeanDelay overlay.Duration `yaml:"mean_delay"`
	// PullInterval and PullSize are the clients' pulls (default 2s, 4).
	PullInterval overlay.Duration `yaml:"pull_interval"`
	PullSize     int              `yaml:"pull_size"`
	// Payload is the Sphinx payload size in bytes (default 2048).
	Payload int `yaml:"payload"`
	// Adaptive makes clients and mixes choose delays for a target pool.
	Adaptive bool `yaml:"adaptive"`
}

// mixnetEpochLength is the length of the deployment's single epoch: no
// run rotates keys.
const mixnetEpochLength = 24 * time.Hour

// validate fills the defaults and checks the spec against the nodes of
// each mixnet role.
func (m *MixnetSpec) validate(roles map[string]int) error {
	if m.Layers == 0 {
		m.Layers = 3
	}
	if m.Payload == 0 {
		m.Payload = sphinx.DefaultPayloadSize
	}
	switch {
	case m.Layers < 1 || m.Layers+2 > sphinx.MaxHops:
		return fmt.Errorf("mixnet: %d layers; Sphinx packets carry at most %d hops (layers + 2)", m.Layers, sphinx.MaxHops)
	case roles[RoleMix] < m.Layers:
		return fmt.Errorf("mixnet: %d mixes for %d layers; every layer needs one", roles[RoleMix], m.Layers)
	case roles[RoleProvider] < 1:
		return fmt.Errorf("mixnet: no node of role provider")
	case roles[RoleClient] < 1:
		return fmt.Errorf("mixnet: no node of role client")
	case m.LambdaP < 0 || m.LambdaL < 0 || m.LambdaD < 0 || m.LambdaM < 0 || m.MeanDelay < 0 || m.PullInterval < 0 || m.PullSize < 0:
		return fmt.Errorf("mixnet: rates, delays and pulls must not be negative")
	}
	d, err := m.deployment(0, nil)
	if err != nil {
		return err
	}
	// The parameters must make a valid directory: check them on one
	// provider and one mix per layer.
	nodes := []loopix.Node{{ID: loopix.NodeID{0}, Role: loopix.RoleProvider}}
	for l := 1; l <= m.Layers; l++ {
		nodes = append(nodes, loopix.Node{ID: loopix.NodeID{byte(l)}, Role: loopix.RoleMix, Layer: l})
	}
	g := loopix.Geometry{Format: loopix.FormatSphinx, PacketSize: d.Geometry.PacketSize(), PayloadSize: d.Geometry.PayloadSize, MaxHops: d.Geometry.Hops}
	dir := loopix.Directory{EpochLength: d.EpochLength, EpochStart: time.UnixMilli(0), Geometry: g, Layers: m.Layers, Params: d.Params, Nodes: nodes}
	if err := dir.Validate(); err != nil {
		return fmt.Errorf("mixnet: %w", err)
	}
	return nil
}

// params are the directory's parameters.
func (m *MixnetSpec) params() loopix.Params {
	p := loopix.DefaultParams()
	set := func(r *loopix.Rate, v float64) {
		if v > 0 {
			*r = loopix.PerSecond(v)
		}
	}
	set(&p.LambdaP, m.LambdaP)
	set(&p.LambdaL, m.LambdaL)
	set(&p.LambdaD, m.LambdaD)
	set(&p.LambdaM, m.LambdaM)
	if m.MeanDelay > 0 {
		d := time.Duration(m.MeanDelay).Round(time.Millisecond)
		if !slices.Contains(p.MuSet, d) {
			p.MuSet = append(p.MuSet, d)
			slices.Sort(p.MuSet)
		}
		p.DefaultMu = slices.Index(p.MuSet, d)
		p.MaxDelay = max(p.MaxDelay, d)
	}
	if m.PullInterval > 0 {
		p.PullInterval = time.Duration(m.PullInterval).Round(time.Millisecond)
	}
	if m.PullSize > 0 {
		p.PullSize = m.PullSize
	}
	return p
}

// deployment is the mixnet of a plan's nodes (none: the parameters only,
// checked on an empty member list).
func (m *MixnetSpec) deployment(seed int64, nodes []NodePlan) (node.MixnetDeployment, error) {
	g, err := sphinx.NewGeometry(m.Layers+2, m.Payload, sphinx.ModeX25519, false)
	if err != nil {
		return node.MixnetDeployment{}, fmt.Errorf("mixnet: %w", err)
	}
	d := node.MixnetDeployment{Seed: seed, Layers: m.Layers, Params: m.params(), Geometry: g, EpochLength: mixnetEpochLength,
		Adaptive: m.Adaptive}
	if len(m.params().MuSet) > loopix.MaxMuSet {
		return d, fmt.Errorf("mixnet: mean delay %v makes %d delays, at most %d", time.Duration(m.MeanDelay), len(m.params().MuSet), loopix.MaxMuSet)
	}
	for _, n := range nodes {
		mm := node.MixnetMember{Name: n.Name, Role: n.Role, Layer: n.MixLayer, Addr: n.Multiaddr()}
		switch n.Role {
		case RoleMix, RoleProvider:
		case RoleClient:
			mm.Provider = nodes[n.Provider].Name
		default:
			continue
		}
		d.Members = append(d.Members, mm)
	}
	return d, nil
}

// mixnetRole reports whether role is a mixnet role.
func mixnetRole(role string) bool {
	return role == RoleMix || role == RoleProvider || role == RoleClient
}

// assignMixnet puts the mixes in layers and the clients at providers, in
// node order.
func (p *Plan) assignMixnet() {
	var provs []int
	mixes := 0
	for i := range p.Nodes {
		p.Nodes[i].Provider = -1
		switch p.Nodes[i].Role {
		case RoleMix:
			p.Nodes[i].MixLayer = 1 + mixes%p.Scenario.Mixnet.Layers
			mixes++
		case RoleProvider:
			provs = append(provs, i)
		}
	}
	k := 0
	for i := range p.Nodes {
		if p.Nodes[i].Role == RoleClient && len(provs) > 0 {
			p.Nodes[i].Provider = provs[k%len(provs)]
			k++
		}
	}
}

// mixnetConfigs returns the mixnet configuration of every node (the zero
// value for nodes without a mixnet role) and writes the signed directory
// into the run directory.
func (r *runner) mixnetConfigs() ([]node.MixnetConfig, error) {
	out := make([]node.MixnetConfig, len(r.plan.Nodes))
	if !slices.ContainsFunc(r.plan.Nodes, func(n NodePlan) bool { return mixnetRole(n.Role) }) {
		return out, nil
	}
	d, err := r.plan.Scenario.Mixnet.deployment(r.plan.Seed, r.plan.Nodes)
	if err != nil {
		return nil, err
	}
	cfgs, raw, err := d.Configs()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(r.dir, "mixnet-directory.bin"), raw, 0o644); err != nil {
		return nil, err
	}
	k := 0
	for i, n := range r.plan.Nodes {
		if mixnetRole(n.Role) {
			out[i] = cfgs[k]
			k++
		}
	}
	return out, nil
}

// analyseMixnet adds the mixnet's own figures: where the end-to-end
// latency goes (waiting for a payload tick, then the network with its
// mixing delays and the wait for a pull), the mixnet's bytes, CPU and
// memory per role (cover traffic included), drops by reason, loops back
// and the cores' ledgers.
func (r *runner) analyseMixnet(res *result.Result, pubs []published, stats []nodeStats, td *traceData) {
	var queue, transit []float64
	for k, pub := range r.plan.Publications {
		p := pubs[k]
		if !p.ok {
			continue
		}
		q, sent := td.sent[p.id]
		d, left := td.depart[p.id]
		if sent && left {
			queue = append(queue, float64(d.Sub(q))/1e6)
		}
		if at, got := td.deliver[p.id][pub.To]; got && left {
			transit = append(transit, float64(at.Sub(d))/1e6)
		}
	}
	if len(queue) > 0 {
		d := result.Summarize(queue, 0)
		res.Add("mixnet_queue_ms", "ms", d.P50, nil).Dist = d
	}
	if len(transit) > 0 {
		d := result.Summarize(transit, 60)
		res.Add("mixnet_transit_ms", "ms", d.P50, map[string]string{"scenario": r.plan.Scenario.Name}).Dist = d
	}
	bytes := map[string][]float64{}
	cpu := map[string][]float64{}
	rss := map[string][]float64{}
	drops := map[string]float64{}
	var unbalanced, answered float64
	var loopsSent, loopsBack, mixLoopsSent, mixLoopsBack float64
	for i, st := range stats {
		role := r.plan.Nodes[i].Role
		if !mixnetRole(role) {
			continue
		}
		cpu[role] = append(cpu[role], st.cpu)
		rss[role] = append(rss[role], float64(st.rssKiB)/1024)
		if st.status == nil || st.status.Mixnet == nil {
			continue
		}
		m := st.status.Mixnet
		answered++
		bytes[role] = append(bytes[role], float64(m.BytesIn+m.BytesOut))
		if !m.Ledger.Balanced {
			unbalanced++
		}
		for reason, c := range m.Drops {
			drops[reason] += float64(c)
		}
		switch role {
		case RoleClient:
			if m.Client != nil {
				loopsSent += float64(m.Client.Loops)
			}
			loopsBack += float64(m.LoopsBack)
		case RoleMix:
			mixLoopsSent += float64(m.LoopsSent)
			mixLoopsBack += float64(m.LoopsBack)
		}
	}
	for _, role := range []string{RoleClient, RoleProvider, RoleMix} {
		l := map[string]string{"role": role}
		if len(bytes[role]) > 0 {
			d := result.Summarize(bytes[role], 0)
			res.Add("mixnet_bytes_per_node", "bytes", d.Mean, l).Dist = d
		}
		if len(cpu[role]) > 0 {
			d := result.Summarize(cpu[role], 0)
			res.Add("mixnet_cpu_seconds_per_node", "s", d.Mean, l).Dist = d
			d = result.Summarize(rss[role], 0)
			res.Add("mixnet_peak_rss_mib", "MiB", d.Max, l).Dist = d
		}
	}
	reasons := make([]string, 0, len(drops))
	for reason := range drops {
		reasons = append(reasons, reason)
	}
	sort.Strings(reasons)
	for _, reason := range reasons {
		res.Add("mixnet_drops", "frames", drops[reason], map[string]string{"reason": reason})
	}
	res.Add("mixnet_status_answered", "nodes", answered, nil)
	res.Add("mixnet_unbalanced_ledgers", "nodes", unbalanced, nil)
	// Loops still in flight at the end count as not back: these ratios
	// are lower bounds.
	if loopsSent > 0 {
		res.Add("mixnet_client_loops_back", "ratio", loopsBack/loopsSent, nil)
	}
	if mixLoopsSent > 0 {
		res.Add("mixnet_mix_loops_back", "ratio", mixLoopsBack/mixLoopsSent, nil)
	}
	if len(transit) > 0 {
		res.Plots = append(res.Plots, result.Plot{ID: "transit-cdf", Title: "Time in the mixnet (departure to delivery), " + r.plan.Scenario.Name,
			Kind: result.PlotCDF, Metric: "mixnet_transit_ms", Series: "scenario", XLabel: "latency (ms)", YLabel: "fraction of messages"})
	}
}
