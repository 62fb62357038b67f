package testnet

import (
	"context"
	"errors"
	"os"
	"testing"
)

// TestRunMixnet runs a small mixnet scenario end to end (2 layers of 1
// mix, 2 providers, 3 clients, fast Loopix rates) with the test binary as
// the node, and checks the figures of its result.
func TestRunMixnet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	s, err := ParseScenario([]byte(`
name: mixnet-small
subnet: 175
groups:
  - {name: mix, count: 2, role: mix}
  - {name: provider, count: 2, role: provider}
  - {name: client, count: 3, role: client}
topology: {bootstrap: 2}
mixnet: {layers: 2, lambda_p: 5, lambda_l: 1, lambda_d: 1, lambda_m: 2, mean_delay: 20ms, pull_interval: 200ms}
workload: {kind: mixnet, rate: 3, duration: 3s, warmup: 2s}
measure: {drain: 3s}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), s, Options{Out: t.TempDir(), NodeCmd: []string{os.Args[0]}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string, labels map[string]string) float64 {
		m, ok := res.Lookup(name, labels)
		if !ok {
			t.Fatalf("no metric %s %v", name, labels)
		}
		return m.Value
	}
	if res.Layer != "mixnet" || get("published", nil) != 9 || get("expected_deliveries", nil) != 9 || get("delivery_rate", nil) != 1 {
		t.Fatalf("layer %s, published %v, expected %v, delivery %v", res.Layer, get("published", nil), get("expected_deliveries", nil), get("delivery_rate", nil))
	}
	if get("mixnet_status_answered", nil) != 7 || get("mixnet_unbalanced_ledgers", nil) != 0 {
		t.Fatal("a core did not answer or its ledger does not balance")
	}
	lat, _ := res.Lookup("latency_ms", nil)
	transit, _ := res.Lookup("mixnet_transit_ms", nil)
	if lat.Dist == nil || lat.Dist.N != 9 || transit.Dist == nil || transit.Dist.N != 9 || lat.Dist.Max < transit.Dist.Max {
		t.Fatalf("latency %+v, transit %+v", lat.Dist, transit.Dist)
	}
	for _, role := range []string{RoleClient, RoleProvider, RoleMix} {
		if get("mixnet_bytes_per_node", map[string]string{"role": role}) <= 0 || get("mixnet_cpu_seconds_per_node", map[string]string{"role": role}) <= 0 {
			t.Fatalf("%s: no bytes or CPU", role)
		}
	}
	if len(nodesUnder(res.Params["run_dir"].(string))) != 0 {
		t.Fatal("nodes left running")
	}
}

func TestMixnetScenarioErrors(t *testing.T) {
	for _, bad := range []string{
		// two layers, one mix
		"name: x\ngroups: [{name: m, count: 1, role: mix}, {name: p, count: 1, role: provider}, {name: c, count: 2, role: client}]\nmixnet: {layers: 2}\nworkload: {kind: mixnet, rate: 1, duration: 1s}",
		// no provider
		"name: x\ngroups: [{name: m, count: 3, role: mix}, {name: c, count: 2, role: client}]\nworkload: {kind: mixnet, rate: 1, duration: 1s}",
		// one client cannot write to another
		"name: x\ngroups: [{name: m, count: 3, role: mix}, {name: p, count: 1, role: provider}, {name: c, count: 1, role: client}]\nworkload: {kind: mixnet, rate: 1, duration: 1s}",
		// a message larger than a packet body
		"name: x\ngroups: [{name: m, count: 3, role: mix}, {name: p, count: 1, role: provider}, {name: c, count: 2, role: client}]\nworkload: {kind: mixnet, rate: 1, duration: 1s, size: 4000}",
		// nine layers: a directory has at most loopix.MaxLayers (8)
		"name: x\ngroups: [{name: m, count: 9, role: mix}, {name: p, count: 1, role: provider}, {name: c, count: 2, role: client}]\nmixnet: {layers: 9}\nworkload: {kind: mixnet, rate: 1, duration: 1s}",
		// a pull size the directory refuses
		"name: x\ngroups: [{name: m, count: 3, role: mix}, {name: p, count: 1, role: provider}, {name: c, count: 2, role: client}]\nmixnet: {pull_size: 65}\nworkload: {kind: mixnet, rate: 1, duration: 1s}",
	} {
		if _, err := ParseScenario([]byte(bad)); !errors.Is(err, ErrScenario) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// TestMixnetPlan checks the mixnet assignment: mixes spread over the
// layers, clients over the providers, messages between distinct clients.
func TestMixnetPlan(t *testing.T) {
	s, err := LoadScenario("scenarios/mixnet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(s, s.Seed)
	if err != nil {
		t.Fatal(err)
	}
	layers := map[int]int{}
	served := map[int]int{}
	for _, n := range p.Nodes {
		switch n.Role {
		case RoleMix:
			layers[n.MixLayer]++
		case RoleClient:
			served[n.Provider]++
		}
	}
	if len(layers) != 3 || layers[1] != 2 || layers[2] != 2 || layers[3] != 2 || len(served) != 2 {
		t.Fatalf("layers %v, clients per provider %v", layers, served)
	}
	for _, pub := range p.Publications {
		if p.Nodes[pub.Node].Role != RoleClient || p.Nodes[pub.To].Role != RoleClient || pub.To == pub.Node {
			t.Fatalf("publication %d from %d to %d", pub.Seq, pub.Node, pub.To)
		}
	}
}
