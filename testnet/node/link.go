package node

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/strata-lab/strata/layers/overlay"
)

// LinkRule shapes the traffic a node sends to peers of one class: every
// byte written is held for Latency (plus a uniform jitter in [0, Jitter)),
// serialised at Bandwidth, and with probability Loss delayed by one
// retransmission timeout. Both ends shape their own egress, so the round
// trip between two nodes with rules of latency L1 and L2 is L1 + L2.
//
// On TCP a lost segment is not missing bytes but a retransmission, so
// Loss is rendered as the delay a retransmission costs (RTO = max(200 ms,
// 2 × Latency), Linux's minimum RTO), applied to the write and, because
// TCP delivers in order, to everything behind it. On QUIC (UDP) a lost
// packet is dropped and QUIC's own recovery resends it.
type LinkRule struct {
	// Class is the remote class the rule applies to; "*" or "" for any.
	Class   string           `yaml:"class" json:"class"`
	Latency overlay.Duration `yaml:"latency" json:"latency"`
	Jitter  overlay.Duration `yaml:"jitter" json:"jitter"`
	// Bandwidth in bytes per second; 0 for unlimited.
	Bandwidth int64 `yaml:"bandwidth" json:"bandwidth"`
	// Loss is a probability in [0, 1).
	Loss float64 `yaml:"loss" json:"loss"`
}

// Validate checks the rule.
func (r LinkRule) Validate() error {
	if r.Latency < 0 || r.Jitter < 0 || r.Bandwidth < 0 || r.Loss < 0 || r.Loss >= 1 {
		return fmt.Errorf("%w: link rule %+v: latency, jitter and bandwidth ≥ 0, loss in [0,1)", ErrConfig, r)
	}
	return nil
}

func (r LinkRule) zero() bool {
	return r.Latency == 0 && r.Jitter == 0 && r.Bandwidth == 0 && r.Loss == 0
}

// minRTO is Linux's minimum TCP retransmission timeout.
const minRTO = 200 * time.Millisecond

// maxQueued bounds the bytes a shaped connection holds before Write blocks.
const maxQueued = 4 << 20

// linkTable holds the node's rules and maps remote IPs to classes. Rules
// can change at run time (PUT /links); every connection reads the current
// rule for its remote on each write.
type linkTable struct {
	mu      sync.RWMutex
	rules   []LinkRule
	classes map[string]string // remote IP -> class
	seed    uint64
	n       uint64
}

func newLinkTable(rules []LinkRule, classes map[string]string, seed int64) *linkTable {
	return &linkTable{rules: rules, classes: classes, seed: uint64(seed)}
}

// set replaces the rules (and, when classes is non-nil, the class map).
func (t *linkTable) set(rules []LinkRule, classes map[string]string) error {
	for _, r := range rules {
		if err := r.Validate(); err != nil {
			return err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rules = rules
	if classes != nil {
		t.classes = classes
	}
	return nil
}

func (t *linkTable) snapshot() ([]LinkRule, map[string]string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return append([]LinkRule(nil), t.rules...), t.classes
}

// rule returns the rule for a remote IP: the first rule naming its class,
// else the first wildcard rule, else no shaping.
func (t *linkTable) rule(ip string) LinkRule {
	t.mu.RLock()
	defer t.mu.RUnlock()
	class := t.classes[ip]
	var wild *LinkRule
	for i, r := range t.rules {
		if r.Class == class && class != "" {
			return r
		}
		if (r.Class == "*" || r.Class == "") && wild == nil {
			wild = &t.rules[i]
		}
	}
	if wild != nil {
		return *wild
	}
	return LinkRule{}
}

// wrap is the overlay.ConnWrapper of the node.
func (t *linkTable) wrap(c net.Conn, _ network.Direction) net.Conn {
	ip := ""
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ip = a.IP.String()
	}
	t.mu.Lock()
	t.n++
	seed := t.seed ^ t.n*0x9e3779b97f4a7c15
	t.mu.Unlock()
	s := &shapedConn{Conn: c, table: t, ip: ip, rng: rand.New(rand.NewPCG(seed, 1))}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// shapedConn delays, paces and "loses" (delays by an RTO) what is written
// to it; reads pass through (the remote shapes its own egress).
type shapedConn struct {
	net.Conn
	table *linkTable
	ip    string
	rng   *rand.Rand

	mu       sync.Mutex
	cond     *sync.Cond
	queue    []chunk
	queued   int
	lastDue  time.Time
	linkFree time.Time
	running  bool
	err      error
	closed   bool
}

type chunk struct {
	due time.Time
	b   []byte
}

// Write queues b for delivery at its due time and returns at once (or
// blocks while more than maxQueued bytes wait).
func (s *shapedConn) Write(b []byte) (int, error) {
	r := s.table.rule(s.ip)
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return 0, err
	}
	if r.zero() && len(s.queue) == 0 {
		s.mu.Unlock()
		return s.Conn.Write(b)
	}
	for s.queued > maxQueued && s.err == nil {
		s.cond.Wait()
	}
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return 0, err
	}
	now := time.Now()
	start := now
	if r.Bandwidth > 0 {
		start = later(now, s.linkFree)
		s.linkFree = start.Add(time.Duration(float64(len(b)) / float64(r.Bandwidth) * float64(time.Second)))
		start = s.linkFree
	}
	due := start.Add(time.Duration(r.Latency))
	if r.Jitter > 0 {
		due = due.Add(time.Duration(s.rng.Int64N(int64(r.Jitter))))
	}
	if r.Loss > 0 && s.rng.Float64() < r.Loss {
		due = due.Add(max(minRTO, 2*time.Duration(r.Latency)))
	}
	due = later(due, s.lastDue) // TCP delivers in order
	s.lastDue = due
	s.queue = append(s.queue, chunk{due: due, b: append([]byte(nil), b...)})
	s.queued += len(b)
	if !s.running {
		s.running = true
		go s.send()
	}
	s.mu.Unlock()
	return len(b), nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// send writes queued chunks at their due times; it exits when the queue
// is empty (Write restarts it).
func (s *shapedConn) send() {
	for {
		s.mu.Lock()
		if len(s.queue) == 0 || s.err != nil {
			s.running = false
			s.cond.Broadcast()
			s.mu.Unlock()
			return
		}
		c := s.queue[0]
		s.mu.Unlock()
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d)
		}
		_, err := s.Conn.Write(c.b)
		s.mu.Lock()
		s.queue = s.queue[1:]
		s.queued -= len(c.b)
		if err != nil && s.err == nil {
			s.err = err
		}
		s.cond.Broadcast()
		s.mu.Unlock()
	}
}

