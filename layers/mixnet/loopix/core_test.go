package loopix

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestEndToEnd sends a message from every client to the next one and
// expects each delivered once, loops back, and every ledger balanced.
func TestEndToEnd(t *testing.T) {
	n := newNetwork(t, DefaultParams(), 12, nil)
	delivered := map[uint64]int{}
	loops := 0
	n.onOther = func(now time.Time, node NodeID, a Action) {
		switch a.Kind {
		case ActDeliver:
			delivered[binary.BigEndian.Uint64(a.Body)]++
		case ActLoop:
			loops++
		case ActDrop:
			t.Errorf("%s dropped a packet: %s", node, a.Reason)
		case ActAlarm:
			t.Errorf("%s alarmed without an attack: %+v", node, *a.Alarm)
		}
	}
	reports := 0
	n.run(t0.Add(10 * time.Second))
	for i, c := range n.clients {
		to := n.clientIDs[(i+1)%len(n.clients)]
		body := binary.BigEndian.AppendUint64(nil, uint64(i+1))
		_, acts, err := c.Send(n.now, to, n.provOf[to], body)
		if err != nil {
			t.Fatal(err)
		}
		n.apply(n.clientIDs[i], acts)
	}
	prev := n.onOther
	n.onOther = func(now time.Time, node NodeID, a Action) {
		if a.Kind == ActReport {
			reports++
			if r := a.Report; len(r.Hops) != 3 || r.ExpectedDelay != 300*time.Millisecond {
				t.Errorf("report %+v", r)
			}
		}
		prev(now, node, a)
	}
	n.run(t0.Add(120 * time.Second))
	for i := range n.clients {
		if delivered[uint64(i+1)] != 1 {
			t.Errorf("message %d delivered %d times", i+1, delivered[uint64(i+1)])
		}
	}
	if reports != len(n.clients) {
		t.Errorf("%d reports for %d messages", reports, len(n.clients))
	}
	if loops < 100 {
		t.Errorf("only %d loops came back", loops)
	}
	n.checkLedgers(t)
}

// TestClientPoissonRates counts what one client sends over 4000 s: the
// payload stream (all drop cover with an empty queue) plus the drop stream
// at λP+λD, loops at λL, each within 4 standard deviations of a Poisson
// count, and the gaps between packets exponential (coefficient of
// variation 1 ± 0.1).
func TestClientPoissonRates(t *testing.T) {
	p := DefaultParams()
	n := newNetwork(t, p, 1, nil)
	counts := map[Class]int{}
	var last time.Time
	var gaps []float64
	n.onSend = func(now time.Time, from NodeID, a Action) {
		if from != n.clientIDs[0] || a.Class == ClassPull {
			return
		}
		counts[a.Class]++
		if !last.IsZero() {
			gaps = append(gaps, now.Sub(last).Seconds())
		}
		last = now
	}
	const T = 4000.0
	n.run(t0.Add(T * time.Second))
	check := func(name string, got int, rate float64) {
		want := rate * T
		if math.Abs(float64(got)-want) > 4*math.Sqrt(want) {
			t.Errorf("%s: %d packets in %.0f s, want %.0f ± %.0f", name, got, T, want, 4*math.Sqrt(want))
		}
	}
	check("payload+drop", counts[ClassDrop]+counts[ClassPayload], (p.LambdaP + p.LambdaD).PerSecond())
	check("loop", counts[ClassLoop], p.LambdaL.PerSecond())
	var s, s2 float64
	for _, g := range gaps {
		s += g
		s2 += g * g
	}
	mean := s / float64(len(gaps))
	cv := math.Sqrt(s2/float64(len(gaps))-mean*mean) / mean
	if math.Abs(cv-1) > 0.1 {
		t.Errorf("gaps between packets: coefficient of variation %.3f, want 1 (exponential)", cv)
	}
	wantPulls := T / p.PullInterval.Seconds()
	if st := n.clients[0].Stats(); math.Abs(float64(st.Pulls)-wantPulls) > 2 {
		t.Errorf("%d pulls, want %.0f", st.Pulls, wantPulls)
	}
	n.checkLedgers(t)
}

