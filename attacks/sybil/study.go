package sybil

import (
	"fmt"
	"maps"
	"runtime/debug"
	"slices"
	"strconv"
	"time"
)

// Size is the scale a study runs at.
type Size int

// Sizes.
const (
	// Small is the version `go test` runs with assertions.
	Small Size = iota
	// Quick is `strata attack sybil --quick` (and `make audit`).
	Quick
	// Full is the study at the scale.
	Full
)

// Labeled is one run of a part and the labels its metrics carry.
type Labeled struct {
	Labels map[string]string
	Run    Run
}

// Part is one named adversary model of the study.
type Part struct {
	Name, Property, About, Anchor string
	// Plan lists the part's runs at a size: for each scoring setting the
	// attack-free baseline (label run=baseline) and the attack runs
	// (run=attack), with any further labels of the part.
	Plan func(Size) []Labeled
	// Extra is the label key a part varies beside run and scoring
	// ("policy", "placement", "ratio"; "" for none).
	Extra string
}

// shape is a study's honest network and workload at one size.
type shape struct {
	honest                  int
	settle, duration, drain time.Duration
	attackAt                time.Duration
	sample                  time.Duration
}

func shapeOf(s Size) shape {
	if s == Full {
		return shape{honest: 1000, settle: 8 * time.Second, duration: 24 * time.Second, drain: 4 * time.Second,
			attackAt: 8 * time.Second, sample: 4 * time.Second}
	}
	return shape{honest: 30, settle: 4 * time.Second, duration: 16 * time.Second, drain: 2 * time.Second,
		attackAt: 4 * time.Second, sample: 2 * time.Second}
}

// coldBootDuration is the cold boot's workload: longer than gossipsub's
// opportunistic grafting period (60 heartbeats), the mechanism by which
// scoring lets honest peers back into meshes that Sybils filled first.
const coldBootDuration = 75 * time.Second

// base is the honest network and workload of a shape, without Sybils.
func (sh shape) base() Run {
	return Run{
		Honest: sh.honest, Bootstrap: 4, PerSybil: 1,
		Publishers: max(2, sh.honest/10), Rate: 2, Size: 256,
		Settle: sh.settle, Duration: sh.duration, Drain: sh.drain, AttackAt: sh.attackAt,
		Latency: 25 * time.Millisecond, Sample: sh.sample,
	}
}

// plan expands attack runs into the part's plan: a baseline per scoring
// setting and every attack run with scoring on and off.
func plan(base Run, attacks ...Labeled) []Labeled {
	var out []Labeled
	for _, scoring := range []string{"on", "off"} {
		b := base
		b.Sybils, b.ScoringOff = 0, scoring == "off"
		out = append(out, Labeled{Labels: map[string]string{"run": "baseline", "scoring": scoring}, Run: b})
		for _, a := range attacks {
			l := maps.Clone(a.Labels)
			l["run"], l["scoring"] = "attack", scoring
			r := a.Run
			r.ScoringOff = scoring == "off"
			out = append(out, Labeled{Labels: l, Run: r})
		}
	}
	return out
}

func censorAll(g GraftMode) Config {
	return Config{Policy: Policy{Mode: DropAll}, Graft: g}
}

// pushRatios are the Sybil:honest ratios of ratio-push (beyond 10:1 with
// scoring on, while memory and time allow); at the full size it runs on
// pushHonest honest nodes.
var pushRatios = []int{10, 20, 40, 80}

const pushHonest = 100

