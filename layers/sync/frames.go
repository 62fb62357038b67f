package sync

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Wire field numbers of Frame (pb/sync.proto).
const (
	fieldVersion   = 1
	fieldAcks      = 2
	fieldOffers    = 3
	fieldRequests  = 4
	fieldMessages  = 5
	fieldReconcile = 6
)

var idEntrySize = protowire.SizeTag(fieldAcks) + protowire.SizeBytes(IDSize)

// messageSize is the encoded size of m inside a Frame, tag and length included.
func messageSize(m *Message) int {
	n := protowire.SizeTag(1) + protowire.SizeBytes(IDSize)
	if m.Timestamp != 0 {
		n += protowire.SizeTag(2) + protowire.SizeVarint(m.Timestamp)
	}
	if len(m.Body) > 0 {
		n += protowire.SizeTag(3) + protowire.SizeBytes(len(m.Body))
	}
	n += len(m.Parents) * (protowire.SizeTag(4) + protowire.SizeBytes(IDSize))
	if m.Ephemeral {
		n += protowire.SizeTag(5) + 1
	}
	return protowire.SizeTag(fieldMessages) + protowire.SizeBytes(n)
}

func roundSize(gr *GroupRound) int {
	return protowire.SizeTag(fieldReconcile) + protowire.SizeBytes(proto.Size(roundToPB(gr)))
}

// frameBuilder packs parts into frames within the size and count limits.
type frameBuilder struct {
	limit  int
	frames []Frame
	stats  []FrameStats
	size   int
}

func (fb *frameBuilder) cur(need int) (*Frame, *FrameStats) {
	if len(fb.frames) == 0 || fb.size+need > fb.limit {
		fb.frames = append(fb.frames, Frame{})
		fb.stats = append(fb.stats, FrameStats{})
		fb.size = protowire.SizeTag(fieldVersion) + protowire.SizeVarint(Version)
	}
	fb.size += need
	return &fb.frames[len(fb.frames)-1], &fb.stats[len(fb.stats)-1]
}

func (fb *frameBuilder) ids(kind int, ids []ID) {
	list := func(f *Frame) *[]ID {
		switch kind {
		case fieldAcks:
			return &f.Acks
		case fieldOffers:
			return &f.Offers
		}
		return &f.Requests
	}
	for _, id := range ids {
		f, s := fb.cur(idEntrySize)
		if len(*list(f)) == MaxIDsPerList {
			fb.size = fb.limit // the list is full: start a new frame
			f, s = fb.cur(idEntrySize)
		}
		l := list(f)
		*l = append(*l, id)
		switch kind {
		case fieldAcks:
			s.Acks, s.AckBytes = s.Acks+1, s.AckBytes+idEntrySize
		case fieldOffers:
			s.Offers, s.OfferBytes = s.Offers+1, s.OfferBytes+idEntrySize
		default:
			s.Requests, s.RequestBytes = s.Requests+1, s.RequestBytes+idEntrySize
		}
	}
}

func (fb *frameBuilder) msg(m Message) {
	n := messageSize(&m)
	f, s := fb.cur(n)
	if len(f.Messages) == MaxMessagesPerFrame {
		fb.size = fb.limit
		f, s = fb.cur(n)
	}
	f.Messages = append(f.Messages, m)
	s.Messages++
	s.MessageBytes += n
	s.BodyBytes += len(m.Body)
}

func (fb *frameBuilder) round(gr GroupRound) {
	n := roundSize(&gr)
	f, s := fb.cur(n)
	if len(f.Reconcile) == MaxReconcilePerFrame || slices.ContainsFunc(f.Reconcile, func(o GroupRound) bool { return o.Group == gr.Group }) {
		fb.size = fb.limit
		f, s = fb.cur(n)
	}
	f.Reconcile = append(f.Reconcile, gr)
	s.Rounds++
	s.ReconcileBytes += n
}

// buildFrames turns what each online peer is due into frames. Acks ride on
// any frame that leaves for the peer; alone, they leave once due.
func (e *Engine) buildFrames(now time.Time) error {
	if len(e.active) == 0 {
		return nil
	}
	peers := make([]PeerID, 0, len(e.active))
	for pid := range e.active {
		peers = append(peers, pid)
	}
	slices.Sort(peers)
	for _, pid := range peers {
		p := e.peers[pid]
		if !p.online {
			p.send = pendingFrame{}
			if len(p.acks) == 0 {
				delete(e.active, pid)
			}
			continue
		}
		hasOther := len(p.send.offers)+len(p.send.requests)+len(p.send.msgs)+len(p.eph)+len(p.rounds) > 0
		sendAcks := len(p.acks) > 0 && (hasOther || !p.ackDue.After(now))
		if !hasOther && !sendAcks {
			if len(p.acks) == 0 {
				delete(e.active, pid)
			}
			continue
		}
		delete(e.active, pid)
		fb := frameBuilder{limit: e.cfg.MaxFrameBytes}
		if sendAcks {
			fb.ids(fieldAcks, p.acks)
			p.acks = nil
			clear(p.ackSet)
		}
		fb.ids(fieldOffers, p.send.offers)
		fb.ids(fieldRequests, p.send.requests)
		for _, m := range p.send.msgs {
			fb.msg(m)
		}
		for _, m := range p.eph {
			fb.msg(m)
		}
		for _, gr := range p.rounds {
			fb.round(gr)
		}
		p.send, p.eph, p.rounds = pendingFrame{}, nil, nil
		for i := range fb.frames {
			b, err := EncodeFrame(&fb.frames[i])
			if err != nil {
				// The builder only packs validated parts within the limits;
				// an error here is a bug in this package.
				return fmt.Errorf("%w: built an invalid frame: %w", ErrInternal, err)
			}
			e.out = append(e.out, Outgoing{To: pid, Bytes: b, Stats: fb.stats[i]})
		}
	}
	return nil
}
