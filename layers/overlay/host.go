package overlay

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	dht "github.com/libp2p/go-libp2p-kad-dht"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/connmgr"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	drouting "github.com/libp2p/go-libp2p/p2p/discovery/routing"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	bconnmgr "github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/quicreuse"
	"github.com/prometheus/client_golang/prometheus"
)

// DHTProtocolPrefix is the Kademlia protocol prefix of Strata networks
// (/strata/kad/1.0.0): a Strata DHT never mixes with the IPFS one.
const DHTProtocolPrefix = "/strata"

// DHTConfig configures discovery by the Kademlia DHT.
type DHTConfig struct {
	// Enabled runs a DHT server and lets gossipsub find topic peers
	// through it (advertise and find by topic name).
	Enabled bool `yaml:"enabled" json:"enabled"`
	// DiversityPerCpl and DiversityPerTable configure the routing table's
	// peer-diversity filter: at most this many peers of one IP group
	// (IPv4 /16, or legacy class-A /8) per common-prefix-length bucket and
	// in the whole table. libp2p's dual DHT uses 2 and 3. Both 0: no filter.
	// Every 127.0.x.y address is in one group (127.0.0.0/16), so with the
	// filter on, a testnet on 127.0.x.y addresses keeps at most
	// DiversityPerTable peers in a routing table.
	DiversityPerCpl   int `yaml:"diversity_per_cpl" json:"diversity_per_cpl"`
	DiversityPerTable int `yaml:"diversity_per_table" json:"diversity_per_table"`
}

// Config configures an overlay node.
type Config struct {
	// IP is the node's own address; every listener binds to it and every
	// outbound TCP connection leaves from it. Required.
	IP netip.Addr
	// TCPPort and QUICPort are the ports to listen on: 0 for any free
	// port, negative to disable the transport. At least one must be on.
	TCPPort, QUICPort int
	// Identity is the node's key (see LoadOrCreateIdentity). Required.
	Identity crypto.PrivKey
	// Params are the gossipsub and score parameters (DefaultParams).
	Params Params
	// Limits are the resource limits (DefaultLimits).
	Limits Limits
	// Topics are joined at start, scored, and the only topics the node
	// tracks subscriptions for. Each must be a canonical topic name.
	Topics []string
	// Validators are application validators by topic (optional).
	Validators map[string]Validator
	// OnInvalid is told of every message a validator rejected or ignored.
	OnInvalid func(topic string, from peer.ID, data []byte, err error)
	// Bootstrap are the peers dialled at start.
	Bootstrap []peer.AddrInfo
	// Direct are gossipsub direct peers: always forwarded to, outside the
	// mesh and the score, and reconnected when the connection drops.
	Direct []peer.AddrInfo
	// DHT configures DHT discovery.
	DHT DHTConfig
	// AppScore is the P5 application-specific score (nil: 0).
	AppScore func(peer.ID) float64
	// ScoringOff runs gossipsub without peer scoring: no score, no
	// thresholds, no graylist. It exists for adversary studies that
	// measure what scoring buys; a deployment keeps scoring on.
	ScoringOff bool
	// Stem configures the stem phase (SPEC.md, "Stem phase"), a
	// Dandelion++-style defence of the publisher's anonymity; off by
	// default.
	Stem StemConfig
	// WrapConn wraps every TCP connection (link shaping); nil: none.
	WrapConn ConnWrapper
	// WrapPacketConn wraps every UDP socket QUIC uses (link shaping);
	// nil: none.
	WrapPacketConn func(net.PacketConn) net.PacketConn
	// Gater vets connections (partitions); nil: all allowed.
	Gater connmgr.ConnectionGater
	// Tracer observes gossipsub events (nil: none).
	Tracer pubsub.RawTracer
	// InspectRPC sees every inbound RPC before gossipsub handles it and
	// may remove messages from it (per-peer rate limits: messages removed
	// here are never marked seen); a non-nil error drops the whole RPC.
	InspectRPC func(peer.ID, *pubsub.RPC) error
	// Registerer receives libp2p's own metrics (nil: disabled).
	Registerer prometheus.Registerer
	// Bandwidth counts bytes per protocol and peer (nil: not counted).
	Bandwidth metrics.Reporter
}

