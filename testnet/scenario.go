// Package testnet is the local multi-process testnet orchestrator (tier T1):
// it reads a scenario (YAML), launches one 'strata node' process per node,
// each bound to its own 127.0.x.y address, drives the workload through the
// nodes' control APIs, applies the fault timeline (kill -9, restart,
// SIGSTOP/SIGCONT, partitions, link changes), collects traces and metrics,
// tears everything down, and writes a result document (reports/result).
//
// Every node runs in its own process group with a parent-death signal, so
// no node outlives the orchestrator, even when the orchestrator is killed.
// The same scenario and seed give the same plan: nodes, identities,
// topology, workload and fault schedule (Plan.Hash).
package testnet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/reports/result"
	"github.com/strata-lab/strata/testnet/node"
)

// ErrScenario marks an invalid scenario.
var ErrScenario = errors.New("testnet: invalid scenario")

// Scenario is a testnet scenario file.
type Scenario struct {
	// Name identifies the scenario in results ("smoke").
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed is the default seed (--seed overrides it).
	Seed int64 `yaml:"seed"`
	// Subnet is the third octet of the first node's address: node i is
	// 127.0.(Subnet + i/250).(1 + i%250). Default 100.
	Subnet int `yaml:"subnet"`
	// Groups are the node groups.
	Groups []Group `yaml:"groups"`
	// Topology says how nodes find each other.
	Topology Topology `yaml:"topology"`
	// Links are the link classes by name; a group's Class names one.
	Links map[string]LinkClass `yaml:"links"`
	// Topics are the gossip topics every node joins (default one test topic).
	Topics []string `yaml:"topics"`
	// Sync configures data sync groups (for a sync workload).
	Sync SyncSpec `yaml:"sync"`
	// Mixnet configures the mixnet of the groups of roles mix, provider
	// and client (for a mixnet workload).
	Mixnet MixnetSpec `yaml:"mixnet"`
	// Workload is what the publishers send.
	Workload Workload `yaml:"workload"`
	// Faults is the fault timeline.
	Faults []Fault `yaml:"faults"`
	// Churn puts groups of nodes on and off line.
	Churn []Churn `yaml:"churn"`
	// Measure says what to measure and which goals to check.
	Measure Measure `yaml:"measure"`
	// Limits override the nodes' overlay.DefaultLimits.
	Limits *overlay.Limits `yaml:"limits"`
	// Runtime tunes the Go runtime of every node process.
	Runtime Runtime `yaml:"runtime"`
}

// Runtime sets the Go runtime environment of node processes, for runs of
// many nodes on few cores: fewer Ps (GOMAXPROCS) mean fewer threads and
// per-P caches; a lower GOGC or a memory limit (GOMEMLIMIT) trade CPU for
// resident memory. Zero values leave the Go defaults.
type Runtime struct {
	GOMAXPROCS  int `yaml:"gomaxprocs"`
	GOGC        int `yaml:"gogc"`
	MemLimitMiB int `yaml:"memlimit_mib"`
}

// env returns the environment variables r sets.
func (r Runtime) env() []string {
	var out []string
	if r.GOMAXPROCS > 0 {
		out = append(out, fmt.Sprintf("GOMAXPROCS=%d", r.GOMAXPROCS))
	}
	if r.GOGC > 0 {
		out = append(out, fmt.Sprintf("GOGC=%d", r.GOGC))
	}
	if r.MemLimitMiB > 0 {
		out = append(out, fmt.Sprintf("GOMEMLIMIT=%dMiB", r.MemLimitMiB))
	}
	return out
}

// Group is a set of nodes with the same role, class and behaviour.
type Group struct {
	Name  string `yaml:"name"`
	Count int    `yaml:"count"`
	// Role is "relay" (gossip only), "sync" (gossip and a sync member),
	// "bootstrap" (a relay that every other node bootstraps from), or a
	// mixnet role: "mix", "provider" or "client" (a relay that also runs
	// that Loopix core; see MixnetSpec).
	Role string `yaml:"role"`
	// Class names a link class (Scenario.Links); "" for unshaped links.
	Class string `yaml:"class"`
	// Behaviour names a node behaviour registered in the node binary.
	Behaviour       string            `yaml:"behaviour"`
	BehaviourParams map[string]string `yaml:"behaviour_params"`
	// QUIC also listens on QUIC (TCP is always on; both are shaped).
	QUIC bool `yaml:"quic"`
}