// Parts returns the study's parts, the main attack (eclipse-network)
// first.
func Parts() []Part {
	return []Part{
		{
			Name: "eclipse-network", Extra: "ratio", Property: "delivery and latency under a Sybil majority",
			About:  "10 Sybils per honest node GRAFT every honest node (aggressively, re-GRAFTing when their backoff ends) and drop every message, with scoring on and off; at the full size the ratio is then pushed to 20 and 40 with scoring on, each run only while the memory and time measured so far say it fits",
			Anchor: "gossipsub v1.1 hardening study: 1,000 honest nodes against 10,000 Sybils, 100% delivery with scoring",
			Plan: func(s Size) []Labeled {
				b := shapeOf(s).base()
				a := b
				a.Sybils, a.Sybil = 10*b.Honest, censorAll(GraftPersistent)
				out := plan(b, Labeled{Labels: map[string]string{"ratio": "10"}, Run: a})
				for i := range out {
					if out[i].Labels["run"] == "baseline" {
						out[i].Labels["ratio"] = "0"
					}
				}
				if s == Full {
					// The push, at the scale.
					for _, k := range []int{20, 40} {
						p := a
						p.Sybils = k * b.Honest
						out = append(out, Labeled{Labels: map[string]string{"run": "attack", "scoring": "on", "ratio": strconv.Itoa(k)}, Run: p})
					}
				}
				return out
			},
		},
		{
			Name: "ratio-push", Extra: "ratio", Property: "where delivery breaks as Sybils multiply",
			About:  "the eclipse-network attack on a smaller honest network (100 nodes at the full size) with the ratio pushed: 10, 20, 40 and 80 Sybils per honest node with scoring on (and off, at the full size), each run only while the memory and time measured so far say it fits",
			Anchor: "gossipsub v1.1 hardening study: push the ratio beyond 10:1 and record where delivery breaks",
			Plan: func(s Size) []Labeled {
				sh := shapeOf(s)
				ratios := pushRatios
				if s == Full {
					sh.honest = pushHonest
				} else {
					ratios = ratios[:2]
				}
				b := sh.base()
				a := b
				a.Sybils, a.Sybil = 10*b.Honest, censorAll(GraftPersistent)
				out := plan(b, Labeled{Labels: map[string]string{"ratio": "10"}, Run: a})
				for i := range out {
					if out[i].Labels["run"] == "baseline" {
						out[i].Labels["ratio"] = "0"
					}
				}
				if s != Full {
					// eclipse-network measures 10:1 with scoring off at
					// this size already.
					out = slices.DeleteFunc(out, func(l Labeled) bool { return l.Labels["scoring"] == "off" })
				}
				scorings := []string{"on"}
				if s == Full {
					// Without scoring, peer exchange lets Sybils become
					// outbound peers of honest nodes: the pushes with
					// scoring off show whether that is where delivery
					// breaks.
					scorings = append(scorings, "off")
				}
				for _, sc := range scorings {
					for _, k := range ratios[1:] {
						p := a
						p.Sybils, p.ScoringOff = k*b.Honest, sc == "off"
						out = append(out, Labeled{Labels: map[string]string{"run": "attack", "scoring": sc, "ratio": strconv.Itoa(k)}, Run: p})
					}
				}
				return out
			},
		},
		{
			Name: "censor", Extra: "policy", Property: "delivery under censoring mesh peers",
			About:  "Sybils (3 per honest node, each in 2 meshes) relay what they do not censor: everything dropped, the messages of half the publishers, or each message with probability 0.5",
			Anchor: "gossipsub v1.1 hardening study: censorship attack, 100% delivery with scoring",
			Plan: func(s Size) []Labeled {
				b := smallShape(s).base()
				var as []Labeled
				for _, pol := range []Policy{{Mode: DropAll}, {Mode: DropOrigins}, {Mode: DropRandom, P: 0.5, Seed: 7}} {
					a := b
					a.Sybils, a.PerSybil, a.CensoredPublishers = 3*b.Honest/2, 2, max(1, b.Publishers/2)
					a.Sybil = Config{Policy: pol, Graft: GraftPersistent, Relay: true}
					as = append(as, Labeled{Labels: map[string]string{"policy": pol.Mode.String()}, Run: a})
				}
				return plan(b, as...)
			},
		},
		{
			Name: "covert-flash", Property: "delivery when trusted mesh peers turn",
			About:  "Sybils (3 per honest node, each in 2 meshes) join at the workload's start and relay honestly, building score, then all censor at once halfway through",
			Anchor: "gossipsub v1.1 hardening study: covert flash attack, delivery recovers with scoring",
			Plan: func(s Size) []Labeled {
				b := smallShape(s).base()
				a := b
				a.AttackAt, a.FlashAfter = 0, b.Duration/2
				a.Sybils, a.PerSybil = 3*b.Honest/2, 2
				a.Sybil = Config{Policy: Policy{Mode: DropAll}, Graft: GraftPersistent, Relay: true}
				return plan(b, Labeled{Labels: map[string]string{}, Run: a})
			},
		},
		{
			Name: "cold-boot", Property: "delivery when Sybils are in the first meshes",
			About:  "Sybils (5 per honest node) are up before the network bootstraps and every honest node dials its Sybils first, so they are outbound peers in its first mesh; they drop every message",
			Anchor: "gossipsub v1.1 hardening study: cold boot attack, 100% delivery with scoring",
			Plan: func(s Size) []Labeled {
				b := smallShape(s).base()
				b.Duration = coldBootDuration
				a := b
				a.Timing, a.Sybils, a.Sybil = ColdBoot, 5*b.Honest, censorAll(GraftPersistent)
				return plan(b, Labeled{Labels: map[string]string{}, Run: a})
			},
		},
		{
			Name: "attack-at-dawn", Property: "delivery when Sybils GRAFT as the network starts",
			About:  "Sybils (5 per honest node) connect to and GRAFT every honest node the moment the honest nodes start bootstrapping to each other, and drop every message",
			Anchor: "gossipsub v1.1 hardening study: attack at dawn, 100% delivery with scoring",
			Plan: func(s Size) []Labeled {
				b := smallShape(s).base()
				a := b
				a.Timing, a.Sybils, a.Sybil = Dawn, 5*b.Honest, censorAll(GraftPersistent)
				return plan(b, Labeled{Labels: map[string]string{}, Run: a})
			},
		},
		{
			Name: "eclipse-target", Property: "delivery to a single targeted node",
			About:  "all Sybils (attack degree = Sybils on the target) GRAFT one honest node that does not publish, re-GRAFT when their backoff ends, and drop every message",
			Anchor: "gossipsub v1.1 hardening study: eclipse of a single target, delivered with scoring",
			Plan: func(s Size) []Labeled {
				b := smallShape(s).base()
				a := b
				a.Targets, a.Sybils, a.Sybil = One, 3*b.Honest, censorAll(GraftPersistent)
				return plan(b, Labeled{Labels: map[string]string{"degree": strconv.Itoa(a.Sybils)}, Run: a})
			},
		},
		{
			Name: "eclipse-publishers", Property: "delivery of the publishers' messages",
			About:  "Sybils GRAFT every publisher (attack degree 20 per publisher), re-GRAFT when their backoff ends, and drop every message",
			Anchor: "gossipsub v1.1 hardening study: eclipse of all publishers, delivered with scoring (flood publishing)",
			Plan: func(s Size) []Labeled {
				b := smallShape(s).base()
				a := b
				a.Targets, a.Sybils, a.Sybil = Publishers, 20*b.Publishers, censorAll(GraftPersistent)
				return plan(b, Labeled{Labels: map[string]string{"degree": "20"}, Run: a})
			},
		},
		{
			Name: "regraft-backoff", Property: "behaviour penalty for GRAFTs during backoff",
			About:  "Sybils (8 per honest node) drop every message and GRAFT again half a second after every PRUNE, ignoring the backoff",
			Anchor: "gossipsub v1.1: GRAFT during backoff is penalised (P7) until the peer is graylisted",
			Plan: func(s Size) []Labeled {
				b := smallShape(s).base()
				b.AttackAt = time.Second
				a := b
				a.Sybils = 8 * b.Honest
				a.Sybil = Config{Policy: Policy{Mode: DropAll}, Graft: GraftIgnoreBackoff, ReGraftDelay: 500 * time.Millisecond}
				return plan(b, Labeled{Labels: map[string]string{}, Run: a})
			},
		},
		{
			Name: "colocation", Extra: "placement", Property: "IP colocation penalty (P6)",
			About:  "Sybils (6 per honest node) share addresses: naive (a victim's 6 Sybils on one address) or colocation-aware (one Sybil per address per victim); they GRAFT and drop every message",
			Anchor: "gossipsub v1.1: the IP colocation factor penalises many peers on one address",
			Plan: func(s Size) []Labeled {
				b := smallShape(s).base()
				var as []Labeled
				for _, c := range []Colocation{ColocateNaive, ColocateAware} {
					a := b
					a.Sybils, a.Sybil, a.Colocation, a.PerIP = 6*b.Honest, censorAll(GraftPersistent), c, 6
					as = append(as, Labeled{Labels: map[string]string{"placement": c.String()}, Run: a})
				}
				return plan(b, as...)
			},
		},
	}
}