// TestProviderConstantPull: whatever is stored, every pull response has
// PullSize entries and the same size; bodies come out oldest first.
func TestProviderConstantPull(t *testing.T) {
	tp := newTopo(t, 3, 1, 1, DefaultParams())
	client := testID("client", 0, 0)
	pid := tp.providers[0]
	pr, _, err := NewProvider(ProviderConfig{ID: pid, Format: tp.format, Rand: rand.New(rand.NewPCG(1, 1)), Clients: []NodeID{client}}, tp.dir, tp.keys[pid], t0)
	if err != nil {
		t.Fatal(err)
	}
	g := tp.dir.Geometry
	last := tp.mixes[2][0]
	seq := 0
	store := func(k int) {
		for range k {
			body := binary.BigEndian.AppendUint64(nil, uint64(seq))
			seq++
			pkt, err := tp.format.Build(ReaderFrom(rand.New(rand.NewPCG(uint64(seq), 7))), 0,
				Route{Hops: []Hop{{Node: pid}}, Recipient: Recipient{Kind: ToClient, ID: client}}, body)
			if err != nil {
				t.Fatal(err)
			}
			pr.Receive(t0, last, EncodePacketFrame(pkt), 0)
		}
	}
	want := PullResponseSize(g, tp.dir.Params.PullSize)
	next := 0
	for _, k := range []int{0, 1, 3, 10} {
		store(k)
		got := 0
		for range 3 {
			acts := pr.Receive(t0, client, EncodePull(client), 0)
			if len(acts) != 1 || acts[0].Kind != ActSend || acts[0].To != client {
				t.Fatalf("pull: actions %+v", acts)
			}
			if len(acts[0].Frame) != want {
				t.Fatalf("pull response of %d bytes, want %d", len(acts[0].Frame), want)
			}
			f, err := DecodeFrame(g, acts[0].Frame)
			if err != nil || len(f.Entries) != tp.dir.Params.PullSize {
				t.Fatalf("response: %v, %d entries", err, len(f.Entries))
			}
			for _, e := range f.Entries {
				if e.Real {
					if v := binary.BigEndian.Uint64(e.Body); v != uint64(next) {
						t.Fatalf("body %d out of order, want %d", v, next)
					}
					next++
					got++
				}
			}
		}
		if got != min(k, 3*tp.dir.Params.PullSize) {
			t.Errorf("stored %d, pulled %d", k, got)
		}
		for pr.Inbox(client) > 0 {
			pr.Receive(t0, client, EncodePull(client), 0)
			next = seq
		}
	}
	if l := pr.Ledger(); !l.Balanced() {
		t.Errorf("ledger %+v", l)
	}
	// Another client's pull, and a pull naming someone else, are refused.
	other := testID("client", 0, 1)
	for _, tc := range []struct {
		from NodeID
		f    []byte
	}{{other, EncodePull(other)}, {client, EncodePull(other)}} {
		acts := pr.Receive(t0, tc.from, tc.f, 5)
		if len(acts) != 1 || acts[0].Kind != ActDrop || acts[0].Reason != ReasonNotServed || acts[0].Ref != 5 {
			t.Errorf("foreign pull: %+v", acts)
		}
	}
}

