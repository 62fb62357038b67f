package sim

import (
	"testing"
	"time"
)

func TestTimersDeferredWhileOffline(t *testing.T) {
	s, ps, _ := newSim(t, DefaultConfig(), 1)
	p := ps[0]
	var log []string
	p.start = func(env *Env) {
		env.SetTimer(at(10*time.Second), 1)
		env.SetTimer(at(12*time.Second), 2)
		env.SetTimer(at(11*time.Second), 3) // re-set while deferred below
		env.SetTimer(at(30*time.Second), 4) // due after coming back
	}
	p.onTimer = func(env *Env, tag uint64) {
		log = append(log, env.Now().Sub(defaultEpoch).String()+":"+string(rune('0'+tag)))
	}
	s.At(at(5*time.Second), func(s *Sim) { s.SetOnline(0, false) })
	s.At(at(15*time.Second), func(s *Sim) { s.Env(0).SetTimer(at(40*time.Second), 3) })
	s.At(at(20*time.Second), func(s *Sim) {
		log = append(log, "up")
		s.SetOnline(0, true)
	})
	mustRun(t, s, time.Minute)
	want := []string{"up", "20s:1", "20s:2", "30s:4", "40s:3"}
	if len(log) != len(want) {
		t.Fatalf("log %q, want %q", log, want)
	}
	for i := range want {
		if log[i] != want[i] {
			t.Fatalf("log %q, want %q", log, want)
		}
	}
	if len(p.ups) != 1 || !p.ups[0].Equal(at(20*time.Second)) {
		t.Errorf("Up calls %v", p.ups)
	}
}

func TestTimerReplaceCancelPast(t *testing.T) {
	s, ps, _ := newSim(t, DefaultConfig(), 1)
	p := ps[0]
	p.start = func(env *Env) {
		env.SetTimer(at(10*time.Second), 1)
		env.SetTimer(at(15*time.Second), 1) // replaces
		env.SetTimer(at(5*time.Second), 2)
		env.CancelTimer(2)
		env.SetTimer(at(-time.Hour), 3) // past: fires now
		env.SetTimer(at(time.Second), 4)
	}
	p.onTimer = func(env *Env, tag uint64) {
		if tag == 4 {
			env.SetTimer(at(2*time.Second), 4) // re-arm after firing
			if env.Now().After(at(time.Second)) {
				env.CancelTimer(4)
			}
		}
	}
	mustRun(t, s, time.Minute)
	want := []timerFire{{at(0), 3}, {at(time.Second), 4}, {at(2 * time.Second), 4}, {at(15 * time.Second), 1}}
	if len(p.timers) != len(want) {
		t.Fatalf("timers %v, want %v", p.timers, want)
	}
	for i := range want {
		if !p.timers[i].at.Equal(want[i].at) || p.timers[i].tag != want[i].tag {
			t.Fatalf("timers %v, want %v", p.timers, want)
		}
	}
}

func TestTimerOnOfflineNodeAtStart(t *testing.T) {
	s, ps, _ := newSim(t, DefaultConfig(), 1)
	s.SetOnline(0, false)
	ps[0].start = func(env *Env) {
		if env.Online(env.Self()) {
			t.Error("node pinned offline is online at Start")
		}
		env.SetTimer(at(time.Second), 7)
	}
	s.At(at(time.Hour), func(s *Sim) { s.SetOnline(0, true) })
	mustRun(t, s, 2*time.Hour)
	if len(ps[0].timers) != 1 || !ps[0].timers[0].at.Equal(at(time.Hour)) {
		t.Errorf("timers %v, want one at 1h", ps[0].timers)
	}
}
