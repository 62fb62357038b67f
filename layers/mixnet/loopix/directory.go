package loopix

import (
	"crypto/ed25519"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/strata-lab/strata/layers/mixnet/sphinx"
)

// Specification constants of the directory (SPEC.md, "Wire format").
const (
	// DirectoryVersion is the version byte this package writes and reads.
	DirectoryVersion = 1
	// MaxNodes bounds the nodes of one directory.
	MaxNodes = 4096
	// MaxLayers bounds the mix layers.
	MaxLayers = 8
	// MaxMuSet bounds the delays offered to clients.
	MaxMuSet = 16
	// MaxAddr bounds a node's address, in bytes.
	MaxAddr = 255
	// MaxPullSize bounds the constant number of entries of a pull response.
	MaxPullSize = 64
	// MaxPacketSize bounds Geometry.PacketSize.
	MaxPacketSize = 1 << 16
)

// directoryMagic opens every encoded directory.
var directoryMagic = [4]byte{'L', 'P', 'X', 'D'}

// TruncationFactor is the per-hop delay cap as a multiple of the mean: a
// client draws Exp(μ) and truncates at ln(10⁶)/μ, the 1−10⁻⁶ quantile, so
// the truncation moves 10⁻⁶ of the probability mass (SPEC.md, "Procedures").
var TruncationFactor = math.Log(1e6)

// Params are the rates and delays the directory publishes for an epoch
// (Loopix, Table 1).
type Params struct {
	// LambdaP is the client's payload stream: at each tick it sends the
	// head of its queue, or a drop-cover packet if the queue is empty.
	LambdaP Rate
	// LambdaL is the client's loop cover stream (packets back to itself).
	LambdaL Rate
	// LambdaD is the client's drop cover stream (dropped at a provider).
	LambdaD Rate
	// LambdaM is each mix's loop cover stream.
	LambdaM Rate
	// MuSet are the mean per-hop delays (1/μ) a client may choose from,
	// strictly ascending, in whole milliseconds.
	MuSet []time.Duration
	// DefaultMu indexes MuSet: the delay of clients that do not adapt.
	DefaultMu int
	// MaxDelay is the largest per-hop delay a mix accepts.
	MaxDelay time.Duration
	// Slack is how late a mix may forward a packet after its delay ends.
	Slack time.Duration
	// PullInterval is the period of a client's pulls from its provider.
	PullInterval time.Duration
	// PullSize is the constant number of entries of every pull response.
	PullSize int
}

// DefaultParams returns the default rates: payload 0.5/s, loops 0.2/s,
// drops 0.1/s (0.8 packets/s per client), mix loops 2/s, delays from 20 ms
// to 5 s with 100 ms by default, a 120 s delay cap, 10 ms slack
// (Katzenpost's SchedulerSlack), pulls of 4 entries every 2 s.
func DefaultParams() Params {
	return Params{
		LambdaP: 500, LambdaL: 200, LambdaD: 100, LambdaM: 2000,
		MuSet: []time.Duration{20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
			200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second},
		DefaultMu:    2,
		MaxDelay:     120 * time.Second,
		Slack:        10 * time.Millisecond,
		PullInterval: 2 * time.Second,
		PullSize:     4,
	}
}

// DefaultGeometry is the simulation format at the size of the default
// Sphinx geometry (layers/mixnet/sphinx: X25519, 5 hops, 2048-byte
// payload, no SURB: 2379-byte packets), so that simulated links carry
// exactly the bytes real ones would.
func DefaultGeometry() Geometry {
	sg := sphinx.DefaultGeometry()
	return Geometry{Format: FormatSim, PacketSize: sg.PacketSize(), PayloadSize: sg.PayloadSize, MaxHops: sg.Hops}
}

// Node is one mix or provider of the directory.
type Node struct {
	ID   NodeID
	Role Role
	// Layer is 0 for providers and 1..Layers for mixes.
	Layer int
	// Key is the node's packet key for the epoch (an X25519 public key for
	// Sphinx; opaque for SimFormat).
	Key [32]byte
	// Rate is the input rate the node measured over the previous epoch
	// (0: unknown). Adaptive clients read it (SPEC.md, "Procedures").
	Rate Rate
	// Addr is the node's network address (free form, at most MaxAddr bytes).
	Addr string
}

