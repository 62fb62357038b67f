package node

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/layers/mixnet/sphinx"
)

// Mixnet roles a node can host (MixnetConfig.Role).
const (
	MixnetClient   = "client"
	MixnetProvider = "provider"
	MixnetMix      = "mix"
)

// ErrMixnet classifies mixnet service errors (no client role, unknown
// recipient, a message too large, a full send queue).
var ErrMixnet = errors.New("node: mixnet")

// MixnetConfig configures the node's mixnet service: exactly one Loopix
// core (layers/mixnet/loopix) of the given role, over Sphinx packets, on
// the /strata/mixnet/1.0.0 stream protocol.
type MixnetConfig struct {
	// Role is "client", "provider", "mix", or "" for no mixnet.
	Role string `yaml:"role"`
	// Directory is the signed directory of the deployment (the loopix
	// encoding, standard base64). Every mix and provider in it has as its
	// Addr a multiaddr ending in /p2p/<peer id>, and as its id the
	// loopix.PeerNodeID of that peer.
	Directory string `yaml:"directory"`
	// Authority is the directory authority's Ed25519 public key (hex);
	// the directory must verify under it.
	Authority string `yaml:"authority"`
	// KeySeed (mixes and providers) is 32 bytes in hex: the node's packet
	// key for the directory's epoch is drawn from ChaCha8(KeySeed) (see
	// MixnetKey) and must be its key in the directory. It is a secret: a
	// testnet hands it out with the directory; a deployment's nodes draw
	// their keys themselves and publish only the public part.
	KeySeed string `yaml:"key_seed"`
	// Clients is the address book of clients: who can be written to, at
	// which provider. A client finds itself in it (by its peer id) and
	// learns its provider; a provider learns the clients it serves.
	Clients []MixnetContact `yaml:"clients"`
	// Adaptive chooses delays from the directory's set for the target
	// pool (clients and mixes; loopix.ClientConfig.Adaptive).
	Adaptive bool `yaml:"adaptive"`
	// ReplayExpected sizes the replay filter of the node's key (0:
	// loopix.DefaultReplayExpected).
	ReplayExpected uint64 `yaml:"replay_expected"`
}

// MixnetContact is one client of the address book.
type MixnetContact struct {
	// Name is what POST /mixnet/send names the recipient by.
	Name string `yaml:"name"`
	// Addr is the client's multiaddr ending in /p2p/<peer id> (or only
	// the peer id, if the provider can reach it otherwise).
	Addr string `yaml:"addr"`
	// Provider is the peer id of the client's provider.
	Provider string `yaml:"provider"`
}

// contact is a decoded MixnetContact.
type contact struct {
	name     string
	peer     *member
	id       loopix.NodeID
	provider loopix.NodeID
}

// mixnetSetup is a validated MixnetConfig, decoded.
type mixnetSetup struct {
	dir      *loopix.Directory
	format   *loopix.SphinxFormat
	keySeed  [32]byte
	contacts []contact
	// peers maps every directory node and every client to its peer.
	peers map[loopix.NodeID]*member
}

func (c *MixnetConfig) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: mixnet: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch c.Role {
	case "":
		return nil
	case MixnetClient, MixnetProvider, MixnetMix:
	default:
		return bad("role %q: want client, provider, mix or empty", c.Role)
	}
	if c.Directory == "" || c.Authority == "" {
		return bad("a %s needs the directory and the authority's key", c.Role)
	}
	if c.Role != MixnetClient && c.KeySeed == "" {
		return bad("a %s needs its key_seed", c.Role)
	}
	_, err := c.setup()
	return err
}