func (c *Config) validate() error {
	if err := c.validateHost(); err != nil {
		return err
	}
	return c.validateGossip()
}

func (c *Config) validateHost() error {
	switch {
	case !c.IP.IsValid():
		return fmt.Errorf("%w: Config.IP is not set", ErrConfig)
	case c.IP.IsUnspecified():
		return fmt.Errorf("%w: Config.IP is %v: bind every node to an address of its own", ErrConfig, c.IP)
	case c.Identity == nil:
		return fmt.Errorf("%w: Config.Identity is not set", ErrConfig)
	case c.TCPPort < 0 && c.QUICPort < 0:
		return fmt.Errorf("%w: both TCP and QUIC are disabled", ErrConfig)
	case c.TCPPort > 65535 || c.QUICPort > 65535:
		return fmt.Errorf("%w: port out of range", ErrConfig)
	case c.DHT.DiversityPerCpl < 0 || c.DHT.DiversityPerTable < 0 || (c.DHT.DiversityPerCpl == 0) != (c.DHT.DiversityPerTable == 0):
		return fmt.Errorf("%w: DHT diversity limits must both be positive or both 0", ErrConfig)
	}
	return c.Limits.Validate()
}

// validateGossip checks what Attach uses: parameters, topics, validators.
func (c *Config) validateGossip() error {
	if err := c.Params.Validate(); err != nil {
		return err
	}
	for _, t := range c.Topics {
		if _, err := ParseTopic(t); err != nil {
			return err
		}
	}
	for t := range c.Validators {
		if !slices.Contains(c.Topics, t) {
			return fmt.Errorf("%w: validator for %s, which is not in Config.Topics", ErrConfig, t)
		}
	}
	if c.Stem.Enabled {
		return c.Stem.Validate()
	}
	return nil
}

// Overlay is a running overlay node: a libp2p host, gossipsub on it, and
// the joined topics.
type Overlay struct {
	Host   host.Host
	PubSub *pubsub.PubSub
	// DHT is nil unless Config.DHT.Enabled.
	DHT *dht.IpfsDHT

	cfg    Config
	topics map[string]*pubsub.Topic
	// ctx ends the overlay's background work (the one New or Attach got).
	ctx context.Context

	mu     sync.Mutex
	scores map[peer.ID]float64
	// stem runs the stem phase; nil unless Config.Stem.Enabled.
	stem *stemRouter
}

