package dht

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/reports/result"
)

// Study is the study's shape at one size.
type Study struct {
	Honest  int
	Ks      []int
	PerAddr int
	Grind   int
	Lookups int
	Latency time.Duration
	Settle  time.Duration
	Attack  time.Duration
	// Limits are the honest hosts' connection limits (the overlay's).
	Limits overlay.Limits
}

// Name is the study's attack name.
const Name = "dht-eclipse"

// Limits of libp2p's dual DHT diversity filter, which the overlay's
// DHTConfig documents: 2 peers of one IP group per common prefix length,
// 3 in the whole table.
const (
	FilterPerCPL   = 2
	FilterPerTable = 3
)

// StudyAt is the study at the quick (100 honest servers) or full (500)
// size.
func StudyAt(quick bool) Study {
	s := Study{Honest: 500, Ks: []int{1, 2, 4, 8, 16, 32}, PerAddr: 8, Grind: 1 << 17, Lookups: 10,
		Latency: 20 * time.Millisecond, Settle: 3 * time.Minute, Attack: 2 * time.Minute, Limits: overlay.DefaultLimits()}
	if quick {
		s.Honest, s.Ks, s.Grind, s.Settle, s.Attack = 100, []int{1, 2, 4, 8, 16}, 1<<16, 90*time.Second, time.Minute
	}
	return s
}

