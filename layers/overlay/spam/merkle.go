package spam

import (
	"crypto/sha256"
	"fmt"
	"sync"
)

// leafHash is a member's leaf: SHA-256(0x00 || A0). An empty leaf is the
// leaf of the all-zero encoding (the identity, which no member may use).
func leafHash(member [ElementSize]byte) [HashSize]byte {
	var b [1 + ElementSize]byte
	b[0] = prefixLeaf
	copy(b[1:], member[:])
	return sha256.Sum256(b[:])
}

// nodeHash is an inner node: SHA-256(0x01 || left || right).
func nodeHash(l, r [HashSize]byte) [HashSize]byte {
	var b [1 + 2*HashSize]byte
	b[0] = prefixNode
	copy(b[1:], l[:])
	copy(b[1+HashSize:], r[:])
	return sha256.Sum256(b[:])
}

// zeroNodes[k] is the root of an empty subtree of height k.
var zeroNodes = func() (z [MaxDepth + 1][HashSize]byte) {
	z[0] = leafHash([ElementSize]byte{})
	for k := 1; k <= MaxDepth; k++ {
		z[k] = nodeHash(z[k-1], z[k-1])
	}
	return z
}()

// EmptyRoot returns the root of a membership tree of the given depth with
// no member (depth 1 to MaxDepth).
func EmptyRoot(depth int) ([HashSize]byte, error) {
	if depth < 1 || depth > MaxDepth {
		return [HashSize]byte{}, fmt.Errorf("%w: depth %d, want 1 to %d", ErrConfig, depth, MaxDepth)
	}
	return zeroNodes[depth], nil
}

// PathRoot returns the root a Merkle path leads to from a member's leaf
// at leafIndex: at level k the running node is the left child when bit k
// of leafIndex is 0.
func PathRoot(member [ElementSize]byte, leafIndex uint32, path [][HashSize]byte) [HashSize]byte {
	n := leafHash(member)
	for k, sib := range path {
		if (uint64(leafIndex)>>k)&1 == 0 {
			n = nodeHash(n, sib)
		} else {
			n = nodeHash(sib, n)
		}
	}
	return n
}

// Registration is a member's request to join: its public key and a
// Schnorr proof of possession of the secret key.
type Registration struct {
	// Member is the public key A0.
	Member [ElementSize]byte
	// SigR and SigS are the Schnorr signature (R, s) on the tag 0x02 and
	// an empty message.
	SigR [ElementSize]byte
	SigS [ScalarSize]byte
}

// Verify checks the registration: a canonical, non-identity key and a
// valid proof of possession. It returns nil, or an error wrapping
// ErrRegistration and the precise cause (ErrNonCanonical, ErrBadKey,
// ErrBadSignature).
func (r Registration) Verify() error {
	a0, err := parseMember(r.Member)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRegistration, err)
	}
	if err := schnorrVerify(a0, r.Member, tagRegistration, nil, r.SigR, r.SigS); err != nil {
		return fmt.Errorf("%w: proof of possession: %w", ErrRegistration, err)
	}
	return nil
}

// parseMember decodes a member key and refuses the identity.
func parseMember(b [ElementSize]byte) (groupElement, error) {
	a0, err := parseElement(b[:])
	if err != nil {
		return nil, err
	}
	if a0.IsIdentity() {
		return nil, fmt.Errorf("%w: the identity element", ErrBadKey)
	}
	return a0, nil
}

// Registry is the membership tree: an append-only SHA-256 Merkle tree of
// fixed depth whose leaves are registered member keys. Its root is what
// verifiers accept (Verifier.AcceptRoot). A removed member's leaf becomes
// empty and its key can never register again. Registry is safe for
// concurrent use.
type Registry struct {
	mu     sync.Mutex
	depth  int
	levels [][][HashSize]byte // levels[k][j]: node j at height k, for the filled prefix
	keys   map[[ElementSize]byte]uint32
	banned map[[ElementSize]byte]bool
	leaves [][ElementSize]byte // index → key; zero once removed
}