// New starts an overlay node: host, DHT (if enabled), gossipsub, the
// configured topics joined with their validators. It does not dial the
// bootstrap peers; call Bootstrap.
func New(ctx context.Context, cfg Config) (*Overlay, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rm, err := cfg.Limits.resourceManager()
	if err != nil {
		return nil, fmt.Errorf("%w: resource manager: %w", ErrConfig, err)
	}
	cm, err := bconnmgr.NewConnManager(cfg.Limits.ConnLow, cfg.Limits.ConnHigh, bconnmgr.WithGracePeriod(time.Duration(cfg.Limits.ConnGrace)))
	if err != nil {
		return nil, fmt.Errorf("%w: connection manager: %w", ErrConfig, err)
	}
	ip := cfg.IP.String()
	proto := "ip4"
	if cfg.IP.Is6() {
		proto = "ip6"
	}
	opts := []libp2p.Option{
		libp2p.Identity(cfg.Identity),
		libp2p.Security(noise.ID, noise.New),
		libp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		libp2p.ResourceManager(rm),
		libp2p.ConnectionManager(cm),
		libp2p.DisableRelay(),
		libp2p.Ping(true),
		libp2p.UserAgent("strata"),
	}
	var listen []string
	if cfg.TCPPort >= 0 {
		opts = append(opts, libp2p.Transport(newTCPTransport(net.IP(cfg.IP.AsSlice()), cfg.WrapConn)))
		listen = append(listen, fmt.Sprintf("/%s/%s/tcp/%d", proto, ip, cfg.TCPPort))
	}
	if cfg.QUICPort >= 0 {
		// Dial QUIC from the node's own address too: without a source
		// selector, quicreuse dials from a socket on 0.0.0.0 and the kernel
		// picks 127.0.0.1 for every loopback peer.
		src := fixedSource(net.IP(cfg.IP.AsSlice()))
		reuse := []quicreuse.Option{quicreuse.OverrideSourceIPSelector(
			func() (quicreuse.SourceIPSelector, error) { return src, nil })}
		if wrap := cfg.WrapPacketConn; wrap != nil {
			reuse = append(reuse, quicreuse.OverrideListenUDP(func(network string, laddr *net.UDPAddr) (net.PacketConn, error) {
				c, err := net.ListenUDP(network, laddr)
				if err != nil {
					return nil, err
				}
				return wrap(c), nil
			}))
		}
		opts = append(opts, libp2p.Transport(quic.NewTransport), libp2p.QUICReuse(quicreuse.NewConnManager, reuse...))
		listen = append(listen, fmt.Sprintf("/%s/%s/udp/%d/quic-v1", proto, ip, cfg.QUICPort))
	}
	opts = append(opts, libp2p.ListenAddrStrings(listen...))
	if cfg.Gater != nil {
		opts = append(opts, libp2p.ConnectionGater(cfg.Gater))
	}
	if cfg.Registerer != nil {
		opts = append(opts, libp2p.PrometheusRegisterer(cfg.Registerer))
	} else {
		opts = append(opts, libp2p.DisableMetrics())
	}
	if cfg.Bandwidth != nil {
		opts = append(opts, libp2p.BandwidthReporter(cfg.Bandwidth))
	}
	h, err := libp2p.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("overlay: starting host on %s: %w", ip, err)
	}
	o := &Overlay{Host: h, cfg: cfg, ctx: ctx, topics: map[string]*pubsub.Topic{}, scores: map[peer.ID]float64{}}
	if err := o.start(ctx); err != nil {
		o.Close()
		return nil, err
	}
	return o, nil
}

func (o *Overlay) start(ctx context.Context) error {
	cfg := o.cfg
	p := cfg.Params
	psOpts := []pubsub.Option{
		pubsub.WithGossipSubParams(p.Gossip.gossipSub()),
		pubsub.WithPeerExchange(p.Gossip.PeerExchange),
		pubsub.WithFloodPublish(p.Gossip.FloodPublish),
		pubsub.WithMessageIdFn(msgIDFn),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithMaxMessageSize(p.MaxMessageBytes + maxRPCOverhead),
		pubsub.WithSeenMessagesTTL(time.Duration(p.SeenTTL)),
		pubsub.WithSubscriptionFilter(pubsub.WrapLimitSubscriptionFilter(
			pubsub.NewAllowlistSubscriptionFilter(cfg.Topics...), maxSubscriptionsPerRPC)),
	}
	if !cfg.ScoringOff {
		psOpts = append(psOpts,
			pubsub.WithPeerScore(p.Score.peerScore(cfg.Topics, cfg.AppScore), p.Thresholds.pubsub()),
			pubsub.WithPeerScoreInspect(o.setScores, time.Second))
	}
	if len(cfg.Direct) > 0 {
		psOpts = append(psOpts, pubsub.WithDirectPeers(cfg.Direct))
	}
	if cfg.Tracer != nil {
		psOpts = append(psOpts, pubsub.WithRawTracer(cfg.Tracer))
	}
	if cfg.InspectRPC != nil {
		psOpts = append(psOpts, pubsub.WithAppSpecificRpcInspector(cfg.InspectRPC))
	}
	if cfg.DHT.Enabled {
		dopts := []dht.Option{
			dht.Mode(dht.ModeServer),
			dht.ProtocolPrefix(DHTProtocolPrefix),
			dht.BootstrapPeers(cfg.Bootstrap...),
		}
		if cfg.DHT.DiversityPerCpl > 0 {
			dopts = append(dopts, dht.RoutingTablePeerDiversityFilter(
				dht.NewRTPeerDiversityFilter(o.Host, cfg.DHT.DiversityPerCpl, cfg.DHT.DiversityPerTable)))
		}
		d, err := dht.New(o.Host, dopts...)
		if err != nil {
			return fmt.Errorf("overlay: starting DHT: %w", err)
		}
		o.DHT = d
		psOpts = append(psOpts, pubsub.WithDiscovery(drouting.NewRoutingDiscovery(d)))
	}
	ps, err := pubsub.NewGossipSub(ctx, o.Host, psOpts...)
	if err != nil {
		return fmt.Errorf("%w: gossipsub: %w", ErrConfig, err)
	}
	o.PubSub = ps
	go o.maintain()
	if cfg.Stem.Enabled {
		if err := o.newStem(); err != nil {
			return err
		}
	}
	for _, t := range cfg.Topics {
		v := topicValidator(p.MaxMessageBytes, cfg.Validators[t], cfg.OnInvalid)
		if o.stem != nil {
			v = o.stem.observe(v)
		}
		if err := ps.RegisterTopicValidator(t, v, pubsub.WithValidatorInline(true)); err != nil {
			return fmt.Errorf("overlay: validator for %s: %w", t, err)
		}
		topic, err := ps.Join(t)
		if err != nil {
			return fmt.Errorf("overlay: joining %s: %w", t, err)
		}
		o.topics[t] = topic
	}
	if o.stem != nil {
		o.Host.SetStreamHandler(StemProtocol, o.stem.handle)
	}
	return nil
}