// smallShape is the shape of the parts other than the main attack: the
// full size runs them on 100 honest nodes (their Sybil counts are 1.5 to
// 8 times that), which keeps the whole study within hours on two cores.
func smallShape(s Size) shape {
	sh := shapeOf(s)
	if s == Full {
		sh.honest = 100
	}
	return sh
}

// PartByName returns the named part.
func PartByName(name string) (Part, error) {
	for _, p := range Parts() {
		if p.Name == name {
			return p, nil
		}
	}
	var names []string
	for _, p := range Parts() {
		names = append(names, p.Name)
	}
	return Part{}, fmt.Errorf("%w: no study part %q (parts: %v)", ErrConfig, name, slices.Sorted(slices.Values(names)))
}

// pushHeadroom is the share of the memory a run may use (the soft
// memory limit, or what is available) that a pushed run's live heap may
// be predicted to fill; pushWallBudget the wall time it may be predicted
// to take: longer runs are skipped, and the result's params say why.
const (
	pushHeadroom   = 0.8
	pushWallBudget = 90 * time.Minute
)

// PushFits predicts from a run's peak live heap and wall time with hosts
// hosts whether a run with more hosts fits: its live heap in pushHeadroom
// of the memory it may use (the soft memory limit, or the memory
// available now and what this process holds), its wall time in
// pushWallBudget. It says why not when it does not. Both grow about
// linearly with the hosts (most are Sybils, alike in cost). The live heap,
// not the process's footprint, is what must fit: near a soft limit the
// collector gives up the slack it leaves above the live heap.
func PushFits(live int64, wall time.Duration, hosts, more int) (bool, string) {
	if hosts > 0 && wall > 0 {
		if need := time.Duration(float64(wall) / float64(hosts) * float64(more)); need > pushWallBudget {
			return false, fmt.Sprintf("time: %d hosts would take about %v of wall time at the rate measured with %d hosts (%v), over the %v budget",
				more, need.Round(time.Minute), hosts, wall.Round(time.Second), pushWallBudget)
		}
	}
	budget := availableMemory() + goMemory()
	if limit := debug.SetMemoryLimit(-1); limit < budget {
		budget = limit
	}
	if live <= 0 || budget <= 0 || hosts <= 0 {
		return true, ""
	}
	need := float64(live) / float64(hosts) * float64(more)
	if need > pushHeadroom*float64(budget) {
		return false, fmt.Sprintf("memory: %d hosts need about %.1f GiB of live heap at %.2f MiB per host (measured at %d hosts); the run may use %.1f GiB",
			more, need/(1<<30), float64(live)/float64(hosts)/(1<<20), hosts, float64(budget)/(1<<30))
	}
	return true, ""
}
