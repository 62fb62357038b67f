package loopix

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Profile is how a client's traffic follows the application's life cycle.
type Profile struct {
	Name string
	// ForegroundOnly: the payload, loop and drop streams run only while
	// the application is in the foreground (mobile); otherwise always.
	ForegroundOnly bool
	// BackgroundPull is the pull period in the background (0: none).
	BackgroundPull time.Duration
}

// Desktop is the always-on profile: every stream runs all the time, so an
// observer of the client's link sees the same Poisson stream whether the
// user sends or not (sender unobservability).
func Desktop() Profile { return Profile{Name: "desktop"} }

// Mobile is the battery-saving profile: cover only in the foreground,
// store-and-pull (one pull a minute) in the background. An observer of the
// phone's link learns when the application is in the foreground (SPEC.md,
// "Trade-offs").
func Mobile() Profile {
	return Profile{Name: "mobile", ForegroundOnly: true, BackgroundPull: time.Minute}
}

// DefaultQueueLimit bounds a client's send queue by default.
const DefaultQueueLimit = 1000

// ClientConfig configures a Client.
type ClientConfig struct {
	ID       NodeID
	Provider NodeID
	Format   Format
	// Rand and Entropy as for MixConfig.
	Rand    *rand.Rand
	Entropy io.Reader
	Profile Profile
	// Adaptive chooses each hop's delay from the directory's set for
	// TargetPool (0: DefaultTargetPool); otherwise the default delay.
	Adaptive   bool
	TargetPool float64
	// QueueLimit bounds the send queue (0: DefaultQueueLimit).
	QueueLimit int
	// Background starts the client in the background (ForegroundOnly
	// profiles only).
	Background bool
	// Baseline sends each message at once with zero delays and sends no
	// cover: the no-mixing reference of measurements, never a mode to
	// deploy.
	Baseline bool
	// Loops configures the client's loop bookkeeping (zero: a 5-minute
	// window, a 2 s allowance).
	Loops DetectorConfig
}

// ClientStats counts what a client sent.
type ClientStats struct {
	Payload, Loops, Drops, Pulls uint64
	BytesSent                    uint64
}

type queued struct {
	id       uint64
	to, prov NodeID
	body     []byte
}

// Client is the sans-I/O core of a Loopix client (SPEC.md, "Procedures").
type Client struct {
	cfg        ClientConfig
	dir        *Directory
	rng        *rand.Rand
	entropy    io.Reader
	queue      []queued
	nextID     uint64
	fg         bool
	nextP      time.Time // zero: stream off
	nextL      time.Time
	nextD      time.Time
	nextPull   time.Time
	loops      *detector
	ledger     Ledger
	stats      ClientStats
	out        []Action
	lastReport *Report
}

// NewClient returns a client of dir and its first timer.
func NewClient(cfg ClientConfig, dir *Directory, now time.Time) (*Client, []Action, error) {
	if cfg.Format == nil || cfg.Rand == nil {
		return nil, nil, fmt.Errorf("%w: a client needs a Format and a Rand", ErrConfig)
	}
	if cfg.TargetPool == 0 {
		cfg.TargetPool = DefaultTargetPool
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = DefaultQueueLimit
	}
	if cfg.Loops == (DetectorConfig{}) {
		cfg.Loops = DetectorConfig{Window: 5 * time.Minute, Threshold: 0.5, MinLoops: 10, Budget: 2 * time.Second, Every: time.Minute}
	}
	if err := cfg.Loops.validate(); err != nil {
		return nil, nil, err
	}
	if !(cfg.TargetPool > 0) {
		return nil, nil, fmt.Errorf("%w: target pool %v must be > 0", ErrConfig, cfg.TargetPool)
	}
	c := &Client{cfg: cfg, rng: cfg.Rand, entropy: cfg.Entropy, fg: !(cfg.Background && cfg.Profile.ForegroundOnly),
		loops: newDetector(cfg.Loops, now)}
	if c.entropy == nil {
		c.entropy = ReaderFrom(cfg.Rand)
	}
	if err := c.setDirectory(dir); err != nil {
		return nil, nil, err
	}
	c.restart(now)
	return c, c.flush(), nil
}