// NewRegistry returns an empty membership tree of the given depth (1 to
// MaxDepth): room for 2^depth members.
func NewRegistry(depth int) (*Registry, error) {
	if depth < 1 || depth > MaxDepth {
		return nil, fmt.Errorf("%w: depth %d, want 1 to %d", ErrConfig, depth, MaxDepth)
	}
	return &Registry{depth: depth, levels: make([][][HashSize]byte, depth+1),
		keys: map[[ElementSize]byte]uint32{}, banned: map[[ElementSize]byte]bool{}}, nil
}

// Depth returns the tree's depth, the length of every Merkle path.
func (r *Registry) Depth() int { return r.depth }

// Len returns how many leaves have been assigned (removed ones included).
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.leaves)
}

// Register verifies a registration and appends its key at the next free
// leaf, returning the leaf index. Errors: ErrRegistration (bad key or
// proof, key registered now or before), ErrRegistryFull.
func (r *Registry) Register(reg Registration) (uint32, error) {
	if err := reg.Verify(); err != nil {
		return 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[reg.Member]; ok {
		return 0, fmt.Errorf("%w: key already registered", ErrRegistration)
	}
	if r.banned[reg.Member] {
		return 0, fmt.Errorf("%w: key was removed for a double signal", ErrRegistration)
	}
	if uint64(len(r.leaves)) >= uint64(1)<<r.depth {
		return 0, fmt.Errorf("%w: %d members at depth %d", ErrRegistryFull, len(r.leaves), r.depth)
	}
	idx := uint32(len(r.leaves))
	r.leaves = append(r.leaves, reg.Member)
	r.keys[reg.Member] = idx
	r.set(idx, leafHash(reg.Member))
	return idx, nil
}

// Remove empties a member's leaf (after a double signal) and bars its key
// from registering again. Errors: ErrUnknownMember.
func (r *Registry) Remove(index uint32) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if uint64(index) >= uint64(len(r.leaves)) || r.leaves[index] == ([ElementSize]byte{}) {
		return fmt.Errorf("%w: no member at leaf %d", ErrUnknownMember, index)
	}
	key := r.leaves[index]
	delete(r.keys, key)
	r.banned[key] = true
	r.leaves[index] = [ElementSize]byte{}
	r.set(index, zeroNodes[0])
	return nil
}

// Lookup returns the leaf index of a registered key. Errors:
// ErrUnknownMember.
func (r *Registry) Lookup(member [ElementSize]byte) (uint32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	idx, ok := r.keys[member]
	if !ok {
		return 0, fmt.Errorf("%w: key not registered", ErrUnknownMember)
	}
	return idx, nil
}

// node returns node j at height k (an empty subtree's root beyond the
// filled prefix).
func (r *Registry) node(k int, j uint64) [HashSize]byte {
	if j < uint64(len(r.levels[k])) {
		return r.levels[k][j]
	}
	return zeroNodes[k]
}

// set writes leaf index and rehashes its path to the root.
func (r *Registry) set(index uint32, leaf [HashSize]byte) {
	j := uint64(index)
	for k := 0; k <= r.depth; k++ {
		for uint64(len(r.levels[k])) <= j {
			r.levels[k] = append(r.levels[k], zeroNodes[k])
		}
		if k == 0 {
			r.levels[0][j] = leaf
		} else {
			r.levels[k][j] = nodeHash(r.node(k-1, 2*j), r.node(k-1, 2*j+1))
		}
		j >>= 1
	}
}

// Root returns the current root.
func (r *Registry) Root() [HashSize]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.node(r.depth, 0)
}

// Path returns the Merkle path (siblings, leaf level first) of a current
// member's leaf. Errors: ErrUnknownMember.
func (r *Registry) Path(index uint32) ([][HashSize]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if uint64(index) >= uint64(len(r.leaves)) || r.leaves[index] == ([ElementSize]byte{}) {
		return nil, fmt.Errorf("%w: no member at leaf %d", ErrUnknownMember, index)
	}
	return r.pathAt(index), nil
}

// pathAt returns the Merkle path of any leaf, empty or not; r.mu is held.
func (r *Registry) pathAt(index uint32) [][HashSize]byte {
	path := make([][HashSize]byte, r.depth)
	j := uint64(index)
	for k := range path {
		path[k] = r.node(k, j^1)
		j >>= 1
	}
	return path
}
