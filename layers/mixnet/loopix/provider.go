package loopix

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// DefaultMaxInbox is the default bound of a client's inbox at its provider.
const DefaultMaxInbox = 1000

// ProviderConfig configures a Provider.
type ProviderConfig struct {
	ID     NodeID
	Format Format
	// Rand and Entropy as for MixConfig.
	Rand    *rand.Rand
	Entropy io.Reader
	// Clients are the clients this provider serves.
	Clients []NodeID
	// MaxInbox bounds each client's stored bodies (0: DefaultMaxInbox).
	MaxInbox int
}

// Provider is the sans-I/O core of a provider (SPEC.md, "Procedures"): the
// first hop of its clients' packets, the last hop of packets to them (it
// stores the bodies until they pull), and the answer to each pull with a
// constant number of entries, real or dummy.
type Provider struct {
	relay
	rng      *rand.Rand
	entropy  io.Reader
	maxInbox int
	inbox    map[NodeID]*fifo
	pulled   uint64
}

// fifo is a queue of bodies.
type fifo struct {
	items [][]byte
	head  int
}

func (q *fifo) len() int { return len(q.items) - q.head }

func (q *fifo) push(b []byte) { q.items = append(q.items, b) }

func (q *fifo) pop() []byte {
	b := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > 32 && q.head > len(q.items)/2 {
		n := copy(q.items, q.items[q.head:])
		q.items, q.head = q.items[:n], 0
	}
	return b
}

// NewProvider returns a provider of dir holding key, and the first timer
// (none: a provider acts only on input unless it holds packets).
func NewProvider(cfg ProviderConfig, dir *Directory, key Unwrapper, now time.Time) (*Provider, []Action, error) {
	if cfg.Format == nil || cfg.Rand == nil {
		return nil, nil, fmt.Errorf("%w: a provider needs a Format and a Rand", ErrConfig)
	}
	p := &Provider{rng: cfg.Rand, entropy: cfg.Entropy, maxInbox: cfg.MaxInbox, inbox: map[NodeID]*fifo{}}
	if p.entropy == nil {
		p.entropy = ReaderFrom(cfg.Rand)
	}
	if p.maxInbox <= 0 {
		p.maxInbox = DefaultMaxInbox
	}
	for _, c := range cfg.Clients {
		p.inbox[c] = &fifo{}
	}
	p.relay = relay{self: cfg.ID, role: RoleProvider, format: cfg.Format}
	if err := p.setKey(dir, key); err != nil {
		return nil, nil, err
	}
	return p, p.flush(p.nextRelease()), nil
}

// SetDirectory installs the directory and key of a new epoch.
func (p *Provider) SetDirectory(now time.Time, dir *Directory, key Unwrapper) ([]Action, error) {
	p.release(now, nil)
	if err := p.setKey(dir, key); err != nil {
		return nil, err
	}
	return p.flush(p.nextRelease()), nil
}

// Ledger returns the provider's accounting of its inputs.
func (p *Provider) Ledger() Ledger { return p.ledger }

// Inbox is the number of bodies stored for client c.
func (p *Provider) Inbox(c NodeID) int {
	if q, ok := p.inbox[c]; ok {
		return q.len()
	}
	return 0
}

// Pulled is the number of stored bodies handed to clients.
func (p *Provider) Pulled() uint64 { return p.pulled }

// Receive processes a frame from `from` (a client it serves, or a node).
func (p *Provider) Receive(now time.Time, from NodeID, frame []byte, ref uint64) []Action {
	p.ledger.In++
	p.release(now, nil)
	_, client := p.inbox[from]
	node, isNode := p.dir.Node(from)
	f, err := DecodeFrame(p.dir.Geometry, frame)
	switch {
	case err != nil:
		p.drop(now, ref, ReasonMalformed)
	case f.Type == FramePull:
		if !client || f.Client != from {
			p.drop(now, ref, ReasonNotServed)
			break
		}
		p.answer(now, from, ref)
	case f.Type != FramePacket:
		p.drop(now, ref, ReasonRole)
	case !client && !(isNode && node.Layer == p.dir.Layers):
		// Packets come from this provider's clients (first hop) or from
		// the last mix layer (last hop, or a mix loop on its way).
		p.drop(now, ref, ReasonNotServed)
	default:
		o, why := p.open(f.Packet)
		switch {
		case why != 0:
			p.drop(now, ref, why)
		case !o.Final:
			p.hold(now, o, ref, ClassForward)
			p.release(now, nil) // providers forward at once (zero delay)
		case client:
			p.drop(now, ref, ReasonRole) // a client's packet must go through the mixes
		default:
			p.final(now, o, ref)
		}
	}
	return p.flush(p.nextRelease())
}

func (p *Provider) final(now time.Time, o Opened, ref uint64) {
	switch o.Recipient.Kind {
	case ToDrop:
		p.ledger.Cover++
	case ToClient:
		q, ok := p.inbox[o.Recipient.ID]
		switch {
		case !ok:
			p.drop(now, ref, ReasonNotServed)
		case q.len() >= p.maxInbox:
			p.drop(now, ref, ReasonInboxFull)
		default:
			q.push(o.Body)
			p.ledger.Stored++
		}
	default:
		p.drop(now, ref, ReasonRole)
	}
}

// answer sends exactly PullSize entries: the oldest stored bodies, then
// dummies. Dummy bodies are zeros: the client–provider link is encrypted
// (SPEC.md, "Requires"), so their content is never seen by an observer,
// and the client discards them by their flag.
func (p *Provider) answer(now time.Time, c NodeID, ref uint64) {
	g := p.dir.Geometry
	q := p.inbox[c]
	entries := make([]Entry, p.dir.Params.PullSize)
	for i := range entries {
		if q.len() > 0 {
			entries[i] = Entry{Real: true, Body: q.pop()}
			p.pulled++
			continue
		}
		entries[i] = Entry{Body: zeroBody(g.PayloadSize)}
	}
	frame, err := EncodePullResponse(g, entries)
	if err != nil { // bodies have the geometry's size by construction
		p.drop(now, ref, ReasonMalformed)
		return
	}
	p.ledger.Answered++
	p.out = append(p.out, Action{Kind: ActSend, At: now, To: c, Frame: frame, Class: ClassPullResponse, Ref: ref})
}

var zeros = make([]byte, MaxPacketSize)

// zeroBody is a read-only body of n zeros.
func zeroBody(n int) []byte { return zeros[:n:n] }

// Tick forwards the packets whose delay has ended.
func (p *Provider) Tick(now time.Time) []Action {
	p.release(now, nil)
	return p.flush(p.nextRelease())
}

// Deadline is when Tick must next be called.
func (p *Provider) Deadline() (time.Time, bool) { return p.nextRelease() }