// Roles.
const (
	RoleRelay     = "relay"
	RoleSync      = "sync"
	RoleBootstrap = "bootstrap"
	RoleMix       = "mix"
	RoleProvider  = "provider"
	RoleClient    = "client"
)

// Topology configures discovery.
type Topology struct {
	// Bootstrap is how many peers each node dials at start: bootstrap
	// nodes if the scenario has any, else random earlier nodes (seeded).
	// Default 3.
	Bootstrap int `yaml:"bootstrap"`
	// DHT turns on DHT discovery with the given diversity filter.
	DHT overlay.DHTConfig `yaml:"dht"`
}

// LinkClass is the egress shaping of a class of nodes (node.LinkRule).
type LinkClass struct {
	Latency   overlay.Duration `yaml:"latency"`
	Jitter    overlay.Duration `yaml:"jitter"`
	Bandwidth int64            `yaml:"bandwidth"`
	Loss      float64          `yaml:"loss"`
}

// SyncSpec configures data sync among the nodes of role sync.
type SyncSpec struct {
	// Transport is "stream" or "gossip" (node.SyncConfig).
	Transport string `yaml:"transport"`
	Mode      string `yaml:"mode"`
	Reconcile bool   `yaml:"reconcile"`
	// GroupSize is the members per sync group; sync nodes are split into
	// groups of this size in a seeded order. Default 4.
	GroupSize  int              `yaml:"group_size"`
	BackoffCap overlay.Duration `yaml:"backoff_cap"`
}

// Workload is what publishers send.
type Workload struct {
	// Kind is "gossip" (POST /publish on the first topic), "sync" (POST
	// /send to the publisher's sync group), "session" (POST
	// /session/send to a seeded other node, over a 1:1 session) or
	// "mixnet" (POST /mixnet/send from a client to a seeded other client,
	// through the mixnet).
	Kind string `yaml:"kind"`
	// Publishers is how many nodes publish (seeded choice among the
	// eligible ones); 0 means all.
	Publishers int `yaml:"publishers"`
	// Groups restricts publishers to these groups (empty: any group that
	// is not bootstrap).
	Groups []string `yaml:"groups"`
	// Rate is messages per second over the whole network.
	Rate float64 `yaml:"rate"`
	// Size is the message size in bytes.
	Size int `yaml:"size"`
	// Warmup is the pause between readiness and the first message.
	Warmup overlay.Duration `yaml:"warmup"`
	// Duration is how long messages are sent.
	Duration overlay.Duration `yaml:"duration"`
}

// Fault is one event of the fault timeline.
type Fault struct {
	// At is the time after the workload starts.
	At overlay.Duration `yaml:"at"`
	// Action is kill (SIGKILL), restart, stop (SIGSTOP), cont (SIGCONT),
	// partition, heal, or link.
	Action string `yaml:"action"`
	// Group restricts the nodes to one group; Count picks that many of
	// them (seeded; 0: all of them).
	Group string `yaml:"group"`
	Count int    `yaml:"count"`
	// For lasts this long, then undoes the fault (kill → restart, stop →
	// cont, partition → heal, link → the class's own link). 0: until a
	// later event undoes it.
	For overlay.Duration `yaml:"for"`
	// Link is the link for action link.
	Link LinkClass `yaml:"link"`
}

// Fault actions.
const (
	ActKill      = "kill"
	ActRestart   = "restart"
	ActStop      = "stop"
	ActCont      = "cont"
	ActPartition = "partition"
	ActHeal      = "heal"
	ActLink      = "link"
)

// Churn takes a group's nodes on and off line for the whole workload:
// each node is online a fraction Online of every Period, from a seeded
// phase.
type Churn struct {
	Group  string           `yaml:"group"`
	Online float64          `yaml:"online"`
	Period overlay.Duration `yaml:"period"`
	// Mode is how a node goes off line: "stop" (SIGSTOP, a phone in the
	// background), "kill" (kill -9, then restart) or "isolate" (the node
	// is partitioned from every other node).
	Mode string `yaml:"mode"`
}