func (c *Client) setDirectory(dir *Directory) error {
	if n, ok := dir.Node(c.cfg.Provider); !ok || n.Role != RoleProvider {
		return fmt.Errorf("%w: provider %s is not in directory epoch %d", ErrConfig, c.cfg.Provider, dir.Epoch)
	}
	if g := c.cfg.Format.Geometry(); g != dir.Geometry {
		return fmt.Errorf("%w: format geometry %+v, directory publishes %+v", ErrConfig, g, dir.Geometry)
	}
	c.dir = dir
	return nil
}

// SetDirectory installs the directory of a new epoch.
func (c *Client) SetDirectory(now time.Time, dir *Directory) ([]Action, error) {
	c.step(now)
	if err := c.setDirectory(dir); err != nil {
		return nil, err
	}
	c.restart(now)
	return c.flush(), nil
}

// streamsOn reports whether the Poisson streams run now.
func (c *Client) streamsOn() bool { return !c.cfg.Baseline && (c.fg || !c.cfg.Profile.ForegroundOnly) }

func (c *Client) draw(now time.Time, r Rate) time.Time {
	if r == 0 {
		return time.Time{}
	}
	return now.Add(expDelay(c.rng, r.Mean()))
}

// restart (re)draws the stream timers from now. By memorylessness a fresh
// draw does not change the process.
func (c *Client) restart(now time.Time) {
	p := &c.dir.Params
	if c.streamsOn() {
		c.nextP, c.nextL, c.nextD = c.draw(now, p.LambdaP), c.draw(now, p.LambdaL), c.draw(now, p.LambdaD)
	} else {
		c.nextP, c.nextL, c.nextD = time.Time{}, time.Time{}, time.Time{}
	}
	if per := c.pullPeriod(); per > 0 && (c.nextPull.IsZero() || c.nextPull.After(now.Add(per))) {
		c.nextPull = now.Add(per)
	} else if per == 0 {
		c.nextPull = time.Time{}
	}
}

func (c *Client) pullPeriod() time.Duration {
	if c.fg || !c.cfg.Profile.ForegroundOnly {
		return c.dir.Params.PullInterval
	}
	return c.cfg.Profile.BackgroundPull
}

// SetForeground tells the client the application came to the foreground
// or went to the background. Only ForegroundOnly profiles change
// behaviour: streams stop in the background and restart, with a pull at
// once, in the foreground.
func (c *Client) SetForeground(now time.Time, fg bool) []Action {
	if fg == c.fg {
		return c.flush()
	}
	c.fg = fg
	c.step(now)
	if c.cfg.Profile.ForegroundOnly {
		c.nextPull = time.Time{}
		if fg {
			c.pull(now)
		}
		c.restart(now)
	}
	return c.flush()
}

// Foreground reports whether the application is in the foreground.
func (c *Client) Foreground() bool { return c.fg }

// Ledger returns the client's accounting of what it received.
func (c *Client) Ledger() Ledger { return c.ledger }

// Stats returns what the client sent.
func (c *Client) Stats() ClientStats { return c.stats }

// Queued is the number of messages waiting for a payload tick.
func (c *Client) Queued() int { return len(c.queue) }

// LoopReturn is the fraction of the loops resolved in the last window
// that came back (−1: none resolved yet).
func (c *Client) LoopReturn() float64 { return c.loops.ratio() }

// Send queues body (at most the geometry's payload) for client `to`,
// served by provider `prov`, and returns the message id that the
// ActReport of its departure carries.
func (c *Client) Send(now time.Time, to, prov NodeID, body []byte) (uint64, []Action, error) {
	if len(body) > c.dir.Geometry.PayloadSize {
		return 0, nil, fmt.Errorf("%w: %d bytes, a packet carries %d", ErrTooLarge, len(body), c.dir.Geometry.PayloadSize)
	}
	if n, ok := c.dir.Node(prov); !ok || n.Role != RoleProvider {
		return 0, nil, fmt.Errorf("%w: recipient provider %s is not in the directory", ErrRoute, prov)
	}
	if len(c.queue) >= c.cfg.QueueLimit {
		return 0, nil, fmt.Errorf("%w: %d messages waiting", ErrQueueFull, len(c.queue))
	}
	c.step(now)
	c.nextID++
	q := queued{id: c.nextID, to: to, prov: prov, body: body}
	if c.cfg.Baseline {
		c.sendMessage(now, q)
	} else {
		c.queue = append(c.queue, q)
	}
	return q.id, c.flush(), nil
}

