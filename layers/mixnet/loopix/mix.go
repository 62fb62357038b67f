package loopix

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// MixConfig configures a Mix.
type MixConfig struct {
	ID     NodeID
	Format Format
	// Rand draws timing and path choices; Entropy packet randomness
	// (nil: read from Rand, for simulations).
	Rand    *rand.Rand
	Entropy io.Reader
	// MaxPool bounds the packets held (0: unbounded).
	MaxPool  int
	Detector DetectorConfig
	// Adaptive chooses the delays of the mix's loops as adaptive clients
	// do (ChooseDelay with TargetPool, 0: DefaultTargetPool), so that its
	// loops are held as long as client packets; otherwise the default
	// delay.
	Adaptive   bool
	TargetPool float64
}

// Mix is the sans-I/O core of a mix (SPEC.md, "Procedures"): it holds
// every packet for the delay its sender chose (Poisson mixing), sends its
// own loop cover at rate λM through the other layers and a provider back
// to itself, detects n−1 attacks from the loops that fail to return, and
// measures its input rate for the next directory.
type Mix struct {
	relay
	rng      *rand.Rand
	entropy  io.Reader
	det      *detector
	nextLoop time.Time
	// input counting for the directory's Rate
	epochStart time.Time
	inputs     uint64
	lastRate   Rate
	loopsSent  uint64
	adaptive   bool
	target     float64
}

// NewMix returns a mix of dir holding key, and the first timer.
func NewMix(cfg MixConfig, dir *Directory, key Unwrapper, now time.Time) (*Mix, []Action, error) {
	if cfg.Format == nil || cfg.Rand == nil {
		return nil, nil, fmt.Errorf("%w: a mix needs a Format and a Rand", ErrConfig)
	}
	if cfg.Detector == (DetectorConfig{}) {
		cfg.Detector = DefaultDetector()
	}
	if err := cfg.Detector.validate(); err != nil {
		return nil, nil, err
	}
	if cfg.TargetPool == 0 {
		cfg.TargetPool = DefaultTargetPool
	}
	m := &Mix{rng: cfg.Rand, entropy: cfg.Entropy, det: newDetector(cfg.Detector, now), epochStart: now,
		adaptive: cfg.Adaptive, target: cfg.TargetPool}
	if m.entropy == nil {
		m.entropy = ReaderFrom(cfg.Rand)
	}
	m.relay = relay{self: cfg.ID, role: RoleMix, format: cfg.Format, maxPool: cfg.MaxPool}
	if err := m.setKey(dir, key); err != nil {
		return nil, nil, err
	}
	m.scheduleLoop(now)
	return m, m.flush(m.Deadline()), nil
}

// SetDirectory installs the directory and key of a new epoch (the key of
// the previous epoch stays, so packets in flight still open) and starts a
// new input-rate measurement.
func (m *Mix) SetDirectory(now time.Time, dir *Directory, key Unwrapper) ([]Action, error) {
	m.step(now)
	newEpoch := len(m.keys) == 0 || dir.Epoch != m.keys[0].epoch
	if err := m.setKey(dir, key); err != nil {
		return nil, err
	}
	if newEpoch {
		m.lastRate = m.MeasuredRate(now)
		m.epochStart, m.inputs = now, 0
	}
	if m.dir.Params.LambdaM == 0 {
		m.nextLoop = time.Time{}
	} else if m.nextLoop.IsZero() {
		m.scheduleLoop(now)
	}
	return m.flush(m.Deadline()), nil
}

// MeasuredRate is the rate of packets entering the pool since the epoch
// started: what the mix publishes as its Rate in the next directory.
func (m *Mix) MeasuredRate(now time.Time) Rate {
	el := now.Sub(m.epochStart).Seconds()
	if el <= 0 {
		return m.lastRate
	}
	return PerSecond(float64(m.inputs) / el)
}

// PoolSize is the number of packets held now.
func (m *Mix) PoolSize() int { return len(m.pool) }

// Ledger returns the mix's accounting of its inputs.
func (m *Mix) Ledger() Ledger { return m.ledger }

// Layer is the mix's layer in the current directory.
func (m *Mix) Layer() int { return m.layer }

// Alarms is the number of alarms raised so far; Checks the number of
// detector checks.
func (m *Mix) Alarms() (alarms, checks int) { return m.det.alarms, m.det.checks }

// LoopsSent is the number of loop packets the mix sent.
func (m *Mix) LoopsSent() uint64 { return m.loopsSent }

// prevLayer is the layer a mix receives from: layer−1, or the providers.
func (m *Mix) prevLayer() int { return m.layer - 1 }

