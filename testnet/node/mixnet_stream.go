package node

import (
	"bufio"
	"context"
	"errors"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/mixnet/loopix"
)

// mixDialTimeout bounds opening a stream to a neighbour (dialling it if
// it is not connected); after a failed attempt the sender waits
// mixRedial before the next, dropping the frames of that time.
const (
	mixDialTimeout = 5 * time.Second
	mixRedial      = time.Second
)

// errMixRedial is why a frame is dropped while a sender waits to redial.
var errMixRedial = errors.New("node: mixnet neighbour unreachable; waiting to redial")

// handleStream reads frames from a neighbour's stream until it ends. The
// frames are attributed to the node id of the peer the connection
// authenticated; the core decides whether that peer may send them.
func (s *mixnetService) handleStream(st network.Stream) {
	defer st.Close()
	p := st.Conn().RemotePeer()
	r := bufio.NewReaderSize(st, 64<<10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.drv.done:
			st.Reset()
		case <-ctx.Done():
		}
	}()
	for {
		frame, err := loopix.ReadStreamFrame(r, s.limit)
		if err != nil {
			if errors.Is(err, loopix.ErrMalformed) {
				st.Reset()
				s.drv.post(ctx, func(now time.Time) {
					s.drop(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindDrop, Reason: trace.ReasonMalformed, Peer: p.String(),
						Detail: err.Error()}, mixDropStream)
				})
			}
			return // io.EOF, a reset, or the node stopping
		}
		if err := s.receive(ctx, p, frame); err != nil {
			return
		}
	}
}

// streamSender writes queued frames (already framed) to p over one
// stream that stays open, reopening it after an error. A frame that
// cannot be written on a fresh stream either is dropped with a reason.
func (s *mixnetService) streamSender(p peer.ID, q chan []byte) {
	h := s.n.ov.Host
	var st network.Stream
	var redial time.Time
	open := func() error {
		if time.Now().Before(redial) {
			return errMixRedial
		}
		// The sender paces its own redials: libp2p's dial backoff (5 s and
		// growing) would keep a neighbour that has just come up
		// unreachable for longer.
		ctx, cancel := context.WithTimeout(network.WithForceDirectDial(context.Background(), "strata-mixnet"), mixDialTimeout)
		defer cancel()
		var err error
		st, err = h.NewStream(ctx, p, MixnetProtocol)
		if err != nil {
			st = nil
			redial = time.Now().Add(mixRedial)
		}
		return err
	}
	write := func(buf []byte) error {
		st.SetWriteDeadline(time.Now().Add(streamDeadline))
		_, err := st.Write(buf)
		if err != nil {
			st.Reset()
			st = nil
		}
		return err
	}
	for buf := range q {
		var err error
		for attempt := 0; attempt < 2; attempt++ {
			if st == nil {
				if err = open(); err != nil {
					break
				}
			}
			if err = write(buf); err == nil {
				break
			}
		}
		if err != nil {
			reason := trace.ReasonLinkLoss
			if st == nil && h.Network().Connectedness(p) != network.Connected {
				reason = trace.ReasonNodeOffline
			}
			size := len(buf) - loopix.StreamHeaderSize
			detail := err.Error()
			// The counters belong to the core goroutine.
			_ = s.drv.post(context.Background(), func(now time.Time) { // fails only once the service stopped
				s.drop(trace.Event{Time: now, Layer: "mixnet", Kind: trace.KindDrop, Reason: reason, Peer: p.String(), Bytes: size, Detail: detail}, mixDropLink)
			})
		}
	}
	if st != nil {
		st.Close()
	}
}
