package sim

import (
	"math"
	"testing"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

func linkCfg(m LinkModel) Config {
	cfg := DefaultConfig()
	cfg.DefaultLink = m
	return cfg
}

func TestFixedLatencyExact(t *testing.T) {
	s, ps, rec := newSim(t, linkCfg(LinkModel{Latency: Fixed(37*time.Millisecond + 5)}), 2)
	ps[0].start = func(env *Env) { env.Send(1, []byte("hi")) }
	s.At(at(time.Second), func(s *Sim) { s.Env(0).Send(1, []byte("again")) })
	mustRun(t, s, time.Minute)
	if len(ps[1].got) != 2 {
		t.Fatalf("got %d packets, want 2", len(ps[1].got))
	}
	if got, want := ps[1].got[0].at, at(37*time.Millisecond+5); !got.Equal(want) {
		t.Errorf("first arrival at %v, want %v", got, want)
	}
	if got, want := ps[1].got[1].at, at(time.Second+37*time.Millisecond+5); !got.Equal(want) {
		t.Errorf("second arrival at %v, want %v", got, want)
	}
	if ps[1].got[0].from != 0 || string(ps[1].got[0].data) != "hi" {
		t.Errorf("first packet %+v", ps[1].got[0])
	}
	sends, recvs := rec.kind(trace.KindSend), rec.kind(trace.KindRecv)
	if len(sends) != 2 || len(recvs) != 2 {
		t.Fatalf("%d send and %d recv events, want 2 and 2", len(sends), len(recvs))
	}
	if r := recvs[0]; r.Node != "1" || r.Peer != "0" || r.Bytes != 2 || r.MsgID != sends[0].MsgID {
		t.Errorf("recv event %+v does not match send %+v", r, sends[0])
	}
	if !s.Now().Equal(at(time.Minute)) {
		t.Errorf("clock at %v after RunFor(1m), want %v", s.Now(), at(time.Minute))
	}
}

func TestBandwidthSerialization(t *testing.T) {
	s, ps, _ := newSim(t, linkCfg(LinkModel{Latency: Fixed(10 * time.Millisecond), Bandwidth: 1000}), 2)
	ps[0].start = func(env *Env) {
		env.Send(1, make([]byte, 1000))
		env.Send(1, make([]byte, 1000))
	}
	// Sent after the uplink drained: no queueing, only serialization.
	s.At(at(5*time.Second), func(s *Sim) { s.Env(0).Send(1, make([]byte, 500)) })
	mustRun(t, s, time.Minute)
	want := []time.Time{
		at(time.Second + 10*time.Millisecond),
		at(2*time.Second + 10*time.Millisecond),
		at(5*time.Second + 500*time.Millisecond + 10*time.Millisecond),
	}
	if len(ps[1].got) != len(want) {
		t.Fatalf("got %d packets, want %d", len(ps[1].got), len(want))
	}
	for i, w := range want {
		if !ps[1].got[i].at.Equal(w) {
			t.Errorf("packet %d arrived at %v, want %v", i, ps[1].got[i].at, w)
		}
	}
	if d := ps[1].got[1].at.Sub(ps[1].got[0].at); d != time.Second {
		t.Errorf("two 1000-byte packets at 1000 B/s arrived %v apart, want 1s", d)
	}
}

func TestUplinkSharedAcrossDestinations(t *testing.T) {
	s, ps, _ := newSim(t, linkCfg(LinkModel{Bandwidth: 100}), 3)
	ps[0].start = func(env *Env) {
		env.Send(1, make([]byte, 100))
		env.Send(2, make([]byte, 100)) // waits for the first on the same uplink
	}
	mustRun(t, s, time.Minute)
	if got := ps[2].got[0].at; !got.Equal(at(2 * time.Second)) {
		t.Errorf("second packet arrived at %v, want 2s", got)
	}
}

func TestMaxQueueDrops(t *testing.T) {
	s, ps, rec := newSim(t, linkCfg(LinkModel{Bandwidth: 1000, MaxQueue: 1500}), 2)
	ps[0].start = func(env *Env) {
		env.Send(1, make([]byte, 1000)) // queued: backlog 1000
		env.Send(1, make([]byte, 1000)) // 2000 > 1500: dropped
		env.Send(1, make([]byte, 500))  // 1500: fits
	}
	// At 1s the first packet has left: backlog 500, room for 1000.
	s.At(at(time.Second), func(s *Sim) { s.Env(0).Send(1, make([]byte, 1000)) })
	mustRun(t, s, time.Minute)
	st := s.Stats()
	if st.Delivered != 3 || st.Dropped[trace.ReasonQueueFull] != 1 {
		t.Fatalf("stats %+v, want 3 delivered and 1 queue_full", st)
	}
	drops := rec.kind(trace.KindDrop)
	if len(drops) != 1 || drops[0].Reason != trace.ReasonQueueFull || drops[0].Node != "0" || drops[0].Bytes != 1000 {
		t.Errorf("drop events %+v", drops)
	}
	// 1000 B at 1 s, 500 B at 1.5 s, then the late 1000 B at 2.5 s.
	want := []time.Duration{time.Second, 1500 * time.Millisecond, 2500 * time.Millisecond}
	for i, w := range want {
		if !ps[1].got[i].at.Equal(at(w)) {
			t.Errorf("packet %d arrived at %v, want %v", i, ps[1].got[i].at, at(w))
		}
	}
}

func TestLossRate(t *testing.T) {
	const n, p = 10000, 0.1
	s, ps, _ := newSim(t, linkCfg(LinkModel{Latency: Fixed(time.Millisecond), Loss: p}), 2)
	ps[0].start = func(env *Env) {
		for range n {
			env.Send(1, []byte{1})
		}
	}
	mustRun(t, s, time.Second)
	st := s.Stats()
	lost := st.Dropped[trace.ReasonLinkLoss]
	if lost+st.Delivered != n || uint64(len(ps[1].got)) != st.Delivered {
		t.Fatalf("lost %d + delivered %d != %d sent (probe saw %d)", lost, st.Delivered, n, len(ps[1].got))
	}
	// Binomial(n, p): mean np = 1000, sd √(np(1−p)) = 30. The seed is
	// fixed, so this cannot flake; ±5 sd only guards against a wrong rate.
	sd := math.Sqrt(n * p * (1 - p))
	if d := math.Abs(float64(lost) - n*p); d > 5*sd {
		t.Errorf("lost %d of %d, want %v ± %.0f", lost, n, n*p, 5*sd)
	}
}

func TestJitterBoundsAndReorder(t *testing.T) {
	const lat, jit = 100 * time.Millisecond, 40 * time.Millisecond
	s, ps, _ := newSim(t, linkCfg(LinkModel{Latency: Fixed(lat), Jitter: jit}), 2)
	const n = 2000
	ps[0].start = func(env *Env) {
		for i := range n {
			env.Send(1, []byte{byte(i), byte(i >> 8)})
		}
	}
	mustRun(t, s, time.Minute)
	if len(ps[1].got) != n {
		t.Fatalf("got %d packets, want %d", len(ps[1].got), n)
	}
	reordered := 0
	var sum time.Duration
	for i, a := range ps[1].got {
		d := a.at.Sub(defaultEpoch)
		if d < lat-jit || d > lat+jit {
			t.Fatalf("delay %v outside [%v, %v]", d, lat-jit, lat+jit)
		}
		sum += d
		if seq := int(a.data[0]) | int(a.data[1])<<8; seq != i {
			reordered++
		}
	}
	if reordered == 0 {
		t.Error("jitter did not reorder any packet")
	}
	if mean := sum / n; mean < lat-2*time.Millisecond || mean > lat+2*time.Millisecond {
		t.Errorf("mean delay %v, want ≈ %v", mean, lat)
	}
}

func TestNormalLatency(t *testing.T) {
	const mean, sd = 50 * time.Millisecond, 10 * time.Millisecond
	s, ps, _ := newSim(t, linkCfg(LinkModel{Latency: Normal(mean, sd)}), 2)
	const n = 5000
	ps[0].start = func(env *Env) {
		for range n {
			env.Send(1, nil)
		}
	}
	mustRun(t, s, time.Minute)
	var sum, sq float64
	for _, a := range ps[1].got {
		d := float64(a.at.Sub(defaultEpoch))
		if d < 0 {
			t.Fatalf("negative delay %v", d)
		}
		sum += d
		sq += d * d
	}
	m := sum / n
	v := math.Sqrt(sq/n - m*m)
	if math.Abs(m-float64(mean)) > 5*float64(sd)/math.Sqrt(n) {
		t.Errorf("mean latency %v, want %v", time.Duration(m), mean)
	}
	if math.Abs(v-float64(sd)) > 0.1*float64(sd) {
		t.Errorf("latency stddev %v, want %v", time.Duration(v), sd)
	}
}

func TestTruncatedNormalNeverNegative(t *testing.T) {
	s, ps, _ := newSim(t, linkCfg(LinkModel{Latency: Normal(0, 10*time.Millisecond)}), 2)
	ps[0].start = func(env *Env) {
		for range 1000 {
			env.Send(1, nil)
		}
	}
	mustRun(t, s, time.Minute)
	var sum time.Duration
	for _, a := range ps[1].got {
		sum += a.at.Sub(defaultEpoch)
	}
	// Half-normal mean: σ·√(2/π) ≈ 7.98 ms (clamping would give ≈ 3.99 ms).
	if m := sum / 1000; m < 7*time.Millisecond || m > 9*time.Millisecond {
		t.Errorf("mean of N(0, 10ms) truncated at 0 is %v, want ≈ 8ms", m)
	}
}

func TestClassMatrix(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DefaultLink = LinkModel{Latency: Fixed(100 * time.Millisecond)}
	cfg.Links = map[[2]string]LinkModel{{"mobile", "server"}: {Latency: Fixed(5 * time.Millisecond)}}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m, srv := &probe{}, &probe{}
	idM, _ := s.Add(m, NodeConfig{Class: "mobile"})
	idS, _ := s.Add(srv, NodeConfig{Class: "server"})
	m.start = func(env *Env) { env.Send(idS, nil) }
	srv.start = func(env *Env) { env.Send(idM, nil) }
	mustRun(t, s, time.Second)
	if got := srv.got[0].at; !got.Equal(at(5 * time.Millisecond)) {
		t.Errorf("mobile→server arrived at %v, want 5ms", got)
	}
	if got := m.got[0].at; !got.Equal(at(100 * time.Millisecond)) {
		t.Errorf("server→mobile arrived at %v, want 100ms (default)", got)
	}
}

func checkOneDrop(t *testing.T, s *Sim, rec *recorder, why trace.Reason, node, peer string) {
	t.Helper()
	st := s.Stats()
	if st.Delivered != 0 || st.Dropped[why] != 1 || st.TotalDropped() != 1 {
		t.Fatalf("stats %+v, want one %s drop", st, why)
	}
	drops := rec.kind(trace.KindDrop)
	if len(drops) != 1 {
		t.Fatalf("%d drop events, want 1", len(drops))
	}
	if d := drops[0]; d.Reason != why || d.Node != node || d.Peer != peer {
		t.Errorf("drop event %+v, want reason %s at node %s peer %s", d, why, node, peer)
	}
}

func TestOfflineReceiverDrops(t *testing.T) {
	s, ps, rec := newSim(t, linkCfg(LinkModel{Latency: Fixed(time.Millisecond)}), 2)
	s.SetOnline(1, false)
	ps[0].start = func(env *Env) { env.Send(1, []byte("x")) }
	mustRun(t, s, time.Second)
	checkOneDrop(t, s, rec, trace.ReasonNodeOffline, "1", "0")
	if len(ps[1].got) != 0 {
		t.Error("offline node received a packet")
	}
}

func TestReceiverGoesOfflineInFlight(t *testing.T) {
	s, ps, rec := newSim(t, linkCfg(LinkModel{Latency: Fixed(100 * time.Millisecond)}), 2)
	ps[0].start = func(env *Env) { env.Send(1, []byte("x")) }
	s.At(at(50*time.Millisecond), func(s *Sim) { s.SetOnline(1, false) })
	mustRun(t, s, time.Second)
	checkOneDrop(t, s, rec, trace.ReasonNodeOffline, "1", "0")
}

func TestOfflineSenderCannotSend(t *testing.T) {
	s, ps, rec := newSim(t, linkCfg(LinkModel{Latency: Fixed(time.Millisecond)}), 2)
	s.SetOnline(0, false)
	ps[0].start = func(env *Env) { env.Send(1, []byte("x")) }
	mustRun(t, s, time.Second)
	checkOneDrop(t, s, rec, trace.ReasonNodeOffline, "0", "1")
	if st := s.NodeStats(0); st.Sent != 1 || st.Dropped[trace.ReasonNodeOffline] != 1 {
		t.Errorf("sender stats %+v", st)
	}
}

func TestSenderOfflineAfterSendStillDelivers(t *testing.T) {
	s, ps, _ := newSim(t, linkCfg(LinkModel{Latency: Fixed(100 * time.Millisecond)}), 2)
	ps[0].start = func(env *Env) { env.Send(1, []byte("x")) }
	s.At(at(50*time.Millisecond), func(s *Sim) { s.SetOnline(0, false) })
	mustRun(t, s, time.Second)
	if len(ps[1].got) != 1 {
		t.Fatal("packet on the wire was lost when its sender went offline")
	}
}

func TestPartitionAtSend(t *testing.T) {
	s, ps, rec := newSim(t, linkCfg(LinkModel{Latency: Fixed(time.Millisecond)}), 3)
	s.Partition([]NodeID{0})
	ps[0].start = func(env *Env) { env.Send(1, []byte("x")) }
	ps[1].start = func(env *Env) { env.Send(2, []byte("y")) } // same side: delivered
	mustRun(t, s, time.Second)
	if len(ps[2].got) != 1 {
		t.Error("packet within a side was not delivered")
	}
	st := s.Stats()
	if st.Dropped[trace.ReasonPartition] != 1 || st.Delivered != 1 {
		t.Fatalf("stats %+v", st)
	}
	if d := rec.kind(trace.KindDrop); len(d) != 1 || d[0].Node != "0" || d[0].Peer != "1" {
		t.Errorf("drop events %+v", d)
	}
}

func TestPartitionAtArrivalAndHeal(t *testing.T) {
	s, ps, rec := newSim(t, linkCfg(LinkModel{Latency: Fixed(100 * time.Millisecond)}), 2)
	ps[0].start = func(env *Env) { env.Send(1, []byte("x")) }
	s.At(at(50*time.Millisecond), func(s *Sim) { s.Partition([]NodeID{0}, []NodeID{1}) })
	mustRun(t, s, time.Second)
	checkOneDrop(t, s, rec, trace.ReasonPartition, "1", "0")
	s.Heal()
	s.Env(0).Send(1, []byte("y"))
	mustRun(t, s, time.Second)
	if len(ps[1].got) != 1 {
		t.Error("no delivery after Heal")
	}
	var details []string
	for _, e := range rec.kind(trace.KindState) {
		if e.Node == SimNode {
			details = append(details, e.Detail)
		}
	}
	if len(details) != 2 || details[0] != "partition 2" || details[1] != "heal" {
		t.Errorf("network state events %q", details)
	}
}

func TestEverySendHasOneOutcome(t *testing.T) {
	// Runs a lossy, churning, partitioned network and checks the trace
	// against the counters: one send per packet, then exactly one recv or
	// drop, never before the send.
	s, rec := gossipSim(t, 7, true, nil)
	if err := s.Run(at(5 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	type life struct{ sent, ended int }
	pk := map[string]*life{}
	drops := map[trace.Reason]uint64{}
	var recvs uint64
	for _, e := range rec.events {
		if e.Layer != TraceLayer {
			continue
		}
		switch e.Kind {
		case trace.KindSend:
			if pk[e.MsgID] != nil {
				t.Fatalf("packet %s sent twice", e.MsgID)
			}
			pk[e.MsgID] = &life{sent: 1}
		case trace.KindRecv, trace.KindDrop:
			l := pk[e.MsgID]
			if l == nil || l.ended > 0 {
				t.Fatalf("%s of packet %s without a send or after its end", e.Kind, e.MsgID)
			}
			l.ended++
			if e.Kind == trace.KindRecv {
				recvs++
			} else {
				drops[e.Reason]++
			}
		}
	}
	st := s.Stats()
	if uint64(len(pk)) != st.Sent || recvs != st.Delivered || recvs != st.Received {
		t.Errorf("trace: %d sends %d recvs; stats %+v", len(pk), recvs, st)
	}
	for _, r := range dropReasons {
		if drops[r] != st.Dropped[r] {
			t.Errorf("%s: %d drop events, stats %d", r, drops[r], st.Dropped[r])
		}
	}
	for _, r := range dropReasons {
		if st.Dropped[r] == 0 {
			t.Errorf("scenario produced no %s drop; it should exercise all", r)
		}
	}
	inFlight := st.Sent - st.Delivered - st.TotalDropped()
	if inFlight > st.Sent/10 {
		t.Errorf("%d of %d packets still in flight", inFlight, st.Sent)
	}
	var sum Stats
	for i := range s.NumNodes() {
		ns := s.NodeStats(NodeID(i))
		sum.Sent += ns.Sent
		sum.Delivered += ns.Delivered
		sum.Received += ns.Received
		sum.BytesSent += ns.BytesSent
		sum.BytesReceived += ns.BytesReceived
	}
	if sum.Sent != st.Sent || sum.Delivered != st.Delivered || sum.Received != st.Received ||
		sum.BytesSent != st.BytesSent || sum.BytesReceived != st.BytesReceived {
		t.Errorf("per-node stats sum %+v, total %+v", sum, st)
	}
}
