package node

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// gater applies partitions: connections to and from blocked IP addresses
// are refused at every stage libp2p offers (dial, accept, after the
// handshake). An empty set heals the partition.
type gater struct {
	mu      sync.RWMutex
	blocked map[string]bool
}

func newGater() *gater { return &gater{blocked: map[string]bool{}} }

func (g *gater) set(ips []string) {
	m := make(map[string]bool, len(ips))
	for _, ip := range ips {
		m[ip] = true
	}
	g.mu.Lock()
	g.blocked = m
	g.mu.Unlock()
}

func (g *gater) list() []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]string, 0, len(g.blocked))
	for ip := range g.blocked {
		out = append(out, ip)
	}
	return out
}

func (g *gater) blockedAddr(a ma.Multiaddr) bool {
	ip, err := manet.ToIP(a)
	if err != nil {
		return false
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.blocked[ip.String()]
}

// InterceptPeerDial allows every peer: partitions are by address.
func (g *gater) InterceptPeerDial(peer.ID) bool { return true }

// InterceptAddrDial refuses dials to blocked addresses.
func (g *gater) InterceptAddrDial(_ peer.ID, a ma.Multiaddr) bool { return !g.blockedAddr(a) }

// InterceptAccept refuses connections from blocked addresses.
func (g *gater) InterceptAccept(c network.ConnMultiaddrs) bool {
	return !g.blockedAddr(c.RemoteMultiaddr())
}

// InterceptSecured refuses, after the handshake, connections whose remote
// address became blocked meanwhile.
func (g *gater) InterceptSecured(_ network.Direction, _ peer.ID, c network.ConnMultiaddrs) bool {
	return !g.blockedAddr(c.RemoteMultiaddr())
}

// InterceptUpgraded allows every upgraded connection.
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