// Directory is the signed per-epoch document: the nodes, their layers and
// keys, the rates, the delays offered and the packet geometry.
type Directory struct {
	Epoch       uint64
	EpochStart  time.Time
	EpochLength time.Duration
	Geometry    Geometry
	// Layers is the number of mix layers (3 by default).
	Layers int
	Params Params
	// Nodes are sorted by (Layer, ID): providers first.
	Nodes []Node
	// Authority is the Ed25519 key that signed the document.
	Authority ed25519.PublicKey
	Signature []byte
}

// Clone returns a deep copy.
func (d *Directory) Clone() *Directory {
	c := *d
	c.Params.MuSet = slices.Clone(d.Params.MuSet)
	c.Nodes = slices.Clone(d.Nodes)
	c.Authority = slices.Clone(d.Authority)
	c.Signature = slices.Clone(d.Signature)
	return &c
}

// Hops is the number of hops of a client packet: provider, Layers mixes,
// provider.
func (d *Directory) Hops() int { return d.Layers + 2 }

// MeanDelay is the default mean per-hop delay 1/μ.
func (d *Directory) MeanDelay() time.Duration { return d.Params.MuSet[d.Params.DefaultMu] }

// Node returns the node with id.
func (d *Directory) Node(id NodeID) (Node, bool) {
	for _, n := range d.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// Layer returns the nodes of layer l (0: the providers), in directory
// order.
func (d *Directory) Layer(l int) []Node {
	var out []Node
	for _, n := range d.Nodes {
		if n.Layer == l {
			out = append(out, n)
		}
	}
	return out
}

// EpochAt returns the epoch number at time t by the epoch grid of d.
func (d *Directory) EpochAt(t time.Time) uint64 {
	if t.Before(d.EpochStart) || d.EpochLength <= 0 {
		return d.Epoch
	}
	return d.Epoch + uint64(t.Sub(d.EpochStart)/d.EpochLength)
}

func dirErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrDirectory}, args...)...)
}

func wholeMs(d time.Duration) bool { return d%time.Millisecond == 0 }

// Validate checks the parameters and the topology (not the signature).
// Every problem wraps ErrDirectory, or ErrMalformed for a node order that
// is not canonical.
func (d *Directory) Validate() error {
	g := d.Geometry
	switch {
	case g.Format != FormatSim && g.Format != FormatSphinx:
		return dirErr("unknown packet format %d", g.Format)
	case g.PacketSize <= 0 || g.PacketSize > MaxPacketSize:
		return dirErr("packet size %d out of (0,%d]", g.PacketSize, MaxPacketSize)
	case g.PayloadSize <= 0 || g.PayloadSize >= g.PacketSize:
		return dirErr("payload size %d must be in (0, packet size %d)", g.PayloadSize, g.PacketSize)
	case d.Layers < 1 || d.Layers > MaxLayers:
		return dirErr("%d layers, must be in [1,%d]", d.Layers, MaxLayers)
	case g.MaxHops < d.Layers+2 || g.MaxHops > 255:
		return dirErr("geometry carries %d hops, a client packet needs %d", g.MaxHops, d.Layers+2)
	case d.EpochLength < time.Millisecond || d.EpochLength > math.MaxUint32*time.Millisecond || !wholeMs(d.EpochLength):
		return dirErr("epoch length %v must be whole milliseconds in [1ms, 2^32 ms)", d.EpochLength)
	case d.EpochStart.UnixMilli() < 0 || d.EpochStart.UnixMilli() > 1<<62 || !d.EpochStart.Equal(time.UnixMilli(d.EpochStart.UnixMilli())):
		return dirErr("epoch start %v must be a whole millisecond after 1970", d.EpochStart)
	}
	if err := d.Params.validate(); err != nil {
		return err
	}
	if len(d.Nodes) > MaxNodes {
		return dirErr("%d nodes, at most %d", len(d.Nodes), MaxNodes)
	}
	perLayer := make([]int, d.Layers+1)
	for i, n := range d.Nodes {
		switch {
		case n.Role == RoleProvider && n.Layer != 0, n.Role == RoleMix && (n.Layer < 1 || n.Layer > d.Layers):
			return dirErr("node %s: %s in layer %d", n.ID, n.Role, n.Layer)
		case n.Role != RoleProvider && n.Role != RoleMix:
			return dirErr("node %s: unknown role %d", n.ID, n.Role)
		case len(n.Addr) > MaxAddr:
			return dirErr("node %s: address of %d bytes, at most %d", n.ID, len(n.Addr), MaxAddr)
		}
		if i > 0 && !nodeLess(d.Nodes[i-1], n) {
			return fmt.Errorf("%w: nodes not in strictly ascending (layer, id) order at %d", ErrMalformed, i)
		}
		perLayer[n.Layer]++
	}
	for l, c := range perLayer {
		if c == 0 {
			if l == 0 {
				return dirErr("no provider")
			}
			return dirErr("layer %d has no mix", l)
		}
	}
	return nil
}

