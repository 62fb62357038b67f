package spam

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestRLNAcceptsOneMessagePerSlot(t *testing.T) {
	cfg := DefaultRLNConfig()
	cfg.Limit = 2
	g := newTestGroup(t, cfg, 3)
	for i := range g.members {
		for msg := uint32(0); msg < cfg.Limit; msg++ {
			e := g.signal(t, i, testTime, msg, testTopic, []byte{byte(i), byte(msg)})
			if ev, err := g.ver.Check(testTime, testTopic, e); err != nil || ev != nil {
				t.Fatalf("member %d message %d: %v", i, msg, err)
			}
		}
	}
	if g.ver.Stored() != 6 {
		t.Fatalf("stored %d nullifiers, want 6", g.ver.Stored())
	}
	// The next epoch is a fresh budget; the stored epoch stays while it
	// is within the gap, then is pruned.
	next := testTime.Add(cfg.EpochPeriod)
	e := g.signal(t, 0, next, 0, testTopic, []byte("next epoch"))
	if _, err := g.ver.Check(next, testTopic, e); err != nil {
		t.Fatal(err)
	}
	later := testTime.Add(3 * cfg.EpochPeriod)
	e = g.signal(t, 0, later, 0, testTopic, []byte("later"))
	if _, err := g.ver.Check(later, testTopic, e); err != nil {
		t.Fatal(err)
	}
	if g.ver.Stored() != 1 {
		t.Fatalf("stored %d nullifiers after pruning, want 1", g.ver.Stored())
	}
}

func TestRLNDoubleSignalRevealsKey(t *testing.T) {
	g := newTestGroup(t, DefaultRLNConfig(), 4)
	a := g.signal(t, 2, testTime, 0, testTopic, []byte("first"))
	b := g.signal(t, 2, testTime, 0, testTopic, []byte("second"))
	if _, err := g.ver.Check(testTime, testTopic, a); err != nil {
		t.Fatal(err)
	}
	// The same message again, byte for byte and re-proved: duplicates.
	if _, err := g.ver.Check(testTime, testTopic, a); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("replay: %v", err)
	}
	ev, err := g.ver.Check(testTime, testTopic, b)
	if !errors.Is(err, ErrDoubleSignal) || ev == nil {
		t.Fatalf("double signal: %v", err)
	}
	if ev.Kind != EvidenceKeyRecovered || ev.Secret != g.members[2].Secret() || ev.Member() != g.members[2].Public() {
		t.Fatalf("evidence %v does not give the member's key", ev.Kind)
	}
	if err := ev.Verify(); err != nil {
		t.Fatal(err)
	}
	rec, err := MemberFromSecret(ev.Secret)
	if err != nil || rec.Public() != g.members[2].Public() {
		t.Fatal("recovered key does not rebuild the member")
	}
	// The member is removed: even a fresh slot is refused now.
	c := g.signal(t, 2, testTime.Add(g.cfg.EpochPeriod), 0, testTopic, []byte("after"))
	if _, err := g.ver.Check(testTime.Add(g.cfg.EpochPeriod), testTopic, c); !errors.Is(err, ErrRemoved) {
		t.Fatalf("after removal: %v", err)
	}
	// Another verifier learns it from the evidence alone.
	other, _ := NewVerifier(g.cfg)
	other.AcceptRoot(g.reg.Root())
	if err := other.ApplyEvidence(*ev); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Check(testTime, testTopic, a); !errors.Is(err, ErrRemoved) {
		t.Fatalf("other verifier: %v", err)
	}
	// Tampered evidence does not verify.
	bad := *ev
	bad.Secret[0] ^= 1
	if err := bad.Verify(); !errors.Is(err, ErrEvidence) {
		t.Fatalf("tampered secret: %v", err)
	}
	bad = *ev
	bad.Second.MessageHash[0] ^= 1
	if err := bad.Verify(); !errors.Is(err, ErrEvidence) {
		t.Fatalf("tampered signal: %v", err)
	}
	same := Evidence{Kind: EvidenceConflict, First: ev.First, Second: ev.First}
	if err := same.Verify(); !errors.Is(err, ErrEvidence) {
		t.Fatalf("one signal twice: %v", err)
	}
	// The registry removes the leaf and bars the key.
	if err := g.reg.Remove(2); err != nil {
		t.Fatal(err)
	}
	if _, err := g.reg.Register(g.members[2].Registration()); !errors.Is(err, ErrRegistration) {
		t.Fatalf("re-registration: %v", err)
	}
}

