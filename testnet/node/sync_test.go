package node

import (
	"fmt"
	"testing"
	"time"
)

// TestSyncOverGossip sends sync messages between two nodes over the
// group's gossip topic (frames in envelopes) instead of streams.
func TestSyncOverGossip(t *testing.T) {
	da, db := t.TempDir(), t.TempDir()
	pa, pb := identity(t, da, 51), identity(t, db, 52)
	group := GroupConfig{Name: "g", Members: []string{pa.String(), pb.String()}}
	ca := Config{Name: "a", IP: "127.0.27.1", TCPPort: 39501, QUICPort: -1,
		Sync: SyncConfig{Transport: TransportGossip, Groups: []GroupConfig{group}}}
	cb := ca
	cb.Name, cb.IP = "b", "127.0.27.2"
	cb.Bootstrap = []string{fmt.Sprintf("/ip4/127.0.27.1/tcp/39501/p2p/%s", pa)}
	a := runInProcess(t, ca, da)
	b := runInProcess(t, cb, db)
	time.Sleep(1500 * time.Millisecond) // the group topic's mesh forms
	for i := range 3 {
		call(t, "POST", a+"/send", PublishRequest{Topic: "g", Data: []byte(fmt.Sprintf("m%d", i))}, nil)
	}
	var in InboxReply
	waitFor(t, 20*time.Second, "sync deliveries at b", func() bool {
		call(t, "GET", b+"/inbox?data=1", nil, &in)
		return len(in.Deliveries) == 3
	})
	for _, d := range in.Deliveries {
		if d.Kind != "sync" || d.Topic != "g" || d.From != pa.String() {
			t.Fatalf("delivery %+v", d)
		}
	}
	// b acknowledged over gossip too: a's records for b drain.
	var st map[string]map[string]int
	call(t, "GET", b+"/sync/state", nil, &st)
	if st["g"]["delivered"] != 3 {
		t.Fatalf("b's store: %v", st)
	}
	// An unknown group is a client error.
	if code, _ := httpPost(a+"/send", PublishRequest{Topic: "nope", Data: []byte("x")}); code != 400 {
		t.Fatalf("send to an unknown group: status %d", code)
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	da, db := t.TempDir(), t.TempDir()
	pa, pb := identity(t, da, 53), identity(t, db, 54)
	env := encodeEnvelope(7, pa, pb, []byte("frame"))
	to, from, frame, err := decodeEnvelope(env)
	if err != nil || to != pa || from != pb || string(frame) != "frame" {
		t.Fatalf("%v %v %q %v", to, from, frame, err)
	}
	for n := range len(env) - 5 {
		if _, _, _, err := decodeEnvelope(env[:n]); err == nil {
			t.Fatalf("truncated envelope of %d bytes accepted", n)
		}
	}
}
