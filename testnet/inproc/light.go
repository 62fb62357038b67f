package inproc

import (
	"fmt"
	"net"

	"github.com/libp2p/go-libp2p/config"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
	"github.com/libp2p/go-libp2p/core/record"
	blankhost "github.com/libp2p/go-libp2p/p2p/host/blank"
	"github.com/libp2p/go-libp2p/p2p/host/eventbus"
	"github.com/libp2p/go-libp2p/p2p/host/peerstore/pstoremem"
	"github.com/libp2p/go-libp2p/p2p/net/swarm"
	"github.com/libp2p/go-libp2p/p2p/protocol/identify"
	libp2pquic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	"github.com/marcopolo/simnet"
	ma "github.com/multiformats/go-multiaddr"
)

// lightHost is a minimal libp2p host (HostSpec.Light): a swarm with QUIC
// on the simulated network, multistream protocol negotiation, and
// identify, which tells peers its protocols, listen addresses and signed
// peer record as a full host's does. It runs none of the services
// a full host starts (address discovery, NAT, relay, AutoNAT, hole
// punching, ping) and has no connection or resource manager. Built
// without libp2p's dependency-injection constructor, it holds about a
// third of a full host's memory when idle (147 against 431 KiB measured
// with go-libp2p's own blank host), which is what lets tens of thousands
// of raw-protocol peers share one process.
type lightHost struct {
	*blankhost.BlankHost
	ps   peerstore.Peerstore
	quic *quicreuse.ConnManager
	ids  identify.IDService
}

func (h *lightHost) Close() error {
	err := h.BlankHost.Close()
	h.ids.Close()
	h.quic.Close()
	h.ps.Close()
	return err
}

// sourceIP answers quic-go's question of which source address to use
// with the host's own.
type sourceIP net.IP

func (s sourceIP) PreferredSourceIPForDestination(*net.UDPAddr) (net.IP, error) {
	return net.IP(s), nil
}

func newLightHost(sim *simnet.Simnet, s HostSpec, link simnet.NodeBiDiLinkSettings) (host.Host, error) {
	id, err := peer.IDFromPrivateKey(s.Key)
	if err != nil {
		return nil, err
	}
	ps, err := pstoremem.NewPeerstore()
	if err != nil {
		return nil, err
	}
	h := &lightHost{ps: ps}
	fail := func(err error) (host.Host, error) {
		if h.BlankHost != nil {
			h.BlankHost.Close()
		}
		if h.quic != nil {
			h.quic.Close()
		}
		ps.Close()
		return nil, err
	}
	if err := ps.AddPrivKey(id, s.Key); err != nil {
		return fail(err)
	}
	if err := ps.AddPubKey(id, s.Key.GetPublic()); err != nil {
		return fail(err)
	}
	bus := eventbus.NewBus()
	sw, err := swarm.NewSwarm(id, ps, bus)
	if err != nil {
		return fail(err)
	}
	reset, err := config.PrivKeyToStatelessResetKey(s.Key)
	if err != nil {
		return fail(err)
	}
	token, err := config.PrivKeyToTokenGeneratorKey(s.Key)
	if err != nil {
		return fail(err)
	}
	ip := s.IP.To4()
	h.quic, err = quicreuse.NewConnManager(reset, token,
		quicreuse.OverrideSourceIPSelector(func() (quicreuse.SourceIPSelector, error) { return sourceIP(ip), nil }),
		quicreuse.OverrideListenUDP(func(_ string, addr *net.UDPAddr) (net.PacketConn, error) {
			return sim.NewEndpoint(addr, link), nil
		}))
	if err != nil {
		return fail(err)
	}
	tr, err := libp2pquic.NewTransport(s.Key, h.quic, nil, nil, &network.NullResourceManager{})
	if err != nil {
		return fail(err)
	}
	if err := sw.AddTransport(tr); err != nil {
		return fail(err)
	}
	listen, err := ma.NewMultiaddr(fmt.Sprintf("/ip4/%s/udp/%d/quic-v1", ip, s.Port))
	if err != nil {
		return fail(err)
	}
	if err := sw.Listen(listen); err != nil {
		return fail(err)
	}
	h.BlankHost = blankhost.NewBlankHost(sw, blankhost.WithEventBus(bus))
	// The signed peer record a full host keeps of itself, which identify
	// sends.
	env, err := record.Seal(&peer.PeerRecord{PeerID: id, Addrs: sw.ListenAddresses(), Seq: peer.TimestampSeq()}, s.Key)
	if err != nil {
		return fail(err)
	}
	cab, ok := peerstore.GetCertifiedAddrBook(ps)
	if !ok {
		return fail(fmt.Errorf("inproc: the peerstore keeps no signed records"))
	}
	if _, err := cab.ConsumePeerRecord(env, peerstore.PermanentAddrTTL); err != nil {
		return fail(err)
	}
	if h.ids, err = identify.NewIDService(h.BlankHost); err != nil {
		return fail(err)
	}
	h.ids.Start()
	return h, nil
}
