package node

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/overlay"
)

const chat = "/strata/1/test/chat"

// pair starts two in-process nodes on 127.0.<sub>.1 and .2, the second
// bootstrapping from the first, with the given link rules on both.
func pair(t *testing.T, sub int, rules []LinkRule) (a, b string, ida, idb string) {
	t.Helper()
	da, db := t.TempDir(), t.TempDir()
	pa, pb := identity(t, da, 1), identity(t, db, 2)
	ipa, ipb := fmt.Sprintf("127.0.%d.1", sub), fmt.Sprintf("127.0.%d.2", sub)
	ca := Config{Name: "a", IP: ipa, TCPPort: 39201, QUICPort: -1, Topics: []string{chat}, Links: rules}
	cb := Config{Name: "b", IP: ipb, TCPPort: 39201, QUICPort: -1, Topics: []string{chat}, Links: rules,
		Bootstrap: []string{fmt.Sprintf("/ip4/%s/tcp/39201/p2p/%s", ipa, pa)}}
	a = runInProcess(t, ca, da)
	b = runInProcess(t, cb, db)
	return a, b, pa.String(), pb.String()
}

// TestPublishInbox publishes on one node through the control API and
// reads the message from the other's inbox, then checks the trace.
func TestPublishInbox(t *testing.T) {
	a, b, _, _ := pair(t, 20, nil)
	var st Status
	call(t, "GET", b+"/status", nil, &st)
	if st.Peers != 1 || st.Name != "b" {
		t.Fatalf("status %+v", st)
	}
	time.Sleep(1500 * time.Millisecond) // one heartbeat: the mesh forms
	var rep PublishReply
	call(t, "POST", a+"/publish", PublishRequest{Topic: chat, Data: []byte("hi b")}, &rep)
	want := overlay.MessageID(chat, []byte("hi b"))
	var in InboxReply
	waitFor(t, 10*time.Second, "delivery at b", func() bool {
		call(t, "GET", b+"/inbox?data=1", nil, &in)
		return len(in.Deliveries) == 1
	})
	d := in.Deliveries[0]
	if d.ID != fmt.Sprintf("%x", want) || string(d.Data) != "hi b" || d.Kind != "gossip" {
		t.Fatalf("delivery %+v", d)
	}
	resp, err := http.Get(b + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "strata_gossip_delivered_total 1") || !strings.Contains(string(body), "process_resident_memory_bytes") {
		t.Fatalf("metrics lack the delivery counter or process figures:\n%.500s", body)
	}
	// Bad input is classified, not dropped.
	for _, tc := range []struct {
		topic string
		data  []byte
	}{{"/strata/1/test/other", []byte("x")}, {chat, nil}, {"nope", []byte("x")}} {
		resp, err := httpPost(a+"/publish", PublishRequest{Topic: tc.topic, Data: tc.data})
		if err != nil || resp/100 != 4 {
			t.Errorf("publish %q %q: status %d, %v", tc.topic, tc.data, resp, err)
		}
	}
}

// TestLinkRTT configures 25 ms of egress latency on both ends of a link
// and checks that the round trip measured by libp2p ping is within 10% of
// the configured 50 ms.
func TestLinkRTT(t *testing.T) {
	const oneWay = 25 * time.Millisecond
	a, _, _, idb := pair(t, 21, []LinkRule{{Class: "*", Latency: overlay.Duration(oneWay)}})
	var rep PingReply
	call(t, "POST", a+"/ping", map[string]any{"peer": idb, "count": 20}, &rep)
	rtts := slices.Clone(rep.RTTs)
	slices.Sort(rtts)
	median := rtts[len(rtts)/2]
	want := float64(2*oneWay) / 1e6
	if median < 0.9*want || median > 1.1*want {
		t.Fatalf("median RTT %.2f ms, configured %.0f ms (all: %v)", median, want, rep.RTTs)
	}
	t.Logf("median RTT %.2f ms for a configured %.0f ms", median, want)
}

