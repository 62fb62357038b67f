package node

import (
	"context"
	"fmt"
	gosync "sync"
	"testing"
	"time"
)

// TestSessions sends session messages both ways between two nodes, then
// restarts the receiver on its data directory: the stored session
// decrypts the next message.
func TestSessions(t *testing.T) {
	da, db := t.TempDir(), t.TempDir()
	pa, pb := identity(t, da, 81), identity(t, db, 82)
	ca := Config{Name: "a", IP: "127.0.29.1", TCPPort: 39701, QUICPort: -1, Sessions: true}
	cb := Config{Name: "b", IP: "127.0.29.2", TCPPort: 39701, QUICPort: -1, Sessions: true,
		Bootstrap: []string{fmt.Sprintf("/ip4/127.0.29.1/tcp/39701/p2p/%s", pa)}}
	a := runInProcess(t, ca, da)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cb, db, Options{Logger: quiet}) }()
	b := waitReady(t, db, done)
	for i := range 3 {
		call(t, "POST", a+"/session/send", SessionSendRequest{Peer: pb.String(), Data: []byte(fmt.Sprintf("a%d", i))}, nil)
	}
	call(t, "POST", b+"/session/send", SessionSendRequest{Peer: pa.String(), Data: []byte("b0")}, nil)
	var in InboxReply
	call(t, "GET", b+"/inbox?data=1", nil, &in)
	if len(in.Deliveries) != 3 || string(in.Deliveries[2].Data) != "a2" || in.Deliveries[0].Kind != "session" {
		t.Fatalf("b's inbox: %+v", in.Deliveries)
	}
	call(t, "GET", a+"/inbox?data=1", nil, &in)
	if len(in.Deliveries) != 1 || string(in.Deliveries[0].Data) != "b0" {
		t.Fatalf("a's inbox: %+v", in.Deliveries)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	b = runInProcess(t, cb, db)
	waitFor(t, 10*time.Second, "a and b reconnected", func() bool {
		return mustStatus(t, b).Peers == 1
	})
	call(t, "POST", a+"/session/send", SessionSendRequest{Peer: pb.String(), Data: []byte("after restart")}, nil)
	call(t, "GET", b+"/inbox?data=1", nil, &in)
	if len(in.Deliveries) != 1 || string(in.Deliveries[0].Data) != "after restart" {
		t.Fatalf("b's inbox after restart: %+v", in.Deliveries)
	}
}

// TestSessionsBothWaysAtOnce has two nodes start sessions with each
// other at the same time, then send to each other concurrently: the
// crossing starts settle on one session and nothing waits on a lock held
// across the network.
func TestSessionsBothWaysAtOnce(t *testing.T) {
	da, db := t.TempDir(), t.TempDir()
	pa, pb := identity(t, da, 83), identity(t, db, 84)
	ca := Config{Name: "a", IP: "127.0.29.3", TCPPort: 39701, QUICPort: -1, Sessions: true}
	cb := Config{Name: "b", IP: "127.0.29.4", TCPPort: 39701, QUICPort: -1, Sessions: true,
		Bootstrap: []string{fmt.Sprintf("/ip4/127.0.29.3/tcp/39701/p2p/%s", pa)}}
	a := runInProcess(t, ca, da)
	b := runInProcess(t, cb, db)
	send := func(from, to string, data string) int {
		code, _ := httpPost(from+"/session/send", SessionSendRequest{Peer: to, Data: []byte(data)})
		return code
	}
	// Crossing starts: at most the first message of the losing side fails.
	var ca0, cb0 int
	var wg gosync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ca0 = send(a, pb.String(), "a-start") }()
	go func() { defer wg.Done(); cb0 = send(b, pa.String(), "b-start") }()
	wg.Wait()
	if ca0 != 200 && cb0 != 200 {
		t.Fatalf("both crossing starts failed: %d, %d", ca0, cb0)
	}
	codes := make([]int, 20)
	for i := range 10 {
		wg.Add(2)
		go func() { defer wg.Done(); codes[2*i] = send(a, pb.String(), fmt.Sprintf("a%d", i)) }()
		go func() { defer wg.Done(); codes[2*i+1] = send(b, pa.String(), fmt.Sprintf("b%d", i)) }()
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Fatalf("send %d after the start: status %d", i, c)
		}
	}
}
