package sphinx

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
)

// NodeID identifies a mix node (for example a hash of its long-term
// identity key). The packet carries it as the next-hop address.
type NodeID [NodeIDSize]byte

// Recipient identifies the final destination at the last hop (a mailbox
// or a service at the provider; loop and drop markers are chosen by the
// layer above).
type Recipient [RecipientSize]byte

// SURBID identifies a SURB to its creator, who keeps the reply keys under
// it.
type SURBID [SURBIDSize]byte

// NodeKey is a mix node's packet key for one epoch. Keys rotate every
// epoch; the node keeps a ReplayFilter per key and discards both together
// (SPEC.md, "Epochs and key rotation").
type NodeKey struct {
	epoch uint64
	mode  Mode
	seed  []byte // X25519: the private scalar; ML-KEM-768: d ‖ z
	xpriv [32]byte
	xpub  [32]byte
	kem   *mlkem768.PrivateKey
	pub   []byte
}

// GenerateNodeKey draws an X25519 node key for epoch from rand.
func GenerateNodeKey(rand io.Reader, epoch uint64) (*NodeKey, error) {
	return generateNodeKey(rand, ModeX25519, epoch)
}

// GenerateKEMNodeKey draws an ML-KEM-768 node key for epoch from rand.
func GenerateKEMNodeKey(rand io.Reader, epoch uint64) (*NodeKey, error) {
	return generateNodeKey(rand, ModeMLKEM768, epoch)
}

// GenerateNodeKeyFor draws a node key of mode for epoch from rand.
func GenerateNodeKeyFor(rand io.Reader, mode Mode, epoch uint64) (*NodeKey, error) {
	return generateNodeKey(rand, mode, epoch)
}

func generateNodeKey(rand io.Reader, mode Mode, epoch uint64) (*NodeKey, error) {
	n, err := seedSize(mode)
	if err != nil {
		return nil, err
	}
	seed := make([]byte, n)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	return NodeKeyFromSeed(mode, seed, epoch)
}

func seedSize(mode Mode) (int, error) {
	switch mode {
	case ModeX25519:
		return X25519Size, nil
	case ModeMLKEM768:
		return KEMSeedSize, nil
	}
	return 0, fmt.Errorf("%w: unknown mode %d", ErrBadGeometry, mode)
}

// NodeKeyFromSeed builds a node key from its seed: the 32-byte X25519
// private scalar (clamped when used), or the 64-byte ML-KEM-768 seed d ‖ z
// (FIPS 203 ML-KEM.KeyGen_internal).
func NodeKeyFromSeed(mode Mode, seed []byte, epoch uint64) (*NodeKey, error) {
	n, err := seedSize(mode)
	if err != nil {
		return nil, err
	}
	if len(seed) != n {
		return nil, fmt.Errorf("%w: %s seed is %d bytes, want %d", ErrBadKey, mode, len(seed), n)
	}
	k := &NodeKey{epoch: epoch, mode: mode, seed: append([]byte(nil), seed...)}
	switch mode {
	case ModeX25519:
		copy(k.xpriv[:], seed)
		k.xpub = x25519Base(&k.xpriv)
		k.pub = k.xpub[:]
	case ModeMLKEM768:
		pk, sk := mlkem768.NewKeyFromSeed(seed)
		k.kem = sk
		k.pub = make([]byte, KEMPublicKeySize)
		pk.Pack(k.pub)
	}
	return k, nil
}

// Epoch is the epoch the key belongs to.
func (k *NodeKey) Epoch() uint64 { return k.epoch }

// Mode is the key's mode.
func (k *NodeKey) Mode() Mode { return k.mode }

// PublicKey returns the key senders put in Hop.PublicKey: 32 bytes
// (X25519) or KEMPublicKeySize bytes (ML-KEM-768).
func (k *NodeKey) PublicKey() []byte { return append([]byte(nil), k.pub...) }

// MarshalBinary encodes the key: mode (1) ‖ epoch (uint64, big endian) ‖
// seed. It holds the private key: store it as a secret.
func (k *NodeKey) MarshalBinary() ([]byte, error) {
	b := make([]byte, 9, 9+len(k.seed))
	b[0] = byte(k.mode)
	binary.BigEndian.PutUint64(b[1:], k.epoch)
	return append(b, k.seed...), nil
}

// ParseNodeKey decodes a key encoded by MarshalBinary.
func ParseNodeKey(b []byte) (*NodeKey, error) {
	if len(b) < 9 {
		return nil, fmt.Errorf("%w: %d bytes, want at least 9", ErrBadKey, len(b))
	}
	mode := Mode(b[0])
	if mode != ModeX25519 && mode != ModeMLKEM768 {
		return nil, fmt.Errorf("%w: unknown mode %d", ErrBadKey, b[0])
	}
	return NodeKeyFromSeed(mode, b[9:], binary.BigEndian.Uint64(b[1:9]))
}

// parsePublicKey checks a hop's public key for mode.
func parseKEMPublicKey(pub []byte) (*mlkem768.PublicKey, error) {
	if len(pub) != KEMPublicKeySize {
		return nil, fmt.Errorf("%w: ML-KEM-768 public key is %d bytes, want %d", ErrBadPath, len(pub), KEMPublicKeySize)
	}
	var pk mlkem768.PublicKey
	if err := pk.Unpack(pub); err != nil {
		return nil, fmt.Errorf("%w: ML-KEM-768 public key: %v", ErrBadPath, err)
	}
	return &pk, nil
}
