package sim

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// uptimeNode accumulates the time its node spends online.
type uptimeNode struct {
	on    bool
	since time.Time
	total time.Duration
	flips int
}

func (u *uptimeNode) Start(env *Env)               { u.on, u.since = env.Online(env.Self()), env.Now() }
func (u *uptimeNode) Receive(*Env, NodeID, []byte) {}
func (u *uptimeNode) Timer(*Env, uint64)           {}
func (u *uptimeNode) Up(env *Env)                  { u.on, u.since = true, env.Now(); u.flips++ }
func (u *uptimeNode) Down(env *Env) {
	u.on = false
	u.total += env.Now().Sub(u.since)
	u.flips++
}

func (u *uptimeNode) upTo(end time.Time) time.Duration {
	if u.on {
		return u.total + end.Sub(u.since)
	}
	return u.total
}

func churnSim(t *testing.T, c Churn, n int) (*Sim, []*uptimeNode) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Seed = 42
	cfg.Churn = c
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*uptimeNode, n)
	for i := range nodes {
		nodes[i] = &uptimeNode{}
		if _, err := s.Add(nodes[i], NodeConfig{}); err != nil {
			t.Fatal(err)
		}
	}
	return s, nodes
}

var churnCases = []Churn{
	{Uptime: 0.3, MeanSession: time.Hour, Dist: ChurnExp},
	{Uptime: 0.3, MeanSession: time.Hour, Dist: ChurnWeibull, WeibullShape: 0.5},
	{Uptime: 0.8, MeanSession: time.Hour, Dist: ChurnWeibull, WeibullShape: 2},
	{Uptime: 0.1, MeanSession: 10 * time.Minute, Dist: ChurnWeibull, WeibullShape: 0.7},
}

func churnName(c Churn) string {
	return fmt.Sprintf("%s-k%g-u%g", c.Dist, c.WeibullShape, c.Uptime)
}

// TestChurnUptime measures the long-run fraction of time online. With 100
// nodes over 200 mean cycles each, the standard error of the estimate is
// below 0.5% even for Weibull k=0.5 (coefficient of variation √5), so a
// 2-point tolerance is > 4 standard errors.
func TestChurnUptime(t *testing.T) {
	for _, c := range churnCases {
		t.Run(churnName(c), func(t *testing.T) {
			const n = 100
			cycle := time.Duration(float64(c.MeanSession) / c.Uptime)
			end := at(200 * cycle)
			s, nodes := churnSim(t, c, n)
			if err := s.Run(end); err != nil {
				t.Fatal(err)
			}
			var on time.Duration
			flips := 0
			for _, u := range nodes {
				on += u.upTo(end)
				flips += u.flips
			}
			frac := float64(on) / float64(n) / float64(end.Sub(defaultEpoch))
			t.Logf("fraction online %.4f (Uptime %g), %d transitions", frac, c.Uptime, flips)
			if math.Abs(frac-c.Uptime) > 0.02 {
				t.Errorf("fraction online %.4f, want %.2f ± 0.02", frac, c.Uptime)
			}
			// About two transitions per cycle per node.
			if want := 2 * 200 * n; flips < want*8/10 || flips > want*12/10 {
				t.Errorf("%d transitions, want ≈ %d", flips, want)
			}
		})
	}
}

// TestChurnStartsStationary checks that the fraction of nodes online is
// Uptime at every instant from the start, which holds only if the initial
// state and residual period are drawn from the stationary distribution.
// 4000 nodes: the standard error of a snapshot is ≤ 0.8%; tolerance 3%.
func TestChurnStartsStationary(t *testing.T) {
	for _, c := range churnCases {
		t.Run(churnName(c), func(t *testing.T) {
			const n = 4000
			s, _ := churnSim(t, c, n)
			for _, f := range []float64{0, 0.05, 0.3, 1, 3} {
				when := at(time.Duration(f * float64(c.MeanSession)))
				s.At(when, func(s *Sim) {
					on := 0
					for i := range n {
						if s.Online(NodeID(i)) {
							on++
						}
					}
					if frac := float64(on) / n; math.Abs(frac-c.Uptime) > 0.03 {
						t.Errorf("at %g·MeanSession: %.4f online, want %.2f ± 0.03", f, frac, c.Uptime)
					}
				})
			}
			if err := s.Run(at(3*c.MeanSession + time.Second)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestAlwaysOnline(t *testing.T) {
	for _, c := range []Churn{{}, {Uptime: 1}, {Uptime: 1, MeanSession: time.Second, Dist: ChurnWeibull, WeibullShape: 1}} {
		s, nodes := churnSim(t, c, 10)
		if err := s.Run(at(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for i, u := range nodes {
			if !s.Online(NodeID(i)) || u.flips != 0 {
				t.Errorf("%+v: node %d online=%v flips=%d", c, i, s.Online(NodeID(i)), u.flips)
			}
		}
		if s.Events() != 0 {
			t.Errorf("%+v: %d events with no churn and no traffic", c, s.Events())
		}
	}
}

func TestPerNodeChurn(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Churn = Churn{Uptime: 0.5, MeanSession: time.Minute}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	churny, steady := &uptimeNode{}, &uptimeNode{}
	s.Add(churny, NodeConfig{})
	s.Add(steady, NodeConfig{Churn: &Churn{Uptime: 1}})
	if err := s.Run(at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if churny.flips == 0 || steady.flips != 0 {
		t.Errorf("flips: default churn %d, per-node always-on %d", churny.flips, steady.flips)
	}
}

func TestSetOnlinePinsAndResumeChurn(t *testing.T) {
	s, nodes := churnSim(t, Churn{Uptime: 0.5, MeanSession: time.Minute}, 1)
	u := nodes[0]
	s.SetOnline(0, true)
	if err := s.Run(at(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !s.Online(0) || u.flips != 0 {
		t.Fatalf("pinned node churned: online=%v flips=%d", s.Online(0), u.flips)
	}
	s.SetOnline(0, false)
	if s.Online(0) || u.flips != 1 {
		t.Fatalf("SetOnline(false): online=%v flips=%d", s.Online(0), u.flips)
	}
	s.ResumeChurn(0)
	if err := s.Run(at(2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u.flips < 10 {
		t.Errorf("after ResumeChurn only %d flips in an hour of 1-minute sessions", u.flips)
	}
}
