package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/layers/mixnet/sphinx"
)

// testMixParams are fast rates for tests: messages leave within a
// fraction of a second and are pulled every 200 ms.
func testMixParams() loopix.Params {
	p := loopix.DefaultParams()
	p.LambdaP, p.LambdaL, p.LambdaD, p.LambdaM = 5000, 1000, 1000, 2000
	p.MuSet, p.DefaultMu = []time.Duration{20 * time.Millisecond}, 0
	p.PullInterval = 200 * time.Millisecond
	return p
}

type mixTestNode struct {
	name, role, provider string
	layer                int
	dir                  string
	id                   peer.ID
	ip                   string
}

// mixTestDeployment writes identities for the members and returns their
// node configurations with the mixnet set up.
func mixTestDeployment(t *testing.T, subnet int, members []*mixTestNode, port int) []Config {
	t.Helper()
	var mm []MixnetMember
	for i, m := range members {
		m.dir = t.TempDir()
		m.id = identity(t, m.dir, int64(900+subnet*10+i))
		m.ip = fmt.Sprintf("127.0.%d.%d", subnet, i+1)
		mm = append(mm, MixnetMember{Name: m.name, Role: m.role, Layer: m.layer, Provider: m.provider,
			Addr: fmt.Sprintf("/ip4/%s/tcp/%d/p2p/%s", m.ip, port, m.id)})
	}
	d := MixnetDeployment{Seed: 5, Layers: 1, Params: testMixParams(), Geometry: sphinx.DefaultGeometry(),
		EpochLength: time.Hour, ReplayExpected: 10_000, Members: mm}
	mcs, raw, err := d.Configs()
	if err != nil {
		t.Fatal(err)
	}
	if again, raw2, _ := d.Configs(); !bytes.Equal(raw, raw2) || again[0].KeySeed != mcs[0].KeySeed {
		t.Fatal("the deployment is not a function of its seed")
	}
	var cfgs []Config
	for i, m := range members {
		c := Config{Name: m.name, IP: m.ip, TCPPort: port, QUICPort: -1, Seed: int64(i + 1), Mixnet: mcs[i]}
		if i > 0 {
			c.Bootstrap = []string{mm[0].Addr}
		}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		cfgs = append(cfgs, c)
	}
	return cfgs
}