// TestLinkChangeAndPartition changes a link at run time, then partitions
// the two nodes and heals them.
func TestLinkChangeAndPartition(t *testing.T) {
	a, b, _, idb := pair(t, 22, nil)
	call(t, "PUT", a+"/links", LinksRequest{Rules: []LinkRule{{Class: "*", Latency: overlay.Duration(40 * time.Millisecond)}}}, nil)
	var rep PingReply
	call(t, "POST", a+"/ping", map[string]any{"peer": idb, "count": 5}, &rep)
	if m := slices.Max(rep.RTTs); m < 40 {
		t.Fatalf("after a link change to 40 ms one way, RTTs %v", rep.RTTs)
	}
	call(t, "PUT", a+"/partition", PartitionRequest{Blocked: []string{"127.0.22.2"}}, nil)
	var st Status
	waitFor(t, 5*time.Second, "partition", func() bool {
		call(t, "GET", a+"/status", nil, &st)
		return st.Peers == 0
	})
	call(t, "PUT", a+"/partition", PartitionRequest{Blocked: nil}, nil)
	// b's bootstrap is done; reconnect from b's side by publishing needs a
	// connection: the sync dialer is off here, so dial through ping.
	waitFor(t, 10*time.Second, "reconnection", func() bool {
		resp, _ := httpPost(b+"/ping", map[string]any{"peer": mustStatus(t, a).PeerID, "count": 1})
		return resp == 200
	})
}

func mustStatus(t *testing.T, url string) Status {
	var st Status
	call(t, "GET", url+"/status", nil, &st)
	return st
}

// TestTraceFile checks that the trace is valid NDJSON with the node's
// name on every event.
func TestTraceFile(t *testing.T) {
	dir := t.TempDir()
	identity(t, dir, 9)
	cfg := Config{Name: "solo", IP: "127.0.23.1", TCPPort: 0, QUICPort: 0, Topics: []string{chat}}
	url := runInProcess(t, cfg, dir)
	call(t, "POST", url+"/publish", PublishRequest{Topic: chat, Data: []byte("to nobody")}, nil)
	call(t, "POST", url+"/shutdown", nil, nil)
	waitFor(t, 5*time.Second, "stop", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, TraceFile))
		return len(b) > 0 && slices.Contains(splitLines(b), "stopped")
	})
	f, err := os.Open(filepath.Join(dir, TraceFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kinds := map[trace.Kind]int{}
	if err := trace.Read(f, func(e trace.Event) error {
		if e.Node != "solo" {
			return fmt.Errorf("event of node %q", e.Node)
		}
		kinds[e.Kind]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// A node's own messages are sends, not deliveries.
	if kinds[trace.KindSend] != 1 || kinds[trace.KindDeliver] != 0 || kinds[trace.KindState] < 2 {
		t.Fatalf("event kinds %v", kinds)
	}
}

// TestLinkRTTQUIC is TestLinkRTT over QUIC alone: shaping applies to the
// UDP socket.
func TestLinkRTTQUIC(t *testing.T) {
	const oneWay = 25 * time.Millisecond
	rules := []LinkRule{{Class: "*", Latency: overlay.Duration(oneWay)}}
	da, db := t.TempDir(), t.TempDir()
	pa, pb := identity(t, da, 71), identity(t, db, 72)
	ca := Config{Name: "a", IP: "127.0.28.1", TCPPort: -1, QUICPort: 39601, Links: rules}
	cb := Config{Name: "b", IP: "127.0.28.2", TCPPort: -1, QUICPort: 39601, Links: rules,
		Bootstrap: []string{fmt.Sprintf("/ip4/127.0.28.1/udp/39601/quic-v1/p2p/%s", pa)}}
	a := runInProcess(t, ca, da)
	runInProcess(t, cb, db)
	var rep PingReply
	call(t, "POST", a+"/ping", map[string]any{"peer": pb.String(), "count": 20}, &rep)
	rtts := slices.Clone(rep.RTTs)
	slices.Sort(rtts)
	median := rtts[len(rtts)/2]
	want := float64(2*oneWay) / 1e6
	if median < 0.9*want || median > 1.1*want {
		t.Fatalf("median QUIC RTT %.2f ms, configured %.0f ms (all: %v)", median, want, rep.RTTs)
	}
}
