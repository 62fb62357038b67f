package spam

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"
)

// testTime is the fixed time of the tests: 2026-01-01T00:00:00Z.
var testTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const testTopic = "/strata/1/chat/general"

// testMember derives a member from a label.
func testMember(tb testing.TB, label string) *Member {
	tb.Helper()
	seed := sha256.Sum256([]byte("spam test member " + label))
	m, err := MemberFromSeed(seed[:])
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// testGroup is a registry of n members, a verifier that accepts its root,
// and the members with their leaves.
type testGroup struct {
	cfg     RLNConfig
	reg     *Registry
	ver     *Verifier
	members []*Member
}

func newTestGroup(tb testing.TB, cfg RLNConfig, n int) *testGroup {
	tb.Helper()
	reg, err := NewRegistry(cfg.Depth)
	if err != nil {
		tb.Fatal(err)
	}
	ver, err := NewVerifier(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	g := &testGroup{cfg: cfg, reg: reg, ver: ver}
	for i := range n {
		m := testMember(tb, fmt.Sprint(i))
		idx, err := reg.Register(m.Registration())
		if err != nil {
			tb.Fatal(err)
		}
		if idx != uint32(i) {
			tb.Fatalf("member %d got leaf %d", i, idx)
		}
		g.members = append(g.members, m)
	}
	ver.AcceptRoot(reg.Root())
	return g
}

// signal proves payload for member i in the epoch of now with index msg.
func (g *testGroup) signal(tb testing.TB, i int, now time.Time, msg uint32, topic string, payload []byte) *Envelope {
	tb.Helper()
	path, err := g.reg.Path(uint32(i))
	if err != nil {
		tb.Fatal(err)
	}
	e, err := g.members[i].Prove(SignalParams{LeafIndex: uint32(i), Path: path, Epoch: Epoch(now, g.cfg.EpochPeriod), MessageIndex: msg}, topic, payload)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func mustEncode(tb testing.TB, e *Envelope) []byte {
	tb.Helper()
	b, err := e.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