// Measure configures collection and goals.
type Measure struct {
	// Drain is the wait after the last message (and after churn has
	// brought every node back) before collection. Default 5s.
	Drain overlay.Duration `yaml:"drain"`
	// Window is how long after a publication a node must stay up and
	// connected to the publisher for the message to count as expected
	// there (the delivery_rate denominator). Default 5s.
	Window overlay.Duration `yaml:"window"`
	// Goals are checked against the result's metrics.
	Goals []result.Goal `yaml:"goals"`
}

// LoadScenario reads and validates a scenario file. Unknown keys are
// errors.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseScenario(b)
}

// ParseScenario parses and validates a scenario.
func ParseScenario(b []byte) (*Scenario, error) {
	var s Scenario
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrScenario, err)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// NodeCount is the number of nodes of the scenario.
func (s *Scenario) NodeCount() int {
	n := 0
	for _, g := range s.Groups {
		n += g.Count
	}
	return n
}

// Validate checks the scenario and fills its defaults.
func (s *Scenario) Validate() error { return s.validate(true) }

// validate checks the scenario; without a workload (testnet up) the
// workload is left empty.
func (s *Scenario) validate(workload bool) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrScenario, s.Name, fmt.Sprintf(format, args...))
	}
	if s.Name == "" {
		return fmt.Errorf("%w: name is not set", ErrScenario)
	}
	if s.Subnet == 0 {
		s.Subnet = 100
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Topology.Bootstrap == 0 {
		s.Topology.Bootstrap = 3
	}
	if len(s.Topics) == 0 {
		s.Topics = []string{"/strata/1/test/load"}
	}
	for _, t := range s.Topics {
		if _, err := overlay.ParseTopic(t); err != nil {
			return bad("%v", err)
		}
	}
	n := s.NodeCount()
	if n < 2 {
		return bad("a testnet needs at least 2 nodes, has %d", n)
	}
	if s.Subnet < 1 || s.Subnet+(n-1)/250 > 254 {
		return bad("subnet %d leaves no room for %d nodes in 127.0.x.y", s.Subnet, n)
	}
	groups := map[string]Group{}
	syncNodes := 0
	mixRoles := map[string]int{}
	for _, g := range s.Groups {
		if g.Name == "" || g.Count < 1 {
			return bad("group %q needs a name and a positive count", g.Name)
		}
		if _, dup := groups[g.Name]; dup {
			return bad("group %q listed twice", g.Name)
		}
		switch g.Role {
		case "":
			g.Role = RoleRelay
		case RoleRelay, RoleBootstrap:
		case RoleSync:
			syncNodes += g.Count
		case RoleMix, RoleProvider, RoleClient:
			mixRoles[g.Role] += g.Count
		default:
			return bad("group %s: role %q (want relay, sync, bootstrap, mix, provider or client)", g.Name, g.Role)
		}
		if _, ok := s.Links[g.Class]; g.Class != "" && !ok {
			return bad("group %s: link class %q is not in links", g.Name, g.Class)
		}
		groups[g.Name] = g
	}
	for i := range s.Groups {
		if s.Groups[i].Role == "" {
			s.Groups[i].Role = RoleRelay
		}
	}
	for name, l := range s.Links {
		if err := (node.LinkRule{Latency: l.Latency, Jitter: l.Jitter, Bandwidth: l.Bandwidth, Loss: l.Loss}).Validate(); err != nil {
			return bad("link class %s: %v", name, err)
		}
	}
	if len(mixRoles) > 0 || s.Workload.Kind == "mixnet" {
		if err := s.Mixnet.validate(mixRoles); err != nil {
			return bad("%v", err)
		}
	}
	w := &s.Workload
	if !workload {
		*w = Workload{Kind: "gossip"}
		return nil
	}
	switch w.Kind {
	case "":
		w.Kind = "gossip"
	case "gossip":
	case "sync":
		if syncNodes < 2 {
			return bad("a sync workload needs at least 2 nodes of role sync")
		}
	case "session":
	case "mixnet":
		if mixRoles[RoleClient] < 2 {
			return bad("a mixnet workload needs at least 2 nodes of role client")
		}
	default:
		return bad("workload kind %q (want gossip, sync, session or mixnet)", w.Kind)
	}
	if w.Rate <= 0 || w.Duration <= 0 {
		return bad("workload needs a positive rate and duration")
	}
	if w.Size == 0 {
		w.Size = 256
	}
	if w.Size < 16 || w.Size > 64<<10 {
		return bad("workload size %d: want 16 to 65536 bytes", w.Size)
	}
	if w.Kind == "mixnet" && w.Size > s.Mixnet.Payload-2 {
		return bad("workload size %d: a mixnet message carries at most %d bytes (payload %d)", w.Size, s.Mixnet.Payload-2, s.Mixnet.Payload)
	}
	if w.Warmup == 0 {
		w.Warmup = overlay.Duration(3 * time.Second)
	}
	for _, g := range w.Groups {
		if _, ok := groups[g]; !ok {
			return bad("workload group %q does not exist", g)
		}
	}
	if syncNodes > 0 {
		if s.Sync.Transport == "" {
			s.Sync.Transport = node.TransportStream
		}
		if s.Sync.GroupSize == 0 {
			s.Sync.GroupSize = 4
		}
		if s.Sync.GroupSize < 2 {
			return bad("sync group_size must be at least 2")
		}
	}
	for i, f := range s.Faults {
		switch f.Action {
		case ActKill, ActRestart, ActStop, ActCont, ActPartition, ActHeal, ActLink:
		default:
			return bad("fault %d: action %q", i, f.Action)
		}
		if _, ok := groups[f.Group]; f.Group != "" && !ok {
			return bad("fault %d: group %q does not exist", i, f.Group)
		}
		if f.At < 0 || f.For < 0 || f.Count < 0 {
			return bad("fault %d: at, for and count must be ≥ 0", i)
		}
	}
	for i, c := range s.Churn {
		if _, ok := groups[c.Group]; !ok {
			return bad("churn %d: group %q does not exist", i, c.Group)
		}
		if c.Online <= 0 || c.Online > 1 || c.Period <= 0 {
			return bad("churn %d: online in (0,1] and a positive period", i)
		}
		switch c.Mode {
		case "":
			s.Churn[i].Mode = "stop"
		case "stop", "kill", "isolate":
		default:
			return bad("churn %d: mode %q (want stop, kill or isolate)", i, c.Mode)
		}
	}
	if s.Measure.Drain == 0 {
		s.Measure.Drain = overlay.Duration(5 * time.Second)
	}
	if s.Measure.Window == 0 {
		s.Measure.Window = overlay.Duration(5 * time.Second)
	}
	for _, g := range s.Measure.Goals {
		switch g.Op {
		case result.OpLE, result.OpGE, result.OpLT, result.OpGT, result.OpEQ:
		default:
			return bad("goal %s: operator %q", g.Metric, g.Op)
		}
		if g.Metric == "" || g.Anchor == "" {
			return bad("every goal needs a metric and an anchor")
		}
	}
	return nil
}

// Resize scales the scenario to n nodes: every group's count is scaled in
// proportion (each keeps at least one node; the largest group takes the
// rounding), and the name gets the suffix "/n=<n>" so that results of
// different sizes sit side by side.
func (s *Scenario) Resize(n int) error {
	total := s.NodeCount()
	if n < 2 || total == 0 {
		return fmt.Errorf("%w: %s: cannot resize to %d nodes", ErrScenario, s.Name, n)
	}
	largest, sum := 0, 0
	for i := range s.Groups {
		c := max(1, s.Groups[i].Count*n/total)
		s.Groups[i].Count = c
		sum += c
		if c > s.Groups[largest].Count {
			largest = i
		}
	}
	s.Groups[largest].Count += n - sum
	if s.Groups[largest].Count < 1 {
		return fmt.Errorf("%w: %s: %d nodes are too few for %d groups", ErrScenario, s.Name, n, len(s.Groups))
	}
	s.Name = fmt.Sprintf("%s/n=%d", s.Name, n)
	return s.Validate()
}
