package loopix

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"
)

// directoryDomain prefixes the signed bytes (SPEC.md, "Wire format").
const directoryDomain = "strata-mixnet-directory-v1"

// Sizes of the encoded directory's parts.
const (
	dirHeaderLen = 4 + 1 + 8 + 8 + 4 + // magic, version, epoch, start, length
		1 + 4 + 4 + 1 + 1 + // format, packet, payload, max hops, layers
		4*4 + 4 + 4 + 4 + 1 + // four rates, max delay, slack, pull interval, pull size
		1 // number of delays
	dirNodeFixed = 32 + 1 + 1 + 32 + 4 + 1 // id, role, layer, key, rate, addr length
	dirTrailer   = ed25519.PublicKeySize + ed25519.SignatureSize
	// MaxDirectorySize bounds an encoded directory.
	MaxDirectorySize = dirHeaderLen + 4*MaxMuSet + 1 + 2 + MaxNodes*(dirNodeFixed+MaxAddr) + dirTrailer
)

func ms(d time.Duration) uint32 { return uint32(d / time.Millisecond) }

// signedBytes encodes everything the signature covers: the document up to
// and including the authority key.
func (d *Directory) signedBytes() ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if len(d.Authority) != ed25519.PublicKeySize {
		return nil, dirErr("authority key of %d bytes, want %d", len(d.Authority), ed25519.PublicKeySize)
	}
	p := &d.Params
	b := make([]byte, 0, dirHeaderLen+4*len(p.MuSet)+3+len(d.Nodes)*(dirNodeFixed+16)+dirTrailer)
	b = append(b, directoryMagic[:]...)
	b = append(b, DirectoryVersion)
	b = binary.BigEndian.AppendUint64(b, d.Epoch)
	b = binary.BigEndian.AppendUint64(b, uint64(d.EpochStart.UnixMilli()))
	b = binary.BigEndian.AppendUint32(b, ms(d.EpochLength))
	g := d.Geometry
	b = append(b, byte(g.Format))
	b = binary.BigEndian.AppendUint32(b, uint32(g.PacketSize))
	b = binary.BigEndian.AppendUint32(b, uint32(g.PayloadSize))
	b = append(b, byte(g.MaxHops), byte(d.Layers))
	for _, r := range []Rate{p.LambdaP, p.LambdaL, p.LambdaD, p.LambdaM} {
		b = binary.BigEndian.AppendUint32(b, uint32(r))
	}
	b = binary.BigEndian.AppendUint32(b, ms(p.MaxDelay))
	b = binary.BigEndian.AppendUint32(b, ms(p.Slack))
	b = binary.BigEndian.AppendUint32(b, ms(p.PullInterval))
	b = append(b, byte(p.PullSize), byte(len(p.MuSet)))
	for _, m := range p.MuSet {
		b = binary.BigEndian.AppendUint32(b, ms(m))
	}
	b = append(b, byte(p.DefaultMu))
	b = binary.BigEndian.AppendUint16(b, uint16(len(d.Nodes)))
	for _, n := range d.Nodes {
		b = append(b, n.ID[:]...)
		b = append(b, byte(n.Role), byte(n.Layer))
		b = append(b, n.Key[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(n.Rate))
		b = append(b, byte(len(n.Addr)))
		b = append(b, n.Addr...)
	}
	b = append(b, d.Authority...)
	return b, nil
}

func signingInput(signed []byte) []byte {
	return append([]byte(directoryDomain), signed...)
}

// Sign sets the authority key and the signature of d with key. Ed25519
// signing is deterministic, so a document signs to the same bytes every
// time.
func (d *Directory) Sign(key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("%w: Ed25519 private key of %d bytes", ErrConfig, len(key))
	}
	d.Authority = key.Public().(ed25519.PublicKey)
	body, err := d.signedBytes()
	if err != nil {
		return err
	}
	d.Signature = ed25519.Sign(key, signingInput(body))
	return nil
}

// Encode returns the canonical encoding of a signed directory.
func (d *Directory) Encode() ([]byte, error) {
	if len(d.Signature) != ed25519.SignatureSize {
		return nil, dirErr("unsigned directory (signature of %d bytes)", len(d.Signature))
	}
	body, err := d.signedBytes()
	if err != nil {
		return nil, err
	}
	return append(body, d.Signature...), nil
}