func TestRLNDeviatingSlopeIsEvidence(t *testing.T) {
	g := newTestGroup(t, DefaultRLNConfig(), 2)
	path, _ := g.reg.Path(1)
	p := SignalParams{LeafIndex: 1, Path: path, Epoch: Epoch(testTime, g.cfg.EpochPeriod)}
	a, err := g.members[1].ProveWithSlopeSeed(p, testTopic, []byte("one"), []byte("slope a"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := g.members[1].ProveWithSlopeSeed(p, testTopic, []byte("two"), []byte("slope b"))
	if _, err := g.ver.Check(testTime, testTopic, a); err != nil {
		t.Fatal(err)
	}
	ev, err := g.ver.Check(testTime, testTopic, b)
	if !errors.Is(err, ErrDoubleSignal) || ev == nil || ev.Kind != EvidenceConflict || ev.Secret != ([ScalarSize]byte{}) {
		t.Fatalf("deviating slopes: %v %+v", err, ev)
	}
	if err := ev.Verify(); err != nil {
		t.Fatal(err)
	}
	// A deviating proof of the same message is a duplicate, not a
	// violation.
	g2 := newTestGroup(t, DefaultRLNConfig(), 2)
	c, _ := g2.members[1].ProveWithSlopeSeed(p, testTopic, []byte("same"), []byte("slope c"))
	d, _ := g2.members[1].ProveWithSlopeSeed(p, testTopic, []byte("same"), []byte("slope d"))
	if _, err := g2.ver.Check(testTime, testTopic, c); err != nil {
		t.Fatal(err)
	}
	if _, err := g2.ver.Check(testTime, testTopic, d); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("same message, other slope: %v", err)
	}
}

func TestRLNTopicIsBound(t *testing.T) {
	g := newTestGroup(t, DefaultRLNConfig(), 2)
	e := g.signal(t, 0, testTime, 0, testTopic, []byte("bound"))
	if _, err := g.ver.Check(testTime, "/strata/1/chat/other", e); !errors.Is(err, ErrBadShare) {
		t.Fatalf("other topic: %v", err)
	}
}

func TestRLNChecks(t *testing.T) {
	cfg := DefaultRLNConfig()
	g := newTestGroup(t, cfg, 3)
	ep := Epoch(testTime, cfg.EpochPeriod)
	path, _ := g.reg.Path(1)
	prove := func(p SignalParams) *Envelope {
		e, err := g.members[1].Prove(p, testTopic, []byte("checks"))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	good := SignalParams{LeafIndex: 1, Path: path, Epoch: ep}
	mut := func(f func(*RLNProof)) *Envelope {
		e := prove(good)
		f(e.RLN)
		return e
	}
	otherPath, _ := g.reg.Path(2)
	for _, c := range []struct {
		name string
		e    *Envelope
		want error
	}{
		{"epoch too old", prove(SignalParams{LeafIndex: 1, Path: path, Epoch: ep - 2}), ErrEpoch},
		{"epoch too new", prove(SignalParams{LeafIndex: 1, Path: path, Epoch: ep + 2}), ErrEpoch},
		{"epoch at the end of time", prove(SignalParams{LeafIndex: 1, Path: path, Epoch: ^uint64(0)}), ErrEpoch},
		{"index at the limit", prove(SignalParams{LeafIndex: 1, Path: path, Epoch: ep, MessageIndex: 1}), ErrMessageIndex},
		{"wrong leaf", prove(SignalParams{LeafIndex: 2, Path: path, Epoch: ep}), ErrUnknownRoot},
		{"wrong path", prove(SignalParams{LeafIndex: 1, Path: otherPath, Epoch: ep}), ErrUnknownRoot},
		{"short path", prove(SignalParams{LeafIndex: 1, Path: path[:15], Epoch: ep}), ErrUnknownRoot},
		{"share changed", mut(func(p *RLNProof) { p.Share[0] ^= 1 }), ErrBadShare},
		{"slope changed", mut(func(p *RLNProof) { p.Slope = g.members[0].Public() }), ErrBadShare},
		{"signature s changed", mut(func(p *RLNProof) { p.SigS[0] ^= 1 }), ErrBadSignature},
		{"signature R changed", mut(func(p *RLNProof) { p.SigR = g.members[0].Public() }), ErrBadSignature},
		{"kind none", &Envelope{Kind: KindNone}, ErrKind},
		{"valid", prove(good), nil},
	} {
		if _, err := g.ver.Check(testTime, testTopic, c.e); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// TestRLNIdentityKeyForgery: the empty leaf is the leaf of the identity
// encoding, so a signal claiming A0 = identity at an empty leaf has a
// valid path; with A0 = 0 anyone could make the share and the signature
// verify. Verifiers must refuse the identity key.
func TestRLNIdentityKeyForgery(t *testing.T) {
	g := newTestGroup(t, DefaultRLNConfig(), 1)
	path, _ := g.reg.Path(0)
	// Leaf 1 is empty; its path has leaf 0 as its first sibling and the
	// same upper nodes as leaf 0's.
	forged := append([][HashSize]byte{leafHash(g.members[0].Public())}, path[1:]...)
	if PathRoot([ElementSize]byte{}, 1, forged) != g.reg.Root() {
		t.Fatal("test setup: the forged path does not reach the root")
	}
	ep := Epoch(testTime, g.cfg.EpochPeriod)
	payload := []byte("forged")
	mh := messageHash(testTopic, payload)
	x := shareX(mh)
	a1 := hashToScalar([]byte("attacker slope"), dstSlope)
	y := grp.NewScalar().Mul(a1, x) // y·G = 0 + x·A1
	p := &RLNProof{LeafIndex: 1, Path: forged, Epoch: ep, Slope: elementBytes(grp.NewElement().MulGen(a1)), Share: scalarBytes(y)}
	// s·G = R + c·0: any s with R = s·G verifies.
	s := hashToScalar([]byte("attacker s"), dstNonce)
	p.SigR, p.SigS = elementBytes(grp.NewElement().MulGen(s)), scalarBytes(s)
	e := &Envelope{Kind: KindRLN, Payload: payload, RLN: p}
	if _, err := Decode(mustEncode(t, e)); err != nil {
		t.Fatalf("the forged envelope should be well-formed: %v", err)
	}
	if _, err := g.ver.Check(testTime, testTopic, e); !errors.Is(err, ErrBadKey) {
		t.Fatalf("identity key: %v", err)
	}
	if _, err := g.reg.Register(Registration{SigR: p.SigR, SigS: p.SigS}); !errors.Is(err, ErrBadKey) {
		t.Fatalf("registering the identity: %v", err)
	}
}

// TestRLNSingleBitFlips flips every bit of a valid envelope and of its
// topic: no variant is accepted.
func TestRLNSingleBitFlips(t *testing.T) {
	if testing.Short() {
		t.Skip("verifies one envelope per bit")
	}
	cfg := DefaultRLNConfig()
	cfg.Depth = 4
	g := newTestGroup(t, cfg, 5)
	e := g.signal(t, 3, testTime, 0, testTopic, []byte("flip me"))
	enc := mustEncode(t, e)
	accepted := 0
	for bit := range len(enc) * 8 {
		b := bytes.Clone(enc)
		b[bit/8] ^= 1 << (bit % 8)
		d, err := Decode(b)
		if err != nil {
			continue
		}
		v, _ := NewVerifier(cfg)
		v.AcceptRoot(g.reg.Root())
		if _, err := v.Check(testTime, testTopic, d); err == nil {
			t.Errorf("bit %d flipped: accepted", bit)
			accepted++
		}
	}
	topic := []byte(testTopic)
	for bit := range len(topic) * 8 {
		tp := bytes.Clone(topic)
		tp[bit/8] ^= 1 << (bit % 8)
		v, _ := NewVerifier(cfg)
		v.AcceptRoot(g.reg.Root())
		if _, err := v.Check(testTime, string(tp), e); err == nil {
			t.Errorf("topic bit %d flipped: accepted", bit)
		}
	}
}

func TestRegistry(t *testing.T) {
	reg, err := NewRegistry(3)
	if err != nil {
		t.Fatal(err)
	}
	empty, _ := EmptyRoot(3)
	if reg.Root() != empty {
		t.Fatal("new registry does not have the empty root")
	}
	var members []*Member
	var roots [][HashSize]byte
	for i := range 8 {
		m := testMember(t, string(rune('a'+i)))
		members = append(members, m)
		if _, err := reg.Register(m.Registration()); err != nil {
			t.Fatal(err)
		}
		roots = append(roots, reg.Root())
		for j, mj := range members {
			path, err := reg.Path(uint32(j))
			if err != nil {
				t.Fatal(err)
			}
			if PathRoot(mj.Public(), uint32(j), path) != reg.Root() {
				t.Fatalf("after %d members, member %d's path misses the root", i+1, j)
			}
		}
	}
	if _, err := reg.Register(testMember(t, "overflow").Registration()); !errors.Is(err, ErrRegistryFull) {
		t.Fatalf("ninth member: %v", err)
	}
	if _, err := reg.Register(members[0].Registration()); !errors.Is(err, ErrRegistration) {
		t.Fatalf("duplicate: %v", err)
	}
	reg2, _ := NewRegistry(3)
	bad := members[0].Registration()
	bad.SigS[0] ^= 1
	if _, err := reg2.Register(bad); !errors.Is(err, ErrRegistration) || !errors.Is(err, ErrBadSignature) {
		t.Fatalf("bad proof of possession: %v", err)
	}
	other := members[1].Registration()
	bad.SigR, bad.SigS = other.SigR, other.SigS
	if _, err := reg2.Register(bad); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("another member's proof: %v", err)
	}
	if idx, err := reg.Lookup(members[5].Public()); err != nil || idx != 5 {
		t.Fatalf("Lookup = %d, %v", idx, err)
	}
	if err := reg.Remove(5); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Path(5); !errors.Is(err, ErrUnknownMember) {
		t.Fatalf("path of a removed member: %v", err)
	}
	if err := reg.Remove(5); !errors.Is(err, ErrUnknownMember) {
		t.Fatalf("second removal: %v", err)
	}
	if _, err := reg.Lookup(members[5].Public()); !errors.Is(err, ErrUnknownMember) {
		t.Fatal("removed key still looked up")
	}
	for j, mj := range members {
		if j == 5 {
			continue
		}
		path, _ := reg.Path(uint32(j))
		if PathRoot(mj.Public(), uint32(j), path) != reg.Root() {
			t.Fatalf("after removal, member %d's path misses the root", j)
		}
	}
	if _, err := NewRegistry(0); !errors.Is(err, ErrConfig) {
		t.Fatal("depth 0 accepted")
	}
	if _, err := NewRegistry(MaxDepth + 1); !errors.Is(err, ErrConfig) {
		t.Fatal("depth 33 accepted")
	}
}

func TestVerifierRootWindowAndCapacity(t *testing.T) {
	cfg := DefaultRLNConfig()
	cfg.RootWindow = 2
	cfg.MaxNullifiers = 2
	g := newTestGroup(t, cfg, 3)
	old := g.signal(t, 0, testTime, 0, testTopic, []byte("old root"))
	for i := range 2 {
		m := testMember(t, "late"+string(rune('0'+i)))
		if _, err := g.reg.Register(m.Registration()); err != nil {
			t.Fatal(err)
		}
		g.ver.AcceptRoot(g.reg.Root())
		g.ver.AcceptRoot(g.reg.Root()) // the newest again changes nothing
	}
	if _, err := g.ver.Check(testTime, testTopic, old); !errors.Is(err, ErrUnknownRoot) {
		t.Fatalf("root out of the window: %v", err)
	}
	for i := range 2 {
		e := g.signal(t, i, testTime, 0, testTopic, []byte("fill"))
		if _, err := g.ver.Check(testTime, testTopic, e); err != nil {
			t.Fatal(err)
		}
	}
	e := g.signal(t, 2, testTime, 0, testTopic, []byte("full"))
	if _, err := g.ver.Check(testTime, testTopic, e); !errors.Is(err, ErrCapacity) {
		t.Fatalf("full store: %v", err)
	}
}

func TestSender(t *testing.T) {
	cfg := DefaultRLNConfig()
	cfg.Limit = 2
	g := newTestGroup(t, cfg, 2)
	path, _ := g.reg.Path(1)
	s, err := NewSender(g.members[1], cfg, 1, path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		e, err := s.Send(testTime, testTopic, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := g.ver.Check(testTime, testTopic, e); err != nil {
			t.Fatal(err)
		}
	}
	if s.Remaining(testTime) != 0 {
		t.Fatal("budget not used up")
	}
	if _, err := s.Send(testTime, testTopic, []byte("third")); !errors.Is(err, ErrRateExceeded) {
		t.Fatalf("third message: %v", err)
	}
	next := testTime.Add(cfg.EpochPeriod)
	if s.Remaining(next) != 2 {
		t.Fatal("new epoch without a fresh budget")
	}
	e, err := s.Send(next, testTopic, []byte("next"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.ver.Check(next, testTopic, e); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSender(g.members[1], cfg, 1, path[:3]); !errors.Is(err, ErrConfig) {
		t.Fatal("short path accepted")
	}
}

func TestMemberKeys(t *testing.T) {
	if _, err := MemberFromSeed(make([]byte, 31)); !errors.Is(err, ErrConfig) {
		t.Fatal("short seed accepted")
	}
	if _, err := NewMember(bytes.NewReader(make([]byte, 10))); !errors.Is(err, ErrRandom) {
		t.Fatal("short reader accepted")
	}
	seed := bytes.Repeat([]byte("reader seed "), 6)
	a, err := NewMember(bytes.NewReader(seed[:]))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MemberFromSeed(seed[:MemberSeedSize])
	if a.Public() != b.Public() || a.Secret() != b.Secret() {
		t.Fatal("NewMember and MemberFromSeed disagree")
	}
	if _, err := MemberFromSecret([ScalarSize]byte{}); !errors.Is(err, ErrBadKey) {
		t.Fatal("zero secret accepted")
	}
	var ff [ScalarSize]byte
	for i := range ff {
		ff[i] = 0xff
	}
	if _, err := MemberFromSecret(ff); !errors.Is(err, ErrNonCanonical) {
		t.Fatal("unreduced secret accepted")
	}
}

func TestRLNConfigValidate(t *testing.T) {
	if err := DefaultRLNConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(*RLNConfig){
		"depth 0":      func(c *RLNConfig) { c.Depth = 0 },
		"depth 33":     func(c *RLNConfig) { c.Depth = 33 },
		"limit 0":      func(c *RLNConfig) { c.Limit = 0 },
		"period 0":     func(c *RLNConfig) { c.EpochPeriod = 0 },
		"gap too wide": func(c *RLNConfig) { c.MaxEpochGap = 1001 },
		"no roots":     func(c *RLNConfig) { c.RootWindow = 0 },
		"no store":     func(c *RLNConfig) { c.MaxNullifiers = 0 },
	} {
		c := DefaultRLNConfig()
		f(&c)
		if _, err := NewVerifier(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if Epoch(time.Unix(-1, 0), time.Second) != 0 || Epoch(time.Unix(25, 0), 10*time.Second) != 2 {
		t.Fatal("Epoch")
	}
}

// TestVerifierConcurrent submits conflicting signals of one member from
// several goroutines (gossipsub validates concurrently): exactly one is
// accepted, and at least one of the others yields evidence.
func TestVerifierConcurrent(t *testing.T) {
	g := newTestGroup(t, DefaultRLNConfig(), 2)
	const n = 8
	envs := make([]*Envelope, n)
	for i := range envs {
		envs[i] = g.signal(t, 1, testTime, 0, testTopic, []byte{byte(i)})
	}
	type res struct {
		ev  *Evidence
		err error
	}
	out := make(chan res, n)
	for _, e := range envs {
		go func() {
			ev, err := g.ver.Check(testTime, testTopic, e)
			out <- res{ev, err}
		}()
	}
	accepted, evidence := 0, 0
	for range n {
		r := <-out
		switch {
		case r.err == nil:
			accepted++
		case errors.Is(r.err, ErrDoubleSignal):
			if r.ev == nil || r.ev.Secret != g.members[1].Secret() {
				t.Fatal("double signal without the key")
			}
			evidence++
		case errors.Is(r.err, ErrRemoved):
		default:
			t.Fatal(r.err)
		}
	}
	if accepted != 1 || evidence < 1 {
		t.Fatalf("%d accepted, %d with evidence", accepted, evidence)
	}
}