// Receive processes a frame from node `from`; ref is the host's handle of
// the frame, copied into the actions it causes.
func (m *Mix) Receive(now time.Time, from NodeID, frame []byte, ref uint64) []Action {
	m.ledger.In++
	m.step(now)
	f, err := DecodeFrame(m.dir.Geometry, frame)
	switch {
	case err != nil:
		m.drop(now, ref, ReasonMalformed)
	case f.Type != FramePacket:
		m.drop(now, ref, ReasonRole)
	default:
		if n, ok := m.dir.Node(from); !ok || n.Layer != m.prevLayer() {
			m.drop(now, ref, ReasonNotServed)
			break
		}
		o, why := m.open(f.Packet)
		if why != 0 {
			m.drop(now, ref, why)
			break
		}
		if o.Final {
			m.final(now, o, ref)
			break
		}
		before := m.ledger.Held
		m.hold(now, o, ref, ClassForward)
		if m.ledger.Held > before {
			m.inputs++
		}
		m.release(now, nil) // a zero delay leaves at once
	}
	return m.flush(m.Deadline())
}

// final handles a packet whose last hop is this mix: one of its loops.
func (m *Mix) final(now time.Time, o Opened, ref uint64) {
	if o.Recipient.Kind != ToNode || o.Recipient.ID != m.self || len(o.Body) < 16 {
		m.drop(now, ref, ReasonRole)
		return
	}
	var id [16]byte
	copy(id[:], o.Body)
	_, inTime, sent := m.det.back(id, now)
	if !inTime {
		m.drop(now, ref, ReasonStale)
		return
	}
	m.ledger.Loops++
	m.out = append(m.out, Action{Kind: ActLoop, At: now, Ref: ref, RTT: now.Sub(sent)})
}

// Tick releases the packets whose delay has ended, sends the loops due and
// runs the detector.
func (m *Mix) Tick(now time.Time) []Action {
	m.step(now)
	return m.flush(m.Deadline())
}

func (m *Mix) step(now time.Time) {
	m.release(now, nil)
	for !m.nextLoop.IsZero() && !m.nextLoop.After(now) {
		at := m.nextLoop
		m.sendLoop(now)
		m.nextLoop = at.Add(expDelay(m.rng, m.dir.Params.LambdaM.Mean()))
	}
	for _, a := range m.det.advance(now) {
		a := a
		m.out = append(m.out, Action{Kind: ActAlarm, At: now, Alarm: &a})
	}
}

func (m *Mix) scheduleLoop(now time.Time) {
	if m.dir.Params.LambdaM == 0 {
		m.nextLoop = time.Time{}
		return
	}
	m.nextLoop = now.Add(expDelay(m.rng, m.dir.Params.LambdaM.Mean()))
}

// sendLoop builds a loop through layers layer+1..L, a provider, layers
// 1..layer−1 and back to this mix.
func (m *Mix) sendLoop(now time.Time) {
	d := m.dir
	var hops []Hop
	var total time.Duration
	pick := func(l int, delay bool) {
		nodes := d.Layer(l)
		n := nodes[m.rng.IntN(len(nodes))]
		h := Hop{Node: n.ID, Key: n.Key}
		if delay {
			mean := d.MeanDelay()
			if m.adaptive {
				mean = ChooseDelay(&d.Params, n.Rate.PerSecond(), m.target)
			}
			h.Delay = hopDelay(m.rng, mean, d.Params.MaxDelay)
			total += h.Delay
		}
		hops = append(hops, h)
	}
	for l := m.layer + 1; l <= d.Layers; l++ {
		pick(l, true)
	}
	pick(0, false)
	for l := 1; l < m.layer; l++ {
		pick(l, true)
	}
	self, _ := d.Node(m.self)
	hops = append(hops, Hop{Node: self.ID, Key: self.Key})
	body := make([]byte, d.Geometry.PayloadSize)
	if err := fill(m.entropy, body); err != nil {
		return
	}
	var id [16]byte
	copy(id[:], body)
	pkt, err := m.format.Build(m.entropy, d.Epoch, Route{Hops: hops, Recipient: Recipient{Kind: ToNode, ID: m.self}}, body)
	if err != nil {
		return
	}
	m.loopsSent++
	m.det.sent(id, now, now.Add(total+m.det.cfg.Budget))
	m.out = append(m.out, Action{Kind: ActSend, At: now, To: hops[0].Node, Frame: EncodePacketFrame(pkt), Class: ClassMixLoop})
}

// Deadline is when Tick must next be called.
func (m *Mix) Deadline() (time.Time, bool) {
	t, ok := m.nextRelease()
	t, ok = earliest(t, ok, m.nextLoop, !m.nextLoop.IsZero())
	t, ok = earliest(t, ok, m.det.nextCheck, true)
	if len(m.det.pending) > 0 {
		t, ok = earliest(t, ok, m.det.pending[0].due, true)
	}
	return t, ok
}
