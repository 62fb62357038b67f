package mixsim

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"time"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/testnet/sim"
)

// Timer tags of the node adapters.
const (
	tagCore = 0 // the core's deadline
	tagApp  = 1 // the application's next message
)

// pktInfo is the ground truth a frame carries, hidden in its capacity so
// that the receiving adapter knows what it received without a table.
type pktInfo struct {
	link   uint64 // link event number, from 1
	packet uint64
	msg    uint64
	class  loopix.Class
	hop    uint8
}

const trailerLen = 8 + 8 + 8 + 1 + 1

// tag puts the info in the frame's spare capacity (loopix allocates
// frames with FrameSlack bytes of it), copying the frame only if there is
// too little.
func tag(frame []byte, in pktInfo) []byte {
	b := frame[:len(frame):cap(frame)]
	if cap(frame)-len(frame) < trailerLen {
		b = make([]byte, len(frame), len(frame)+trailerLen)
		copy(b, frame)
	}
	b = b[:len(frame)+trailerLen]
	t := b[len(frame):]
	binary.LittleEndian.PutUint64(t, in.link)
	binary.LittleEndian.PutUint64(t[8:], in.packet)
	binary.LittleEndian.PutUint64(t[16:], in.msg)
	t[24], t[25] = byte(in.class), in.hop
	return b[:len(frame)]
}

func untag(frame []byte) pktInfo {
	t := frame[len(frame) : len(frame)+trailerLen]
	return pktInfo{link: binary.LittleEndian.Uint64(t), packet: binary.LittleEndian.Uint64(t[8:]),
		msg: binary.LittleEndian.Uint64(t[16:]), class: loopix.Class(t[24]), hop: t[25]}
}

// entropyAcc is the Loopix incremental entropy of one mix (Eq. 5): at each
// output, with n packets in the pool of which k arrived since the previous
// output and l = n − k were there before,
// H_t = H(k/n, l/n) + (k/n)·log2 k + (l/n)·H_{t−1}, H_0 = 0.
type entropyAcc struct {
	h        float64
	arrivals int
	sum      float64
	n        uint64
}

func (e *entropyAcc) output(pool int, measure bool) {
	n := pool
	if n <= 0 {
		return
	}
	k := min(e.arrivals, n)
	l := n - k
	pk, pl := float64(k)/float64(n), float64(l)/float64(n)
	h := 0.0
	if k > 0 && l > 0 {
		h = -pk*math.Log2(pk) - pl*math.Log2(pl)
	}
	if k > 0 {
		h += pk * math.Log2(float64(k))
	}
	h += pl * e.h
	e.h = h
	e.arrivals = 0
	if measure {
		e.sum += h
		e.n++
	}
}

type runner struct {
	cfg    Config
	s      *sim.Sim
	start  time.Time
	format loopix.Format
	auth   ed25519.PrivateKey
	dir    *loopix.Directory
	nodes  []*simNode
	out    *Outcome
	index  map[loopix.NodeID]int32
	mixes  []int32 // node indices of the mixes, in mix order
	keyRng *rand.Rand
	atkRng *rand.Rand
	links  uint64
	pkts   uint64
	hash   hash.Hash
	err    error
	// inflight holds the info of frames whose packet a core is holding.
	inflight map[uint64]pktInfo
	// msgIDs maps (client node, core message id) to the message number.
	msgIDs map[[2]uint64]uint64
}

func (r *runner) fail(err error) {
	if r.err == nil && err != nil {
		r.err = err
		r.s.Stop()
	}
}

func (r *runner) since(t time.Time) time.Duration { return t.Sub(r.start) }

func (r *runner) measuring(now time.Time) bool {
	d := r.since(now)
	return d >= r.cfg.Warmup && d < r.cfg.Warmup+r.cfg.Duration
}