// mixUnderTest returns a mix of layer 2 and a function building packets
// that reach it from layer 1 with a given delay.
func mixUnderTest(t *testing.T) (*topo, *Mix, func(seed uint64, delay time.Duration) []byte) {
	p := DefaultParams()
	p.LambdaM = 0
	tp := newTopo(t, 3, 1, 1, p)
	mid := tp.mixes[1][0]
	m, _, err := NewMix(MixConfig{ID: mid, Format: tp.format, Rand: rand.New(rand.NewPCG(3, 3))}, tp.dir, tp.keys[mid], t0)
	if err != nil {
		t.Fatal(err)
	}
	build := func(seed uint64, delay time.Duration) []byte {
		r := Route{Hops: []Hop{{Node: mid, Delay: delay}, {Node: tp.mixes[2][0]}, {Node: tp.providers[0]}},
			Recipient: Recipient{Kind: ToDrop}}
		pkt, err := tp.format.Build(ReaderFrom(rand.New(rand.NewPCG(seed, 1))), 0, r, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		return EncodePacketFrame(pkt)
	}
	return tp, m, build
}

// TestMixHoldsForDelay: a packet leaves exactly when its delay ends, not
// before; packets leave in release order, not arrival order.
func TestMixHoldsForDelay(t *testing.T) {
	tp, m, build := mixUnderTest(t)
	from := tp.mixes[0][0]
	delays := []time.Duration{700 * time.Millisecond, 300 * time.Millisecond, 1500 * time.Millisecond}
	for i, d := range delays {
		acts := m.Receive(t0, from, build(uint64(i), d), uint64(i+1))
		for _, a := range acts {
			if a.Kind == ActSend || a.Kind == ActDrop {
				t.Fatalf("packet %d: %s at once", i, a.Kind)
			}
		}
	}
	if m.PoolSize() != 3 {
		t.Fatalf("pool %d, want 3", m.PoolSize())
	}
	var order []uint64
	for _, at := range []time.Duration{299, 300, 699, 700, 1499, 1500} {
		for _, a := range m.Tick(t0.Add(at * time.Millisecond)) {
			if a.Kind == ActSend {
				if a.Class != ClassForward || a.To != tp.mixes[2][0] {
					t.Errorf("forwarded %s to %s", a.Class, a.To)
				}
				d := delays[a.Ref-1]
				if at*time.Millisecond != d {
					t.Errorf("packet with delay %v left after %v", d, at*time.Millisecond)
				}
				order = append(order, a.Ref)
			}
		}
	}
	if len(order) != 3 || order[0] != 2 || order[1] != 1 || order[2] != 3 {
		t.Errorf("release order %v, want [2 1 3]", order)
	}
	if l := m.Ledger(); !l.Balanced() || l.Forwarded != 3 {
		t.Errorf("ledger %+v", l)
	}
}

// TestMixDrops checks every drop reason a mix produces.
func TestMixDrops(t *testing.T) {
	tp, m, build := mixUnderTest(t)
	from := tp.mixes[0][0]
	ok := build(1, time.Millisecond)
	wrongNext := func() []byte {
		r := Route{Hops: []Hop{{Node: tp.mixes[1][0]}, {Node: tp.providers[0]}}, Recipient: Recipient{Kind: ToDrop}}
		pkt, _ := tp.format.Build(ReaderFrom(rand.New(rand.NewPCG(5, 5))), 0, r, nil)
		return EncodePacketFrame(pkt)
	}()
	epoch1 := func() []byte {
		r := Route{Hops: []Hop{{Node: tp.mixes[1][0]}, {Node: tp.mixes[2][0]}}, Recipient: Recipient{Kind: ToDrop}}
		pkt, _ := tp.format.Build(ReaderFrom(rand.New(rand.NewPCG(6, 5))), 1, r, nil)
		return EncodePacketFrame(pkt)
	}()
	for _, tc := range []struct {
		name  string
		from  NodeID
		frame []byte
		want  Reason
	}{
		{"first", from, ok, 0},
		{"replay", from, ok, ReasonReplay},
		{"short", from, ok[:100], ReasonMalformed},
		{"pull", from, EncodePull(from), ReasonRole},
		{"wrong-sender-layer", tp.mixes[2][0], build(2, 0), ReasonNotServed},
		{"delay-over-max", from, build(3, tp.dir.Params.MaxDelay+time.Millisecond), ReasonDelay},
		{"next-not-next-layer", from, wrongNext, ReasonUnknownHop},
		{"other-epoch", from, epoch1, ReasonUnwrap},
	} {
		acts := m.Receive(t0, from, tc.frame, 42)
		if tc.name == "wrong-sender-layer" {
			acts = m.Receive(t0, tc.from, tc.frame, 42)
		}
		var got Reason
		for _, a := range acts {
			if a.Kind == ActDrop {
				got = a.Reason
				if a.Ref != 42 {
					t.Errorf("%s: drop without the frame's ref", tc.name)
				}
			}
		}
		if got != tc.want {
			t.Errorf("%s: reason %v, want %v", tc.name, got, tc.want)
		}
	}
	if l := m.Ledger(); !l.Balanced() {
		t.Errorf("ledger %+v", l)
	}
}

// TestEpochRotation: after the directory of epoch 1, packets of epoch 0
// still open (the previous key is kept); after epoch 2 they do not.
func TestEpochRotation(t *testing.T) {
	tp, m, build := mixUnderTest(t)
	from := tp.mixes[0][0]
	mid := tp.mixes[1][0]
	rotate := func(epoch uint64) {
		d := tp.dir.Clone()
		d.Epoch = epoch
		_, u, err := tp.format.NewKey(ReaderFrom(rand.New(rand.NewPCG(epoch, 0))), mid, epoch)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Sign(testAuthority()); err != nil {
			t.Fatal(err)
		}
		if _, err := m.SetDirectory(t0, d, u); err != nil {
			t.Fatal(err)
		}
	}
	reason := func(frame []byte) Reason {
		for _, a := range m.Receive(t0, from, frame, 0) {
			if a.Kind == ActDrop {
				return a.Reason
			}
		}
		return 0
	}
	rotate(1)
	if r := reason(build(1, 0)); r != 0 {
		t.Fatalf("epoch-0 packet after rotation to 1: %v", r)
	}
	rotate(2)
	if r := reason(build(2, 0)); r != ReasonUnwrap {
		t.Fatalf("epoch-0 packet after rotation to 2: %v, want unwrap", r)
	}
	if _, err := m.SetDirectory(t0, tp.dir, tp.keys[mid]); !errors.Is(err, ErrConfig) {
		t.Fatalf("rolling back to epoch 0: %v", err)
	}
}

// detectorRun runs a network of mixes and providers only (loop cover)
// with per-link loss, blocking from `attackAt` on the given fraction of
// the packets that enter the target mix, and returns the target's
// alarms and the alarms of all other mixes, and the first alarm time.
func detectorRun(t *testing.T, loss, block float64, attackAt, until time.Duration) (target, others int, first time.Duration, checks int) {
	n := newNetwork(t, DefaultParams(), 0, nil)
	n.loss = loss
	victim := n.tp.mixes[1][1]
	brng := rand.New(rand.NewPCG(77, 77))
	n.block = func(now time.Time, from, to NodeID) bool {
		return to == victim && !now.Before(t0.Add(attackAt)) && brng.Float64() < block
	}
	first = -1
	n.onOther = func(now time.Time, node NodeID, a Action) {
		if a.Kind != ActAlarm {
			return
		}
		if node == victim {
			target++
			if first < 0 {
				first = now.Sub(t0.Add(attackAt))
			}
		} else {
			others++
		}
	}
	n.run(t0.Add(until))
	for _, m := range n.mixes {
		_, c := m.Alarms()
		checks += c
	}
	n.checkLedgers(t)
	return target, others, first, checks
}

// TestNMinus1Detection: an adversary that blocks 60% of what enters a mix
// (an n−1 attack must block most inputs) is detected within 60 s.
func TestNMinus1Detection(t *testing.T) {
	target, _, first, _ := detectorRun(t, 0.01, 0.6, 120*time.Second, 300*time.Second)
	if target == 0 {
		t.Fatal("no alarm under a 60% flush")
	}
	if first > 60*time.Second {
		t.Errorf("first alarm %v after the attack began, want within 60 s", first)
	}
	t.Logf("alarm %v after the attack began", first)
}

// TestNoFalseAlarmUnderLoss: 1% loss per link for an hour raises no alarm
// at any of the 9 mixes (the analytic false-alarm rate per check is below
// 1e-6; SPEC.md, "Security considerations").
func TestNoFalseAlarmUnderLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("an hour of virtual time")
	}
	target, others, _, checks := detectorRun(t, 0.01, 0, time.Hour, time.Hour)
	if target+others != 0 {
		t.Fatalf("%d false alarms in %d checks", target+others, checks)
	}
	if p := FalseAlarmProbability(60, math.Pow(0.99, 4), 0.75); p > 1e-6 {
		t.Errorf("analytic false-alarm probability per check %g", p)
	}
	t.Logf("%d checks, no alarm", checks)
}

