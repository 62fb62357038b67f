package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/overlay"
)

// ControlAddrFile is written to the data directory once the node is
// ready; it holds the control API's host:port.
const ControlAddrFile = "control.addr"

// Options are what the node runtime takes from its host program.
type Options struct {
	// Behaviours are the behaviours a configuration may name.
	Behaviours map[string]BehaviourFactory
	// Logger receives the node's log (nil: slog.Default()).
	Logger *slog.Logger
}

// Node is a running node.
type Node struct {
	cfg       Config
	dataDir   string
	log       *slog.Logger
	ov        *overlay.Overlay
	trace     *traceLog
	inbox     *inbox
	metrics   *nodeMetrics
	bw        *metrics.BandwidthCounter
	links     *linkTable
	gate      *gater
	sync      *syncService
	sessions  *sessionService
	mixnet    *mixnetService
	behaviour Behaviour
	started   time.Time
	stop      context.CancelFunc
	topics    []string // application topics (not sync)
}

// seededReader is a deterministic byte stream for identity generation.
type seededReader struct{ r *rand.ChaCha8 }

func newSeededReader(seed int64, domain byte) *seededReader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(uint64(seed) >> (8 * i))
	}
	s[31] = domain
	return &seededReader{rand.NewChaCha8(s)}
}

func (r *seededReader) Read(p []byte) (int, error) { return r.r.Read(p) }

// Run starts a node from cfg with its state in dataDir, serves until ctx
// ends or the control API is told to shut down, then stops cleanly.
func Run(ctx context.Context, cfg Config, dataDir string, opts Options) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n, err := start(ctx, cfg, dataDir, opts)
	if err != nil {
		return err
	}
	n.stop = cancel
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.IP, fmt.Sprint(cfg.ControlPort)))
	if err != nil {
		n.close()
		return fmt.Errorf("node: control API: %w", err)
	}
	srv := &http.Server{Handler: n.handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	if err := os.WriteFile(filepath.Join(dataDir, ControlAddrFile), []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		srv.Close()
		n.close()
		return err
	}
	n.trace.emit(trace.Event{Layer: "node", Kind: trace.KindState, Detail: "ready " + ln.Addr().String()})
	n.log.Info("node ready", "name", cfg.Name, "peer", n.ov.Host.ID(), "control", ln.Addr().String())
	<-ctx.Done()
	sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer scancel()
	srv.Shutdown(sctx)
	return n.close()
}

