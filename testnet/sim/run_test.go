package sim

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

func TestStepAndEmptyQueue(t *testing.T) {
	s, ps, _ := newSim(t, linkCfg(LinkModel{Latency: Fixed(time.Second)}), 2)
	ps[0].start = func(env *Env) { env.Send(1, nil) }
	if !s.Step() {
		t.Fatal("Step: no event although a packet is in flight")
	}
	if !s.Now().Equal(at(time.Second)) || len(ps[1].got) != 1 {
		t.Fatalf("after one Step: now %v, %d packets", s.Now(), len(ps[1].got))
	}
	if s.Step() {
		t.Error("Step reported an event on an empty queue")
	}
	if s.Events() != 1 || s.Pending() != 0 {
		t.Errorf("events %d pending %d", s.Events(), s.Pending())
	}
	// Run on an empty queue moves the clock to until.
	mustRun(t, s, time.Hour)
	if !s.Now().Equal(at(time.Hour + time.Second)) {
		t.Errorf("now %v after RunFor(1h)", s.Now())
	}
}

func TestStopFromHandler(t *testing.T) {
	var s *Sim
	s, ps, _ := newSim(t, linkCfg(LinkModel{Latency: Fixed(time.Second)}), 2)
	ps[0].start = func(env *Env) { env.Send(1, nil) }
	ps[1].start = func(env *Env) { env.Send(0, nil) }
	stopped := false
	bounce := func(env *Env, from NodeID, p []byte) {
		env.Send(from, p)
		if env.Now().Equal(at(3*time.Second)) && !stopped {
			stopped = true
			s.Stop()
		}
	}
	ps[0].onRecv, ps[1].onRecv = bounce, bounce
	mustRun(t, s, time.Hour)
	if !s.Now().Equal(at(3 * time.Second)) {
		t.Fatalf("stopped at %v, want 3s", s.Now())
	}
	// Stop ends the Run after the current event: the other packet due at
	// 3 s is still queued.
	if got := len(ps[0].got) + len(ps[1].got); got != 5 {
		t.Errorf("%d deliveries by the stop, want 5", got)
	}
	s.Stop() // outside a Run: no effect on the next Run
	mustRun(t, s, 2*time.Second)
	if !s.Now().Equal(at(5 * time.Second)) {
		t.Errorf("resumed run ended at %v, want 5s", s.Now())
	}
}

func TestProgress(t *testing.T) {
	cfg := linkCfg(LinkModel{Latency: Fixed(time.Millisecond)})
	var calls []uint64
	cfg.Progress = func(now time.Time, events uint64) { calls = append(calls, events) }
	cfg.ProgressEvery = 100
	s, ps, _ := newSim(t, cfg, 2)
	ps[0].start = func(env *Env) { env.Send(1, nil) }
	ps[0].onRecv = func(env *Env, from NodeID, p []byte) { env.Send(from, p) }
	ps[1].onRecv = ps[0].onRecv
	mustRun(t, s, time.Second+time.Millisecond/2)
	if s.Events() != 1000 || len(calls) != 10 || calls[9] != 1000 {
		t.Errorf("events %d, progress calls %v", s.Events(), calls)
	}
}

func TestAtOrder(t *testing.T) {
	s, _, _ := newSim(t, DefaultConfig(), 1)
	var got []string
	s.At(at(2*time.Second), func(*Sim) { got = append(got, "b") })
	s.At(at(time.Second), func(s *Sim) {
		got = append(got, "a")
		s.At(at(0), func(*Sim) { got = append(got, "past") }) // runs now, after queued ones
	})
	s.At(at(time.Second), func(*Sim) { got = append(got, "a2") })
	s.At(at(2*time.Second), func(*Sim) { got = append(got, "c") })
	mustRun(t, s, time.Minute)
	if strings.Join(got, ",") != "a,a2,past,b,c" {
		t.Errorf("order %q", got)
	}
}

func TestNodeTraceEvents(t *testing.T) {
	s, ps, rec := newSim(t, DefaultConfig(), 1)
	ps[0].start = func(env *Env) {
		env.Trace(trace.Event{Layer: "sync", Kind: trace.KindDeliver, MsgID: "ab"})
	}
	mustRun(t, s, time.Second)
	var e *trace.Event
	for i := range rec.events {
		if rec.events[i].Layer == "sync" {
			e = &rec.events[i]
		}
	}
	if e == nil || e.Node != "0" || !e.Time.Equal(defaultEpoch) {
		t.Fatalf("node event %+v: want Node and Time filled", e)
	}
}

func TestInvalidNodeTraceStopsRun(t *testing.T) {
	s, ps, _ := newSim(t, DefaultConfig(), 1)
	ps[0].start = func(env *Env) { env.SetTimer(at(time.Second), 1) }
	ps[0].onTimer = func(env *Env, tag uint64) {
		env.Trace(trace.Event{Kind: trace.KindDrop, Reason: "bogus"})
		env.SetTimer(env.Now().Add(time.Second), 1)
	}
	err := s.Run(at(time.Hour))
	if !errors.Is(err, trace.ErrInvalidEvent) {
		t.Fatalf("Run: %v, want trace.ErrInvalidEvent", err)
	}
	if !s.Now().Equal(at(time.Second)) {
		t.Errorf("run went on to %v after the error", s.Now())
	}
	if err2 := s.Run(at(2 * time.Hour)); !errors.Is(err2, trace.ErrInvalidEvent) || s.Step() {
		t.Error("the Sim ran again after an error")
	}
}

type failSink struct{ n int }

func (f *failSink) Emit(trace.Event) error {
	if f.n--; f.n < 0 {
		return errors.New("disk full")
	}
	return nil
}

func TestSinkErrorStopsRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Trace = &failSink{n: 3}
	s, _ := New(cfg)
	p := &probe{start: func(env *Env) {
		for range 10 {
			env.Send(0, nil)
		}
	}}
	s.Add(p, NodeConfig{})
	if err := s.Run(at(time.Hour)); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Run: %v, want the sink's error", err)
	}
}

func TestStateChangeFromHandlerPanics(t *testing.T) {
	var s *Sim
	s, ps, _ := newSim(t, DefaultConfig(), 2)
	ps[0].start = func(env *Env) { s.SetOnline(1, false) }
	defer func() {
		r := recover()
		if msg, _ := r.(string); !strings.Contains(msg, "SetOnline called from a node handler") {
			t.Errorf("recovered %v", r)
		}
	}()
	s.Run(at(time.Second))
	t.Error("SetOnline from a handler did not panic")
}

func TestAddAfterStart(t *testing.T) {
	s, _, _ := newSim(t, DefaultConfig(), 1)
	mustRun(t, s, time.Second)
	if _, err := s.Add(&probe{}, NodeConfig{}); !errors.Is(err, ErrStarted) {
		t.Errorf("Add after start: %v, want ErrStarted", err)
	}
}

func TestStateTraceEvents(t *testing.T) {
	s, _, rec := newSim(t, DefaultConfig(), 2)
	s.SetOnline(1, false)
	s.At(at(time.Second), func(s *Sim) { s.SetOnline(1, true) })
	mustRun(t, s, time.Minute)
	var got []string
	for _, e := range rec.kind(trace.KindState) {
		got = append(got, e.Node+":"+e.Detail+"@"+e.Time.Sub(defaultEpoch).String())
	}
	if strings.Join(got, " ") != "0:up@0s 1:down@0s 1:up@1s" {
		t.Errorf("state events %q", got)
	}
}
