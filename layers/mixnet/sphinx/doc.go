// Package sphinx implements Strata's mix-network packet format: Sphinx
// headers (X25519 with per-hop blinding, or one ML-KEM-768 ciphertext per
// hop), a LIONESS body (ChaCha20, HMAC-SHA-256) with a zero tag checked at the
// last hop, single-use reply blocks (SURBs), and per-epoch Bloom-filter
// replay protection. SPEC.md is the normative description;
// testdata/vectors holds its test vectors.
//
// The package is sans-I/O: packet and SURB creation read every random byte
// from an injected io.Reader, and nothing reads a clock (the host decides
// when epochs change and when a hop's delay has passed). Every error wraps
// one exported sentinel (ErrBadMAC, ErrReplay, ...); ErrorName names it for
// traces.
//
// The API the mixing layer uses:
//
//	// Geometry: the fixed sizes of every packet of a network.
//	func NewGeometry(hops, payloadSize int, mode Mode, withSURB bool) (Geometry, error)
//	func DefaultGeometry() Geometry // 5 hops, 2048-byte payload, X25519, no SURB slot
//	func (g Geometry) Sizes() Sizes // Header, Body, Packet, SURB, Slot, ...
//	func (g Geometry) MarshalBinary() ([]byte, error); func ParseGeometry([]byte) (Geometry, error)
//
//	// Node keys, one per epoch, and their replay filters.
//	func GenerateNodeKey(rand io.Reader, epoch uint64) (*NodeKey, error)    // X25519
//	func GenerateKEMNodeKey(rand io.Reader, epoch uint64) (*NodeKey, error) // ML-KEM-768
//	func (k *NodeKey) PublicKey() []byte; func (k *NodeKey) Epoch() uint64
//	func NewReplayFilter(epoch, expectedPackets uint64, fpRate float64) (*ReplayFilter, error)
//	func (f *ReplayFilter) Rotate(epoch uint64)
//
//	// Sending: a path of Hop{ID, PublicKey, Epoch, Delay}.
//	func NewPacket(rand io.Reader, g Geometry, path []Hop, recipient Recipient, payload []byte) ([]byte, error)
//	func NewPacketWithSURB(rand io.Reader, g Geometry, path []Hop, recipient Recipient, surb *SURB, payload []byte) ([]byte, error)
//
//	// Mixing: forward Packet to NextHop after Delay, or deliver Payload
//	// (ActionDeliver) or the reply body with its SURBID (ActionReply) to
//	// Recipient after Delay.
//	func (k *NodeKey) Unwrap(g Geometry, pkt []byte, replay *ReplayFilter) (Unwrapped, error)
//	func (k *NodeKey) UnwrapTo(dst []byte, g Geometry, pkt []byte, replay *ReplayFilter) (Unwrapped, error)
//
//	// Replies.
//	func NewSURB(rand io.Reader, g Geometry, path []Hop, recipient Recipient) (*SURB, *SURBKeys, error)
//	func NewPacketFromSURB(g Geometry, surb *SURB, payload []byte) (pkt []byte, firstHop NodeID, err error)
//	func (k *SURBKeys) DecryptReply(body []byte) ([]byte, error)
//
// Unwrap is safe for concurrent use by many goroutines sharing one key
// and one replay filter.
package sphinx
