package spam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// ---- spam_rln.json ----

type rlnConfigJSON struct {
	Depth              int    `json:"depth"`
	Limit              uint32 `json:"limit"`
	EpochPeriodSeconds int64  `json:"epoch_period_seconds"`
	MaxEpochGap        uint64 `json:"max_epoch_gap"`
	RootWindow         int    `json:"root_window"`
	MaxNullifiers      int    `json:"max_nullifiers"`
}

func (c rlnConfigJSON) config() RLNConfig {
	return RLNConfig{Depth: c.Depth, Limit: c.Limit, EpochPeriod: time.Duration(c.EpochPeriodSeconds) * time.Second,
		MaxEpochGap: c.MaxEpochGap, RootWindow: c.RootWindow, MaxNullifiers: c.MaxNullifiers}
}

type rlnMemberJSON struct {
	Seed         string `json:"seed"`
	Secret       string `json:"secret"`
	Public       string `json:"public"`
	Leaf         uint32 `json:"leaf"`
	Registration string `json:"registration"`
}

type rlnEvidenceJSON struct {
	Kind   string `json:"kind"`
	Secret string `json:"secret,omitempty"`
}

type rlnStep struct {
	// Inputs.
	Note         string `json:"note"`
	Member       int    `json:"member"`
	Now          int64  `json:"now"`
	Epoch        uint64 `json:"epoch"`
	MessageIndex uint32 `json:"message_index"`
	Topic        string `json:"topic"`
	VerifyTopic  string `json:"verify_topic"`
	Payload      string `json:"payload"`
	// SlopeSeed, when set, replaces the specified slope (a deviating
	// member): a1 = H_scalar(slope_seed, dstSlope).
	SlopeSeed string `json:"slope_seed,omitempty"`
	// Mutation alters the proof after proving: "share" (flip bit 0 of
	// y), "signature" (flip bit 0 of s), "leaf-index" (flip bit 0 of the
	// leaf index), "identity-forgery" (see SPEC.md, "Security
	// considerations").
	Mutation string `json:"mutation,omitempty"`
	// Outputs.
	Nullifier   string           `json:"nullifier"`
	MessageHash string           `json:"message_hash"`
	X           string           `json:"x"`
	SlopeSecret string           `json:"slope_secret"`
	Envelope    string           `json:"envelope"`
	Expect      string           `json:"expect"`
	Evidence    *rlnEvidenceJSON `json:"evidence,omitempty"`
}

type rlnCase struct {
	Name    string          `json:"name"`
	Config  rlnConfigJSON   `json:"config"`
	Members []rlnMemberJSON `json:"members"`
	Root    string          `json:"root"`
	Steps   []rlnStep       `json:"steps"`
}

// vectorGroupState is a registry with members from vector seeds.
type vectorGroupState struct {
	reg     *Registry
	members []*Member
}

func vectorGroup(cfg RLNConfig, n int) (*vectorGroupState, error) {
	reg, err := NewRegistry(cfg.Depth)
	if err != nil {
		return nil, err
	}
	g := &vectorGroupState{reg: reg}
	for i := range n {
		m, err := MemberFromSeed(vectorSeed(i))
		if err != nil {
			return nil, err
		}
		if _, err := reg.Register(m.Registration()); err != nil {
			return nil, err
		}
		g.members = append(g.members, m)
	}
	return g, nil
}

