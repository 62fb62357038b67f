package mixsim

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/strata-lab/strata/internal/trace"
	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/testnet/sim"
)

// simNode adapts a loopix core to sim.Node.
type simNode struct {
	r       *runner
	idx     int32
	client  *loopix.Client
	mix     *loopix.Mix
	prov    *loopix.Provider
	initial []loopix.Action
	// mixes
	mixStats int
	ent      entropyAcc
	// cursor is the pool size before the next output of the call in
	// progress; arrived says whether the call's input entered the pool.
	cursor  int
	arrived bool
	// clients
	traffic *ClientTraffic
	fgRng   *rand.Rand
	fg      bool
	fgSince time.Duration
	fgIvals [][2]time.Duration
}

func (n *simNode) Start(env *sim.Env) {
	n.apply(env, n.initial, pktInfo{})
	n.initial = nil
	if n.client != nil {
		n.armApp(env)
		if n.fgRng != nil {
			n.scheduleToggle(env.Now())
		}
	}
}

func (n *simNode) Up(*sim.Env)   {}
func (n *simNode) Down(*sim.Env) {}

func (n *simNode) held() uint64 {
	switch {
	case n.mix != nil:
		return n.mix.Ledger().Held
	case n.prov != nil:
		return n.prov.Ledger().Held
	}
	return 0
}

func (n *simNode) Receive(env *sim.Env, from sim.NodeID, payload []byte) {
	r := n.r
	now := env.Now()
	in := untag(payload)
	if n.traffic != nil && r.measuring(now) {
		n.traffic.BytesDown += uint64(len(payload))
	}
	fromID := r.out.Nodes[from].ID
	before := n.held()
	n.cursor, n.arrived = int(before), false
	var stored uint64
	if n.prov != nil {
		stored = n.prov.Ledger().Stored
	}
	var acts []loopix.Action
	switch {
	case n.mix != nil:
		acts = n.mix.Receive(now, fromID, payload, in.link)
	case n.prov != nil:
		acts = n.prov.Receive(now, fromID, payload, in.link)
	default:
		acts = n.client.Receive(now, fromID, payload, in.link)
	}
	n.apply(env, acts, in)
	if after := n.held(); after > before {
		r.inflight[in.link] = in
		n.arrive(now)
	}
	if n.prov != nil && n.prov.Ledger().Stored > stored && in.msg > 0 {
		r.out.Messages[in.msg-1].Stored = r.since(now)
	}
}

// arrive counts the input of the call in progress entering a mix's pool.
func (n *simNode) arrive(now time.Time) {
	if n.mix == nil || n.arrived {
		return
	}
	n.arrived = true
	n.cursor++
	n.ent.arrivals++
	if n.r.measuring(now) {
		n.r.out.Mixes[n.mixStats].Arrivals++
	}
}

func (n *simNode) Timer(env *sim.Env, tag uint64) {
	now := env.Now()
	n.cursor, n.arrived = int(n.held()), true
	switch tag {
	case tagCore:
		switch {
		case n.mix != nil:
			n.apply(env, n.mix.Tick(now), pktInfo{})
		case n.prov != nil:
			n.apply(env, n.prov.Tick(now), pktInfo{})
		default:
			n.apply(env, n.client.Tick(now), pktInfo{})
		}
	case tagApp:
		// Mobile users write only while the application is in the
		// foreground.
		if n.fgRng == nil || n.fg {
			n.write(env)
		}
		n.armApp(env)
	}
}

// armApp schedules the application's next message.
func (n *simNode) armApp(env *sim.Env) {
	cfg := &n.r.cfg
	if cfg.MsgRate <= 0 || cfg.Clients < 2 {
		return
	}
	at := env.Now().Add(time.Duration(env.Rand().ExpFloat64() / cfg.MsgRate * float64(time.Second)))
	if n.r.since(at) < cfg.Warmup+cfg.Duration {
		env.SetTimer(at, tagApp)
	}
}

// write sends a message to a uniformly chosen other client.
func (n *simNode) write(env *sim.Env) {
	r := n.r
	cfg := &r.cfg
	first := int32(cfg.Providers + cfg.Layers*cfg.MixesPerLayer)
	k := int32(env.Rand().IntN(cfg.Clients - 1))
	to := first + k
	if to >= n.idx {
		to++
	}
	num := uint64(len(r.out.Messages) + 1)
	r.out.Messages = append(r.out.Messages, Message{From: n.idx, To: to, Created: r.since(env.Now()),
		Departed: -1, Stored: -1, Delivered: -1, FirstLink: -1, DeliverLink: -1})
	body := binary.BigEndian.AppendUint64(nil, num)
	toInfo := r.out.Nodes[to]
	id, acts, err := n.client.Send(env.Now(), toInfo.ID, r.out.Nodes[toInfo.Provider].ID, body)
	if err != nil {
		r.fail(err)
		return
	}
	r.msgIDs[[2]uint64{uint64(n.idx), id}] = num
	n.apply(env, acts, pktInfo{})
}

