// Package inproc is the in-process overlay harness (tier T0'): libp2p
// hosts in one process on go-libp2p's simulated network (simnet, QUIC
// only), meant to run under testing/synctest's virtual time, so that a
// run with thousands of hosts takes minutes and replays with its seed.
//
// A Net is a set of hosts, each with an address, a link (one-way latency
// and bandwidth) and a key of its own. What runs on the hosts is the
// caller's: honest overlays (layers/overlay.Attach), raw-protocol peers,
// adversaries. Deliveries records a gossip workload's outcome, and
// RunScenario runs a testnet scenario's gossip workload end to end.
//
// Everything here must be called inside a synctest bubble: simnet's
// links and libp2p's timers then run on the bubble's fake clock.
package inproc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p"
	coreconnmgr "github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/x/simlibp2p"
	"github.com/marcopolo/simnet"
)

// ErrConfig reports an unusable network description.
var ErrConfig = errors.New("inproc: invalid configuration")

// Unlimited is the link rate of links without a bandwidth (1 Gbit/s), in
// bits per second.
const Unlimited = 1_000_000_000

// DefaultPort is the UDP port hosts listen on unless HostSpec.Port says
// otherwise.
const DefaultPort = 8000

// Link shapes one host's traffic.
type Link struct {
	// Latency is the one-way delay of every packet the host sends.
	Latency time.Duration
	// Bandwidth is the host's uplink and downlink rate in bytes per
	// second; 0 is Unlimited.
	Bandwidth int64
}

// HostSpec describes one host.
type HostSpec struct {
	// IP is the host's address; nil gives host i the address Addr(i).
	// Hosts may share an address if their ports differ (colocation).
	IP net.IP
	// Port is the UDP port (0: DefaultPort).
	Port int
	Link Link
	// Key is the host's identity; nil derives one from the network's seed
	// and the host's index.
	Key crypto.PrivKey
	// ConnLow and ConnHigh are the connection manager's watermarks; both
	// 0 leaves the host without a connection manager (no trimming).
	ConnLow, ConnHigh int
	// Grace is the connection manager's grace period (0: one minute).
	Grace time.Duration
	// Light builds a minimal host (a swarm, QUIC, identify; no services,
	// no connection manager) of about a third of a full host's memory,
	// for raw-protocol peers: to the others it looks like any libp2p
	// peer. It cannot take a connection manager.
	Light bool
}

// Net is a simulated network of libp2p hosts.
type Net struct {
	sim     *simnet.Simnet
	hosts   []host.Host
	specs   []HostSpec
	latency map[string]time.Duration
}

// Addr is the default address of host i: every host gets an IPv4 /16 of
// its own, so per-IP and per-/16 defences (gossipsub's IP colocation
// factor, the DHT's diversity filter) see distinct hosts as distinct. The
// first octets are public ones from 11 to 99 without the legacy class-A
// blocks that the DHT's diversity filter groups by /8 (legacyClassA). It
// supports MaxDefaultAddrs hosts.
func Addr(i int) net.IP {
	return net.IPv4(addrOctets[i/256], byte(i%256), 0, 1)
}

// legacyClassA are the /8 blocks go-libp2p-kbucket's peer-diversity
// filter treats as one group each (peerdiversity.legacyClassA).
var legacyClassA = []byte{12, 17, 19, 38, 48, 53, 56, 73}

// addrOctets are the first octets Addr uses.
var addrOctets = func() []byte {
	var out []byte
	for b := byte(11); b <= 99; b++ {
		if !slices.Contains(legacyClassA, b) {
			out = append(out, b)
		}
	}
	return out
}()

// MaxDefaultAddrs is the number of distinct addresses Addr gives.
var MaxDefaultAddrs = len(addrOctets) * 256

// Key derives host i's identity from seed.
func Key(seed int64, i int) (crypto.PrivKey, error) {
	var k [32]byte
	binary.BigEndian.PutUint64(k[:], uint64(seed))
	binary.BigEndian.PutUint64(k[8:], uint64(i))
	copy(k[16:], "strata-inproc")
	sk, _, err := crypto.GenerateEd25519Key(rand.NewChaCha8(k))
	return sk, err
}

