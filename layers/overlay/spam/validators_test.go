package spam

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
)

// verdict runs a validator and returns the gossipsub verdict and error.
func verdict(v overlay.Validator, from peer.ID, topic string, data []byte) (pubsub.ValidationResult, error) {
	err := v(context.Background(), from, topic, data)
	return overlay.Verdict(err), err
}

func TestValidatorsVerdicts(t *testing.T) {
	now := testTime
	clock := func() time.Time { return now }
	g := newTestGroup(t, DefaultRLNConfig(), 3)
	var evidence []Evidence
	rlnV, err := RLNValidator(g.ver, clock, func(ev Evidence) { evidence = append(evidence, ev) })
	if err != nil {
		t.Fatal(err)
	}
	pol := PoWPolicy{MinWork: 1, MaxTTL: 60}
	powV, err := PoWValidator(pol, clock)
	if err != nil {
		t.Fatal(err)
	}
	minted, _, _ := Mint([]byte("work"), now, MintParams{TTL: 10, Target: 1})
	// The first nonce from 0 whose work falls short of the policy.
	var weak *Envelope
	for start := uint64(0); weak == nil; start++ {
		e, _, _ := Mint([]byte("work"), now, MintParams{TTL: 10, Target: 0, Start: start})
		if r, _ := Work(e); r.Work < pol.MinWork {
			weak = e
		}
	}
	a := mustEncode(t, g.signal(t, 1, now, 0, testTopic, []byte("a")))
	b := mustEncode(t, g.signal(t, 1, now, 0, testTopic, []byte("b")))
	none := mustEncode(t, &Envelope{Kind: KindNone, Payload: []byte("plain")})
	for _, c := range []struct {
		name string
		v    overlay.Validator
		data []byte
		want pubsub.ValidationResult
		err  error
	}{
		{"pow accepted", powV, mustEncode(t, minted), pubsub.ValidationAccept, nil},
		{"pow too weak", powV, mustEncode(t, weak), pubsub.ValidationReject, ErrInsufficientWork},
		{"pow: rln envelope", powV, a, pubsub.ValidationReject, ErrKind},
		{"pow: garbage", powV, []byte{1, 2, 3}, pubsub.ValidationReject, ErrMalformed},
		{"rln accepted", rlnV, a, pubsub.ValidationAccept, nil},
		{"rln duplicate ignored", rlnV, a, pubsub.ValidationIgnore, ErrDuplicate},
		{"rln double signal rejected", rlnV, b, pubsub.ValidationReject, ErrDoubleSignal},
		{"rln removed member rejected", rlnV, a, pubsub.ValidationReject, ErrRemoved},
		{"rln: none envelope", rlnV, none, pubsub.ValidationReject, ErrKind},
		{"envelope only", EnvelopeValidator(KindNone), none, pubsub.ValidationAccept, nil},
		{"envelope only, wrong kind", EnvelopeValidator(KindNone), a, pubsub.ValidationReject, ErrKind},
	} {
		got, err := verdict(c.v, "peer", testTopic, c.data)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: verdict %v (%v), want %v (%v)", c.name, got, err, c.want, c.err)
		}
		if c.want == pubsub.ValidationReject && !errors.Is(err, overlay.ErrRejected) {
			t.Errorf("%s: a rejection should wrap overlay.ErrRejected: %v", c.name, err)
		}
	}
	if len(evidence) != 1 || evidence[0].Kind != EvidenceKeyRecovered || evidence[0].Secret != g.members[1].Secret() {
		t.Fatalf("evidence callback: %d calls", len(evidence))
	}
}