func start(ctx context.Context, cfg Config, dataDir string, opts Options) (*Node, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	// A control address left by an earlier run is stale until this one
	// is ready.
	if err := os.Remove(filepath.Join(dataDir, ControlAddrFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	sk, _, err := overlay.LoadOrCreateIdentity(dataDir, newSeededReader(cfg.Seed, 'i'))
	if err != nil {
		return nil, err
	}
	b, err := newBehaviour(cfg.Behaviour, cfg.BehaviourParams, opts.Behaviours)
	if err != nil {
		return nil, err
	}
	tl, err := openTrace(filepath.Join(dataDir, TraceFile), cfg.Name)
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg: cfg, dataDir: dataDir, log: log, trace: tl, inbox: newInbox(cfg.InboxSize),
		bw: metrics.NewBandwidthCounter(), links: newLinkTable(cfg.Links, cfg.Classes, cfg.Seed),
		gate: newGater(), behaviour: b, started: time.Now(), topics: cfg.Topics,
	}
	n.metrics = newMetrics(n.bw, func() float64 {
		if n.ov == nil {
			return 0
		}
		return float64(len(n.ov.Host.Network().Peers()))
	})
	limits := overlay.DefaultLimits()
	if cfg.Limits != nil {
		limits = *cfg.Limits
	}
	boot, err := addrInfos(cfg.Bootstrap)
	if err != nil {
		tl.close()
		return nil, err
	}
	direct, err := addrInfos(cfg.Direct)
	if err != nil {
		tl.close()
		return nil, err
	}
	topics := slices.Concat(cfg.Topics, cfg.Sync.syncTopics())
	var validators map[string]overlay.Validator
	if f, ok := b.(InboundFilter); ok {
		validators = map[string]overlay.Validator{}
		for _, t := range cfg.Topics {
			validators[t] = f.Inbound
		}
	}
	ov, err := overlay.New(ctx, overlay.Config{
		IP: netip.MustParseAddr(cfg.IP), TCPPort: cfg.TCPPort, QUICPort: cfg.QUICPort, Identity: sk,
		Params: overlay.DefaultParams(), Limits: limits, Topics: topics, Validators: validators,
		Bootstrap: boot, Direct: direct, DHT: cfg.DHT,
		WrapConn: n.links.wrap, WrapPacketConn: n.links.wrapPacket, Gater: n.gate, Tracer: gossipTracer{n}, Bandwidth: n.bw,
	})
	if err != nil {
		tl.close()
		return nil, err
	}
	n.ov = ov
	n.ov.Host.Network().Notify(&network.NotifyBundle{
		ConnectedF: func(_ network.Network, c network.Conn) {
			n.trace.emit(trace.Event{Layer: "overlay", Kind: trace.KindState, Peer: c.RemotePeer().String(), Detail: "connected " + c.RemoteMultiaddr().String()})
		},
		DisconnectedF: func(_ network.Network, c network.Conn) {
			n.trace.emit(trace.Event{Layer: "overlay", Kind: trace.KindState, Peer: c.RemotePeer().String(), Detail: "disconnected"})
		},
	})
	// Application topics are subscribed so that their messages are
	// delivered (the tracer records them).
	for _, t := range cfg.Topics {
		topic, err := ov.Topic(t)
		if err != nil {
			n.close()
			return nil, err
		}
		sub, err := topic.Subscribe()
		if err != nil {
			n.close()
			return nil, err
		}
		go func() {
			defer sub.Cancel()
			for {
				if _, err := sub.Next(ctx); err != nil {
					return
				}
			}
		}()
	}
	if cfg.Sync.Transport != "" {
		s, err := newSyncService(n, cfg.Sync, dataDir, cfg.Seed)
		if err != nil {
			n.close()
			return nil, err
		}
		n.sync = s
		if err := s.start(ctx); err != nil {
			n.close()
			return nil, err
		}
	}
	if cfg.Sessions {
		s, err := newSessionService(n, dataDir)
		if err != nil {
			n.close()
			return nil, err
		}
		n.sessions = s
	}
	if cfg.Mixnet.Role != "" {
		s, err := newMixnetService(n, cfg.Mixnet, cfg.Seed)
		if err != nil {
			n.close()
			return nil, err
		}
		n.mixnet = s
	}
	if b != nil {
		env := Env{Name: cfg.Name, Host: ov.Host, PubSub: ov.PubSub, Overlay: ov, Topics: cfg.Topics, Trace: n.trace.emit}
		if err := b.Start(ctx, env); err != nil {
			n.close()
			return nil, fmt.Errorf("node: behaviour %s: %w", cfg.Behaviour, err)
		}
	}
	bctx, bcancel := context.WithTimeout(ctx, 60*time.Second)
	defer bcancel()
	if err := ov.Bootstrap(bctx, cfg.BootstrapMin); err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

func addrInfos(addrs []string) ([]peer.AddrInfo, error) {
	var out []peer.AddrInfo
	for _, a := range addrs {
		ai, err := peer.AddrInfoFromString(a)
		if err != nil {
			return nil, fmt.Errorf("%w: peer address %q: %v", ErrConfig, a, err)
		}
		out = append(out, *ai)
	}
	return out, nil
}

// syncTopic reports whether topic carries sync envelopes.
func (n *Node) syncTopic(topic string) bool {
	return n.sync != nil && n.sync.topics[topic] != ""
}

// close stops everything in reverse order of start.
func (n *Node) close() error {
	var errs []error
	if n.mixnet != nil {
		errs = append(errs, n.mixnet.close())
	}
	if n.ov != nil {
		errs = append(errs, n.ov.Close())
	}
	if n.sync != nil {
		errs = append(errs, n.sync.close())
	}
	if n.sessions != nil {
		errs = append(errs, n.sessions.close())
	}
	n.trace.emit(trace.Event{Layer: "node", Kind: trace.KindState, Detail: "stopped"})
	errs = append(errs, n.trace.close())
	return errors.Join(errs...)
}