// Run simulates one configuration.
func Run(cfg Config) (*Outcome, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	newFormat := cfg.Format
	if newFormat == nil {
		newFormat = func(g loopix.Geometry) (loopix.Format, error) { return loopix.NewSimFormat(g) }
	}
	f, err := newFormat(cfg.Geometry)
	if err != nil {
		return nil, err
	}
	if cfg.SampleEvery <= 0 {
		cfg.SampleEvery = 5 * cfg.MeanDelay()
	}
	scfg := sim.DefaultConfig()
	scfg.Seed = cfg.Seed
	scfg.TraceLinks = false
	scfg.DefaultLink = sim.LinkModel{Latency: sim.Fixed(cfg.Latency), Loss: cfg.Loss}
	scfg.Progress = cfg.Progress
	s, err := sim.New(scfg)
	if err != nil {
		return nil, err
	}
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("mixsim-authority"), cfg.Seed))
	r := &runner{cfg: cfg, s: s, start: s.Now(), format: f, auth: ed25519.NewKeyFromSeed(seed[:]),
		index: map[loopix.NodeID]int32{}, hash: sha256.New(), inflight: map[uint64]pktInfo{}, msgIDs: map[[2]uint64]uint64{},
		keyRng: rand.New(rand.NewPCG(cfg.Seed, 0x6b6579)), atkRng: rand.New(rand.NewPCG(cfg.Seed, 0x61746b)),
		out: &Outcome{Config: cfg, Start: s.Now(), Window: cfg.Duration, Drops: map[string]uint64{}, ForegroundIntervals: map[int32][][2]time.Duration{}}}
	if err := r.build(); err != nil {
		return nil, err
	}
	end := r.start.Add(cfg.Warmup + cfg.Duration + cfg.Drain)
	for t := cfg.Warmup; t < cfg.Warmup+cfg.Duration; t += cfg.SampleEvery {
		s.At(r.start.Add(t), func(*sim.Sim) { r.sample() })
	}
	for e := cfg.Epoch; e < cfg.Warmup+cfg.Duration+cfg.Drain; e += cfg.Epoch {
		s.At(r.start.Add(e), func(*sim.Sim) { r.fail(r.rotate()) })
	}
	if err := s.Run(end); err != nil {
		return nil, err
	}
	if r.err != nil {
		return nil, r.err
	}
	r.finish(end)
	return r.out, nil
}

func nodeID(kind string, i int) loopix.NodeID {
	return sha256.Sum256(fmt.Appendf(nil, "mixsim-%s-%d", kind, i))
}

// build creates the nodes, the first directory and the cores.
func (r *runner) build() error {
	cfg := r.cfg
	add := func(info NodeInfo) int32 {
		i := int32(len(r.out.Nodes))
		r.out.Nodes = append(r.out.Nodes, info)
		r.index[info.ID] = i
		return i
	}
	for i := range cfg.Providers {
		add(NodeInfo{ID: nodeID("provider", i), Role: RoleProvider, Provider: -1})
	}
	for l := 1; l <= cfg.Layers; l++ {
		for i := range cfg.MixesPerLayer {
			r.mixes = append(r.mixes, add(NodeInfo{ID: nodeID("mix", (l-1)*cfg.MixesPerLayer+i), Role: RoleMix, Layer: l, Provider: -1}))
		}
	}
	served := make([][]loopix.NodeID, cfg.Providers)
	for i := range cfg.Clients {
		p := int32(i % cfg.Providers)
		id := nodeID("client", i)
		add(NodeInfo{ID: id, Role: RoleClient, Provider: p})
		served[p] = append(served[p], id)
	}
	keys, err := r.publish(0, nil)
	if err != nil {
		return err
	}
	now := r.start
	for i, info := range r.out.Nodes {
		n := &simNode{r: r, idx: int32(i)}
		rng := rand.New(rand.NewPCG(cfg.Seed, 0x636f7265<<20|uint64(i)))
		// Packet randomness has a stream of its own, so that timing and
		// routes do not depend on how many bytes the format draws: a run
		// over Sphinx and one over SimFormat see the same link events.
		ent := loopix.ReaderFrom(rand.New(rand.NewPCG(cfg.Seed, 0x656e74<<20|uint64(i))))
		switch info.Role {
		case RoleProvider:
			n.prov, n.initial, err = loopix.NewProvider(loopix.ProviderConfig{ID: info.ID, Format: r.format, Rand: rng, Entropy: ent, Clients: served[i]}, r.dir, keys[info.ID], now)
		case RoleMix:
			n.mix, n.initial, err = loopix.NewMix(loopix.MixConfig{ID: info.ID, Format: r.format, Rand: rng, Entropy: ent, Adaptive: cfg.Adaptive, TargetPool: cfg.TargetPool}, r.dir, keys[info.ID], now)
			r.out.Mixes = append(r.out.Mixes, MixStats{Node: int32(i), Layer: info.Layer, FirstAlarm: -1})
		case RoleClient:
			cc := loopix.ClientConfig{ID: info.ID, Provider: r.out.Nodes[info.Provider].ID, Format: r.format, Rand: rng, Entropy: ent,
				Profile: cfg.Profile, Adaptive: cfg.Adaptive, TargetPool: cfg.TargetPool, Baseline: cfg.Baseline}
			if cfg.Profile.ForegroundOnly {
				n.fgRng = rand.New(rand.NewPCG(cfg.Seed, 0x666f7265<<20|uint64(i)))
				n.fg = n.fgRng.Float64() < cfg.Foreground
				cc.Background = !n.fg
			}
			n.client, n.initial, err = loopix.NewClient(cc, r.dir, now)
			r.out.Clients = append(r.out.Clients, ClientTraffic{Node: int32(i)})
			n.traffic = &r.out.Clients[len(r.out.Clients)-1]
		}
		if err != nil {
			return fmt.Errorf("node %d (%s): %w", i, info.Role, err)
		}
		if info.Role == RoleMix {
			n.mixStats = len(r.out.Mixes) - 1
		}
		if _, err := r.s.Add(n, sim.NodeConfig{Class: string(info.Role)}); err != nil {
			return err
		}
		r.nodes = append(r.nodes, n)
	}
	// Client traffic records were appended while nodes kept pointers into
	// a growing slice: rebind them.
	k := 0
	for _, n := range r.nodes {
		if n.client != nil {
			n.traffic = &r.out.Clients[k]
			k++
		}
	}
	return nil
}