// fixedSource is a quicreuse.SourceIPSelector that always picks the
// node's own address.
type fixedSource net.IP

func (f fixedSource) PreferredSourceIPForDestination(*net.UDPAddr) (net.IP, error) {
	return net.IP(f), nil
}

// Attach runs the overlay's gossipsub (parameters, scoring, message ids,
// validators, topics) on a host built elsewhere, such as a host on an
// in-process simulated network. It uses Params, Topics, Validators,
// OnInvalid, Direct, AppScore, ScoringOff, Stem and Tracer from cfg; the
// host's transports, identity, limits and discovery are the caller's.
// Closing the Overlay closes the host.
func Attach(ctx context.Context, h host.Host, cfg Config) (*Overlay, error) {
	if err := cfg.validateGossip(); err != nil {
		return nil, err
	}
	cfg.DHT = DHTConfig{}
	o := &Overlay{Host: h, cfg: cfg, ctx: ctx, topics: map[string]*pubsub.Topic{}, scores: map[peer.ID]float64{}}
	if err := o.start(ctx); err != nil {
		return nil, err
	}
	return o, nil
}

// Implementation constants.
const (
	// maxRPCOverhead is the room an RPC needs beyond one message's data
	// (topic, control messages).
	maxRPCOverhead = 64 << 10
	// maxSubscriptionsPerRPC bounds the subscriptions one RPC may carry.
	maxSubscriptionsPerRPC = 100
	// bootstrapRetry is the pause between rounds of bootstrap dials.
	bootstrapRetry = 500 * time.Millisecond
	// maintainInterval is the period of connection maintenance.
	maintainInterval = 5 * time.Second
)

func (o *Overlay) setScores(m map[peer.ID]float64) {
	o.mu.Lock()
	o.scores = m
	o.mu.Unlock()
}

// Scores returns the latest peer scores (refreshed every second; empty
// with Config.ScoringOff).
func (o *Overlay) Scores() map[peer.ID]float64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[peer.ID]float64, len(o.scores))
	for k, v := range o.scores {
		out[k] = v
	}
	return out
}

// Topic returns a joined topic.
func (o *Overlay) Topic(name string) (*pubsub.Topic, error) {
	t := o.topics[name]
	if t == nil {
		return nil, fmt.Errorf("%w: %s (joined: %v)", ErrUnknownTopic, name, o.cfg.Topics)
	}
	return t, nil
}