func genRLN() (any, error) {
	t := vectorTime.Unix()
	const topic, other = "/strata/1/chat/general", "/strata/1/chat/other"
	small := rlnConfigJSON{Depth: 4, Limit: 2, EpochPeriodSeconds: 10, MaxEpochGap: 1, RootWindow: 5, MaxNullifiers: 64}
	ep := uint64(t / 10)
	step := func(note string, member int, now int64, epoch uint64, idx uint32, payload string) rlnStep {
		return rlnStep{Note: note, Member: member, Now: now, Epoch: epoch, MessageIndex: idx, Topic: topic, VerifyTopic: topic, Payload: hx([]byte(payload))}
	}
	with := func(s rlnStep, f func(*rlnStep)) rlnStep { f(&s); return s }
	a := rlnCase{Name: "depth 4, limit 2: honest signals, duplicates, violations and removal", Config: small, Steps: []rlnStep{
		step("member 0, first message of the epoch", 0, t, ep, 0, "hello"),
		step("member 0, second message of the epoch", 0, t, ep, 1, "world"),
		step("member 0 re-sends its first message: duplicate", 0, t, ep, 0, "hello"),
		step("message index at the limit", 1, t, ep, 2, "third"),
		step("epoch two behind the verifier's", 1, t, ep-2, 0, "stale"),
		step("epoch one behind: within the gap", 1, t, ep-1, 0, "slightly late"),
		step("member 2, first message", 2, t, ep, 0, "a"),
		step("member 2, another message under the same nullifier: key recovered", 2, t, ep, 0, "b"),
		step("member 2 after removal, in the next epoch", 2, t+10, ep+1, 0, "again"),
		with(step("member 3 deviates from the slope derivation", 3, t, ep, 0, "x"), func(s *rlnStep) { s.SlopeSeed = hx([]byte("deviant slope x")) }),
		with(step("member 3 deviates again under the same nullifier: conflicting signatures", 3, t, ep, 0, "y"), func(s *rlnStep) { s.SlopeSeed = hx([]byte("deviant slope y")) }),
		with(step("share altered", 4, t, ep, 0, "m"), func(s *rlnStep) { s.Mutation = "share" }),
		with(step("signature altered", 4, t, ep, 0, "m"), func(s *rlnStep) { s.Mutation = "signature" }),
		with(step("leaf index altered", 4, t, ep, 0, "m"), func(s *rlnStep) { s.Mutation = "leaf-index" }),
		with(step("verified on another topic than proved", 4, t, ep, 0, "m"), func(s *rlnStep) { s.VerifyTopic = other }),
		with(step("identity key at an empty leaf", 4, t, ep, 0, "forged"), func(s *rlnStep) { s.Mutation = "identity-forgery" }),
		step("member 4, valid", 4, t, ep, 0, "m"),
	}}
	def := DefaultRLNConfig()
	b := rlnCase{Name: "default configuration (depth 16, limit 1, 10 s epochs): one signal, then a double signal", Config: rlnConfigJSON{
		Depth: def.Depth, Limit: def.Limit, EpochPeriodSeconds: int64(def.EpochPeriod / time.Second), MaxEpochGap: def.MaxEpochGap,
		RootWindow: def.RootWindow, MaxNullifiers: def.MaxNullifiers}, Steps: []rlnStep{
		step("member 1, one message", 1, t, ep, 0, "only one per epoch"),
		step("member 1, a second message in the epoch: key recovered", 1, t, ep, 0, "one too many"),
	}}
	var out []rlnCase
	for _, c := range []rlnCase{a, b} {
		nm := 2
		if c.Config.Depth == 4 {
			nm = 5
		}
		for range nm {
			c.Members = append(c.Members, rlnMemberJSON{})
		}
		for i := range c.Members {
			c.Members[i].Seed = hx(vectorSeed(i))
		}
		got, err := rlnOutcome(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		out = append(out, got)
	}
	return out, nil
}

// rlnOutcome runs a case from its inputs (config, member seeds, step
// inputs) and returns it with every output filled in.
func rlnOutcome(in rlnCase) (rlnCase, error) {
	out := rlnCase{Name: in.Name, Config: in.Config}
	cfg := in.Config.config()
	ver, err := NewVerifier(cfg)
	if err != nil {
		return out, err
	}
	reg, err := NewRegistry(cfg.Depth)
	if err != nil {
		return out, err
	}
	var members []*Member
	for _, mj := range in.Members {
		seed, err := unhex(mj.Seed)
		if err != nil {
			return out, err
		}
		m, err := MemberFromSeed(seed)
		if err != nil {
			return out, err
		}
		r := m.Registration()
		leaf, err := reg.Register(r)
		if err != nil {
			return out, err
		}
		sec, pub := m.Secret(), m.Public()
		out.Members = append(out.Members, rlnMemberJSON{Seed: mj.Seed, Secret: hx(sec[:]), Public: hx(pub[:]), Leaf: leaf,
			Registration: hx(registrationBytes(r))})
		members = append(members, m)
	}
	root := reg.Root()
	out.Root = hx(root[:])
	ver.AcceptRoot(root)
	for i, s := range in.Steps {
		got, err := rlnStepOutcome(s, reg, members, ver)
		if err != nil {
			return out, fmt.Errorf("step %d (%s): %w", i, s.Note, err)
		}
		out.Steps = append(out.Steps, got)
	}
	return out, nil
}

func rlnStepOutcome(s rlnStep, reg *Registry, members []*Member, ver *Verifier) (rlnStep, error) {
	out := rlnStep{Note: s.Note, Member: s.Member, Now: s.Now, Epoch: s.Epoch, MessageIndex: s.MessageIndex, Topic: s.Topic,
		VerifyTopic: s.VerifyTopic, Payload: s.Payload, SlopeSeed: s.SlopeSeed, Mutation: s.Mutation}
	if s.Member < 0 || s.Member >= len(members) {
		return out, fmt.Errorf("no member %d", s.Member)
	}
	m := members[s.Member]
	payload, err := unhex(s.Payload)
	if err != nil {
		return out, err
	}
	path := reg.pathAt(uint32(s.Member))
	p := SignalParams{LeafIndex: uint32(s.Member), Path: path, Epoch: s.Epoch, MessageIndex: s.MessageIndex}
	var e *Envelope
	slope := slopeScalar(m.Secret(), s.Epoch, s.MessageIndex)
	if s.SlopeSeed != "" {
		seed, err := unhex(s.SlopeSeed)
		if err != nil {
			return out, err
		}
		slope = hashToScalar(seed, dstSlope)
		e, err = m.ProveWithSlopeSeed(p, s.Topic, payload, seed)
		if err != nil {
			return out, err
		}
	} else if e, err = m.Prove(p, s.Topic, payload); err != nil {
		return out, err
	}
	switch s.Mutation {
	case "":
	case "share":
		e.RLN.Share[0] ^= 1
	case "signature":
		e.RLN.SigS[0] ^= 1
	case "leaf-index":
		e.RLN.LeafIndex ^= 1
	case "identity-forgery":
		e = identityForgery(reg, s.Epoch, s.Topic, payload)
		if e == nil {
			return out, fmt.Errorf("no empty leaf for the forgery")
		}
	default:
		return out, fmt.Errorf("unknown mutation %q", s.Mutation)
	}
	enc, err := e.Encode()
	if err != nil {
		return out, err
	}
	mh := messageHash(s.Topic, payload)
	null := Nullifier(e.RLN.Member, s.Epoch, s.MessageIndex)
	xb, ab := scalarBytes(shareX(mh)), scalarBytes(slope)
	out.Nullifier, out.MessageHash, out.X, out.SlopeSecret, out.Envelope = hx(null[:]), hx(mh[:]), hx(xb[:]), hx(ab[:]), hx(enc)
	dec, err := Decode(enc)
	if err != nil {
		out.Expect = ErrorName(err)
		return out, nil
	}
	ev, cerr := ver.Check(time.Unix(s.Now, 0), s.VerifyTopic, dec)
	out.Expect = ErrorName(cerr)
	if ev != nil {
		out.Evidence = &rlnEvidenceJSON{Kind: ev.Kind.String()}
		if ev.Kind == EvidenceKeyRecovered {
			out.Evidence.Secret = hx(ev.Secret[:])
		}
	}
	return out, nil
}

// identityForgery builds the envelope of an attacker who claims the
// identity as its key at the first empty leaf: with A0 = 0, the share
// y = a1·x and a signature with R = s·G verify for any a1 and s.
func identityForgery(reg *Registry, epoch uint64, topic string, payload []byte) *Envelope {
	reg.mu.Lock()
	n := uint64(len(reg.leaves))
	if n >= uint64(1)<<reg.depth {
		reg.mu.Unlock()
		return nil
	}
	path := reg.pathAt(uint32(n))
	reg.mu.Unlock()
	x := shareX(messageHash(topic, payload))
	a1 := hashToScalar([]byte("forger slope"), dstSlope)
	k := hashToScalar([]byte("forger s"), dstNonce)
	p := &RLNProof{LeafIndex: uint32(n), Path: path, Epoch: epoch,
		Slope: elementBytes(grp.NewElement().MulGen(a1)), Share: scalarBytes(grp.NewScalar().Mul(a1, x)),
		SigR: elementBytes(grp.NewElement().MulGen(k)), SigS: scalarBytes(k)}
	return &Envelope{Kind: KindRLN, Payload: payload, RLN: p}
}

func checkRLN(c rlnCase) error {
	got, err := rlnOutcome(c)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	gb, _ := json.Marshal(got)
	cb, _ := json.Marshal(c)
	if !bytes.Equal(gb, cb) {
		for i := range min(len(got.Steps), len(c.Steps)) {
			a, _ := json.Marshal(got.Steps[i])
			b, _ := json.Marshal(c.Steps[i])
			if !bytes.Equal(a, b) {
				return fmt.Errorf("%s: step %d (%s): running it gives %s, the file records %s", c.Name, i, c.Steps[i].Note, a, b)
			}
		}
		return fmt.Errorf("%s: members, root or step count differ from what the file records", c.Name)
	}
	return nil
}

// ---- spam_registrations.json ----

// registrationBytes encodes a registration: A0 || R || s.
func registrationBytes(r Registration) []byte {
	return bytes.Join([][]byte{r.Member[:], r.SigR[:], r.SigS[:]}, nil)
}

type registrationCase struct {
	Name         string `json:"name"`
	Registration string `json:"registration"`
	Expect       string `json:"expect"`
}

func genRegistrations() (any, error) {
	var out []registrationCase
	m0, err := MemberFromSeed(vectorSeed(0))
	if err != nil {
		return nil, err
	}
	m1, _ := MemberFromSeed(vectorSeed(1))
	r0, r1 := m0.Registration(), m1.Registration()
	alter := func(r Registration, f func(*Registration)) Registration { f(&r); return r }
	for _, in := range []struct {
		name string
		r    Registration
	}{
		{"member 0", r0},
		{"member 1", r1},
		{"s altered", alter(r0, func(r *Registration) { r.SigS[0] ^= 1 })},
		{"R altered", alter(r0, func(r *Registration) { r.SigR = r1.SigR })},
		{"another member's proof", alter(r0, func(r *Registration) { r.SigR, r.SigS = r1.SigR, r1.SigS })},
		{"identity key", alter(r0, func(r *Registration) { r.Member = [ElementSize]byte{} })},
		{"key not an encoding", alter(r0, func(r *Registration) { r.Member = [ElementSize]byte{0xff} })},
		{"s not reduced", alter(r0, func(r *Registration) {
			for i := range r.SigS {
				r.SigS[i] = 0xff
			}
		})},
	} {
		c, err := registrationOutcome(registrationCase{Name: in.name, Registration: hx(registrationBytes(in.r))})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func registrationOutcome(c registrationCase) (registrationCase, error) {
	b, err := unhex(c.Registration)
	if err != nil {
		return c, err
	}
	if len(b) != ElementSize+ElementSize+ScalarSize {
		return c, fmt.Errorf("registration of %d bytes", len(b))
	}
	var r Registration
	copy(r.Member[:], b)
	copy(r.SigR[:], b[ElementSize:])
	copy(r.SigS[:], b[2*ElementSize:])
	reg, err := NewRegistry(4)
	if err != nil {
		return c, err
	}
	_, rerr := reg.Register(r)
	return registrationCase{Name: c.Name, Registration: c.Registration, Expect: ErrorName(rerr)}, nil
}

func checkRegistration(c registrationCase) error {
	got, err := registrationOutcome(c)
	if err != nil {
		return fmt.Errorf("%s: %w", c.Name, err)
	}
	if got != c {
		return fmt.Errorf("%s: registering gives %s, the file records %s", c.Name, got.Expect, c.Expect)
	}
	return nil
}
