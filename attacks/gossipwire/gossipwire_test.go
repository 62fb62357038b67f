package gossipwire

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/inproc"
)

const topic = "/strata/1/test/chat"

type recorder struct {
	mu   sync.Mutex
	rpcs []*pb.RPC
}

func (r *recorder) RPC(_ peer.ID, rpc *pb.RPC) {
	r.mu.Lock()
	r.rpcs = append(r.rpcs, rpc)
	r.mu.Unlock()
}
func (r *recorder) StreamError(peer.ID, error) {}

func (r *recorder) published() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]byte
	for _, rpc := range r.rpcs {
		for _, m := range rpc.Publish {
			out = append(out, m.Data)
		}
	}
	return out
}

// TestRawPeerAgainstGossipsub: a raw peer that subscribes and GRAFTs is in
// an honest node's mesh and gets its publications; what it publishes is
// delivered by the honest node.
func TestRawPeerAgainstGossipsub(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nw, err := inproc.New(1, make([]inproc.HostSpec, 2))
		if err != nil {
			t.Fatal(err)
		}
		defer nw.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		o, err := overlay.Attach(ctx, nw.Host(0), overlay.Config{Params: overlay.DefaultParams(), Topics: []string{topic}})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		d := inproc.NewDeliveries()
		if err := d.Watch(ctx, 0, o, topic); err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		raw := New(nw.Host(1), rec)
		defer raw.Close()
		if err := nw.Connect(ctx, 1, 0); err != nil {
			t.Fatal(err)
		}
		honest := nw.Host(0).ID()
		for _, rpc := range []*pb.RPC{Subscribe(topic), Graft(topic)} {
			if err := raw.Send(ctx, honest, rpc); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Second)
		if _, err := o.Publish(ctx, topic, []byte("from honest")); err != nil {
			t.Fatal(err)
		}
		if err := raw.Send(ctx, honest, Publish(topic, []byte("from raw"))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		if got := rec.published(); len(got) != 1 || string(got[0]) != "from honest" {
			t.Fatalf("raw peer received %q", got)
		}
		if _, ok := d.Got(inproc.MessageID(topic, []byte("from raw")), 0); !ok {
			t.Fatal("the honest node did not deliver the raw peer's message")
		}
		cancel()
		d.Wait()
	})
}

func TestReadRPCBadInput(t *testing.T) {
	good, err := AppendRPC(nil, Graft(topic))
	if err != nil {
		t.Fatal(err)
	}
	huge := binary.AppendUvarint(nil, MaxRPCBytes+1)
	for name, c := range map[string]struct {
		in   []byte
		want error
	}{
		"too large":    {huge, ErrTooLarge},
		"truncated":    {good[:len(good)-1], ErrMalformed},
		"bad varint":   {bytes.Repeat([]byte{0xff}, 11), ErrMalformed},
		"not protobuf": {append(binary.AppendUvarint(nil, 2), 0xff, 0xff), ErrMalformed},
	} {
		if _, err := ReadRPC(bufio.NewReader(bytes.NewReader(c.in))); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	rpc, err := ReadRPC(bufio.NewReader(bytes.NewReader(good)))
	if err != nil || rpc.GetControl().GetGraft()[0].GetTopicID() != topic {
		t.Fatalf("round trip: %v %v", rpc, err)
	}
}

func FuzzReadRPC(f *testing.F) {
	b, _ := AppendRPC(nil, IHave(topic, []string{"a", "b"}))
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		rpc, err := ReadRPC(bufio.NewReader(bytes.NewReader(in)))
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, io.EOF) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if _, err := AppendRPC(nil, rpc); err != nil {
			t.Fatalf("re-encoding a decoded RPC: %v", err)
		}
	})
}
