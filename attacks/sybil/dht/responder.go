package dht

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"

	pb "github.com/libp2p/go-libp2p-kad-dht/pb"
	kb "github.com/libp2p/go-libp2p-kbucket"
	"github.com/libp2p/go-libp2p-kbucket/peerdiversity"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
	"google.golang.org/protobuf/proto"

	"github.com/strata-lab/strata/layers/overlay"
)

// Protocol is the Kademlia protocol of Strata networks, which the Sybil
// responder speaks (kad-dht's /kad/1.0.0 under overlay.DHTProtocolPrefix).
const Protocol = protocol.ID(overlay.DHTProtocolPrefix + "/kad/1.0.0")

// MaxMessageBytes bounds a request the responder reads. Lookup requests
// (FIND_NODE, GET_VALUE, GET_PROVIDERS, PING) carry a key of a few dozen
// bytes; 64 KiB also admits a PUT_VALUE of a typical record.
const MaxMessageBytes = 64 << 10

// BucketSize is the number of closer peers a DHT answer carries
// (kad-dht's default bucket size k).
const BucketSize = 20

// Sybil is one attacker identity: a peer, its Kademlia key, where it
// listens and the diversity filter's IP group of that address.
type Sybil struct {
	ID    peer.ID
	Key   kb.ID
	Addrs []ma.Multiaddr
	Group peerdiversity.PeerIPGroupKey
}

// NewSybil describes the Sybil running on h.
func NewSybil(h host.Host) (Sybil, error) {
	addrs := h.Addrs()
	if len(addrs) == 0 {
		return Sybil{}, fmt.Errorf("%w: Sybil host %s listens on no address", ErrConfig, h.ID())
	}
	ip, err := manet.ToIP(addrs[0])
	if err != nil {
		return Sybil{}, fmt.Errorf("%w: Sybil address %s: %w", ErrConfig, addrs[0], err)
	}
	return Sybil{ID: h.ID(), Key: kb.ConvertPeerID(h.ID()), Addrs: addrs, Group: peerdiversity.IPGroupKey(ip)}, nil
}

// Attacker is the set of Sybils of one attack and the rule they answer
// DHT requests with: every answer lists the attacker's own Sybils
// closest to the requested key, never an honest peer. PerGroup > 0 caps
// the Sybils of one IP group in an answer: kad-dht with the diversity
// filter on drops every peer of a group that has more than the table
// limit (3) in one answer, so an attacker who knows the defence sends at
// most that many per group.
type Attacker struct {
	Sybils   []Sybil
	PerGroup int

	served atomic.Int64
}

// Served is the number of requests the attacker's Sybils answered.
func (a *Attacker) Served() int64 { return a.served.Load() }

// Closest returns up to BucketSize of the attacker's Sybils closest (XOR)
// to key, skipping the excluded peers, at most PerGroup per IP group.
func (a *Attacker) Closest(key kb.ID, exclude ...peer.ID) []peer.AddrInfo {
	order := make([]int, 0, len(a.Sybils))
	for i, s := range a.Sybils {
		if !slices.Contains(exclude, s.ID) {
			order = append(order, i)
		}
	}
	dist := func(i int) []byte { return kb.Xor(a.Sybils[i].Key, key) }
	slices.SortFunc(order, func(x, y int) int {
		if c := bytes.Compare(dist(x), dist(y)); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	per := map[peerdiversity.PeerIPGroupKey]int{}
	var out []peer.AddrInfo
	for _, i := range order {
		if len(out) == BucketSize {
			break
		}
		s := a.Sybils[i]
		if a.PerGroup > 0 && per[s.Group] >= a.PerGroup {
			continue
		}
		per[s.Group]++
		out = append(out, peer.AddrInfo{ID: s.ID, Addrs: s.Addrs})
	}
	return out
}

// Answer is the Sybil self's reply to req from peer from: closer peers
// for the lookup types, an echo for PING and PUT_VALUE, nothing for
// ADD_PROVIDER (which expects no reply).
func (a *Attacker) Answer(self, from peer.ID, req *pb.Message) (*pb.Message, error) {
	switch req.GetType() {
	case pb.Message_FIND_NODE, pb.Message_GET_VALUE, pb.Message_GET_PROVIDERS:
		resp := pb.NewMessage(req.GetType(), req.GetKey(), 0)
		resp.CloserPeers = pb.RawPeerInfosToPBPeers(a.Closest(kb.ConvertKey(string(req.GetKey())), self, from))
		return resp, nil
	case pb.Message_PING, pb.Message_PUT_VALUE:
		return req, nil
	case pb.Message_ADD_PROVIDER:
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %v", ErrUnsupported, req.GetType())
}

// Serve makes h answer the DHT protocol as one of the attacker's Sybils.
// Identify then advertises the protocol, so DHT servers that connect to h
// take it for a DHT server.
func (a *Attacker) Serve(h host.Host) {
	h.SetStreamHandler(Protocol, func(s network.Stream) {
		if err := a.serveStream(h.ID(), s); err != nil {
			_ = s.Reset()
			return
		}
		_ = s.Close()
	})
}

// serveStream answers requests on s until the requester closes it.
// kad-dht reuses a stream for several requests.
func (a *Attacker) serveStream(self peer.ID, s network.Stream) error {
	r := bufio.NewReader(s)
	from := s.Conn().RemotePeer()
	for {
		req, err := ReadMessage(r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		resp, err := a.Answer(self, from, req)
		if err != nil {
			return err
		}
		a.served.Add(1)
		if resp == nil {
			continue
		}
		if err := WriteMessage(s, resp); err != nil {
			return err
		}
	}
}

// ReadMessage reads one varint-length-prefixed DHT message, the framing
// kad-dht uses. It returns io.EOF at a clean end of stream,
// ErrMessageTooLarge beyond MaxMessageBytes, ErrBadMessage otherwise.
func ReadMessage(r *bufio.Reader) (*pb.Message, error) {
	n, err := binary.ReadUvarint(r)
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("%w: length prefix: %w", ErrBadMessage, err)
	}
	if n > MaxMessageBytes {
		return nil, fmt.Errorf("%w: %d bytes (at most %d)", ErrMessageTooLarge, n, MaxMessageBytes)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%w: %d-byte body: %w", ErrBadMessage, n, err)
	}
	m := new(pb.Message)
	if err := proto.Unmarshal(buf, m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadMessage, err)
	}
	return m, nil
}

// WriteMessage writes m with a varint length prefix.
func WriteMessage(w io.Writer, m *pb.Message) error {
	b, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("%w: encoding: %w", ErrBadMessage, err)
	}
	out := binary.AppendUvarint(make([]byte, 0, len(b)+binary.MaxVarintLen64), uint64(len(b)))
	_, err = w.Write(append(out, b...))
	return err
}