// Verify checks that d is signed by authority.
func (d *Directory) Verify(authority ed25519.PublicKey) error {
	if len(authority) != ed25519.PublicKeySize || !bytes.Equal(authority, d.Authority) {
		return fmt.Errorf("%w: signed by an unexpected authority key", ErrBadSignature)
	}
	body, err := d.signedBytes()
	if err != nil {
		return err
	}
	if len(d.Signature) != ed25519.SignatureSize || !ed25519.Verify(authority, signingInput(body), d.Signature) {
		return fmt.Errorf("%w: Ed25519 signature does not verify", ErrBadSignature)
	}
	return nil
}

// OpenDirectory decodes b and verifies that authority signed it.
func OpenDirectory(b []byte, authority ed25519.PublicKey) (*Directory, error) {
	d, err := DecodeDirectory(b)
	if err != nil {
		return nil, err
	}
	if err := d.Verify(authority); err != nil {
		return nil, err
	}
	return d, nil
}

// reader reads big-endian fields and remembers the first short read.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated (need %d more bytes, have %d)", ErrMalformed, n, len(r.b))
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if v := r.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func msDur(v uint32) time.Duration { return time.Duration(v) * time.Millisecond }

// DecodeDirectory parses an encoded directory and validates it; it does
// not check the signature (see OpenDirectory). Errors wrap ErrMalformed,
// ErrVersion or ErrDirectory. A directory that decodes encodes back to the
// same bytes.
func DecodeDirectory(b []byte) (*Directory, error) {
	if len(b) > MaxDirectorySize {
		return nil, fmt.Errorf("%w: directory of %d bytes, at most %d", ErrMalformed, len(b), MaxDirectorySize)
	}
	if len(b) < 5 || !bytes.Equal(b[:4], directoryMagic[:]) {
		return nil, fmt.Errorf("%w: not a directory (bad magic)", ErrMalformed)
	}
	if b[4] != DirectoryVersion {
		return nil, fmt.Errorf("%w: directory version %d (this implementation reads %d)", ErrVersion, b[4], DirectoryVersion)
	}
	r := &reader{b: b[5:]}
	d := &Directory{}
	d.Epoch = r.u64()
	start := r.u64()
	if start > 1<<62 {
		return nil, fmt.Errorf("%w: epoch start %d ms out of range", ErrMalformed, start)
	}
	d.EpochStart = time.UnixMilli(int64(start)).UTC()
	d.EpochLength = msDur(r.u32())
	d.Geometry.Format = FormatID(r.u8())
	d.Geometry.PacketSize = int(r.u32())
	d.Geometry.PayloadSize = int(r.u32())
	d.Geometry.MaxHops = int(r.u8())
	d.Layers = int(r.u8())
	p := &d.Params
	p.LambdaP, p.LambdaL, p.LambdaD, p.LambdaM = Rate(r.u32()), Rate(r.u32()), Rate(r.u32()), Rate(r.u32())
	p.MaxDelay = msDur(r.u32())
	p.Slack = msDur(r.u32())
	p.PullInterval = msDur(r.u32())
	p.PullSize = int(r.u8())
	nMu := int(r.u8())
	if nMu < 1 || nMu > MaxMuSet {
		return nil, fmt.Errorf("%w: %d delays offered, must be in [1,%d]", ErrMalformed, nMu, MaxMuSet)
	}
	for range nMu {
		p.MuSet = append(p.MuSet, msDur(r.u32()))
	}
	p.DefaultMu = int(r.u8())
	nNodes := int(r.u16())
	if nNodes > MaxNodes {
		return nil, fmt.Errorf("%w: %d nodes, at most %d", ErrMalformed, nNodes, MaxNodes)
	}
	if r.err == nil && len(r.b) < nNodes*dirNodeFixed+dirTrailer {
		return nil, fmt.Errorf("%w: %d nodes announced in %d bytes", ErrMalformed, nNodes, len(r.b))
	}
	d.Nodes = make([]Node, 0, nNodes)
	for range nNodes {
		var n Node
		copy(n.ID[:], r.take(32))
		n.Role = Role(r.u8())
		n.Layer = int(r.u8())
		copy(n.Key[:], r.take(32))
		n.Rate = Rate(r.u32())
		n.Addr = string(r.take(int(r.u8())))
		d.Nodes = append(d.Nodes, n)
	}
	d.Authority = append(ed25519.PublicKey(nil), r.take(ed25519.PublicKeySize)...)
	d.Signature = append([]byte(nil), r.take(ed25519.SignatureSize)...)
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return d, nil
}