// TestAdaptiveDelay: ChooseDelay picks the shortest delay reaching the
// target and the report carries λ/μ.
func TestAdaptiveDelay(t *testing.T) {
	p := DefaultParams()
	for _, tc := range []struct {
		lambda float64
		want   time.Duration
	}{{1000, 20 * time.Millisecond}, {100, 50 * time.Millisecond}, {30, 200 * time.Millisecond}, {5, time.Second}, {0.1, 5 * time.Second}, {0, 100 * time.Millisecond}} {
		if got := ChooseDelay(&p, tc.lambda, 4); got != tc.want {
			t.Errorf("λ=%v: %v, want %v", tc.lambda, got, tc.want)
		}
	}
	tp := newTopo(t, 3, 2, 1, p)
	for i := range tp.dir.Nodes {
		if tp.dir.Nodes[i].Role == RoleMix {
			tp.dir.Nodes[i].Rate = PerSecond(float64(10 * tp.dir.Nodes[i].Layer))
		}
	}
	c, _, err := NewClient(ClientConfig{ID: testID("c", 0, 0), Provider: tp.providers[0], Format: tp.format,
		Rand: rand.New(rand.NewPCG(1, 1)), Adaptive: true}, tp.dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Expected()
	want := []time.Duration{500 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond}
	for i, h := range r.Hops {
		if h.MeanDelay != want[i] || math.Abs(h.ExpectedPool-h.Rate*h.MeanDelay.Seconds()) > 1e-9 {
			t.Errorf("hop %d: %+v, want delay %v", i, h, want[i])
		}
	}
	if !r.TargetMet || math.Abs(r.ExpectedPool-4) > 1e-9 || math.Abs(r.EntropyFloor-1) > 1e-9 || r.ExpectedDelay != 900*time.Millisecond {
		t.Errorf("report %+v", r)
	}
}

// TestMobileProfile: in the background a mobile client sends nothing but
// a pull a minute; in the foreground its streams run.
func TestMobileProfile(t *testing.T) {
	n := newNetwork(t, DefaultParams(), 1, func(c *ClientConfig) { c.Profile = Mobile(); c.Background = true })
	counts := map[Class]int{}
	n.onSend = func(now time.Time, from NodeID, a Action) {
		if from == n.clientIDs[0] {
			counts[a.Class]++
		}
	}
	n.run(t0.Add(10 * time.Minute))
	if counts[ClassPull] != 10 || len(counts) != 1 {
		t.Fatalf("background: sent %v, want 10 pulls only", counts)
	}
	n.apply(n.clientIDs[0], n.clients[0].SetForeground(n.now, true))
	n.run(n.now.Add(10 * time.Minute))
	if counts[ClassDrop] < 100 || counts[ClassLoop] < 50 || counts[ClassPull] < 300 {
		t.Fatalf("foreground: sent %v", counts)
	}
	n.checkLedgers(t)
}

// TestBaselineSendsAtOnce: the no-mixing reference sends a message at
// once, with zero delays, and nothing else.
func TestBaselineSendsAtOnce(t *testing.T) {
	p := DefaultParams()
	p.LambdaM = 0
	n := newNetwork(t, p, 2, func(c *ClientConfig) { c.Baseline = true })
	var sentAt, gotAt time.Time
	var got []byte
	n.onSend = func(now time.Time, from NodeID, a Action) {
		if a.Class == ClassPayload {
			sentAt = now
		} else if a.Class != ClassForward && a.Class != ClassPull && a.Class != ClassPullResponse {
			t.Errorf("baseline sent %s", a.Class)
		}
	}
	n.onOther = func(now time.Time, node NodeID, a Action) {
		if a.Kind == ActDeliver {
			gotAt, got = now, a.Body
		}
	}
	n.run(t0.Add(time.Second))
	_, acts, err := n.clients[0].Send(n.now, n.clientIDs[1], n.provOf[n.clientIDs[1]], []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	n.apply(n.clientIDs[0], acts)
	if !sentAt.Equal(n.now) {
		t.Fatalf("sent at %v, now %v", sentAt, n.now)
	}
	n.run(n.now.Add(10 * time.Second))
	if !bytes.HasPrefix(got, []byte("hi")) {
		t.Fatal("not delivered")
	}
	// 5 links of 10 ms, then the wait for the next pull.
	if lat := gotAt.Sub(sentAt); lat < 50*time.Millisecond || lat > 50*time.Millisecond+DefaultParams().PullInterval+20*time.Millisecond {
		t.Errorf("baseline latency %v", lat)
	}
}

// TestSendErrors: classified errors for oversize bodies, unknown providers
// and a full queue.
func TestSendErrors(t *testing.T) {
	tp := newTopo(t, 3, 1, 1, DefaultParams())
	c, _, err := NewClient(ClientConfig{ID: testID("c", 0, 0), Provider: tp.providers[0], Format: tp.format,
		Rand: rand.New(rand.NewPCG(1, 1)), QueueLimit: 2}, tp.dir, t0)
	if err != nil {
		t.Fatal(err)
	}
	to := testID("c", 0, 1)
	if _, _, err := c.Send(t0, to, tp.providers[0], make([]byte, tp.dir.Geometry.PayloadSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
	if _, _, err := c.Send(t0, to, to, nil); !errors.Is(err, ErrRoute) {
		t.Errorf("unknown provider: %v", err)
	}
	for range 2 {
		if _, _, err := c.Send(t0, to, tp.providers[0], nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.Send(t0, to, tp.providers[0], nil); !errors.Is(err, ErrQueueFull) {
		t.Errorf("full queue: %v", err)
	}
}
