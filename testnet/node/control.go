package node

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"slices"
	"strconv"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/ping"
	manet "github.com/multiformats/go-multiaddr/net"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/strata-lab/strata/layers/overlay"
)

// maxRequestBytes bounds a control API request body.
const maxRequestBytes = 2 << 20

// Status is the reply of GET /status.
type Status struct {
	Name        string   `json:"name"`
	PeerID      string   `json:"peer_id"`
	Addrs       []string `json:"addrs"`
	PID         int      `json:"pid"`
	UptimeSec   float64  `json:"uptime_s"`
	Peers       int      `json:"peers"`
	Topics      []string `json:"topics"`
	SyncGroups  []string `json:"sync_groups,omitempty"`
	SyncError   string   `json:"sync_error,omitempty"`
	TraceErrors int      `json:"trace_errors"`
	BytesIn     int64    `json:"bytes_in"`
	BytesOut    int64    `json:"bytes_out"`
	Behaviour   string   `json:"behaviour,omitempty"`
	// Mixnet is the mixnet service's state (absent without one).
	Mixnet *MixnetStatus `json:"mixnet,omitempty"`
}

// PeerInfo is one entry of GET /peers.
type PeerInfo struct {
	ID        string   `json:"id"`
	Addrs     []string `json:"addrs"`
	Class     string   `json:"class,omitempty"`
	Score     float64  `json:"score"`
	LatencyMS float64  `json:"latency_ms"`
	// Topics are the joined topics the peer subscribes to.
	Topics []string `json:"topics,omitempty"`
}

// PublishRequest is the body of POST /publish (gossip) and POST /send
// (sync: Topic is the group name).
type PublishRequest struct {
	Topic string `json:"topic"`
	Data  []byte `json:"data"`
}

// PublishReply is the reply of POST /publish and POST /send.
type PublishReply struct {
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
}

// InboxReply is the reply of GET /inbox.
type InboxReply struct {
	Deliveries []Delivery `json:"deliveries"`
	Next       uint64     `json:"next"`
}

// LinksRequest is the body of PUT /links.
type LinksRequest struct {
	Rules   []LinkRule        `json:"rules"`
	Classes map[string]string `json:"classes,omitempty"`
}

// PartitionRequest is the body of PUT /partition: the IP addresses this
// node must not be connected to (empty heals).
type PartitionRequest struct {
	Blocked []string `json:"blocked"`
}

// PingReply is the reply of POST /ping.
type PingReply struct {
	RTTs []float64 `json:"rtt_ms"`
}

func (n *Node) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", n.handleStatus)
	mux.HandleFunc("GET /peers", n.handlePeers)
	mux.HandleFunc("POST /publish", n.handlePublish)
	mux.HandleFunc("POST /send", n.handleSend)
	mux.HandleFunc("GET /inbox", n.handleInbox)
	mux.HandleFunc("GET /links", n.handleGetLinks)
	mux.HandleFunc("PUT /links", n.handlePutLinks)
	mux.HandleFunc("GET /partition", n.handleGetPartition)
	mux.HandleFunc("PUT /partition", n.handlePutPartition)
	mux.HandleFunc("GET /sync/state", n.handleSyncState)
	mux.HandleFunc("POST /session/send", n.handleSessionSend)
	mux.HandleFunc("POST /mixnet/send", n.handleMixnetSend)
	mux.HandleFunc("GET /mixnet/inbox", n.handleMixnetInbox)
	mux.HandleFunc("POST /ping", n.handlePing)
	mux.HandleFunc("POST /shutdown", n.handleShutdown)
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func readJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxRequestBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: request body: %v", ErrConfig, err)
	}
	return nil
}

