package overlay

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/transport"
	ma "github.com/multiformats/go-multiaddr"
	mafmt "github.com/multiformats/go-multiaddr-fmt"
	manet "github.com/multiformats/go-multiaddr/net"
)

// ConnWrapper wraps every TCP connection of a node, outbound and inbound,
// once it is established and before the libp2p handshake runs over it. It
// is the hook for in-process link shaping (testnet/node); it must return a
// connection whose LocalAddr and RemoteAddr are the wrapped one's.
type ConnWrapper func(c net.Conn, dir network.Direction) net.Conn

// tcpTransport is a libp2p TCP transport that binds every outbound
// connection to the node's own address, so that peers see each node's own
// IP (the kernel would otherwise pick 127.0.0.1 as the source of every
// loopback connection), and passes each connection through a ConnWrapper.
type tcpTransport struct {
	up      transport.Upgrader
	rcmgr   network.ResourceManager
	local   net.IP
	wrap    ConnWrapper
	timeout time.Duration
}

var _ transport.Transport = (*tcpTransport)(nil)

var tcpMatcher = mafmt.And(mafmt.IP, mafmt.Base(ma.P_TCP))

func newTCPTransport(local net.IP, wrap ConnWrapper) func(transport.Upgrader, network.ResourceManager) (*tcpTransport, error) {
	if wrap == nil {
		wrap = func(c net.Conn, _ network.Direction) net.Conn { return c }
	}
	return func(up transport.Upgrader, rm network.ResourceManager) (*tcpTransport, error) {
		return &tcpTransport{up: up, rcmgr: rm, local: local, wrap: wrap, timeout: 5 * time.Second}, nil
	}
}

// Dial opens an outbound connection from the node's own address.
func (t *tcpTransport) Dial(ctx context.Context, raddr ma.Multiaddr, p peer.ID) (transport.CapableConn, error) {
	scope, err := t.rcmgr.OpenConnection(network.DirOutbound, true, raddr)
	if err != nil {
		return nil, err
	}
	c, err := t.dial(ctx, raddr, p, scope)
	if err != nil {
		scope.Done()
		return nil, err
	}
	return c, nil
}

func (t *tcpTransport) dial(ctx context.Context, raddr ma.Multiaddr, p peer.ID, scope network.ConnManagementScope) (transport.CapableConn, error) {
	if err := scope.SetPeer(p); err != nil {
		return nil, err
	}
	netw, host, err := manet.DialArgs(raddr)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: t.timeout, KeepAlive: 30 * time.Second}
	if t.local != nil && !t.local.IsUnspecified() {
		d.LocalAddr = &net.TCPAddr{IP: t.local}
	}
	nc, err := d.DialContext(ctx, netw, host)
	if err != nil {
		return nil, err
	}
	mc, err := manet.WrapNetConn(t.wrap(nc, network.DirOutbound))
	if err != nil {
		nc.Close()
		return nil, err
	}
	dir := network.DirOutbound
	if ok, isClient, _ := network.GetSimultaneousConnect(ctx); ok && !isClient {
		dir = network.DirInbound
	}
	return t.up.Upgrade(ctx, t, mc, dir, p, scope)
}

// CanDial reports whether raddr is a TCP address.
func (t *tcpTransport) CanDial(raddr ma.Multiaddr) bool { return tcpMatcher.Matches(raddr) }

// Listen listens on laddr; accepted connections are wrapped too.
func (t *tcpTransport) Listen(laddr ma.Multiaddr) (transport.Listener, error) {
	ml, err := manet.Listen(laddr)
	if err != nil {
		return nil, err
	}
	return t.up.UpgradeGatedMaListener(t, t.up.GateMaListener(&wrapListener{Listener: ml, wrap: t.wrap})), nil
}

// Protocols returns the TCP protocol code.
func (t *tcpTransport) Protocols() []int { return []int{ma.P_TCP} }

// Proxy reports false: the transport connects directly.
func (t *tcpTransport) Proxy() bool { return false }

func (t *tcpTransport) String() string { return "TCP(strata)" }

type wrapListener struct {
	manet.Listener
	wrap ConnWrapper
}

func (l *wrapListener) Accept() (manet.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	mc, err := manet.WrapNetConn(l.wrap(c, network.DirInbound))
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("overlay: wrapping accepted connection: %w", err)
	}
	return mc, nil
}
