package spam

import (
	"fmt"
	"time"
)

// Sender is an honest member's sending side: it picks the next unused
// message index of the current epoch and refuses to go over the limit,
// so that it never reveals its key. It is not safe for concurrent use.
type Sender struct {
	member *Member
	cfg    RLNConfig
	leaf   uint32
	path   [][HashSize]byte
	epoch  uint64
	used   uint32
}

// NewSender returns a sender for a registered member at leaf with its
// current Merkle path. Errors: ErrConfig.
func NewSender(m *Member, cfg RLNConfig, leaf uint32, path [][HashSize]byte) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(path) != cfg.Depth {
		return nil, fmt.Errorf("%w: path of %d nodes, the tree has depth %d", ErrConfig, len(path), cfg.Depth)
	}
	return &Sender{member: m, cfg: cfg, leaf: leaf, path: path}, nil
}

// SetPath replaces the Merkle path after the membership root changed.
func (s *Sender) SetPath(path [][HashSize]byte) { s.path = path }

// Remaining returns how many messages the sender may still send in the
// epoch of now.
func (s *Sender) Remaining(now time.Time) uint32 {
	if ep := Epoch(now, s.cfg.EpochPeriod); ep != s.epoch {
		return s.cfg.Limit
	}
	return s.cfg.Limit - s.used
}

// Send proves payload on topic with the next free message index of the
// epoch of now. Errors: ErrRateExceeded once Limit messages went out in
// this epoch, and Prove's errors.
func (s *Sender) Send(now time.Time, topic string, payload []byte) (*Envelope, error) {
	ep := Epoch(now, s.cfg.EpochPeriod)
	if ep != s.epoch {
		s.epoch, s.used = ep, 0
	}
	if s.used >= s.cfg.Limit {
		return nil, fmt.Errorf("%w: %d messages sent in epoch %d", ErrRateExceeded, s.used, ep)
	}
	e, err := s.member.Prove(SignalParams{LeafIndex: s.leaf, Path: s.path, Epoch: ep, MessageIndex: s.used}, topic, payload)
	if err != nil {
		return nil, err
	}
	s.used++
	return e, nil
}