// Config is the run of the study with the filter on or off.
func (s Study) Config(seed int64, pool *Pool, filter bool) Config {
	c := Config{Seed: seed, Honest: s.Honest, Ks: s.Ks, PerAddr: s.PerAddr, Pool: pool, Latency: s.Latency,
		Bootstraps: 3, Settle: s.Settle, Attack: s.Attack, Lookups: s.Lookups,
		ConnLow: s.Limits.ConnLow, ConnHigh: s.Limits.ConnHigh, ConnGrace: time.Duration(s.Limits.ConnGrace)}
	if filter {
		c.PerCPL, c.PerTable = FilterPerCPL, FilterPerTable
	}
	return c
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Result turns the runs (filter on and off) into the attack's result
// document.
func (s Study) Result(seed int64, quick bool, started time.Time, outs []*Outcome) (*result.Result, error) {
	r := result.New(result.KindAttack, "overlay", "overlay/attack/"+Name, seed, started)
	honestTable := map[string]float64{}
	served := map[string]int64{}
	for _, o := range outs {
		f := onOff(o.Config.Filter())
		honestTable[f] = o.HonestTable
		for _, p := range o.Points {
			served[f+"/K="+strconv.Itoa(p.K)] = p.Served
			for _, run := range []string{"baseline", "attack"} {
				tb, lk := p.Before, p.LookupsBefore
				cs := "no attack, filter " + f
				if run == "attack" {
					tb, lk, cs = p.After, p.LookupsAfter, "attack, filter "+f
				}
				lb := map[string]string{"filter": f, "K": strconv.Itoa(p.K), "run": run, "case": cs}
				r.Add("attacker_entries", "entries", float64(tb.Attacker), lb)
				r.Add("table_size", "entries", float64(tb.Size), lb)
				r.Add("honest_entries", "entries", float64(tb.Honest), lb)
				r.Add("attacker_share", "ratio", tb.Share(), lb)
				r.Add("attacker_groups", "groups", float64(tb.Groups), lb)
				r.Add("max_entries_per_group", "entries", float64(tb.MaxPerGroup), lb)
				r.Add("max_entries_per_group_cpl", "entries", float64(tb.MaxPerGroupCPL), lb)
				near := 0.0
				if tb.NearOf > 0 {
					near = float64(tb.Near) / float64(tb.NearOf)
				}
				r.Add("neighbourhood_share", "ratio", near, lb)
				r.Add("deepest_honest_cpl", "bits", float64(tb.DeepestHonest), lb)
				r.Add("lookup_share", "ratio", lk.Share, lb)
				r.Add("lookup_all_attacker", "ratio", lk.AllAttacker, lb)
				r.Add("lookups_failed", "lookups", float64(lk.Failed), lb)
			}
			lb := map[string]string{"filter": f, "K": strconv.Itoa(p.K)}
			r.Add("sybils", "identities", float64(p.Sybils), lb)
			r.Add("sybils_connected", "identities", float64(p.Connected), lb)
			r.Add("honest_entries_lost", "entries", float64(p.HonestLost), lb)
			if len(p.CPLs) > 0 {
				r.Add("sybil_depth_min", "bits", float64(slices.Min(p.CPLs)), lb)
				r.Add("sybil_depth_max", "bits", float64(slices.Max(p.CPLs)), lb)
			}
			r.Add("victim_connections", "connections", float64(p.Conns), lb)
			if f == "on" {
				r.Goals = append(r.Goals, result.Goal{
					Metric: "attacker_entries", Labels: map[string]string{"filter": "on", "K": strconv.Itoa(p.K), "run": "attack"},
					Op: result.OpLE, Target: float64(FilterPerTable * p.K),
					Anchor: fmt.Sprintf("go-libp2p-kad-dht's diversity filter admits at most %d peers of one IP group (/16) to a routing table "+
						"(rt_diversity_filter.go; the dual DHT's maxPrefixCount = %d): an attacker with K = %d groups holds ≤ %d entries",
						FilterPerTable, FilterPerTable, p.K, FilterPerTable*p.K)})
			}
		}
	}
	if len(r.Metrics) == 0 {
		return nil, fmt.Errorf("%w: the runs measured nothing", ErrConfig)
	}
	ks := make([]string, len(s.Ks))
	for i, k := range s.Ks {
		ks[i] = strconv.Itoa(k)
	}
	r.Params = map[string]any{
		"quick": quick, "honest_servers": s.Honest, "attacker_addresses": ks, "sybils_per_address": s.PerAddr,
		"identities_ground": s.Grind, "link_latency": s.Latency.String(), "settle": s.Settle.String(), "attack": s.Attack.String(),
		"lookups_per_victim": s.Lookups, "bucket_size": BucketSize,
		"honest_connections": fmt.Sprintf("connection manager %d-%d, grace %v (layers/overlay DefaultLimits)", s.Limits.ConnLow, s.Limits.ConnHigh, time.Duration(s.Limits.ConnGrace)),
		"filter_on":          fmt.Sprintf("%d per IP group per common prefix length, %d per table (libp2p's dual DHT)", FilterPerCPL, FilterPerTable),
		"honest_table_mean":  honestTable,
		"requests_served":    served,
		"harness":            "testnet/inproc (simnet QUIC, synctest virtual time); honest servers: go-libp2p-kad-dht as layers/overlay runs it (server mode, protocol prefix /strata), each on an IPv4 /16 of its own",
		"attacker":           "K addresses, each an IPv4 /16 of its own, each hosting the given number of Sybil identities (one host each, distinct ports), ground so their Kademlia keys share the longest prefixes with the victim's (deepest first, at most 20 per depth); the Sybils are raw DHT responders that answer every FIND_NODE/GET_VALUE/GET_PROVIDERS with the attacker's Sybils closest to the key, never an honest peer, and with the filter on at most 3 per group per answer (kad-dht drops all peers of a group over-represented in one answer); every Sybil dials the victim after the network settled, then the victim refreshes its table",
		"victims":            "one honest server per attacker, all attacks side by side on one network per filter setting",
		"lookups":            "after the attack, honest servers (not victims) look up the victim's key; lookup_all_attacker is the share of lookups whose closest peers (the victim left out) are all Sybils",
		"not_modelled":       "address-based diversity only (no IPv6/ASN groups, no S/Kademlia disjoint paths or ID puzzles); churn; Sybils never dial honest servers other than their victim",
		"reproducibility":    "victims, Sybil identities and their addresses follow the seed; kad-dht's own randomness (refresh keys, query order) is not seeded, so two runs agree closely, not exactly",
	}
	r.Finished = time.Now()
	r.Plots = []result.Plot{
		{ID: "dht-eclipse-share", Title: "Attacker share of the victim's table", Kind: result.PlotLine,
			Metric: "attacker_share", X: "K", Series: "case", XLabel: "attacker addresses K (one /16 each)", YLabel: "attacker share of table", LogX: true},
		{ID: "dht-eclipse-entries", Title: "Attacker entries in the victim's table", Kind: result.PlotLine,
			Metric: "attacker_entries", X: "K", Series: "case", XLabel: "attacker addresses K (one /16 each)", YLabel: "entries", LogX: true},
		{ID: "dht-eclipse-honest", Title: "Honest entries in the victim's table", Kind: result.PlotLine,
			Metric: "honest_entries", X: "K", Series: "case", XLabel: "attacker addresses K (one /16 each)", YLabel: "entries", LogX: true},
		{ID: "dht-eclipse-lookups", Title: "Lookups of the victim's key: all closest are Sybils", Kind: result.PlotLine,
			Metric: "lookup_all_attacker", X: "K", Series: "case", XLabel: "attacker addresses K (one /16 each)", YLabel: "share of lookups", LogX: true},
		{ID: "dht-eclipse-neighbourhood", Title: "Attacker share of the victim's 20 nearest entries", Kind: result.PlotLine,
			Metric: "neighbourhood_share", X: "K", Series: "case", XLabel: "attacker addresses K (one /16 each)", YLabel: "share", LogX: true},
	}
	// Every goal's metric is measured above; Evaluate fills in the
	// measured values so the document read on its own is complete.
	if err := r.Evaluate(); err != nil {
		return nil, err
	}
	return r, nil
}