func (n *Node) status() Status {
	h := n.ov.Host
	var addrs []string
	for _, a := range h.Addrs() {
		addrs = append(addrs, a.String())
	}
	bw := n.bw.GetBandwidthTotals()
	s := Status{
		Name: n.cfg.Name, PeerID: h.ID().String(), Addrs: addrs, PID: osPID(),
		UptimeSec: time.Since(n.started).Seconds(), Peers: len(h.Network().Peers()),
		Topics: n.topics, TraceErrors: n.trace.errors(), BytesIn: bw.TotalIn, BytesOut: bw.TotalOut,
		Behaviour: n.cfg.Behaviour, Mixnet: n.mixnetStatus(),
	}
	if n.sync != nil {
		for name := range n.sync.groups {
			s.SyncGroups = append(s.SyncGroups, name)
		}
		slices.Sort(s.SyncGroups)
		if err := n.sync.health(); err != nil {
			s.SyncError = err.Error()
		}
	}
	return s
}

func (n *Node) handleStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, n.status())
}

func (n *Node) handlePeers(w http.ResponseWriter, _ *http.Request) {
	h := n.ov.Host
	scores := n.ov.Scores()
	_, classes := n.links.snapshot()
	topics := map[peer.ID][]string{}
	for _, t := range n.topics {
		for _, p := range n.ov.PubSub.ListPeers(t) {
			topics[p] = append(topics[p], t)
		}
	}
	out := []PeerInfo{}
	for _, p := range h.Network().Peers() {
		pi := PeerInfo{ID: p.String(), Score: scores[p], LatencyMS: float64(h.Peerstore().LatencyEWMA(p)) / 1e6, Topics: topics[p]}
		for _, c := range h.Network().ConnsToPeer(p) {
			pi.Addrs = append(pi.Addrs, c.RemoteMultiaddr().String())
			if ip, err := manet.ToIP(c.RemoteMultiaddr()); err == nil && pi.Class == "" {
				pi.Class = classes[ip.String()]
			}
		}
		out = append(out, pi)
	}
	slices.SortFunc(out, func(a, b PeerInfo) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) handlePublish(w http.ResponseWriter, r *http.Request) {
	var req PublishRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	now := time.Now()
	id, err := n.ov.Publish(r.Context(), req.Topic, req.Data)
	switch {
	case errors.Is(err, overlay.ErrUnknownTopic):
		writeErr(w, http.StatusNotFound, err)
		return
	case errors.Is(err, overlay.ErrTopic), errors.Is(err, overlay.ErrEmpty), errors.Is(err, overlay.ErrTooLarge):
		writeErr(w, http.StatusBadRequest, err)
		return
	case err != nil:
		writeErr(w, http.StatusServiceUnavailable, err)
		return
	}
	n.metrics.published.Inc()
	hid := hex.EncodeToString(id[:])
	n.trace.emit(traceSend(now, hid, len(req.Data), req.Topic))
	writeJSON(w, http.StatusOK, PublishReply{ID: hid, Time: now})
}

func (n *Node) handleSend(w http.ResponseWriter, r *http.Request) {
	if n.sync == nil {
		writeErr(w, http.StatusNotFound, fmt.Errorf("%w: this node runs no sync service", ErrSync))
		return
	}
	var req PublishRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	now := time.Now()
	id, err := n.sync.send(r.Context(), req.Topic, req.Data)
	if err != nil {
		code := http.StatusServiceUnavailable
		if errors.Is(err, ErrSync) {
			code = http.StatusBadRequest
		}
		writeErr(w, code, err)
		return
	}
	writeJSON(w, http.StatusOK, PublishReply{ID: hex.EncodeToString(id[:]), Time: now})
}

func (n *Node) handleInbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, _ := strconv.ParseUint(q.Get("since"), 10, 64)
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 10000 {
		limit = 10000
	}
	ds, next := n.inbox.since(since, limit, q.Get("data") == "1")
	if ds == nil {
		ds = []Delivery{}
	}
	writeJSON(w, http.StatusOK, InboxReply{Deliveries: ds, Next: next})
}

func (n *Node) handleGetLinks(w http.ResponseWriter, _ *http.Request) {
	rules, classes := n.links.snapshot()
	writeJSON(w, http.StatusOK, LinksRequest{Rules: rules, Classes: classes})
}

