package sybil

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/testnet/inproc"
)

// Topic is the gossip topic of the studies.
const Topic = "/strata/1/sybil/study"

// Timing says when the Sybils arrive.
type Timing int

// Timings.
const (
	// Later: the honest network forms and carries traffic first; the
	// Sybils connect and GRAFT at AttackAt into the workload.
	Later Timing = iota
	// ColdBoot: the Sybils are up before the honest nodes bootstrap, and
	// each victim dials its Sybils (they are among its bootstrap peers),
	// so they are in the victims' first meshes as outbound peers.
	ColdBoot
	// Dawn: the Sybils connect to the victims and GRAFT at the moment the
	// honest nodes start bootstrapping to each other (attack at dawn).
	Dawn
)

func (t Timing) String() string {
	switch t {
	case Later:
		return "later"
	case ColdBoot:
		return "cold-boot"
	case Dawn:
		return "dawn"
	}
	return "timing(?)"
}

// Targets says whom the Sybils attack.
type Targets int

// Targets.
const (
	// Network: every honest node is a victim.
	Network Targets = iota
	// One: a single honest node that does not publish.
	One
	// Publishers: the nodes that publish.
	Publishers
)

func (t Targets) String() string {
	switch t {
	case Network:
		return "network"
	case One:
		return "target"
	case Publishers:
		return "publishers"
	}
	return "targets(?)"
}

// Run describes one run of the in-process study: an honest network, a
// gossip workload and, with Sybils > 0, the attack.
type Run struct {
	// Honest is the number of honest nodes; each dials Bootstrap random
	// earlier ones (seeded).
	Honest, Bootstrap int
	// Sybils is the number of Sybils (0: the attack-free baseline); each
	// attacks PerSybil victims of Targets.
	Sybils, PerSybil int
	Targets          Targets
	Timing           Timing
	// AttackAt is when Later Sybils arrive, from the workload's start.
	AttackAt time.Duration
	// FlashAfter, when positive, makes the Sybils relay honestly until
	// this long after the workload's start and censor from then on.
	FlashAfter time.Duration
	// Sybil configures every Sybil (Policy.FlashAt is set from FlashAfter).
	Sybil Config
	// CensoredPublishers, with Policy.Mode DropOrigins and no Origins, is
	// how many of the (seeded) publishers the Sybils censor.
	CensoredPublishers int
	// Colocation and PerIP say how Sybils share addresses (Place).
	Colocation Colocation
	PerIP      int
	// ScoringOff runs the honest overlays without peer scoring.
	ScoringOff bool
	// Publishers publish Rate messages per second in total, of Size
	// bytes, for Duration, after Settle; the run ends Drain later.
	Publishers int
	Rate       float64
	Size       int
	Settle     time.Duration
	Duration   time.Duration
	Drain      time.Duration
	// Latency is every host's one-way link latency.
	Latency time.Duration
	// Sample is the period of mesh and score samples.
	Sample time.Duration
}

// Validate checks the run's parameters.
func (r Run) Validate() error {
	switch {
	case r.Honest < 2 || r.Bootstrap < 1:
		return fmt.Errorf("%w: need at least 2 honest nodes and 1 bootstrap peer each", ErrConfig)
	case r.Sybils < 0 || (r.Sybils > 0 && r.PerSybil < 1):
		return fmt.Errorf("%w: %d Sybils attacking %d victims each", ErrConfig, r.Sybils, r.PerSybil)
	case r.Publishers < 1 || r.Publishers >= r.Honest:
		return fmt.Errorf("%w: %d publishers among %d honest nodes: need 1 to %d", ErrConfig, r.Publishers, r.Honest, r.Honest-1)
	case r.Rate <= 0 || r.Duration <= 0 || r.Sample <= 0 || r.Settle < 0 || r.Drain < 0 || r.Latency < 0:
		return fmt.Errorf("%w: rate, duration and sample period must be positive", ErrConfig)
	case r.AttackAt < 0 || r.AttackAt > r.Duration || r.FlashAfter < 0 || r.FlashAfter > r.Duration:
		return fmt.Errorf("%w: attack and flash times must lie within the workload", ErrConfig)
	}
	pol := r.Sybil.Policy
	if pol.Mode == DropOrigins && len(pol.Origins) == 0 {
		if r.CensoredPublishers < 1 || r.CensoredPublishers > r.Publishers {
			return fmt.Errorf("%w: censoring origins needs Policy.Origins or 1 to %d CensoredPublishers", ErrConfig, r.Publishers)
		}
		return nil
	}
	return pol.Validate()
}