func TestRateLimitInspector(t *testing.T) {
	now := testTime
	clock := func() time.Time { return now }
	l, _ := NewRateLimiter(RateLimitConfig{Rate: 1, Burst: 2, MaxEntries: 8})
	var limited []string
	inspect, err := RateLimitInspector(l, clock, func(from peer.ID, m *pb.Message) { limited = append(limited, string(from)+" "+m.GetTopic()) })
	if err != nil {
		t.Fatal(err)
	}
	msg := func(topic, data string) *pb.Message { return &pb.Message{Topic: &topic, Data: []byte(data)} }
	other := "/strata/1/test/other"
	rpc := &pubsub.RPC{RPC: pb.RPC{
		Publish: []*pb.Message{msg(testTopic, "a"), msg(testTopic, "b"), msg(testTopic, "c"), msg(other, "d")},
		Control: &pb.ControlMessage{Graft: []*pb.ControlGraft{{TopicID: &other}}},
	}}
	if err := inspect("p", rpc); err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, m := range rpc.Publish {
		kept = append(kept, string(m.Data))
	}
	// A burst of 2 per (peer, topic): the third message on testTopic goes;
	// the other topic has a bucket of its own; control passes untouched.
	if strings.Join(kept, "") != "abd" || len(limited) != 1 || limited[0] != "p "+testTopic || len(rpc.Control.Graft) != 1 {
		t.Fatalf("kept %q, limited %q, control %v", kept, limited, rpc.Control)
	}
	// Another forwarding peer has its own bucket; time refills.
	rpc = &pubsub.RPC{RPC: pb.RPC{Publish: []*pb.Message{msg(testTopic, "e")}}}
	if err := inspect("q", rpc); err != nil || len(rpc.Publish) != 1 {
		t.Fatalf("another peer: %v, %d kept", err, len(rpc.Publish))
	}
	now = now.Add(time.Second)
	rpc = &pubsub.RPC{RPC: pb.RPC{Publish: []*pb.Message{msg(testTopic, "f"), msg(testTopic, "g")}}}
	if err := inspect("p", rpc); err != nil || len(rpc.Publish) != 1 {
		t.Fatalf("after 1 s at 1/s: %v, %d kept", err, len(rpc.Publish))
	}
	if _, err := RateLimitInspector(nil, clock, nil); !errors.Is(err, ErrConfig) {
		t.Fatal("nil limiter accepted")
	}
	if _, err := RateLimitInspector(l, nil, nil); !errors.Is(err, ErrConfig) {
		t.Fatal("nil clock accepted")
	}
}

func TestDefencesValidator(t *testing.T) {
	now := testTime
	clock := func() time.Time { return now }
	g := newTestGroup(t, DefaultRLNConfig(), 2)
	pol := PoWPolicy{MinWork: 1, MaxTTL: 60}
	minted, _, _ := Mint([]byte("work"), now, MintParams{TTL: 10, Target: 1})
	pow := mustEncode(t, minted)
	rln := mustEncode(t, g.signal(t, 0, now, 0, testTopic, []byte("r")))
	none := mustEncode(t, &Envelope{Kind: KindNone, Payload: []byte("n")})
	cases := []struct {
		name string
		d    Defences
		want map[string]pubsub.ValidationResult
	}{
		{"off", Defences{}, map[string]pubsub.ValidationResult{"none": pubsub.ValidationAccept, "pow": pubsub.ValidationAccept, "rln": pubsub.ValidationAccept}},
		{"pow", Defences{PoW: &pol, Clock: clock}, map[string]pubsub.ValidationResult{"none": pubsub.ValidationReject, "pow": pubsub.ValidationAccept, "rln": pubsub.ValidationReject}},
		{"rln", Defences{RLN: g.ver, Clock: clock}, map[string]pubsub.ValidationResult{"none": pubsub.ValidationReject, "pow": pubsub.ValidationReject, "rln": pubsub.ValidationAccept}},
		// The verifier accepted this signal in the case before: now it is a
		// duplicate, ignored.
		{"both", Defences{PoW: &pol, RLN: g.ver, Clock: clock}, map[string]pubsub.ValidationResult{"none": pubsub.ValidationReject, "pow": pubsub.ValidationAccept, "rln": pubsub.ValidationIgnore}},
	}
	data := map[string][]byte{"none": none, "pow": pow, "rln": rln}
	for _, c := range cases {
		v, err := c.d.Validator()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"none", "pow", "rln"} {
			from := peer.ID(c.name + k)
			if got, err := verdict(v, from, testTopic, data[k]); got != c.want[k] {
				t.Errorf("%s/%s: verdict %v (%v), want %v", c.name, k, got, err, c.want[k])
			}
		}
	}
	if _, err := (Defences{PoW: &pol}).Validator(); !errors.Is(err, ErrConfig) {
		t.Fatal("PoW without a clock accepted")
	}
	if _, err := (Defences{RLN: g.ver}).Validator(); !errors.Is(err, ErrConfig) {
		t.Fatal("RLN without a clock accepted")
	}
}

func TestCostModel(t *testing.T) {
	if RLNDelay(RoleSender) != 150*time.Millisecond || RLNDelay(RoleRelay) != 12*time.Millisecond || RLNDelay(0) != 0 {
		t.Fatal("RLNDelay")
	}
	if RLNPathDelay(5) != 210*time.Millisecond || RLNPathDelay(-1) != ProveDelay {
		t.Fatal("RLNPathDelay")
	}
	if RLNWireSize(1000) != 1384 {
		t.Fatal("RLNWireSize")
	}
}
