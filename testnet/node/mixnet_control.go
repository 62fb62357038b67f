package node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"time"

	"github.com/strata-lab/strata/layers/mixnet/loopix"
)

// MixnetStatus is the mixnet part of GET /status: the role, the core's
// ledger and the service's counters.
type MixnetStatus struct {
	Role   string       `json:"role"`
	NodeID string       `json:"node_id"`
	Layer  int          `json:"layer,omitempty"`
	Epoch  uint64       `json:"epoch"`
	Ledger MixnetLedger `json:"ledger"`
	// Frames and bytes of link frames received and handed to the links
	// (bytes without the stream's length prefixes); Sent is by class.
	FramesIn  uint64            `json:"frames_in"`
	FramesOut uint64            `json:"frames_out"`
	BytesIn   uint64            `json:"bytes_in"`
	BytesOut  uint64            `json:"bytes_out"`
	Sent      map[string]uint64 `json:"sent"`
	// Drops by reason: the core's (loopix reasons) and the host's
	// (host_queue_full, host_link, host_no_peer, stream_malformed,
	// app_malformed).
	Drops map[string]uint64 `json:"drops"`
	// Queued counts messages accepted by POST /mixnet/send, Delivered the
	// messages handed to this client's application.
	Queued    uint64 `json:"queued"`
	Delivered uint64 `json:"delivered"`
	LoopsBack uint64 `json:"loops_back"`
	Alarms    uint64 `json:"alarms"`
	// Client: messages waiting for a payload tick, what the core sent,
	// and the fraction of its loops back (−1 before any was resolved).
	Waiting    int                 `json:"waiting,omitempty"`
	Client     *loopix.ClientStats `json:"client,omitempty"`
	LoopReturn float64             `json:"loop_return,omitempty"`
	// Mix: packets held now, detector checks, loops sent and the input
	// rate measured this epoch (packets/s).
	Pool         int     `json:"pool,omitempty"`
	Checks       int     `json:"checks,omitempty"`
	LoopsSent    uint64  `json:"loops_sent,omitempty"`
	MeasuredRate float64 `json:"measured_rate,omitempty"`
	// Provider: stored bodies handed to clients.
	Pulled uint64 `json:"pulled,omitempty"`
}

// MixnetLedger is a core's loopix.Ledger: what became of every unit it
// received.
type MixnetLedger struct {
	In        uint64 `json:"in"`
	Forwarded uint64 `json:"forwarded"`
	Stored    uint64 `json:"stored"`
	Delivered uint64 `json:"delivered"`
	Cover     uint64 `json:"cover"`
	Loops     uint64 `json:"loops"`
	Answered  uint64 `json:"answered"`
	Dropped   uint64 `json:"dropped"`
	Held      uint64 `json:"held"`
	Balanced  bool   `json:"balanced"`
}

// MixnetSendRequest is the body of POST /mixnet/send: data for the client
// named To (a name of the address book, or its peer id).
type MixnetSendRequest struct {
	To   string `json:"to"`
	Data []byte `json:"data"`
}

// status reads the service's state on the core goroutine.
func (s *mixnetService) status(ctx context.Context) (*MixnetStatus, error) {
	return onLoop(ctx, s.drv, func(now time.Time) (*MixnetStatus, error) {
		l := s.core.Ledger()
		st := &MixnetStatus{Role: s.cfg.Role, NodeID: s.self.String(), Epoch: s.setup.dir.Epoch,
			Ledger: MixnetLedger{In: l.In, Forwarded: l.Forwarded, Stored: l.Stored, Delivered: l.Delivered, Cover: l.Cover,
				Loops: l.Loops, Answered: l.Answered, Dropped: l.Dropped, Held: l.Held, Balanced: l.Balanced()},
			FramesIn: s.counts.framesIn, FramesOut: s.counts.framesOut, BytesIn: s.counts.bytesIn, BytesOut: s.counts.bytesOut,
			Sent: maps.Clone(s.counts.sent), Drops: maps.Clone(s.counts.drops), Queued: s.counts.queued,
			Delivered: s.counts.delivered, LoopsBack: s.counts.loopsBack, Alarms: s.counts.alarms}
		switch {
		case s.client != nil:
			cs := s.client.Stats()
			st.Client, st.Waiting, st.LoopReturn = &cs, s.client.Queued(), s.client.LoopReturn()
		case s.mix != nil:
			st.Layer, st.Pool, st.LoopsSent = s.mix.Layer(), s.mix.PoolSize(), s.mix.LoopsSent()
			_, st.Checks = s.mix.Alarms()
			st.MeasuredRate = s.mix.MeasuredRate(now).PerSecond()
		case s.prov != nil:
			st.Pulled = s.prov.Pulled()
		}
		return st, nil
	})
}

// mixnetStatus is the mixnet part of GET /status (nil without a mixnet,
// or when the core goroutine does not answer within a second).
func (n *Node) mixnetStatus() *MixnetStatus {
	if n.mixnet == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := n.mixnet.status(ctx)
	if err != nil {
		return nil
	}
	return st
}

// handleMixnetSend queues a message for another client; the reply comes
// once the client core has queued it (it leaves at a payload tick).
func (n *Node) handleMixnetSend(w http.ResponseWriter, r *http.Request) {
	if n.mixnet == nil {
		writeErr(w, http.StatusNotFound, fmt.Errorf("%w: this node runs no mixnet service", ErrMixnet))
		return
	}
	var req MixnetSendRequest
	if err := readJSON(r, &req); err != nil {
		writeErr(w, http.StatusBadRequest, err)
		return
	}
	rep, err := n.mixnet.sendMessage(r.Context(), req.To, req.Data)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, rep)
	case errors.Is(err, loopix.ErrQueueFull), !errors.Is(err, ErrMixnet):
		writeErr(w, http.StatusServiceUnavailable, err)
	case n.mixnet.client == nil:
		writeErr(w, http.StatusNotFound, err)
	default:
		writeErr(w, http.StatusBadRequest, err)
	}
}

// handleMixnetInbox is GET /inbox restricted to mixnet deliveries.
func (n *Node) handleMixnetInbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, _ := strconv.ParseUint(q.Get("since"), 10, 64)
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 10000 {
		limit = 10000
	}
	all, next := n.inbox.since(since, limit, q.Get("data") == "1")
	out := []Delivery{}
	for _, d := range all {
		if d.Kind == "mixnet" {
			out = append(out, d)
		}
	}
	writeJSON(w, http.StatusOK, InboxReply{Deliveries: out, Next: next})
}