// attackStart is when the attack begins, from the network's start.
func (r Run) attackStart() time.Duration {
	switch {
	case r.Sybils == 0:
		return r.Settle + r.window()
	case r.Timing == Later:
		return r.Settle + r.AttackAt
	}
	return 0
}

// window is where the measured messages start, from the workload's start:
// at the attack (or the flash), the same for the baseline.
func (r Run) window() time.Duration {
	if r.FlashAfter > 0 {
		return r.FlashAfter
	}
	if r.Timing == Later {
		return r.AttackAt
	}
	return 0
}

// SharePoint is one sample of the Sybils' share of the victims' meshes.
type SharePoint struct {
	// At is the time from the attack's start (negative: before it).
	At time.Duration
	// Share is the mean over victims of the Sybil fraction of the mesh;
	// Eclipsed the fraction of victims whose mesh holds only Sybils.
	Share, Eclipsed float64
}

// Outcome is what one run measured.
type Outcome struct {
	// All is delivery to every honest node, Victims to the victims only,
	// of the messages published in the measured window.
	All, Victims inproc.Outcome
	Share        []SharePoint
	// Pairs is the number of (victim, Sybil) pairs; Below0 and BelowGray
	// the times from the attack's start at which the pairs whose score
	// crossed 0 and the graylist threshold crossed it.
	Pairs             int
	Below0, BelowGray []time.Duration
	Sybil             Stats
	// ConnsMean and ConnsMax are the honest nodes' open connections at
	// the end of the workload, to Sybils and honest peers: what memory
	// grows with (without scoring, peer exchange is accepted from every
	// peer and each PRUNE brings new connections).
	ConnsMean float64
	ConnsMax  int
	// OutboundToSybils is the mean number of connections an honest node
	// dialled to Sybils: peers it learnt of by peer exchange (a PRUNE
	// lists mesh peers whose score is ≥ 0, Sybils among them), or its
	// bootstrap Sybils in a cold boot. gossipsub's Dout counts these as
	// outbound peers.
	OutboundToSybils float64
	Wall             time.Duration
	// PeakRSS is the peak of the memory the Go runtime held from the
	// system during the run (runtime/metrics: total mapped minus released
	// to the OS, sampled every Sample), in bytes: the run's footprint,
	// which the process's resident size tracks.
	PeakRSS int64
	// PeakLive is the peak of the heap the collector found live (sampled
	// every Sample), in bytes: what the run needs, without the slack
	// the collector leaves above it.
	PeakLive int64
}

