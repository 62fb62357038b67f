package sim

import (
	"testing"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

// recorder is a trace.Sink that keeps every event.
type recorder struct{ events []trace.Event }

func (r *recorder) Emit(e trace.Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) kind(k trace.Kind) []trace.Event {
	var out []trace.Event
	for _, e := range r.events {
		if e.Kind == k && e.Layer == TraceLayer {
			out = append(out, e)
		}
	}
	return out
}

// arrival is one delivery seen by a probe.
type arrival struct {
	at   time.Time
	from NodeID
	data []byte
}

// probe is a scriptable node that records what happens to it.
type probe struct {
	start    func(env *Env)
	onRecv   func(env *Env, from NodeID, p []byte)
	onTimer  func(env *Env, tag uint64)
	got      []arrival
	timers   []timerFire
	ups      []time.Time
	downs    []time.Time
	peerUps  []NodeID
	peerDown []NodeID
}

type timerFire struct {
	at  time.Time
	tag uint64
}

func (p *probe) Start(env *Env) {
	if p.start != nil {
		p.start(env)
	}
}

func (p *probe) Receive(env *Env, from NodeID, payload []byte) {
	p.got = append(p.got, arrival{env.Now(), from, payload})
	if p.onRecv != nil {
		p.onRecv(env, from, payload)
	}
}

func (p *probe) Timer(env *Env, tag uint64) {
	p.timers = append(p.timers, timerFire{env.Now(), tag})
	if p.onTimer != nil {
		p.onTimer(env, tag)
	}
}

func (p *probe) Up(env *Env)   { p.ups = append(p.ups, env.Now()) }
func (p *probe) Down(env *Env) { p.downs = append(p.downs, env.Now()) }

func (p *probe) PeerUp(env *Env, peer NodeID)   { p.peerUps = append(p.peerUps, peer) }
func (p *probe) PeerDown(env *Env, peer NodeID) { p.peerDown = append(p.peerDown, peer) }

// newSim returns a Sim for cfg with a recorder as its trace sink, and n
// probes of class "".
func newSim(t *testing.T, cfg Config, n int) (*Sim, []*probe, *recorder) {
	t.Helper()
	rec := &recorder{}
	cfg.Trace = rec
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps := make([]*probe, n)
	for i := range ps {
		ps[i] = &probe{}
		if _, err := s.Add(ps[i], NodeConfig{}); err != nil {
			t.Fatal(err)
		}
	}
	return s, ps, rec
}

func at(d time.Duration) time.Time { return defaultEpoch.Add(d) }

func mustRun(t *testing.T, s *Sim, d time.Duration) {
	t.Helper()
	if err := s.RunFor(d); err != nil {
		t.Fatal(err)
	}
}