// Expected returns what a message sent now to a client of provider prov
// would get, without sending one: the anonymity a user sees before
// sending. Delays are those of the current directory; mixes are the
// weakest of each layer.
func (c *Client) Expected() Report {
	r := Report{Target: c.cfg.TargetPool, Adaptive: c.cfg.Adaptive, LoopReturn: c.loops.ratio()}
	for l := 1; l <= c.dir.Layers; l++ {
		var worst HopReport
		for i, n := range c.dir.Layer(l) {
			h := hopReport(n, c.meanDelay(n))
			if i == 0 || h.ExpectedPool < worst.ExpectedPool {
				worst = h
			}
		}
		r.Hops = append(r.Hops, worst)
	}
	r.summarize()
	return r
}

func (c *Client) meanDelay(n Node) time.Duration {
	if c.cfg.Baseline {
		return 0
	}
	if c.cfg.Adaptive {
		return ChooseDelay(&c.dir.Params, n.Rate.PerSecond(), c.cfg.TargetPool)
	}
	return c.dir.MeanDelay()
}

// route builds the hops provider → one mix per layer → last provider,
// drawing each mix's delay, and the report of the mix hops.
func (c *Client) route(last Node, rcpt Recipient) (Route, []HopReport, time.Duration) {
	d := c.dir
	own, _ := d.Node(c.cfg.Provider)
	hops := []Hop{{Node: own.ID, Key: own.Key}}
	var reps []HopReport
	var total time.Duration
	for l := 1; l <= d.Layers; l++ {
		mixes := d.Layer(l)
		n := mixes[c.rng.IntN(len(mixes))]
		mean := c.meanDelay(n)
		h := Hop{Node: n.ID, Key: n.Key}
		if mean > 0 {
			h.Delay = hopDelay(c.rng, mean, d.Params.MaxDelay)
		}
		total += h.Delay
		hops = append(hops, h)
		reps = append(reps, hopReport(n, mean))
	}
	hops = append(hops, Hop{Node: last.ID, Key: last.Key})
	return Route{Hops: hops, Recipient: rcpt}, reps, total
}

func (c *Client) emit(now time.Time, route Route, body []byte, class Class, msg uint64) bool {
	pkt, err := c.cfg.Format.Build(c.entropy, c.dir.Epoch, route, body)
	if err != nil {
		return false
	}
	frame := EncodePacketFrame(pkt)
	c.stats.BytesSent += uint64(len(frame))
	c.out = append(c.out, Action{Kind: ActSend, At: now, To: c.cfg.Provider, Frame: frame, Class: class, Msg: msg})
	return true
}

func (c *Client) sendMessage(now time.Time, q queued) {
	last, _ := c.dir.Node(q.prov)
	route, hops, _ := c.route(last, Recipient{Kind: ToClient, ID: q.to})
	body := make([]byte, c.dir.Geometry.PayloadSize)
	copy(body, q.body)
	if !c.emit(now, route, body, ClassPayload, q.id) {
		return
	}
	c.stats.Payload++
	r := &Report{Msg: q.id, Hops: hops, Target: c.cfg.TargetPool, Adaptive: c.cfg.Adaptive, LoopReturn: c.loops.ratio()}
	r.summarize()
	c.lastReport = r
	c.out = append(c.out, Action{Kind: ActReport, At: now, Msg: q.id, Report: r})
}

// loopBody is a loop's body: random bytes, so that the provider that
// stores it cannot tell it from a real message's ciphertext; its first 16
// bytes are the loop's id.
func (c *Client) loopBody() []byte {
	b := make([]byte, c.dir.Geometry.PayloadSize)
	_ = fill(c.entropy, b)
	return b
}

// sendDrop sends drop cover. Its body is zeros: only the provider that
// discards it ever sees the plaintext, and it knows the packet is cover
// from its drop recipient.
func (c *Client) sendDrop(now time.Time) {
	provs := c.dir.Layer(0)
	route, _, _ := c.route(provs[c.rng.IntN(len(provs))], Recipient{Kind: ToDrop})
	if c.emit(now, route, nil, ClassDrop, 0) {
		c.stats.Drops++
	}
}

func (c *Client) sendLoop(now time.Time) {
	own, _ := c.dir.Node(c.cfg.Provider)
	route, _, total := c.route(own, Recipient{Kind: ToClient, ID: c.cfg.ID})
	body := c.loopBody()
	var id [16]byte
	copy(id[:], body)
	if c.emit(now, route, body, ClassLoop, 0) {
		c.stats.Loops++
		// Back at the provider after the delays; fetched at a pull.
		c.loops.sent(id, now, now.Add(total+2*c.pullPeriod()+c.cfg.Loops.Budget))
	}
}