// New builds and starts a network of the given hosts. Call it inside a
// synctest bubble and Close the network before the bubble ends.
func New(seed int64, specs []HostSpec) (*Net, error) {
	n := &Net{specs: make([]HostSpec, len(specs)), latency: make(map[string]time.Duration, len(specs))}
	n.sim = &simnet.Simnet{LatencyFunc: func(p *simnet.Packet) time.Duration {
		if p.From == nil {
			return 0
		}
		return n.latency[p.From.String()]
	}}
	seen := make(map[string]bool, len(specs))
	for i, s := range specs {
		if s.IP == nil {
			if i >= MaxDefaultAddrs {
				return nil, fmt.Errorf("%w: host %d needs an explicit IP (default addresses run out at %d)", ErrConfig, i, MaxDefaultAddrs)
			}
			s.IP = Addr(i)
		}
		if s.Port == 0 {
			s.Port = DefaultPort
		}
		if s.Light && s.ConnHigh > 0 {
			return nil, fmt.Errorf("%w: host %d: a light host has no connection manager", ErrConfig, i)
		}
		if s.ConnLow < 0 || s.ConnHigh < s.ConnLow || s.Link.Latency < 0 || s.Link.Bandwidth < 0 {
			return nil, fmt.Errorf("%w: host %d: negative latency or bandwidth, or connection watermarks out of order", ErrConfig, i)
		}
		addr := &net.UDPAddr{IP: s.IP.To4(), Port: s.Port}
		if addr.IP == nil {
			return nil, fmt.Errorf("%w: host %d: %v is not an IPv4 address", ErrConfig, i, s.IP)
		}
		if seen[addr.String()] {
			return nil, fmt.Errorf("%w: host %d: address %v is taken", ErrConfig, i, addr)
		}
		seen[addr.String()] = true
		n.latency[addr.String()] = s.Link.Latency
		if s.Key == nil {
			k, err := Key(seed, i)
			if err != nil {
				return nil, err
			}
			s.Key = k
		}
		n.specs[i] = s
	}
	for i, s := range n.specs {
		bps := int(s.Link.Bandwidth * 8)
		if bps == 0 {
			bps = Unlimited
		}
		l := simnet.LinkSettings{BitsPerSecond: bps}
		if s.Light {
			h, err := newLightHost(n.sim, s, simnet.NodeBiDiLinkSettings{Uplink: l, Downlink: l})
			if err != nil {
				n.Close()
				return nil, fmt.Errorf("inproc: host %d: %w", i, err)
			}
			n.hosts = append(n.hosts, h)
			continue
		}
		opts := []libp2p.Option{
			libp2p.Identity(s.Key),
			libp2p.ListenAddrStrings(fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", s.IP, s.Port)),
			simlibp2p.QUICSimnet(n.sim, simnet.NodeBiDiLinkSettings{Uplink: l, Downlink: l}),
			// Identify's address discovery stalls synctest bubbles.
			libp2p.DisableIdentifyAddressDiscovery(),
			libp2p.ResourceManager(&network.NullResourceManager{}),
			libp2p.DisableRelay(),
			libp2p.Ping(false),
		}
		if s.ConnHigh > 0 {
			grace := s.Grace
			if grace == 0 {
				grace = time.Minute
			}
			cm, err := connmgr.NewConnManager(s.ConnLow, s.ConnHigh, connmgr.WithGracePeriod(grace))
			if err != nil {
				n.Close()
				return nil, fmt.Errorf("%w: host %d: %w", ErrConfig, i, err)
			}
			opts = append(opts, libp2p.ConnectionManager(cm))
		} else {
			opts = append(opts, libp2p.ConnectionManager(&coreconnmgr.NullConnMgr{}))
		}
		h, err := libp2p.New(opts...)
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("inproc: host %d: %w", i, err)
		}
		n.hosts = append(n.hosts, h)
	}
	n.sim.Start()
	return n, nil
}

// Len is the number of hosts.
func (n *Net) Len() int { return len(n.hosts) }

// Host returns host i.
func (n *Net) Host(i int) host.Host { return n.hosts[i] }

// Spec returns host i's description with its defaults filled in.
func (n *Net) Spec(i int) HostSpec { return n.specs[i] }

// Info returns host i's peer ID and addresses.
func (n *Net) Info(i int) peer.AddrInfo {
	return peer.AddrInfo{ID: n.hosts[i].ID(), Addrs: n.hosts[i].Addrs()}
}

// Connect dials host j from host i.
func (n *Net) Connect(ctx context.Context, i, j int) error {
	if err := n.hosts[i].Connect(ctx, n.Info(j)); err != nil {
		return fmt.Errorf("inproc: host %d → %d: %w", i, j, err)
	}
	return nil
}

// Close stops every host and the network.
func (n *Net) Close() {
	for _, h := range n.hosts {
		h.Close()
	}
	n.sim.Close()
}