// scheduleToggle draws the end of the current foreground or background
// period (exponential; the first one is the residual life, which for the
// exponential has the same law).
func (n *simNode) scheduleToggle(now time.Time) {
	cfg := &n.r.cfg
	mean := float64(cfg.MeanForeground)
	if !n.fg {
		mean = mean * (1 - cfg.Foreground) / cfg.Foreground
	}
	if mean <= 0 {
		return
	}
	at := now.Add(time.Duration(n.fgRng.ExpFloat64() * mean))
	n.r.s.At(at, func(s *sim.Sim) {
		n.fg = !n.fg
		t := n.r.since(s.Now())
		if n.fg {
			n.fgSince = t
		} else {
			n.fgIvals = append(n.fgIvals, [2]time.Duration{n.fgSince, t})
		}
		n.cursor, n.arrived = 0, true
		n.apply(s.Env(sim.NodeID(n.idx)), n.client.SetForeground(s.Now(), n.fg), pktInfo{})
		n.scheduleToggle(s.Now())
	})
}

// apply carries out a core's actions; in is the info of the frame that
// caused them (zero for timers).
func (n *simNode) apply(env *sim.Env, acts []loopix.Action, in pktInfo) {
	r := n.r
	now := env.Now()
	for _, a := range acts {
		switch a.Kind {
		case loopix.ActTimer:
			env.SetTimer(a.At, tagCore)
		case loopix.ActSend:
			n.send(env, now, a, in)
		case loopix.ActDeliver:
			if len(a.Body) >= 8 {
				num := binary.BigEndian.Uint64(a.Body)
				if num >= 1 && num <= uint64(len(r.out.Messages)) && r.out.Messages[num-1].To == n.idx {
					m := &r.out.Messages[num-1]
					if m.Delivered < 0 {
						m.Delivered = r.since(now)
						m.DeliverLink = int64(a.Ref) - 1
						if !r.cfg.RecordLinks {
							m.DeliverLink = -1
						}
					}
					env.Trace(trace.Event{Layer: "mixnet", Kind: trace.KindDeliver, MsgID: strconv.FormatUint(num, 10)})
				}
			}
		case loopix.ActDrop:
			r.out.Drops[a.Reason.String()]++
			env.Trace(trace.Event{Layer: "mixnet", Kind: trace.KindDrop, Reason: traceReasons[a.Reason], Detail: a.Reason.String()})
			delete(r.inflight, a.Ref)
		case loopix.ActReport:
			num := r.msgIDs[[2]uint64{uint64(n.idx), a.Msg}]
			if num > 0 {
				m := &r.out.Messages[num-1]
				m.Departed = r.since(now)
				m.ExpectedPool, m.EntropyFloor = a.Report.ExpectedPool, a.Report.EntropyFloor
				m.ExpectedDelay, m.TargetMet = a.Report.ExpectedDelay, a.Report.TargetMet
			}
		case loopix.ActAlarm:
			ms := &r.out.Mixes[n.mixStats]
			if ms.FirstAlarm < 0 {
				ms.FirstAlarm = r.since(now)
			}
		case loopix.ActLoop:
		}
	}
}

// send records a frame on its link and hands it to the simulator.
func (n *simNode) send(env *sim.Env, now time.Time, a loopix.Action, in pktInfo) {
	r := n.r
	to, ok := r.index[a.To]
	if !ok {
		r.fail(errUnknown(a.To))
		return
	}
	var info pktInfo
	var from uint64
	switch a.Class {
	case loopix.ClassForward:
		src := in
		if a.Ref == in.link && in.link != 0 {
			n.arrive(now) // held for a zero delay: in and out in one call
		} else {
			src = r.inflight[a.Ref]
			delete(r.inflight, a.Ref)
		}
		info = pktInfo{packet: src.packet, msg: src.msg, class: src.class, hop: src.hop + 1}
		from = a.Ref
		if n.mix != nil {
			n.ent.output(n.cursor, r.measuring(now))
			n.cursor--
		}
	case loopix.ClassPull, loopix.ClassPullResponse:
		info = pktInfo{class: a.Class}
		from = a.Ref
	default:
		r.pkts++
		info = pktInfo{packet: r.pkts, class: a.Class}
		if a.Class == loopix.ClassPayload {
			info.msg = r.msgIDs[[2]uint64{uint64(n.idx), a.Msg}]
		}
	}
	info = r.link(now, n.idx, to, len(a.Frame), info)
	r.setIn(info.link, from)
	if info.msg > 0 && a.Class == loopix.ClassPayload && r.cfg.RecordLinks {
		r.out.Messages[info.msg-1].FirstLink = int64(info.link - 1)
	}
	if n.traffic != nil && r.measuring(now) {
		n.traffic.BytesUp += uint64(len(a.Frame))
		if a.Class == loopix.ClassPull {
			n.traffic.PullsUp++
		} else {
			n.traffic.PacketsUp++
		}
	}
	if atk := r.cfg.Attack; atk != nil && to == r.mixes[atk.Mix] && r.since(now) >= atk.From && r.atkRng.Float64() < atk.Fraction {
		r.out.Drops["flush"]++
		return
	}
	env.Send(sim.NodeID(to), tag(a.Frame, info))
}

type errUnknown loopix.NodeID

func (e errUnknown) Error() string {
	return "mixsim: action to unknown node " + loopix.NodeID(e).String()
}