// publish makes the directory of an epoch with fresh keys and the given
// per-mix rates, signs it, and checks that it decodes and verifies as a
// client fetching it would.
func (r *runner) publish(epoch uint64, rates map[loopix.NodeID]loopix.Rate) (map[loopix.NodeID]loopix.Unwrapper, error) {
	cfg := r.cfg
	p := cfg.Params
	if cfg.Baseline {
		p.LambdaP, p.LambdaL, p.LambdaD, p.LambdaM = 0, 0, 0, 0
	}
	keys := map[loopix.NodeID]loopix.Unwrapper{}
	var nodes []loopix.Node
	rnd := loopix.ReaderFrom(r.keyRng)
	for _, info := range r.out.Nodes {
		if info.Role == RoleClient {
			continue
		}
		pub, u, err := r.format.NewKey(rnd, info.ID, epoch)
		if err != nil {
			return nil, err
		}
		keys[info.ID] = u
		n := loopix.Node{ID: info.ID, Role: loopix.RoleMix, Layer: info.Layer, Key: pub, Rate: rates[info.ID],
			Addr: fmt.Sprintf("sim:%d", r.index[info.ID])}
		if info.Role == RoleProvider {
			n.Role = loopix.RoleProvider
		}
		nodes = append(nodes, n)
	}
	start := r.start.Add(time.Duration(epoch) * cfg.Epoch)
	d, err := loopix.NewDirectory(epoch, start, cfg.Epoch, r.format.Geometry(), cfg.Layers, p, nodes, r.auth)
	if err != nil {
		return nil, err
	}
	b, err := d.Encode()
	if err != nil {
		return nil, err
	}
	d, err = loopix.OpenDirectory(b, r.auth.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("published directory does not verify: %w", err)
	}
	r.dir = d
	info := EpochInfo{Epoch: epoch, Start: r.since(start), DirectoryBytes: len(b)}
	for _, m := range r.mixes {
		info.MixRates = append(info.MixRates, rates[r.out.Nodes[m].ID].PerSecond())
	}
	r.out.Epochs = append(r.out.Epochs, info)
	return keys, nil
}

// rotate publishes the next epoch with the rates the mixes measured and
// hands it to every core.
func (r *runner) rotate() error {
	now := r.s.Now()
	rates := map[loopix.NodeID]loopix.Rate{}
	for _, m := range r.mixes {
		rates[r.out.Nodes[m].ID] = r.nodes[m].mix.MeasuredRate(now)
	}
	keys, err := r.publish(r.dir.Epoch+1, rates)
	if err != nil {
		return err
	}
	for i, n := range r.nodes {
		env := r.s.Env(sim.NodeID(i))
		n.setCursor()
		var acts []loopix.Action
		switch {
		case n.mix != nil:
			acts, err = n.mix.SetDirectory(now, r.dir, keys[r.out.Nodes[i].ID])
		case n.prov != nil:
			acts, err = n.prov.SetDirectory(now, r.dir, keys[r.out.Nodes[i].ID])
		default:
			acts, err = n.client.SetDirectory(now, r.dir)
		}
		if err != nil {
			return err
		}
		n.apply(env, acts, pktInfo{})
	}
	return nil
}

