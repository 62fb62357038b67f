package testnet

import (
	"context"
	"os"
	"testing"
)

// TestRunSmall runs a 5-node scenario end to end with the test binary as
// the node and checks the figures of its result.
func TestRunSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	s, err := ParseScenario([]byte(`
name: small
subnet: 160
groups: [{name: a, count: 5}]
topology: {bootstrap: 2}
workload: {rate: 4, duration: 4s, warmup: 2s}
measure: {drain: 2s}
`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), s, Options{Out: t.TempDir(), NodeCmd: []string{os.Args[0]}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) float64 {
		m, ok := res.Lookup(name, nil)
		if !ok {
			t.Fatalf("no metric %s", name)
		}
		return m.Value
	}
	if get("published") != 16 || get("delivery_rate") != 1 || get("expected_deliveries") != 64 {
		t.Fatalf("published %v, delivery %v, expected %v", get("published"), get("delivery_rate"), get("expected_deliveries"))
	}
	if get("peak_rss_mib") <= 0 || get("cpu_seconds_per_node") <= 0 || get("bytes_per_node") <= 0 {
		t.Fatal("process figures missing")
	}
	if len(nodesUnder(res.Params["run_dir"].(string))) != 0 {
		t.Fatal("nodes left running")
	}
}