// Publish validates data with the overlay's rules and publishes it on
// topic. It returns the message id. With the stem phase on
// (Config.Stem), it hands the message to the epoch's stem relay instead,
// and publishes it itself only when no relay takes it or the fail-safe
// fires.
func (o *Overlay) Publish(ctx context.Context, topic string, data []byte) ([MessageIDSize]byte, error) {
	t, err := o.Topic(topic)
	if err != nil {
		return [MessageIDSize]byte{}, err
	}
	if err := Validate(topic, data, o.cfg.Params.MaxMessageBytes); err != nil {
		return [MessageIDSize]byte{}, err
	}
	if o.stem != nil {
		return MessageID(topic, data), o.stem.publish(topic, data)
	}
	return MessageID(topic, data), t.Publish(ctx, data)
}

// Bootstrap dials the bootstrap and direct peers until at least want of
// them are connected (or all, if there are fewer), or ctx ends. Failed
// dials are retried, since peers start in any order; those still missing
// when Bootstrap returns are redialled by the node's connection
// maintenance (see maintain).
func (o *Overlay) Bootstrap(ctx context.Context, want int) error {
	var others []peer.AddrInfo
	for _, p := range slices.Concat(o.cfg.Bootstrap, o.cfg.Direct) {
		if p.ID != o.Host.ID() {
			others = append(others, p)
		}
	}
	if len(others) == 0 {
		return nil
	}
	want = max(1, min(want, len(others)))
	for {
		missing := o.dialMissing(ctx, others)
		if len(others)-len(missing) >= want {
			if o.DHT != nil {
				return o.DHT.Bootstrap(ctx)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("overlay: bootstrap: %d of %d peers reached: %w", len(others)-len(missing), want, ctx.Err())
		case <-time.After(bootstrapRetry):
		}
	}
}

// dialMissing dials every peer of ps that is not connected, in parallel,
// and returns those still not connected.
func (o *Overlay) dialMissing(ctx context.Context, ps []peer.AddrInfo) []peer.AddrInfo {
	var wg sync.WaitGroup
	for _, p := range ps {
		if o.Host.Network().Connectedness(p.ID) == network.Connected {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_ = o.Host.Connect(dctx, p) // checked below: the peer may not be up yet
		}()
	}
	wg.Wait()
	var missing []peer.AddrInfo
	for _, p := range ps {
		if o.Host.Network().Connectedness(p.ID) != network.Connected {
			missing = append(missing, p)
		}
	}
	return missing
}

// maintain keeps the node connected, every maintainInterval until the
// overlay's context ends: it redials the bootstrap and direct peers that
// are not connected (they restarted, or a partition healed), and while
// fewer than D peers are connected it dials up to the missing number of
// other peers whose addresses the peerstore holds (learned by identify,
// peer exchange or the DHT), in random order.
func (o *Overlay) maintain() {
	tk := time.NewTicker(maintainInterval)
	defer tk.Stop()
	for {
		select {
		case <-o.ctx.Done():
			return
		case <-tk.C:
		}
		var ps []peer.AddrInfo
		for _, p := range slices.Concat(o.cfg.Bootstrap, o.cfg.Direct) {
			if p.ID != o.Host.ID() {
				ps = append(ps, p)
			}
		}
		o.dialMissing(o.ctx, ps)
		need := o.cfg.Params.Gossip.D - len(o.Host.Network().Peers())
		if need <= 0 {
			continue
		}
		var cands []peer.AddrInfo
		for _, p := range o.Host.Peerstore().PeersWithAddrs() {
			if p != o.Host.ID() && o.Host.Network().Connectedness(p) != network.Connected {
				cands = append(cands, peer.AddrInfo{ID: p})
			}
		}
		mrand.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
		o.dialMissing(o.ctx, cands[:min(need, len(cands))])
	}
}

// Params returns the node's parameter set.
func (o *Overlay) Params() Params { return o.cfg.Params }

// Close stops the DHT and the host (and with it gossipsub).
func (o *Overlay) Close() error {
	var errs []error
	if o.DHT != nil {
		errs = append(errs, o.DHT.Close())
	}
	errs = append(errs, o.Host.Close())
	return errors.Join(errs...)
}