func (n *Node) handlePutLinks(w http.ResponseWriter, r *http.Request) {
	var req LinksRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	if err := n.links.set(req.Rules, req.Classes); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	n.trace.emit(traceState(fmt.Sprintf("links %d rules", len(req.Rules))))
	n.handleGetLinks(w, r)
}

func (n *Node) handleGetPartition(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, PartitionRequest{Blocked: n.gate.list()})
}

func (n *Node) handlePutPartition(w http.ResponseWriter, r *http.Request) {
	var req PartitionRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	for _, ip := range req.Blocked {
		if net.ParseIP(ip) == nil {
			writeErr(w, http.StatusBadRequest, fmt.Errorf("%w: %q is not an IP address", ErrConfig, ip))
			return
		}
	}
	n.gate.set(req.Blocked)
	// Existing connections to blocked addresses are closed.
	for _, c := range n.ov.Host.Network().Conns() {
		if n.gate.blockedAddr(c.RemoteMultiaddr()) {
			c.Close()
		}
	}
	n.trace.emit(traceState(fmt.Sprintf("partition %d blocked", len(req.Blocked))))
	writeJSON(w, http.StatusOK, PartitionRequest{Blocked: n.gate.list()})
}

func (n *Node) handleSyncState(w http.ResponseWriter, _ *http.Request) {
	if n.sync == nil {
		writeErr(w, http.StatusNotFound, fmt.Errorf("%w: this node runs no sync service", ErrSync))
		return
	}
	st, err := n.sync.state()
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	out := map[string]map[string]int{}
	for g, c := range st {
		out[g] = map[string]int{"messages": c[0], "delivered": c[1]}
	}
	writeJSON(w, http.StatusOK, out)
}

// handlePing measures round trips to a connected peer with libp2p's ping
// protocol: {"peer": id, "count": n}.
func (n *Node) handlePing(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Peer  string `json:"peer"`
		Count int    `json:"count"`
	}
	if err := readJSON(r, &req); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	p, err := peer.Decode(req.Peer)
	if err != nil {
		writeErr(w, http.StatusBadRequest, fmt.Errorf("%w: peer: %v", ErrConfig, err))
		return
	}
	count := min(max(req.Count, 1), 100)
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	var out PingReply
	for res := range ping.Ping(ctx, n.ov.Host, p) {
		if res.Error != nil {
			writeErr(w, http.StatusServiceUnavailable, res.Error)
			return
		}
		out.RTTs = append(out.RTTs, float64(res.RTT)/1e6)
		if len(out.RTTs) == count {
			break
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (n *Node) handleShutdown(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "stopping"})
	go func() {
		time.Sleep(50 * time.Millisecond) // let the reply leave
		n.stop()
	}()
}

// SessionSendRequest is the body of POST /session/send. Peer is a peer
// id, or a multiaddr ending in /p2p/<peer id> that tells the node where
// to reach the peer.
type SessionSendRequest struct {
	Peer string `json:"peer"`
	Data []byte `json:"data"`
}

// handleSessionSend encrypts data for a peer over the session service and
// answers once the peer has decrypted it.
func (n *Node) handleSessionSend(w http.ResponseWriter, r *http.Request) {
	if n.sessions == nil {
		writeErr(w, http.StatusNotFound, fmt.Errorf("%w: this node runs no session service", ErrSession))
		return
	}
	var req SessionSendRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	m, err := parseMember(req.Peer)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	if len(m.addrs) > 0 {
		n.ov.Host.Peerstore().AddAddrs(m.id, m.addrs, 10*time.Minute)
	}
	now := time.Now()
	id, err := n.sessions.send(r.Context(), m.id, req.Data)
	if err != nil {
		writeErr(w, http.StatusServiceUnavailable, err)
		return
	}
	writeJSON(w, http.StatusOK, PublishReply{ID: id, Time: now})
}