// setCursor prepares a node for a call that is not a Receive.
func (n *simNode) setCursor() { n.cursor, n.arrived = int(n.held()), true }

func (r *runner) sample() {
	for k, m := range r.mixes {
		r.out.Mixes[k].Pool = append(r.out.Mixes[k].Pool, r.nodes[m].mix.PoolSize())
	}
}

// link records a frame on a link and returns its info.
func (r *runner) link(now time.Time, from, to int32, size int, in pktInfo) pktInfo {
	r.links++
	in.link = r.links
	var b [20]byte
	binary.LittleEndian.PutUint64(b[:], uint64(r.since(now)))
	binary.LittleEndian.PutUint32(b[8:], uint32(from))
	binary.LittleEndian.PutUint32(b[12:], uint32(to))
	binary.LittleEndian.PutUint32(b[16:], uint32(size))
	r.hash.Write(b[:])
	if r.cfg.RecordLinks {
		r.out.LinkEvents = append(r.out.LinkEvents, LinkEvent{T: r.since(now), From: from, To: to, Size: int32(size)})
		r.out.GroundTruth = append(r.out.GroundTruth, Truth{Packet: in.packet, Class: in.class, Hop: in.hop, In: -1, Msg: in.msg})
	}
	return in
}

func (r *runner) setIn(link, in uint64) {
	if r.cfg.RecordLinks && in > 0 {
		r.out.GroundTruth[link-1].In = int64(in - 1)
	}
}

var traceReasons = map[loopix.Reason]trace.Reason{
	loopix.ReasonMalformed: trace.ReasonMalformed, loopix.ReasonUnwrap: trace.ReasonInvalid, loopix.ReasonReplay: trace.ReasonReplay,
	loopix.ReasonDelay: trace.ReasonInvalid, loopix.ReasonUnknownHop: trace.ReasonInvalid, loopix.ReasonNotServed: trace.ReasonPolicy,
	loopix.ReasonRole: trace.ReasonInvalid, loopix.ReasonInboxFull: trace.ReasonQueueFull, loopix.ReasonPoolFull: trace.ReasonQueueFull,
	loopix.ReasonStale: trace.ReasonExpired,
}

func (r *runner) finish(end time.Time) {
	out := r.out
	w := r.cfg.Duration.Seconds()
	for k, m := range r.mixes {
		ms := &out.Mixes[k]
		n := r.nodes[m]
		ms.Rate = float64(ms.Arrivals) / w
		if n.ent.n > 0 {
			ms.Entropy = n.ent.sum / float64(n.ent.n)
			ms.Outputs = n.ent.n
		}
		ms.Alarms, ms.Checks = n.mix.Alarms()
		ms.LoopsSent = n.mix.LoopsSent()
		ms.LoopsBack = n.mix.Ledger().Loops
	}
	for _, n := range r.nodes {
		if n.client == nil {
			continue
		}
		st := n.client.Stats()
		n.traffic.LoopsSent = st.Loops
		n.traffic.LoopsBack = n.client.Ledger().Loops
		if n.fgRng != nil {
			if n.fg {
				n.fgIvals = append(n.fgIvals, [2]time.Duration{n.fgSince, r.since(end)})
			}
			out.ForegroundIntervals[n.idx] = n.fgIvals
			n.traffic.Foreground = overlap(n.fgIvals, r.cfg.Warmup, r.cfg.Warmup+r.cfg.Duration)
		} else {
			n.traffic.Foreground = r.cfg.Duration
		}
	}
	for i := range out.Messages {
		m := &out.Messages[i]
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:], uint64(i))
		binary.LittleEndian.PutUint64(b[8:], uint64(m.Delivered))
		r.hash.Write(b[:])
	}
	out.Events = r.s.Events()
	r.hash.Write([]byte(r.s.TraceHash()))
	out.TraceHash = fmt.Sprintf("%x", r.hash.Sum(nil))
}

func overlap(iv [][2]time.Duration, from, to time.Duration) time.Duration {
	var t time.Duration
	for _, x := range iv {
		lo, hi := max(x[0], from), min(x[1], to)
		if hi > lo {
			t += hi - lo
		}
	}
	return t
}
