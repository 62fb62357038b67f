package overlay

import (
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/x/rate"
)

// Limits are the resource-manager and connection-manager limits of a node,
// all explicit: nothing is scaled from the machine the node happens to run
// on, so a testnet of many nodes on one machine behaves like the same nodes
// on many.
type Limits struct {
	// MemoryBytes caps what libp2p may reserve for connections and streams.
	MemoryBytes int64 `yaml:"memory_bytes" json:"memory_bytes"`
	// FDs caps the file descriptors libp2p may use for connections.
	FDs int `yaml:"fds" json:"fds"`
	// MaxConns caps connections, inbound and outbound together.
	MaxConns int `yaml:"max_conns" json:"max_conns"`
	// ConnsPerIP caps connections to and from one IPv4 address (/32) or
	// IPv6 /56. It applies to loopback too: go-libp2p exempts 127.0.0.0/8
	// and ::1 by default, which hides the limit in single-machine testnets.
	ConnsPerIP int `yaml:"conns_per_ip" json:"conns_per_ip"`
	// ConnRatePerIP and ConnBurstPerIP rate-limit new inbound connections
	// per address (token bucket); loopback is not exempt either.
	ConnRatePerIP  float64 `yaml:"conn_rate_per_ip" json:"conn_rate_per_ip"`
	ConnBurstPerIP int     `yaml:"conn_burst_per_ip" json:"conn_burst_per_ip"`
	// StreamsPerPeer caps streams with one peer.
	StreamsPerPeer int `yaml:"streams_per_peer" json:"streams_per_peer"`
	// ConnLow and ConnHigh are the connection manager's water marks: above
	// ConnHigh it trims to ConnLow, sparing peers younger than ConnGrace
	// and protected ones (mesh and direct peers).
	ConnLow   int      `yaml:"conn_low" json:"conn_low"`
	ConnHigh  int      `yaml:"conn_high" json:"conn_high"`
	ConnGrace Duration `yaml:"conn_grace" json:"conn_grace"`
}

// DefaultLimits returns the limits of a Strata node. A node keeps ConnLow
// (32) to ConnHigh (64) peers, about 5-10 times the mesh degree; MaxConns
// (128) leaves room above ConnHigh for the connection manager to work;
// ConnsPerIP (8) and the rate (0.2/s, burst 16) are go-libp2p's defaults
// for public addresses, applied here to loopback too.
func DefaultLimits() Limits {
	return Limits{
		MemoryBytes:    256 << 20,
		FDs:            512,
		MaxConns:       128,
		ConnsPerIP:     8,
		ConnRatePerIP:  0.2,
		ConnBurstPerIP: 16,
		StreamsPerPeer: 64,
		ConnLow:        32,
		ConnHigh:       64,
		ConnGrace:      Duration(20 * time.Second),
	}
}

// Validate checks the limits.
func (l Limits) Validate() error {
	switch {
	case l.MemoryBytes < 1<<20 || l.FDs < 8 || l.MaxConns < 1 || l.StreamsPerPeer < 1:
		return fmt.Errorf("%w: Limits: MemoryBytes ≥ 1 MiB, FDs ≥ 8, MaxConns and StreamsPerPeer ≥ 1", ErrConfig)
	case l.ConnsPerIP < 1 || l.ConnRatePerIP <= 0 || l.ConnBurstPerIP < 1:
		return fmt.Errorf("%w: Limits: ConnsPerIP, ConnRatePerIP and ConnBurstPerIP must be positive", ErrConfig)
	case l.ConnLow < 0 || l.ConnHigh < l.ConnLow || l.ConnHigh > l.MaxConns:
		return fmt.Errorf("%w: Limits: need 0 ≤ ConnLow ≤ ConnHigh ≤ MaxConns, have %d, %d, %d", ErrConfig, l.ConnLow, l.ConnHigh, l.MaxConns)
	}
	return nil
}

// resourceManager builds the libp2p resource manager for l.
func (l Limits) resourceManager() (network.ResourceManager, error) {
	base := rcmgr.DefaultLimits
	scaled := base.Scale(l.MemoryBytes, l.FDs)
	conns := rcmgr.LimitVal(l.MaxConns)
	partial := rcmgr.PartialLimitConfig{
		System: rcmgr.ResourceLimits{
			Conns: conns, ConnsInbound: conns, ConnsOutbound: conns,
			Streams: rcmgr.LimitVal(l.MaxConns * l.StreamsPerPeer),
			FD:      rcmgr.LimitVal(l.FDs), Memory: rcmgr.LimitVal64(l.MemoryBytes),
		},
		PeerDefault: rcmgr.ResourceLimits{
			Conns: 8, ConnsInbound: 8, ConnsOutbound: 8,
			Streams: rcmgr.LimitVal(l.StreamsPerPeer),
		},
	}
	limiter := rcmgr.NewFixedLimiter(partial.Build(scaled))
	v4 := []rcmgr.ConnLimitPerSubnet{{PrefixLength: 32, ConnCount: l.ConnsPerIP}}
	v6 := []rcmgr.ConnLimitPerSubnet{{PrefixLength: 56, ConnCount: l.ConnsPerIP}}
	burst := rate.Limit{RPS: l.ConnRatePerIP, Burst: l.ConnBurstPerIP}
	return rcmgr.NewResourceManager(limiter,
		rcmgr.WithLimitPerSubnet(v4, v6),
		// Non-nil empty lists replace the defaults, which exempt loopback.
		rcmgr.WithNetworkPrefixLimit([]rcmgr.NetworkPrefixLimit{}, []rcmgr.NetworkPrefixLimit{}),
		rcmgr.WithConnRateLimiters(&rate.Limiter{
			NetworkPrefixLimits: []rate.PrefixLimit{},
			SubnetRateLimiter: rate.SubnetLimiter{
				IPv4SubnetLimits: []rate.SubnetLimit{{PrefixLength: 32, Limit: burst}},
				IPv6SubnetLimits: []rate.SubnetLimit{{PrefixLength: 56, Limit: burst}},
				GracePeriod:      time.Minute,
			},
		}),
		rcmgr.WithMetricsDisabled(),
	)
}