func (c *Client) pull(now time.Time) {
	frame := EncodePull(c.cfg.ID)
	c.stats.Pulls++
	c.stats.BytesSent += uint64(len(frame))
	c.out = append(c.out, Action{Kind: ActSend, At: now, To: c.cfg.Provider, Frame: frame, Class: ClassPull})
}

// Tick runs the streams and pulls that are due.
func (c *Client) Tick(now time.Time) []Action {
	c.step(now)
	return c.flush()
}

// step fires every stream event due by now, in time order; each stream is
// redrawn from its own due time so that late ticks do not bend the
// process.
func (c *Client) step(now time.Time) {
	p := &c.dir.Params
	for {
		which, at := 0, time.Time{}
		for i, t := range []time.Time{c.nextP, c.nextL, c.nextD, c.nextPull} {
			if !t.IsZero() && !t.After(now) && (at.IsZero() || t.Before(at)) {
				which, at = i+1, t
			}
		}
		switch which {
		case 0:
			c.loops.advance(now)
			return
		case 1:
			if len(c.queue) > 0 {
				q := c.queue[0]
				c.queue = c.queue[1:]
				c.sendMessage(now, q)
			} else {
				c.sendDrop(now)
			}
			c.nextP = c.draw(at, p.LambdaP)
		case 2:
			c.sendLoop(now)
			c.nextL = c.draw(at, p.LambdaL)
		case 3:
			c.sendDrop(now)
			c.nextD = c.draw(at, p.LambdaD)
		case 4:
			c.pull(now)
			c.nextPull = at.Add(c.pullPeriod())
		}
	}
}

// Receive processes a frame from `from`: pull responses of the client's
// provider.
func (c *Client) Receive(now time.Time, from NodeID, frame []byte, ref uint64) []Action {
	c.step(now)
	f, err := DecodeFrame(c.dir.Geometry, frame)
	switch {
	case err != nil:
		c.dropUnit(now, ref, ReasonMalformed)
	case from != c.cfg.Provider:
		c.dropUnit(now, ref, ReasonNotServed)
	case f.Type != FramePullResponse:
		c.dropUnit(now, ref, ReasonRole)
	case len(f.Entries) != c.dir.Params.PullSize:
		c.dropUnit(now, ref, ReasonMalformed)
	default:
		for _, e := range f.Entries {
			c.ledger.In++
			c.entry(now, e, ref)
		}
	}
	return c.flush()
}

func (c *Client) dropUnit(now time.Time, ref uint64, why Reason) {
	c.ledger.In++
	c.ledger.Dropped++
	c.out = append(c.out, Action{Kind: ActDrop, At: now, Ref: ref, Reason: why})
}

func (c *Client) entry(now time.Time, e Entry, ref uint64) {
	if !e.Real {
		c.ledger.Cover++
		return
	}
	var id [16]byte
	copy(id[:], e.Body)
	known, inTime, sent := c.loops.back(id, now)
	switch {
	case inTime:
		c.ledger.Loops++
		c.out = append(c.out, Action{Kind: ActLoop, At: now, Ref: ref, RTT: now.Sub(sent)})
	case known:
		c.ledger.Dropped++
		c.out = append(c.out, Action{Kind: ActDrop, At: now, Ref: ref, Reason: ReasonStale})
	default:
		c.ledger.Delivered++
		c.out = append(c.out, Action{Kind: ActDeliver, At: now, Ref: ref, Body: e.Body})
	}
}

// Deadline is when Tick must next be called.
func (c *Client) Deadline() (time.Time, bool) {
	t, ok := time.Time{}, false
	for _, x := range []time.Time{c.nextP, c.nextL, c.nextD, c.nextPull} {
		t, ok = earliest(t, ok, x, !x.IsZero())
	}
	t, ok = earliest(t, ok, c.loops.nextCheck, true)
	if len(c.loops.pending) > 0 {
		t, ok = earliest(t, ok, c.loops.pending[0].due, true)
	}
	return t, ok
}

func (c *Client) flush() []Action {
	if t, ok := c.Deadline(); ok {
		c.out = append(c.out, Action{Kind: ActTimer, At: t})
	}
	out := c.out
	c.out = nil
	return out
}
