package loopix

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"time"
)

// SimFormatVersion is the first byte of every SimFormat packet.
const SimFormatVersion = 1

// Offsets of the SimFormat header (SPEC.md, "Wire format").
const (
	simVersion = 0
	simHops    = 1
	simIndex   = 2
	simEpoch   = 3
	simNonce   = 11
	simRoute   = 27
	simHopLen  = 32 + 4
	simRcptLen = 1 + 32
)

// SimFormat is the simulation packet format: a packet of the geometry's
// fixed size whose route, delays, recipient and body are in the clear. It
// exercises the cores exactly as Sphinx does (same size, same hop-by-hop
// processing, replay tags, epoch keys) at the cost of a copy, so simulated
// deployments can process millions of packets; it gives no
// unlinkability against anyone who reads packets and must never carry
// real traffic.
type SimFormat struct{ g Geometry }

// SimHeaderSize is the header of a SimFormat packet of maxHops hops.
func SimHeaderSize(maxHops int) int { return simRoute + simHopLen*maxHops + simRcptLen }

// NewSimFormat returns the simulation format for g; g.PacketSize must hold
// the header and the payload.
func NewSimFormat(g Geometry) (*SimFormat, error) {
	if g.MaxHops < 1 || g.MaxHops > 255 || g.PayloadSize < 1 || g.PacketSize > MaxPacketSize ||
		SimHeaderSize(g.MaxHops)+g.PayloadSize > g.PacketSize {
		return nil, fmt.Errorf("%w: SimFormat cannot carry %d hops and %d payload bytes in %d-byte packets (header %d bytes)",
			ErrConfig, g.MaxHops, g.PayloadSize, g.PacketSize, SimHeaderSize(max(g.MaxHops, 0)))
	}
	g.Format = FormatSim
	return &SimFormat{g: g}, nil
}

// Geometry implements Format.
func (f *SimFormat) Geometry() Geometry { return f.g }

func (f *SimFormat) rcptOff() int { return simRoute + simHopLen*f.g.MaxHops }
func (f *SimFormat) bodyOff() int { return f.rcptOff() + simRcptLen }

// NewKey implements Format. The public key is random: SimFormat has no
// cryptography, the Unwrapper only checks node and epoch.
func (f *SimFormat) NewKey(rand io.Reader, self NodeID, epoch uint64) ([32]byte, Unwrapper, error) {
	var pub [32]byte
	if _, err := io.ReadFull(rand, pub[:]); err != nil {
		return pub, nil, fmt.Errorf("%w: %v", ErrRandom, err)
	}
	return pub, &simUnwrapper{f: f, self: self, epoch: epoch}, nil
}

func validRecipient(r Recipient) bool { return r.Kind >= ToClient && r.Kind <= ToNode }

// Build implements Format.
func (f *SimFormat) Build(rand io.Reader, epoch uint64, route Route, body []byte) ([]byte, error) {
	n := len(route.Hops)
	switch {
	case n < 1 || n > f.g.MaxHops:
		return nil, fmt.Errorf("%w: %d hops, the geometry carries 1 to %d", ErrRoute, n, f.g.MaxHops)
	case !validRecipient(route.Recipient):
		return nil, fmt.Errorf("%w: recipient kind %d", ErrRoute, route.Recipient.Kind)
	case len(body) > f.g.PayloadSize:
		return nil, fmt.Errorf("%w: body of %d bytes, payload holds %d", ErrTooLarge, len(body), f.g.PayloadSize)
	}
	p := make([]byte, f.g.PacketSize)
	p[simVersion] = SimFormatVersion
	p[simHops] = byte(n)
	binary.BigEndian.PutUint64(p[simEpoch:], epoch)
	if _, err := io.ReadFull(rand, p[simNonce:simRoute]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRandom, err)
	}
	for i, h := range route.Hops {
		if h.Delay < 0 || h.Delay > math.MaxUint32*time.Millisecond {
			return nil, fmt.Errorf("%w: hop %d delay %v", ErrRoute, i, h.Delay)
		}
		o := simRoute + i*simHopLen
		copy(p[o:], h.Node[:])
		binary.BigEndian.PutUint32(p[o+32:], uint32(h.Delay/time.Millisecond))
	}
	r := f.rcptOff()
	p[r] = byte(route.Recipient.Kind)
	copy(p[r+1:], route.Recipient.ID[:])
	copy(p[f.bodyOff():], body)
	return p, nil
}

type simUnwrapper struct {
	f     *SimFormat
	self  NodeID
	epoch uint64
}

var zero64 [64]byte

func allZero(b []byte) bool {
	for len(b) > 0 {
		k := min(len(b), len(zero64))
		if !bytes.Equal(b[:k], zero64[:k]) {
			return false
		}
		b = b[k:]
	}
	return true
}

// Unwrap implements Unwrapper.
func (u *simUnwrapper) Unwrap(p []byte) (Opened, error) {
	f := u.f
	if len(p) != f.g.PacketSize {
		return Opened{}, fmt.Errorf("%w: packet of %d bytes, want %d", ErrMalformed, len(p), f.g.PacketSize)
	}
	if p[simVersion] != SimFormatVersion {
		return Opened{}, fmt.Errorf("%w: SimFormat version %d", ErrVersion, p[simVersion])
	}
	n, i := int(p[simHops]), int(p[simIndex])
	if n < 1 || n > f.g.MaxHops || i >= n {
		return Opened{}, fmt.Errorf("%w: hop %d of %d", ErrMalformed, i, n)
	}
	r := f.rcptOff()
	kind := RecipientKind(p[r])
	if !validRecipient(Recipient{Kind: kind}) || !allZero(p[simRoute+n*simHopLen:r]) || !allZero(p[f.bodyOff()+f.g.PayloadSize:]) {
		return Opened{}, fmt.Errorf("%w: bad recipient or non-zero padding", ErrMalformed)
	}
	if binary.BigEndian.Uint64(p[simEpoch:]) != u.epoch {
		return Opened{}, fmt.Errorf("%w: built for epoch %d, key of epoch %d", ErrUnwrap, binary.BigEndian.Uint64(p[simEpoch:]), u.epoch)
	}
	o := simRoute + i*simHopLen
	if !bytes.Equal(p[o:o+32], u.self[:]) {
		return Opened{}, fmt.Errorf("%w: hop %d is not this node", ErrUnwrap, i)
	}
	var out Opened
	copy(out.Tag[:], p[simNonce:simRoute])
	out.Tag[16] = byte(i)
	if i == n-1 {
		out.Final = true
		out.Recipient.Kind = kind
		copy(out.Recipient.ID[:], p[r+1:r+simRcptLen])
		out.Body = bytes.Clone(p[f.bodyOff() : f.bodyOff()+f.g.PayloadSize])
		return out, nil
	}
	out.Delay = time.Duration(binary.BigEndian.Uint32(p[o+32:])) * time.Millisecond
	copy(out.Next[:], p[o+simHopLen:o+simHopLen+32])
	out.Packet = bytes.Clone(p)
	out.Packet[simIndex] = byte(i + 1)
	return out, nil
}