func nodeLess(a, b Node) bool {
	if a.Layer != b.Layer {
		return a.Layer < b.Layer
	}
	for i := range a.ID {
		if a.ID[i] != b.ID[i] {
			return a.ID[i] < b.ID[i]
		}
	}
	return false
}

// SortNodes puts nodes in the canonical (Layer, ID) order.
func SortNodes(nodes []Node) {
	slices.SortFunc(nodes, func(a, b Node) int {
		switch {
		case nodeLess(a, b):
			return -1
		case nodeLess(b, a):
			return 1
		}
		return 0
	})
}

func (p *Params) validate() error {
	switch {
	case len(p.MuSet) < 1 || len(p.MuSet) > MaxMuSet:
		return dirErr("%d delays offered, must be in [1,%d]", len(p.MuSet), MaxMuSet)
	case p.DefaultMu < 0 || p.DefaultMu >= len(p.MuSet):
		return dirErr("default delay index %d out of range", p.DefaultMu)
	case p.MaxDelay < time.Millisecond || p.MaxDelay > math.MaxUint32*time.Millisecond || !wholeMs(p.MaxDelay):
		return dirErr("max delay %v must be whole milliseconds ≥ 1 ms", p.MaxDelay)
	case p.Slack < 0 || p.Slack > math.MaxUint32*time.Millisecond || !wholeMs(p.Slack):
		return dirErr("slack %v must be whole milliseconds ≥ 0", p.Slack)
	case p.PullInterval < time.Millisecond || p.PullInterval > math.MaxUint32*time.Millisecond || !wholeMs(p.PullInterval):
		return dirErr("pull interval %v must be whole milliseconds ≥ 1 ms", p.PullInterval)
	case p.PullSize < 1 || p.PullSize > MaxPullSize:
		return dirErr("pull size %d must be in [1,%d]", p.PullSize, MaxPullSize)
	}
	for i, m := range p.MuSet {
		if m < time.Millisecond || !wholeMs(m) || m > p.MaxDelay {
			return dirErr("delay %v must be whole milliseconds in [1 ms, max delay %v]", m, p.MaxDelay)
		}
		if i > 0 && m <= p.MuSet[i-1] {
			return fmt.Errorf("%w: delays offered not strictly ascending at %d", ErrMalformed, i)
		}
	}
	return nil
}

// NewDirectory assembles and signs the directory of one epoch: nodes are
// put in canonical order and the document is validated.
func NewDirectory(epoch uint64, start time.Time, length time.Duration, g Geometry, layers int, p Params, nodes []Node, authority ed25519.PrivateKey) (*Directory, error) {
	d := &Directory{Epoch: epoch, EpochStart: start.UTC(), EpochLength: length, Geometry: g, Layers: layers,
		Params: p, Nodes: slices.Clone(nodes)}
	d.Params.MuSet = slices.Clone(p.MuSet)
	SortNodes(d.Nodes)
	if err := d.Sign(authority); err != nil {
		return nil, err
	}
	return d, nil
}
