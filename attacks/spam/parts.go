package spam

import "time"

// Part is one named study of the group: a flood, the runs that compare
// defences against it, and how its spam is counted.
type Part struct {
	Name, Property, About, Anchor string
	Flood                         Flood
	// Rate is the flood's rate: messages (message floods) or control RPCs
	// (control floods) per second to every neighbour.
	Rate float64
	// AllowedRate and AllowedBurst are what the attacker may send without
	// being a spammer (messages per second, and at once); 0 for invalid
	// messages. A node that received more of the attacker's messages than
	// AllowedBurst + AllowedRate × window was reached by spam.
	AllowedRate, AllowedBurst float64
	// Runs lists the baseline and attack runs, defence on and off.
	Runs []Run
	// NoGoal, when set, says why the issue's figure is not a goal of this
	// part; the part still records every figure.
	NoGoal string
}

// messageFlood reports whether the part's attacker publishes messages
// (whose hops are counted) rather than control RPCs.
func (p Part) messageFlood() bool { return p.Flood == FloodInvalid || p.Flood == FloodRate }

// allowance is how many of the attacker's messages a node may receive
// over window without being reached by spam.
func (p Part) allowance(window time.Duration) float64 {
	return p.AllowedBurst + p.AllowedRate*window.Seconds()
}

// Goal anchors.
const (
	anchorIssue   = "issue: spam at ≥ 10× the allowed rate, honest delivery ≥ 99% and spam at most one hop with validators and scoring on (Waku RLN relay; Whisper EIP-627)"
	anchorControl = "issue's spam figure for control floods: honest delivery ≥ 99% with scoring on (gossipsub v1.1: P7 behaviour penalty, IHAVE/IWANT/IDONTWANT bounds)"
)

// Why the rate-limit and proof-of-work parts carry no goal: the issue's
// figure holds the validator defences (validators with scoring, and the
// rate-limiting nullifiers, whose validator tells an over-rate sender's
// messages apart). A per-peer limit and proof of work cannot tell spam
// from honest traffic; what they trade is measured instead.
const (
	noGoalRateLimit = "a per-forwarding-peer limit cannot tell the spam it admits from honest traffic: the admitted share is valid and forwarded, and every relay's bucket then carries spam and honest messages alike, so the limit trades honest delivery against how far spam goes (the issue's figure is held by the validator defences: invalid-flood, rate-flood-rln)"
	noGoalPoW       = "proof of work prices a message but does not bound a sender with more hash power than the policy assumes: the attacker's 10× rate is valid work and spreads as honest traffic does (the issue's figure is held by the validator defences: invalid-flood, rate-flood-rln)"
)

