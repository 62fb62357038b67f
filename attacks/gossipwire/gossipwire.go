// Package gossipwire is a raw gossipsub speaker for adversary models: a
// libp2p host that sends and receives gossipsub RPCs exactly as the caller
// composes them, without a router of its own. Sybils and flooders built on
// it can GRAFT aggressively, ignore PRUNE backoffs, advertise messages
// they never serve, or flood control messages, which an honest router
// never does — the "minimal raw-protocol peers" of the gossipsub v1.1
// hardening study.
//
// RPCs are the gossipsub protobuf (go-libp2p-pubsub/pb), framed as an
// unsigned varint length followed by the encoded RPC, on streams of the
// meshsub protocols.
package gossipwire

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	"google.golang.org/protobuf/proto"
)

// Protocols are the meshsub versions the peer speaks, preferred first
// (1.2 adds IDONTWANT).
var Protocols = []protocol.ID{"/meshsub/1.2.0", "/meshsub/1.1.0"}

// MaxRPCBytes bounds an inbound RPC; a longer one ends the stream with
// ErrTooLarge.
const MaxRPCBytes = 1 << 20

// Errors.
var (
	// ErrTooLarge reports an inbound RPC over MaxRPCBytes.
	ErrTooLarge = errors.New("gossipwire: RPC too large")
	// ErrMalformed reports an inbound RPC that does not decode.
	ErrMalformed = errors.New("gossipwire: malformed RPC")
	// ErrClosed reports a send on a closed peer.
	ErrClosed = errors.New("gossipwire: peer closed")
)

// Handler is told of every RPC received and of every inbound stream that
// ended with an error other than a clean close.
type Handler interface {
	RPC(from peer.ID, rpc *pb.RPC)
	StreamError(from peer.ID, err error)
}

// Peer is a raw gossipsub endpoint on a host.
type Peer struct {
	h       host.Host
	handler Handler

	mu     sync.Mutex
	out    map[peer.ID]*outStream
	closed bool
}

type outStream struct {
	mu sync.Mutex
	s  network.Stream
}

// New registers the meshsub protocols on h and returns the peer. handler
// may be nil: inbound RPCs are then read and discarded (a peer must read,
// or the sender's stream stalls).
func New(h host.Host, handler Handler) *Peer {
	p := &Peer{h: h, handler: handler, out: map[peer.ID]*outStream{}}
	for _, id := range Protocols {
		h.SetStreamHandler(id, p.serve)
	}
	return p
}

// Host returns the peer's host.
func (p *Peer) Host() host.Host { return p.h }

func (p *Peer) serve(s network.Stream) {
	from := s.Conn().RemotePeer()
	defer s.Close()
	r := bufio.NewReader(s)
	for {
		rpc, err := ReadRPC(r)
		if err != nil {
			if !errors.Is(err, io.EOF) && p.handler != nil {
				p.handler.StreamError(from, err)
			}
			s.Reset()
			return
		}
		if p.handler != nil {
			p.handler.RPC(from, rpc)
		}
	}
}

// ReadRPC reads one length-prefixed RPC. It returns io.EOF at a clean end
// of stream, ErrTooLarge or ErrMalformed for bad input.
func ReadRPC(r *bufio.Reader) (*pb.RPC, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%w: length: %w", ErrMalformed, err)
	}
	if n > MaxRPCBytes {
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, n, MaxRPCBytes)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%w: truncated: %w", ErrMalformed, err)
	}
	rpc := new(pb.RPC)
	if err := proto.Unmarshal(buf, rpc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return rpc, nil
}

// AppendRPC appends rpc's framing (length, then encoding) to b.
func AppendRPC(b []byte, rpc *pb.RPC) ([]byte, error) {
	size := proto.Size(rpc)
	b = binary.AppendUvarint(b, uint64(size))
	return proto.MarshalOptions{}.MarshalAppend(b, rpc)
}

// Send writes rpc to peer to on the peer's outbound stream, opening it on
// first use (the host must be connected or able to dial to). A failed
// write drops the stream; the next Send opens a new one.
func (p *Peer) Send(ctx context.Context, to peer.ID, rpc *pb.RPC) error {
	b, err := AppendRPC(nil, rpc)
	if err != nil {
		return fmt.Errorf("gossipwire: encoding: %w", err)
	}
	o, err := p.stream(to)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.s == nil {
		s, err := p.h.NewStream(ctx, to, Protocols...)
		if err != nil {
			return fmt.Errorf("gossipwire: opening a stream to %s: %w", to, err)
		}
		o.s = s
	}
	if _, err := o.s.Write(b); err != nil {
		o.s.Reset()
		o.s = nil
		return fmt.Errorf("gossipwire: writing to %s: %w", to, err)
	}
	return nil
}

func (p *Peer) stream(to peer.ID) (*outStream, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	o := p.out[to]
	if o == nil {
		o = &outStream{}
		p.out[to] = o
	}
	return o, nil
}

// Close resets every outbound stream and removes the protocol handlers.
// The host stays up.
func (p *Peer) Close() {
	p.mu.Lock()
	p.closed = true
	out := p.out
	p.out = nil
	p.mu.Unlock()
	for _, id := range Protocols {
		p.h.RemoveStreamHandler(id)
	}
	for _, o := range out {
		o.mu.Lock()
		if o.s != nil {
			o.s.Reset()
		}
		o.mu.Unlock()
	}
}
