package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/overlay"
)

// censor ignores every inbound gossip message: a covert censor.
type censor struct{ started bool }

func (c *censor) Start(context.Context, Env) error { c.started = true; return nil }

func (c *censor) Inbound(context.Context, peer.ID, string, []byte) error {
	return fmt.Errorf("%w: censored", overlay.ErrIgnored)
}

// TestBehaviourPlugsIn runs a node with a registered behaviour that
// censors everything: it delivers nothing, and its trace names every drop
// as the behaviour's (policy).
func TestBehaviourPlugsIn(t *testing.T) {
	da, db := t.TempDir(), t.TempDir()
	pa := identity(t, da, 41)
	identity(t, db, 42)
	c := &censor{}
	reg := map[string]BehaviourFactory{"censor": func(map[string]string) (Behaviour, error) { return c, nil }}
	ca := Config{Name: "a", IP: "127.0.25.1", TCPPort: 39401, QUICPort: -1, Topics: []string{chat}}
	cb := Config{Name: "b", IP: "127.0.25.2", TCPPort: 39401, QUICPort: -1, Topics: []string{chat}, Behaviour: "censor",
		Bootstrap: []string{fmt.Sprintf("/ip4/127.0.25.1/tcp/39401/p2p/%s", pa)}}
	a := runInProcess(t, ca, da)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cb, db, Options{Behaviours: reg, Logger: quiet}) }()
	b := waitReady(t, db, done)
	if !c.started {
		t.Fatal("behaviour not started")
	}
	time.Sleep(1500 * time.Millisecond)
	call(t, "POST", a+"/publish", PublishRequest{Topic: chat, Data: []byte("censor me")}, nil)
	time.Sleep(time.Second)
	var in InboxReply
	call(t, "GET", b+"/inbox", nil, &in)
	if len(in.Deliveries) != 0 {
		t.Fatalf("censor delivered %v", in.Deliveries)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(db, TraceFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	policy := 0
	trace.Read(f, func(e trace.Event) error {
		if e.Kind == trace.KindDrop && e.Reason == trace.ReasonPolicy {
			policy++
		}
		return nil
	})
	if policy != 1 {
		t.Fatalf("%d policy drops in the censor's trace, want 1", policy)
	}
	// An unknown behaviour is a configuration error naming the known ones.
	cb.Behaviour = "nope"
	if err := Run(context.Background(), cb, t.TempDir(), Options{Behaviours: reg, Logger: quiet}); err == nil {
		t.Fatal("unknown behaviour accepted")
	}
}