// Close closes the connection; bytes still queued are discarded, as a
// reset connection's would be.
func (s *shapedConn) Close() error {
	s.mu.Lock()
	if s.err == nil {
		s.err = net.ErrClosed
	}
	s.closed = true
	s.cond.Broadcast()
	s.mu.Unlock()
	return s.Conn.Close()
}

// CloseWrite half-closes after the queued bytes have left, when the
// underlying connection supports it.
func (s *shapedConn) CloseWrite() error {
	s.mu.Lock()
	for s.running && s.err == nil {
		s.cond.Wait()
	}
	s.mu.Unlock()
	if cw, ok := s.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// maxPacketDelay bounds how far ahead a shaped UDP socket schedules a
// packet behind the bandwidth limit; beyond it the packet is dropped, as a
// full router queue would.
const maxPacketDelay = time.Second

// wrapPacket shapes the egress of a UDP socket (QUIC). Packets are
// datagrams: a lost packet is dropped for real (QUIC retransmits it), and
// jitter may reorder packets, as on an IP path.
func (t *linkTable) wrapPacket(c net.PacketConn) net.PacketConn {
	t.mu.Lock()
	t.n++
	seed := t.seed ^ t.n*0x9e3779b97f4a7c15
	t.mu.Unlock()
	return &shapedPacketConn{PacketConn: c, table: t, rng: rand.New(rand.NewPCG(seed, 2))}
}

type shapedPacketConn struct {
	net.PacketConn
	table    *linkTable
	mu       sync.Mutex
	rng      *rand.Rand
	linkFree time.Time
}

// WriteTo sends p to addr after the rule's delays, or drops it.
func (s *shapedPacketConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ip := ""
	if a, ok := addr.(*net.UDPAddr); ok {
		ip = a.IP.String()
	}
	r := s.table.rule(ip)
	if r.zero() {
		return s.PacketConn.WriteTo(p, addr)
	}
	now := time.Now()
	s.mu.Lock()
	if r.Loss > 0 && s.rng.Float64() < r.Loss {
		s.mu.Unlock()
		return len(p), nil // lost on the way
	}
	start := now
	if r.Bandwidth > 0 {
		start = later(now, s.linkFree)
		if start.Sub(now) > maxPacketDelay {
			s.mu.Unlock()
			return len(p), nil // the queue is full
		}
		s.linkFree = start.Add(time.Duration(float64(len(p)) / float64(r.Bandwidth) * float64(time.Second)))
		start = s.linkFree
	}
	due := start.Add(time.Duration(r.Latency))
	if r.Jitter > 0 {
		due = due.Add(time.Duration(s.rng.Int64N(int64(r.Jitter))))
	}
	s.mu.Unlock()
	b := append([]byte(nil), p...)
	time.AfterFunc(time.Until(due), func() { s.PacketConn.WriteTo(b, addr) })
	return len(p), nil
}