// setup decodes and checks the configuration: the directory verifies
// under the authority, every node's address names the peer its id is
// derived from, and the contacts parse.
func (c *MixnetConfig) setup() (*mixnetSetup, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: mixnet: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	raw, err := base64.StdEncoding.DecodeString(c.Directory)
	if err != nil {
		return nil, bad("directory is not base64: %v", err)
	}
	auth, err := hex.DecodeString(c.Authority)
	if err != nil || len(auth) != ed25519.PublicKeySize {
		return nil, bad("authority must be a %d-byte Ed25519 key in hex", ed25519.PublicKeySize)
	}
	dir, err := loopix.OpenDirectory(raw, ed25519.PublicKey(auth))
	if err != nil {
		return nil, bad("directory: %v", err)
	}
	f, err := MixnetFormat(dir.Geometry, c.ReplayExpected)
	if err != nil {
		return nil, bad("%v", err)
	}
	s := &mixnetSetup{dir: dir, format: f, peers: map[loopix.NodeID]*member{}}
	if c.KeySeed != "" {
		k, err := hex.DecodeString(c.KeySeed)
		if err != nil || len(k) != 32 {
			return nil, bad("key_seed must be 32 bytes in hex")
		}
		copy(s.keySeed[:], k)
	}
	for _, n := range dir.Nodes {
		m, err := parseMember(n.Addr)
		if err != nil || len(m.addrs) == 0 {
			return nil, bad("directory node %s: address %q is not a multiaddr with /p2p/<peer id>", n.ID, n.Addr)
		}
		if loopix.PeerNodeID([]byte(m.id)) != n.ID {
			return nil, bad("directory node %s: id is not the node id of peer %s", n.ID, m.id)
		}
		s.peers[n.ID] = m
	}
	names := map[string]bool{}
	for _, ct := range c.Clients {
		m, err := parseMember(ct.Addr)
		if err != nil {
			return nil, bad("client %q: %v", ct.Name, err)
		}
		pp, err := peer.Decode(ct.Provider)
		if err != nil {
			return nil, bad("client %q: provider %q: %v", ct.Name, ct.Provider, err)
		}
		prov := loopix.PeerNodeID([]byte(pp))
		if n, ok := dir.Node(prov); !ok || n.Role != loopix.RoleProvider {
			return nil, bad("client %q: %s is not a provider of the directory", ct.Name, pp)
		}
		if ct.Name == "" || names[ct.Name] {
			return nil, bad("client names must be set and distinct (%q)", ct.Name)
		}
		names[ct.Name] = true
		id := loopix.PeerNodeID([]byte(m.id))
		if _, dup := s.peers[id]; dup {
			return nil, bad("client %q: peer %s listed twice", ct.Name, m.id)
		}
		s.peers[id] = m
		s.contacts = append(s.contacts, contact{name: ct.Name, peer: m, id: id, provider: prov})
	}
	return s, nil
}

// MixnetFormat is the Sphinx format (X25519, no SURB slot) of a directory
// geometry, with each key's replay filter sized for replayExpected
// packets (0: loopix.DefaultReplayExpected) at a 10⁻⁶ false-drop rate.
func MixnetFormat(g loopix.Geometry, replayExpected uint64) (*loopix.SphinxFormat, error) {
	if g.Format != loopix.FormatSphinx {
		return nil, fmt.Errorf("%w: mixnet: the directory's packet format is %s; nodes carry Sphinx packets only", ErrConfig, g.Format)
	}
	sg, err := sphinx.NewGeometry(g.MaxHops, g.PayloadSize, sphinx.ModeX25519, false)
	if err != nil {
		return nil, fmt.Errorf("%w: mixnet: %w", ErrConfig, err)
	}
	if sg.PacketSize() != g.PacketSize {
		return nil, fmt.Errorf("%w: mixnet: the directory's packets of %d bytes are not X25519 Sphinx packets of %d hops and %d-byte payloads (%d bytes)",
			ErrConfig, g.PacketSize, g.MaxHops, g.PayloadSize, sg.PacketSize())
	}
	return loopix.NewSphinxFormat(sg, replayExpected, 0)
}

// MixnetKey draws node self's packet key for epoch from ChaCha8(seed):
// the public key for the directory and the Unwrapper the node opens
// packets with. The orchestrator and the node derive the same key.
func MixnetKey(f loopix.Format, seed [32]byte, self loopix.NodeID, epoch uint64) ([32]byte, loopix.Unwrapper, error) {
	return f.NewKey(rand.NewChaCha8(seed), self, epoch)
}

// MixnetDeployment describes a whole mixnet for MixnetConfigs: its
// geometry, parameters and members. Everything it produces (authority,
// keys, directory) is a function of Seed.
type MixnetDeployment struct {
	Seed int64
	// Layers of mixes; every layer needs at least one mix.
	Layers int
	Params loopix.Params
	// Geometry is the Sphinx geometry (X25519, no SURB slot).
	Geometry sphinx.Geometry
	// Epoch and EpochLength of the single directory; EpochStart is fixed
	// (the directory does not depend on when it is built).
	Epoch       uint64
	EpochLength time.Duration
	// ReplayExpected sizes the nodes' replay filters (0: the default).
	ReplayExpected uint64
	Adaptive       bool
	Members        []MixnetMember
}

