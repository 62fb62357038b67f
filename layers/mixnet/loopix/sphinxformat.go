package loopix

import (
	"errors"
	"fmt"
	"io"

	"github.com/strata-lab/strata/layers/mixnet/sphinx"
)

// Replay filter sizing of SphinxFormat keys by default: a million packets
// per epoch at a 10⁻⁶ false-positive rate (about 3.6 MB per key).
const (
	DefaultReplayExpected = 1_000_000
	DefaultReplayFP       = 1e-6
)

// dropRecipient is the Sphinx recipient of drop cover: all 0xff bytes,
// which no client or node id is (ids are hashes).
var dropRecipient = func() (r sphinx.Recipient) {
	for i := range r {
		r[i] = 0xff
	}
	return r
}()

// SphinxFormat is the Format of real traffic: layers/mixnet/sphinx packets
// in X25519 mode (the directory carries 32-byte keys), with the delay of
// each hop in its routing command and the recipient at the last hop. The
// recipient kind travels as the 32-byte recipient: all 0xff for drop
// cover, the last hop's own id for a mix's loop, a client id otherwise.
// Each key has its own per-epoch Bloom replay filter.
type SphinxFormat struct {
	g              sphinx.Geometry
	geo            Geometry
	replayExpected uint64
	replayFP       float64
}

// NewSphinxFormat returns the Sphinx format of geometry g (X25519 mode);
// replayExpected and replayFP size each key's replay filter (0: the
// defaults).
func NewSphinxFormat(g sphinx.Geometry, replayExpected uint64, replayFP float64) (*SphinxFormat, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if g.Mode != sphinx.ModeX25519 {
		return nil, fmt.Errorf("%w: the directory carries 32-byte keys; Sphinx mode %s is not supported", ErrConfig, g.Mode)
	}
	if replayExpected == 0 {
		replayExpected = DefaultReplayExpected
	}
	if replayFP == 0 {
		replayFP = DefaultReplayFP
	}
	if _, _, _, err := sphinx.ReplayFilterSize(replayExpected, replayFP); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return &SphinxFormat{g: g, replayExpected: replayExpected, replayFP: replayFP,
		geo: Geometry{Format: FormatSphinx, PacketSize: g.PacketSize(), PayloadSize: g.PayloadSize, MaxHops: g.Hops}}, nil
}

// SphinxGeometry is the Sphinx geometry of the format.
func (f *SphinxFormat) SphinxGeometry() sphinx.Geometry { return f.g }

// Geometry implements Format.
func (f *SphinxFormat) Geometry() Geometry { return f.geo }

// NewKey implements Format: an X25519 node key for epoch and its replay
// filter.
func (f *SphinxFormat) NewKey(rand io.Reader, self NodeID, epoch uint64) ([32]byte, Unwrapper, error) {
	var pub [32]byte
	k, err := sphinx.GenerateNodeKey(rand, epoch)
	if err != nil {
		return pub, nil, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	copy(pub[:], k.PublicKey())
	rf, err := sphinx.NewReplayFilter(epoch, f.replayExpected, f.replayFP)
	if err != nil {
		return pub, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return pub, &sphinxUnwrapper{f: f, key: k, replay: rf, self: self}, nil
}

// Build implements Format.
func (f *SphinxFormat) Build(rand io.Reader, epoch uint64, route Route, body []byte) ([]byte, error) {
	if len(body) > f.g.PayloadSize {
		return nil, fmt.Errorf("%w: body of %d bytes, payload holds %d", ErrTooLarge, len(body), f.g.PayloadSize)
	}
	var rcpt sphinx.Recipient
	switch route.Recipient.Kind {
	case ToDrop:
		rcpt = dropRecipient
	case ToClient, ToNode:
		rcpt = sphinx.Recipient(route.Recipient.ID)
	default:
		return nil, fmt.Errorf("%w: recipient kind %d", ErrRoute, route.Recipient.Kind)
	}
	path := make([]sphinx.Hop, len(route.Hops))
	for i, h := range route.Hops {
		path[i] = sphinx.Hop{ID: sphinx.NodeID(h.Node), PublicKey: h.Key[:], Epoch: epoch, Delay: h.Delay}
	}
	pkt, err := sphinx.NewPacket(rand, f.g, path, rcpt, body)
	switch {
	case err == nil:
		return pkt, nil
	case errors.Is(err, sphinx.ErrRandom):
		return nil, fmt.Errorf("%w: %w", ErrRandom, err)
	case errors.Is(err, sphinx.ErrBadLength):
		return nil, fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	return nil, fmt.Errorf("%w: %w", ErrRoute, err)
}

type sphinxUnwrapper struct {
	f      *SphinxFormat
	key    *sphinx.NodeKey
	replay *sphinx.ReplayFilter
	self   NodeID
}

// Unwrap implements Unwrapper, classifying Sphinx's errors: a wrong size
// is ErrMalformed, an unknown format byte ErrVersion, a replay ErrReplay,
// and everything that says "not for this key" (wrong epoch, MAC, low-order
// point, bad command, payload tag) ErrUnwrap.
func (u *sphinxUnwrapper) Unwrap(pkt []byte) (Opened, error) {
	w, err := u.key.Unwrap(u.f.g, pkt, u.replay)
	switch {
	case err == nil:
	case errors.Is(err, sphinx.ErrBadLength):
		return Opened{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	case errors.Is(err, sphinx.ErrBadVersion):
		return Opened{}, fmt.Errorf("%w: %w", ErrVersion, err)
	case errors.Is(err, sphinx.ErrReplay):
		return Opened{}, fmt.Errorf("%w: %w", ErrReplay, err)
	default:
		return Opened{}, fmt.Errorf("%w: %w", ErrUnwrap, err)
	}
	o := Opened{Tag: w.ReplayTag, Delay: w.Delay}
	switch w.Action {
	case sphinx.ActionForward:
		o.Next, o.Packet = NodeID(w.NextHop), w.Packet
	case sphinx.ActionDeliver:
		o.Final, o.Body = true, w.Payload
		switch {
		case w.Recipient == dropRecipient:
			o.Recipient.Kind = ToDrop
		case NodeID(w.Recipient) == u.self:
			o.Recipient = Recipient{Kind: ToNode, ID: u.self}
		default:
			o.Recipient = Recipient{Kind: ToClient, ID: NodeID(w.Recipient)}
		}
	default:
		return Opened{}, fmt.Errorf("%w: Sphinx action %s is not used by this layer", ErrUnwrap, w.Action)
	}
	return o, nil
}
