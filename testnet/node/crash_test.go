package node

import (
	"fmt"
	"testing"
	"time"
)

// TestKillRestartLosesNothing sends sync messages through node a's control
// API while its only peer b is down; every acknowledged message must
// survive a kill -9 of a and reach b after a restarts and b starts. Then
// b is killed with kill -9 and restarted: what it received is still there.
func TestKillRestartLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	const n = 20
	da, db := t.TempDir(), t.TempDir()
	pa, pb := identity(t, da, 31), identity(t, db, 32)
	ma := fmt.Sprintf("/ip4/127.0.24.1/tcp/39301/p2p/%s", pa)
	mb := fmt.Sprintf("/ip4/127.0.24.2/tcp/39301/p2p/%s", pb)
	group := GroupConfig{Name: "pair", Members: []string{ma, mb}}
	ca := Config{Name: "a", IP: "127.0.24.1", TCPPort: 39301, QUICPort: -1,
		Sync: SyncConfig{Transport: TransportStream, Groups: []GroupConfig{group}, BackoffCap: 0}}
	cb := ca
	cb.Name, cb.IP = "b", "127.0.24.2"

	urlA, procA := runChild(t, ca, da)
	for i := range n {
		var rep PublishReply
		call(t, "POST", urlA+"/send", PublishRequest{Topic: "pair", Data: []byte(fmt.Sprintf("message %d", i))}, &rep)
	}
	// Every send above was acknowledged: kill a at once.
	procA.kill9(t)

	urlA, _ = runChild(t, ca, da)
	var st map[string]map[string]int
	call(t, "GET", urlA+"/sync/state", nil, &st)
	if st["pair"]["messages"] != n {
		t.Fatalf("after kill -9 and restart a holds %v, want %d messages", st, n)
	}
	urlB, procB := runChild(t, cb, db)
	var in InboxReply
	waitFor(t, 60*time.Second, "all messages at b", func() bool {
		call(t, "GET", urlB+"/inbox", nil, &in)
		return len(in.Deliveries) == n
	})
	// Give b's acknowledgements time to reach a, then kill b.
	time.Sleep(500 * time.Millisecond)
	procB.kill9(t)
	urlB, _ = runChild(t, cb, db)
	call(t, "GET", urlB+"/sync/state", nil, &st)
	if st["pair"]["messages"] != n || st["pair"]["delivered"] != n {
		t.Fatalf("after kill -9 and restart b holds %v, want %d delivered", st, n)
	}
}
