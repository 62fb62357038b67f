package node

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/strata-lab/strata/layers/overlay"
)

// ErrConfig marks an invalid node configuration.
var ErrConfig = errors.New("node: invalid configuration")

// Config is a node's configuration file (YAML).
type Config struct {
	// Name names the node in traces, metrics and results ("n007").
	Name string `yaml:"name"`
	// IP is the node's own address; in a local testnet 127.0.x.y, never
	// 127.0.0.1 (see layers/overlay SPEC.md, "Requires").
	IP string `yaml:"ip"`
	// TCPPort and QUICPort are the p2p ports on IP (0: any; -1: off).
	TCPPort  int `yaml:"tcp_port"`
	QUICPort int `yaml:"quic_port"`
	// ControlPort is the control API's port on IP (0: any; the address is
	// written to <data-dir>/control.addr once the node is ready).
	ControlPort int `yaml:"control_port"`
	// Seed seeds the identity when the data directory has none, and the
	// node's other random choices (link jitter and loss).
	Seed int64 `yaml:"seed"`
	// Topics are the gossip topics the node joins and subscribes to.
	Topics []string `yaml:"topics"`
	// Bootstrap and Direct are multiaddrs with /p2p/<peer id>.
	Bootstrap []string `yaml:"bootstrap"`
	Direct    []string `yaml:"direct"`
	// BootstrapMin is how many bootstrap peers must answer before the node
	// reports ready (default 1).
	BootstrapMin int               `yaml:"bootstrap_min"`
	DHT          overlay.DHTConfig `yaml:"dht"`
	// Limits override overlay.DefaultLimits when set.
	Limits *overlay.Limits `yaml:"limits"`
	// Class is the node's link class; Classes maps other nodes' IPs to
	// their classes; Links are the shaping rules by remote class.
	Class   string            `yaml:"class"`
	Classes map[string]string `yaml:"classes"`
	Links   []LinkRule        `yaml:"links"`
	// Sync configures data sync (off when Transport is empty).
	Sync SyncConfig `yaml:"sync"`
	// Sessions runs the 1:1 session service (layers/session over
	// /strata/session/1.0.0).
	Sessions bool `yaml:"sessions"`
	// Behaviour names a behaviour registered with the node runtime ("" for
	// an honest node) and BehaviourParams configure it.
	Behaviour       string            `yaml:"behaviour"`
	BehaviourParams map[string]string `yaml:"behaviour_params"`
	// InboxSize bounds the deliveries kept for GET /inbox (default 4096).
	InboxSize int `yaml:"inbox_size"`
	// Mixnet runs one Loopix core (client, provider or mix) over
	// /strata/mixnet/1.0.0 (off when its role is empty).
	Mixnet MixnetConfig `yaml:"mixnet,omitempty"`
}

// SyncConfig configures the data sync service.
type SyncConfig struct {
	// Transport is "stream" (the /strata/sync/1.0.0 protocol, one stream
	// per peer), "gossip" (frames in envelopes on each group's topic), or
	// "" for no sync.
	Transport string `yaml:"transport"`
	// Mode is "batch" or "interactive" (layers/sync modes; default batch).
	Mode string `yaml:"mode"`
	// Reconcile catches up by range-based reconciliation when a peer
	// comes online.
	Reconcile bool `yaml:"reconcile"`
	// BackoffCap caps retransmission intervals (default 30s).
	BackoffCap overlay.Duration `yaml:"backoff_cap"`
	// Latency is the declared one-way latency of links (default 100ms).
	Latency overlay.Duration `yaml:"latency"`
	// Groups are the sync groups this node is a member of.
	Groups []GroupConfig `yaml:"groups"`
	// NoSync skips fsync in the store (faster, loses the crash guarantee
	// for machine crashes; a killed process still loses nothing).
	NoSync bool `yaml:"no_sync"`
}

// GroupConfig is one sync group.
type GroupConfig struct {
	Name string `yaml:"name"`
	// Members are peer ids, this node's included.
	Members []string `yaml:"members"`
}

// Sync transports.
const (
	TransportStream = "stream"
	TransportGossip = "gossip"
)

// LoadConfig reads and validates a YAML configuration file. Unknown keys
// are errors.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConfig(b)
}

// ParseConfig parses and validates a YAML configuration.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Marshal writes the configuration as YAML.
func (c *Config) Marshal() ([]byte, error) { return yaml.Marshal(c) }

// Validate checks the configuration and fills defaults.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	if c.Name == "" {
		return bad("name is not set")
	}
	ip, err := netip.ParseAddr(c.IP)
	if err != nil {
		return bad("ip %q: %v", c.IP, err)
	}
	if ip.IsUnspecified() {
		return bad("ip %v: give every node an address of its own", ip)
	}
	if c.InboxSize == 0 {
		c.InboxSize = 4096
	}
	if c.BootstrapMin == 0 {
		c.BootstrapMin = 1
	}
	for _, t := range c.Topics {
		if _, err := overlay.ParseTopic(t); err != nil {
			return bad("topic: %v", err)
		}
	}
	if c.Limits != nil {
		if err := c.Limits.Validate(); err != nil {
			return err
		}
	}
	for i := range c.Links {
		if err := c.Links[i].Validate(); err != nil {
			return err
		}
	}
	if err := c.Mixnet.validate(); err != nil {
		return err
	}
	s := &c.Sync
	switch s.Transport {
	case "", TransportStream, TransportGossip:
	default:
		return bad("sync.transport %q: want stream, gossip or empty", s.Transport)
	}
	switch s.Mode {
	case "":
		s.Mode = "batch"
	case "batch", "interactive":
	default:
		return bad("sync.mode %q: want batch or interactive", s.Mode)
	}
	if s.BackoffCap == 0 {
		s.BackoffCap = overlay.Duration(30e9)
	}
	if s.Latency == 0 {
		s.Latency = overlay.Duration(100e6)
	}
	for _, g := range s.Groups {
		if g.Name == "" || len(g.Members) < 2 {
			return bad("sync group %q needs a name and at least two members", g.Name)
		}
		if slices.Contains(g.Members, "") {
			return bad("sync group %q has an empty member", g.Name)
		}
	}
	return nil
}