// Execute runs r with seed. Call it inside a synctest bubble.
func Execute(ctx context.Context, r Run, seed int64) (Outcome, error) {
	if err := r.Validate(); err != nil {
		return Outcome{}, err
	}
	debug.FreeOSMemory() // so that the memory peak is this run's
	began := time.Now()  // virtual
	wallStart := wallNow()
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5b1))
	pubs := rng.Perm(r.Honest)[:r.Publishers]
	slices.Sort(pubs)
	var victims []int
	switch r.Targets {
	case Network:
		for i := range r.Honest {
			victims = append(victims, i)
		}
	case Publishers:
		victims = pubs
	case One:
		for {
			v := rng.IntN(r.Honest)
			if !slices.Contains(pubs, v) {
				victims = []int{v}
				break
			}
		}
	}
	specs := make([]inproc.HostSpec, r.Honest+r.Sybils)
	for i := range specs {
		specs[i].Link = inproc.Link{Latency: r.Latency}
	}
	var place Placement
	if r.Sybils > 0 {
		var err error
		place, err = Place(uint64(seed), len(victims), r.Sybils, r.PerSybil, r.Colocation, r.PerIP)
		if err != nil {
			return Outcome{}, err
		}
		for s := range r.Sybils {
			specs[r.Honest+s].IP, specs[r.Honest+s].Port = place.IP[s], place.Port[s]
			specs[r.Honest+s].Light = true // raw peers need no full host
		}
	}
	nw, err := inproc.New(seed, specs)
	if err != nil {
		return Outcome{}, err
	}
	defer nw.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	d := inproc.NewDeliveries()
	ovs := make([]*overlay.Overlay, r.Honest)
	tracers := make([]*meshTracer, r.Honest)
	for i := range ovs {
		tracers[i] = newMeshTracer(Topic)
		o, err := overlay.Attach(ctx, nw.Host(i), overlay.Config{
			Params: overlay.DefaultParams(), Topics: []string{Topic}, ScoringOff: r.ScoringOff, Tracer: tracers[i]})
		if err != nil {
			return Outcome{}, err
		}
		ovs[i] = o
		if err := d.Watch(ctx, i, o, Topic); err != nil {
			return Outcome{}, err
		}
	}
	sybilCfg := r.Sybil
	sybilCfg.Topic = Topic
	if sybilCfg.Policy.Mode == DropOrigins && len(sybilCfg.Policy.Origins) == 0 {
		sybilCfg.Policy.Origins = map[uint64]bool{}
		for _, o := range pubs[:r.CensoredPublishers] {
			sybilCfg.Policy.Origins[uint64(o)] = true
		}
	}
	if r.FlashAfter > 0 {
		sybilCfg.Policy.FlashAt = began.Add(r.Settle + r.FlashAfter)
	}
	sybils := make([]*Sybil, r.Sybils)
	isSybil := make(map[peer.ID]bool, r.Sybils)
	attackers := make([][]peer.ID, len(victims)) // the Sybils of each victim
	for s := range sybils {
		sybils[s] = New(ctx, nw.Host(r.Honest+s), sybilCfg)
		isSybil[sybils[s].ID()] = true
		for _, v := range place.Victims[s] {
			attackers[v] = append(attackers[v], sybils[s].ID())
		}
	}
	defer func() {
		for _, s := range sybils {
			s.Close()
		}
	}()

	honestDials := func() error {
		rg := rand.New(rand.NewPCG(uint64(seed), 0xb007))
		var jobs []func() error
		for i := 1; i < r.Honest; i++ {
			for _, j := range rg.Perm(i)[:min(i, r.Bootstrap)] {
				jobs = append(jobs, func() error { return nw.Connect(ctx, i, j) })
			}
		}
		return parallel(64, jobs)
	}
	sybilDials := func(victimDials bool) error {
		var jobs []func() error
		for s, sy := range sybils {
			for _, v := range place.Victims[s] {
				h := victims[v]
				jobs = append(jobs, func() error {
					var err error
					if victimDials {
						err = nw.Connect(ctx, h, r.Honest+s)
					} else {
						err = nw.Connect(ctx, r.Honest+s, h)
					}
					if err != nil {
						return err
					}
					return sy.Attack(nw.Host(h).ID())
				})
			}
		}
		return parallel(512, jobs)
	}

	// The sampler follows the victims' meshes and the Sybils' scores.
	var out Outcome
	out.Pairs = r.Sybils * max(r.PerSybil, 1)
	if r.Sybils == 0 {
		out.Pairs = 0
	}
	attackAt := began.Add(r.attackStart())
	end := began.Add(r.Settle + r.Duration + r.Drain)
	var sampled sync.WaitGroup
	sampled.Add(1)
	go func() {
		defer sampled.Done()
		below0 := map[[2]peer.ID]bool{}
		belowGray := map[[2]peer.ID]bool{}
		gray := overlay.DefaultParams().Thresholds.Graylist
		tk := time.NewTicker(r.Sample)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tk.C:
				if now.After(end) {
					return
				}
				out.PeakRSS = max(out.PeakRSS, goMemory())
				out.PeakLive = max(out.PeakLive, liveHeap())
				var sum, eclipsed float64
				n := 0
				for v, h := range victims {
					size, sy := tracers[h].share(func(p peer.ID) bool { return isSybil[p] })
					if size > 0 {
						sum += float64(sy) / float64(size)
						n++
						if sy == size {
							eclipsed++
						}
					}
					if r.ScoringOff || len(attackers[v]) == 0 {
						continue
					}
					sc := ovs[h].Scores()
					for _, a := range attackers[v] {
						s, ok := sc[a]
						if !ok {
							continue
						}
						k := [2]peer.ID{nw.Host(h).ID(), a}
						if s < 0 && !below0[k] {
							below0[k] = true
							out.Below0 = append(out.Below0, now.Sub(attackAt))
						}
						if s < gray && !belowGray[k] {
							belowGray[k] = true
							out.BelowGray = append(out.BelowGray, now.Sub(attackAt))
						}
					}
				}
				p := SharePoint{At: now.Sub(attackAt)}
				if n > 0 {
					p.Share, p.Eclipsed = sum/float64(n), eclipsed/float64(len(victims))
				}
				out.Share = append(out.Share, p)
			}
		}
	}()

	switch {
	case r.Sybils > 0 && r.Timing == ColdBoot:
		if err := sybilDials(true); err != nil {
			return Outcome{}, err
		}
		time.Sleep(time.Second)
		if err := honestDials(); err != nil {
			return Outcome{}, err
		}
	case r.Sybils > 0 && r.Timing == Dawn:
		errs := make(chan error, 2)
		go func() { errs <- honestDials() }()
		go func() { errs <- sybilDials(false) }()
		for range 2 {
			if err := <-errs; err != nil {
				return Outcome{}, err
			}
		}
	default:
		if err := honestDials(); err != nil {
			return Outcome{}, err
		}
	}
	time.Sleep(time.Until(began.Add(r.Settle)))
	start := time.Now()
	interval := time.Duration(float64(time.Second) / r.Rate)
	count := int(r.Duration / interval)
	var msgs []inproc.Message
	attacked := r.Sybils == 0 || r.Timing != Later
	dialed := make(chan error, 1)
	if attacked {
		dialed <- nil
	}
	for k := range count {
		at := start.Add(time.Duration(k) * interval)
		if !attacked && !at.Before(attackAt) {
			time.Sleep(time.Until(attackAt))
			// The Sybils arrive while the workload goes on.
			go func() { dialed <- sybilDials(false) }()
			attacked = true
		}
		time.Sleep(time.Until(at))
		origin := pubs[rng.IntN(len(pubs))]
		data := Payload(uint64(origin), uint64(k), r.Size)
		id := inproc.MessageID(Topic, data)
		d.Published(id, time.Now())
		if _, err := ovs[origin].Publish(ctx, Topic, data); err != nil {
			return Outcome{}, err
		}
		if time.Duration(k)*interval >= r.window() {
			msgs = append(msgs, inproc.Message{ID: id, Origin: origin})
		}
	}
	time.Sleep(time.Until(end))
	for i := range r.Honest {
		conns := nw.Host(i).Network().Conns()
		out.ConnsMean += float64(len(conns)) / float64(r.Honest)
		out.ConnsMax = max(out.ConnsMax, len(conns))
		for _, c := range conns {
			if isSybil[c.RemotePeer()] && c.Stat().Direction == network.DirOutbound {
				out.OutboundToSybils += 1 / float64(r.Honest)
			}
		}
	}
	if !attacked {
		dialed <- nil
	}
	if err := <-dialed; err != nil {
		return Outcome{}, err
	}
	cancel()
	sampled.Wait()
	d.Wait()
	all := make([]int, r.Honest)
	for i := range all {
		all[i] = i
	}
	name := func(i int) string { return fmt.Sprint(i) }
	out.All = d.Outcome(msgs, all, name)
	out.Victims = d.Outcome(msgs, victims, name)
	for _, s := range sybils {
		st := s.Stats()
		out.Sybil.Received += st.Received
		out.Sybil.Relayed += st.Relayed
		out.Sybil.Dropped += st.Dropped
		out.Sybil.Grafts += st.Grafts
		out.Sybil.Prunes += st.Prunes
	}
	for _, o := range ovs {
		o.Close()
	}
	out.Wall = wallNow().Sub(wallStart)
	return out, nil
}

// parallel runs jobs on a few goroutines and returns the first error.
func parallel(workers int, jobs []func() error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
		ferr error
	)
	for range min(workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next == len(jobs) || ferr != nil {
					mu.Unlock()
					return
				}
				j := jobs[next]
				next++
				mu.Unlock()
				if err := j(); err != nil {
					mu.Lock()
					if ferr == nil {
						ferr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return ferr
}