// TestMixnetEndToEnd runs a provider, a mix, a second provider and two
// clients as in-process nodes over real libp2p streams and Sphinx
// packets, sends messages both ways through the control API, and checks
// the inboxes, the cores' ledgers, the trace and the refusal of a bad
// stream.
func TestMixnetEndToEnd(t *testing.T) {
	members := []*mixTestNode{
		{name: "p0", role: MixnetProvider}, {name: "p1", role: MixnetProvider}, {name: "m1", role: MixnetMix, layer: 1},
		{name: "c0", role: MixnetClient, provider: "p0"}, {name: "c1", role: MixnetClient, provider: "p1"},
	}
	cfgs := mixTestDeployment(t, 31, members, 39801)
	urls := map[string]string{}
	for i, m := range members {
		urls[m.name] = runInProcess(t, cfgs[i], m.dir)
	}
	const n = 5
	for i := range n {
		call(t, "POST", urls["c0"]+"/mixnet/send", MixnetSendRequest{To: "c1", Data: []byte(fmt.Sprintf("c0→c1 %d", i))}, nil)
		call(t, "POST", urls["c1"]+"/mixnet/send", MixnetSendRequest{To: members[3].id.String(), Data: []byte(fmt.Sprintf("c1→c0 %d", i))}, nil)
	}
	for _, c := range []struct{ at, prefix string }{{"c1", "c0→c1"}, {"c0", "c1→c0"}} {
		var in InboxReply
		waitFor(t, 30*time.Second, "mixnet deliveries at "+c.at, func() bool {
			call(t, "GET", urls[c.at]+"/mixnet/inbox?data=1", nil, &in)
			return len(in.Deliveries) >= n
		})
		seen := map[string]bool{}
		for _, d := range in.Deliveries {
			if d.Kind != "mixnet" || d.From != "" || !strings.HasPrefix(string(d.Data), c.prefix) || d.ID != MixnetMessageID(d.Data) {
				t.Fatalf("delivery at %s: %+v", c.at, d)
			}
			seen[string(d.Data)] = true
		}
		if len(seen) != n || len(in.Deliveries) != n {
			t.Fatalf("%s got %d deliveries, %d distinct", c.at, len(in.Deliveries), len(seen))
		}
	}
	// Errors of the control API are classified.
	if code, _ := httpPost(urls["c0"]+"/mixnet/send", MixnetSendRequest{To: "nobody", Data: []byte("x")}); code != 400 {
		t.Fatalf("send to an unknown client: status %d", code)
	}
	if code, _ := httpPost(urls["c0"]+"/mixnet/send", MixnetSendRequest{To: "c1", Data: make([]byte, 2047)}); code != 400 {
		t.Fatalf("send of a message larger than a packet body: status %d", code)
	}
	if code, _ := httpPost(urls["m1"]+"/mixnet/send", MixnetSendRequest{To: "c1", Data: []byte("x")}); code != 404 {
		t.Fatalf("send through a mix: status %d", code)
	}

	// A stream with an oversize length prefix is refused; a frame within
	// the bound that does not decode reaches the core, which drops it.
	h, err := libp2p.New(libp2p.NoListenAddrs)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	mixAddr, _ := ma.NewMultiaddr(fmt.Sprintf("/ip4/%s/tcp/39801", members[2].ip))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.Connect(ctx, peer.AddrInfo{ID: members[2].id, Addrs: []ma.Multiaddr{mixAddr}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{{0xff, 0xff, 0xff, 0xff}, loopix.AppendStreamFrame(nil, []byte{9})} {
		st, err := h.NewStream(ctx, members[2].id, MixnetProtocol)
		if err != nil {
			t.Fatal(err)
		}
		st.Write(b)
		st.Close()
	}
	waitFor(t, 10*time.Second, "the mix counts both bad inputs", func() bool {
		st := mustStatus(t, urls["m1"]).Mixnet
		return st.Drops[mixDropStream] == 1 && st.Drops[loopix.ReasonMalformed.String()] == 1
	})

	// Cover is Poisson: wait until each client had a loop come back and
	// the mix one of its own.
	waitFor(t, 30*time.Second, "loops back at every client and the mix", func() bool {
		for _, m := range members {
			if st := mustStatus(t, urls[m.name]).Mixnet; m.role != MixnetProvider && st.LoopsBack == 0 {
				return false
			}
		}
		return true
	})
	for _, m := range members {
		st := mustStatus(t, urls[m.name]).Mixnet
		if st == nil || st.Role != m.role || !st.Ledger.Balanced || st.Ledger.In == 0 || st.FramesOut == 0 {
			t.Fatalf("%s: status %+v", m.name, st)
		}
		for _, r := range []loopix.Reason{loopix.ReasonUnwrap, loopix.ReasonReplay, loopix.ReasonNotServed, loopix.ReasonRole, loopix.ReasonUnknownHop} {
			if st.Drops[r.String()] != 0 {
				t.Fatalf("%s dropped %d for %s: %+v", m.name, st.Drops[r.String()], r, st.Drops)
			}
		}
		switch m.role {
		case MixnetMix:
			if st.Ledger.Forwarded == 0 || st.LoopsSent == 0 || st.Layer != 1 {
				t.Fatalf("mix: %+v", st)
			}
		case MixnetProvider:
			if st.Ledger.Stored == 0 || st.Ledger.Answered == 0 || st.Pulled < n {
				t.Fatalf("provider %s: %+v", m.name, st)
			}
		case MixnetClient:
			if st.Queued != n || st.Delivered != n || st.Client.Payload != n || st.Sent["drop"] == 0 || st.Sent["loop"] == 0 {
				t.Fatalf("client %s: %+v", m.name, st)
			}
		}
	}
	// The sender's trace has the message queued and leaving, the
	// recipient's its delivery, under the same id.
	id := MixnetMessageID([]byte("c0→c1 0"))
	if !traceHas(t, members[3].dir, trace.KindSend, id, "queue c1") || !traceHas(t, members[3].dir, trace.KindSend, id, "depart") ||
		!traceHas(t, members[4].dir, trace.KindDeliver, id, "") {
		t.Fatal("trace lacks the send, departure or delivery of message 0")
	}
}

// traceHas reports whether a node's trace (flushed at most a second ago)
// has an event of kind for message id whose detail starts with detail.
func traceHas(t *testing.T, dir string, kind trace.Kind, id, detail string) bool {
	t.Helper()
	found := false
	waitFor(t, 5*time.Second, "trace flushed", func() bool {
		f, err := os.Open(filepath.Join(dir, TraceFile))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		trace.Read(f, func(e trace.Event) error {
			if e.Layer == "mixnet" && e.Kind == kind && e.MsgID == id && strings.HasPrefix(e.Detail, detail) {
				found = true
			}
			return nil
		})
		return found
	})
	return found
}

// TestMixnetConfigRefused checks that configurations that cannot work
// are refused with ErrConfig: another authority, a key seed that does not
// give the directory's key, an unknown role, a client missing from the
// address book.
func TestMixnetConfigRefused(t *testing.T) {
	members := []*mixTestNode{
		{name: "p0", role: MixnetProvider}, {name: "m1", role: MixnetMix, layer: 1}, {name: "c0", role: MixnetClient, provider: "p0"},
	}
	cfgs := mixTestDeployment(t, 32, members, 39802)
	for name, edit := range map[string]func(c *Config){
		"other authority": func(c *Config) { c.Mixnet.Authority = strings.Repeat("ab", 32) },
		"bad role":        func(c *Config) { c.Mixnet.Role = "relay" },
		"no key seed":     func(c *Config) { c.Mixnet.KeySeed = "" },
		"bad directory":   func(c *Config) { c.Mixnet.Directory = c.Mixnet.Directory[:40] },
	} {
		c := cfgs[1]
		edit(&c)
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Valid on paper, refused at start: the mix's key seed is the
	// provider's, and the client is not in its own address book.
	c := cfgs[1]
	c.Mixnet.KeySeed = cfgs[0].Mixnet.KeySeed
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := Run(ctx, c, members[1].dir, Options{Logger: quiet}); !errors.Is(err, ErrConfig) {
		t.Errorf("mix with another node's key seed: %v", err)
	}
	c = cfgs[2]
	c.Mixnet.Clients = nil
	c.Bootstrap = nil
	if err := Run(ctx, c, members[2].dir, Options{Logger: quiet}); !errors.Is(err, ErrConfig) {
		t.Errorf("client missing from the address book: %v", err)
	}
}

// TestMixBody checks the application body inside a packet: the length
// prefix round-trips and an out-of-range prefix is refused.
func TestMixBody(t *testing.T) {
	body := make([]byte, 64)
	copy(body, packMixBody([]byte("hello")))
	if d, ok := unpackMixBody(body); !ok || string(d) != "hello" {
		t.Fatalf("%q %v", d, ok)
	}
	for _, b := range [][]byte{nil, {0}, {0, 63}, {0xff, 0xff, 1}} {
		if _, ok := unpackMixBody(b); ok {
			t.Fatalf("%x accepted", b)
		}
	}
}

// TestPeerNodeIDOfLibp2pPeer checks the loopix vector derivation against
// a real libp2p peer id of the same Ed25519 key bytes layout.
func TestPeerNodeIDOfLibp2pPeer(t *testing.T) {
	id := identity(t, t.TempDir(), 77)
	pub, err := id.ExtractPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := pub.Raw()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte{0x00, 0x24, 0x08, 0x01, 0x12, 0x20}, raw...)
	if !bytes.Equal([]byte(id), want) {
		t.Fatalf("peer id bytes %x, the vectors assume %x", []byte(id), want)
	}
}

// FuzzMixBody: a body either is refused or holds data that packs back
// into the same prefix of the body.
func FuzzMixBody(f *testing.F) {
	f.Add(packMixBody([]byte("hello")))
	f.Add([]byte{0xff, 0xff})
	f.Add([]byte{0, 3, 'a', 'b', 'c', 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		data, ok := unpackMixBody(body)
		if !ok {
			return
		}
		if again := packMixBody(data); !bytes.HasPrefix(body, again) {
			t.Fatalf("%x unpacks to %x, which packs to %x", body, data, again)
		}
	})
}