// MixnetMember is one endpoint of a deployment.
type MixnetMember struct {
	Name string
	// Role is MixnetClient, MixnetProvider or MixnetMix.
	Role string
	// Layer is the mix's layer (1..Layers).
	Layer int
	// Addr is the node's multiaddr ending in /p2p/<peer id>.
	Addr string
	// Provider is a client's provider (a member name).
	Provider string
}

// mixnetEpochStart is the fixed start of a deployment's directory epoch.
var mixnetEpochStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seedHash is SHA-256(label ‖ u64be(seed) ‖ name).
func seedHash(label string, seed int64, name string) [32]byte {
	b := binary.BigEndian.AppendUint64([]byte(label), uint64(seed))
	return sha256.Sum256(append(b, name...))
}

// Configs builds the deployment: the authority key and every mix's and
// provider's key seed from Seed, the signed directory, and each member's
// MixnetConfig in member order. It also returns the encoded directory.
func (d MixnetDeployment) Configs() ([]MixnetConfig, []byte, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: mixnet deployment: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	g := loopix.Geometry{Format: loopix.FormatSphinx, PacketSize: d.Geometry.PacketSize(), PayloadSize: d.Geometry.PayloadSize, MaxHops: d.Geometry.Hops}
	// Keys need only the public part here: small replay filters.
	f, err := MixnetFormat(g, 1000)
	if err != nil {
		return nil, nil, err
	}
	authSeed := seedHash("strata-mixnet-authority", d.Seed, "")
	auth := ed25519.NewKeyFromSeed(authSeed[:])
	peerOf := map[string]peer.ID{}
	var nodes []loopix.Node
	seeds := make([]string, len(d.Members))
	for i, m := range d.Members {
		mb, err := parseMember(m.Addr)
		if err != nil || len(mb.addrs) == 0 {
			return nil, nil, bad("member %s: address %q is not a multiaddr with /p2p/<peer id>", m.Name, m.Addr)
		}
		if _, dup := peerOf[m.Name]; dup {
			return nil, nil, bad("member %s listed twice", m.Name)
		}
		peerOf[m.Name] = mb.id
		id := loopix.PeerNodeID([]byte(mb.id))
		var n loopix.Node
		switch m.Role {
		case MixnetClient:
			continue
		case MixnetProvider:
			n = loopix.Node{ID: id, Role: loopix.RoleProvider, Addr: m.Addr}
		case MixnetMix:
			n = loopix.Node{ID: id, Role: loopix.RoleMix, Layer: m.Layer, Addr: m.Addr}
		default:
			return nil, nil, bad("member %s: role %q", m.Name, m.Role)
		}
		ks := seedHash("strata-mixnet-key", d.Seed, m.Name)
		pub, _, err := MixnetKey(f, ks, id, d.Epoch)
		if err != nil {
			return nil, nil, err
		}
		n.Key = pub
		nodes = append(nodes, n)
		seeds[i] = hex.EncodeToString(ks[:])
	}
	dir, err := loopix.NewDirectory(d.Epoch, mixnetEpochStart, d.EpochLength, g, d.Layers, d.Params, nodes, auth)
	if err != nil {
		return nil, nil, err
	}
	raw, err := dir.Encode()
	if err != nil {
		return nil, nil, err
	}
	var book []MixnetContact
	for _, m := range d.Members {
		if m.Role != MixnetClient {
			continue
		}
		pp, ok := peerOf[m.Provider]
		if !ok || !slices.ContainsFunc(d.Members, func(x MixnetMember) bool { return x.Name == m.Provider && x.Role == MixnetProvider }) {
			return nil, nil, bad("client %s: provider %q is not a provider member", m.Name, m.Provider)
		}
		book = append(book, MixnetContact{Name: m.Name, Addr: m.Addr, Provider: pp.String()})
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	authHex := hex.EncodeToString(auth.Public().(ed25519.PublicKey))
	out := make([]MixnetConfig, len(d.Members))
	for i, m := range d.Members {
		out[i] = MixnetConfig{Role: m.Role, Directory: b64, Authority: authHex, KeySeed: seeds[i], Clients: book,
			Adaptive: d.Adaptive, ReplayExpected: d.ReplayExpected}
	}
	return out, raw, nil
}