// Parts returns the group's studies.
func Parts() []Part {
	vs := Defence{Validators: true, Scoring: true}
	off := Defence{}
	vOnly := Defence{Validators: true}
	rl := vs
	rl.RateLimit = true
	pow := vs
	pow.PoW = true
	rln := vs
	rln.RLN = true
	flood := float64(Multiplier) * AllowedRate
	control := func(name string, f Flood, about string) Part {
		return Part{Name: name, Flood: f, Rate: controlRate, Property: "honest delivery under control-message floods",
			About: about, Anchor: anchorControl,
			Runs: []Run{
				{Setting: "baseline", Defence: vs, DefenceOn: true},
				{Setting: "attack, scoring on", Flood: f, Defence: vs, DefenceOn: true},
				{Setting: "attack, scoring off", Flood: f, Defence: vOnly},
			}}
	}
	return []Part{
		{Name: "invalid-flood", Flood: FloodInvalid, Rate: flood, Property: "spam containment by validation and peer scoring",
			About:  "a raw-protocol peer publishes messages that fail the topic validator at 10× the per-peer allowed rate to its honest neighbours",
			Anchor: anchorIssue,
			Runs: []Run{
				{Setting: "baseline", Defence: vs, DefenceOn: true},
				{Setting: "attack, defence on", Flood: FloodInvalid, Defence: vs, DefenceOn: true},
				{Setting: "attack, scoring off", Flood: FloodInvalid, Defence: vOnly},
				{Setting: "attack, defence off", Flood: FloodInvalid, Defence: off},
			}},
		control("ihave-flood", FloodIHave, "a raw-protocol mesh peer sends 20 IHAVE/s of 5000 fresh message ids each and never serves them"),
		control("iwant-flood", FloodIWant, "a raw-protocol mesh peer sends 20 IWANT/s for every message id it has seen (and random ones), again and again"),
		control("graft-flood", FloodGraft, "a raw-protocol peer alternates PRUNE and GRAFT 20 times a second: every GRAFT after the first falls in the backoff"),
		control("idontwant-flood", FloodIDontWant, "a raw-protocol mesh peer sends 20 IDONTWANT/s (meshsub 1.2) of 1000 random message ids each"),
		{Name: "rate-flood-ratelimit", Flood: FloodRate, Rate: flood, AllowedRate: AllowedRate, AllowedBurst: AllowedBurst,
			Property: "per-peer rate limits", Anchor: anchorIssue,
			About:  "a peer publishes well-formed messages at 10× its allowed rate; defence: per-peer token buckets (4 msg/s, burst 8) beside validators and scoring",
			NoGoal: noGoalRateLimit,
			Runs: []Run{
				{Setting: "baseline", Defence: rl, DefenceOn: true},
				{Setting: "attack, limit on", Flood: FloodRate, Defence: rl, DefenceOn: true},
				{Setting: "attack, limit off", Flood: FloodRate, Defence: vs},
			}},
		{Name: "rate-flood-pow", Flood: FloodRate, Rate: flood, AllowedRate: AllowedRate, AllowedBurst: AllowedBurst,
			Property: "proof of work (EIP-627 style)", Anchor: anchorIssue,
			About:  "a desktop-class peer mints valid proof of work and publishes at 10× the per-peer allowed rate; honest publishers mint on a modelled phone",
			NoGoal: noGoalPoW,
			Runs: []Run{
				{Setting: "baseline", Defence: pow, DefenceOn: true},
				{Setting: "attack, pow on", Flood: FloodRate, Defence: pow, DefenceOn: true},
				{Setting: "attack, pow off", Flood: FloodRate, Defence: vs},
			}},
		{Name: "rate-flood-rln", Flood: FloodRate, Rate: flood, AllowedRate: RLNLimit / RLNEpoch.Seconds(), AllowedBurst: RLNLimit,
			Property: "rate-limiting nullifiers (RLN-like)", Anchor: anchorIssue,
			About: "a registered member publishes 40 messages per 1 s epoch (limit 1) by reusing its nullifier; RLN's 150 ms prove / 12 ms verify modelled as delays",
			Runs: []Run{
				{Setting: "baseline, rln off", Defence: vs},
				{Setting: "baseline, rln on", Defence: rln, DefenceOn: true},
				{Setting: "attack, rln on", Flood: FloodRate, Defence: rln, DefenceOn: true},
				{Setting: "attack, rln off", Flood: FloodRate, Defence: vs},
			}},
	}
}

// Sizes of the study.
var (
	// SmallSize is what `go test` runs.
	SmallSize = Size{Honest: 12, Degree: 3, Links: 2, Publishers: 3, Interval: 2 * time.Second,
		Warmup: 5 * time.Second, Attack: 6 * time.Second, Drain: 3 * time.Second}
	// QuickSize is what `strata attack spam --quick` runs.
	QuickSize = Size{Honest: 16, Degree: 4, Links: 3, Publishers: 4, Interval: 2 * time.Second,
		Warmup: 5 * time.Second, Attack: 8 * time.Second, Drain: 4 * time.Second}
	// FullSize is the full study.
	FullSize = Size{Honest: 60, Degree: 5, Links: 4, Publishers: 8, Interval: 4 * time.Second,
		Warmup: 10 * time.Second, Attack: 40 * time.Second, Drain: 8 * time.Second}
)
