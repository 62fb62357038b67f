package sphinx

import (
	"fmt"
	"io"
	"sync"
)

// builtHeader is a header and the per-hop keys its creator derived.
type builtHeader struct {
	header []byte
	keys   []hopKeys
}

// buildHeader builds a header for path whose last hop executes final
// (SPEC.md, "Creating a header"). It draws from rand, in order: the
// ephemeral scalar x (ModeX25519) or one encapsulation seed per hop
// (ModeMLKEM768), then the (Hops − len(path)) · Slot padding bytes.
func buildHeader(rand io.Reader, g Geometry, path []Hop, final command) (*builtHeader, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	sz := g.Sizes()
	n := len(path)
	if n < 1 || n > g.Hops {
		return nil, fmt.Errorf("%w: path has %d hops, the geometry allows 1..%d", ErrBadPath, n, g.Hops)
	}
	epoch := path[0].Epoch
	delays := make([]uint32, n)
	for i, h := range path {
		if h.Epoch != epoch {
			return nil, fmt.Errorf("%w: hop %d has key epoch %d, hop 0 has %d (all hops must use keys of one epoch)", ErrBadPath, i, h.Epoch, epoch)
		}
		d, err := delayMs(h.Delay)
		if err != nil {
			return nil, fmt.Errorf("hop %d: %w", i, err)
		}
		delays[i] = d
	}
	H, R, E := g.Hops, sz.Slot, g.Mode.elementSize()
	zlen := keysBytes + (H+1)*R
	streams := make([]byte, n*zlen+streamSlack)
	stream := func(i int) []byte { return streams[i*zlen : (i+1)*zlen] }
	elems := make([]byte, n*E)
	elem := func(i int) []byte { return elems[i*E : (i+1)*E] }
	keys := make([]hopKeys, n)
	derive := func(i int, s *[32]byte) {
		_, k := kdf(g.Mode, s)
		keyStream(&k, stream(i))
		keys[i] = splitKeys(stream(i))
		clear(s[:])
	}

	switch g.Mode {
	case ModeX25519:
		var x [32]byte
		if _, err := io.ReadFull(rand, x[:]); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRandom, err)
		}
		alpha := x25519Base(&x)
		for i, h := range path {
			if len(h.PublicKey) != X25519Size {
				return nil, fmt.Errorf("%w: hop %d: X25519 public key is %d bytes, want %d", ErrBadPath, i, len(h.PublicKey), X25519Size)
			}
			s, ok := x25519Mul(&x, (*[32]byte)(h.PublicKey))
			for j := 0; j < i && ok; j++ {
				s, ok = x25519Mul(&keys[j].blind, &s)
			}
			if !ok {
				return nil, fmt.Errorf("%w: hop %d's public key", ErrLowOrderPoint, i)
			}
			copy(elem(i), alpha[:])
			derive(i, &s)
			if i < n-1 {
				alpha, _ = x25519Mul(&keys[i].blind, &alpha)
			}
		}
		clear(x[:])
	case ModeMLKEM768:
		seeds := make([]byte, n*KEMEncapsSeedSize)
		if _, err := io.ReadFull(rand, seeds); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRandom, err)
		}
		for i, h := range path {
			pk, err := parseKEMPublicKey(h.PublicKey)
			if err != nil {
				return nil, fmt.Errorf("hop %d: %w", i, err)
			}
			var s [32]byte
			pk.EncapsulateTo(elem(i), s[:], seeds[i*KEMEncapsSeedSize:(i+1)*KEMEncapsSeedSize])
			derive(i, &s)
		}
		clear(seeds)
	}

	// Filler: φ_{i+1} = (φ_i ‖ 0^R) ⊕ ρ_i[(H−i)R : (H+1)R].
	phi := make([]byte, 0, (n-1)*R)
	for i := 0; i < n-1; i++ {
		phi = append(phi, make([]byte, R)...)
		rho := stream(i)[offRho:]
		xorInto(phi, phi, rho[(H-i)*R:(H+1)*R])
	}

	hdr := make([]byte, sz.Header)
	hdr[0] = g.Mode.format()
	hdr[1] = byte(epoch)
	beta := hdr[ADSize+E : ADSize+E+H*R]
	macEnd := sz.Header - MACSize

	// The last hop's slot, the padding, then the filler.
	last := n - 1
	final.delayMs = delays[last]
	final.encode(beta[:CommandSize])
	if _, err := io.ReadFull(rand, beta[R:(H-n+1)*R]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	xorInto(beta[:(H-n+1)*R], beta[:(H-n+1)*R], stream(last)[offRho:])
	copy(beta[(H-n+1)*R:], phi)
	copy(hdr[ADSize:], elem(last))
	gamma := mac(keys[last].mac[:], hdr[:macEnd])

	for i := n - 2; i >= 0; i-- {
		copy(beta[R:], beta[:(H-1)*R])
		c := command{typ: cmdForward, delayMs: delays[i], addr: path[i+1].ID, tail: gamma}
		c.encode(beta[:CommandSize])
		if g.Mode == ModeMLKEM768 {
			copy(beta[CommandSize:R], elem(i+1))
		}
		xorInto(beta, beta, stream(i)[offRho:offRho+H*R])
		copy(hdr[ADSize:], elem(i))
		gamma = mac(keys[i].mac[:], hdr[:macEnd])
	}
	copy(hdr[macEnd:], gamma[:])
	clear(streams)
	return &builtHeader{header: hdr, keys: keys}, nil
}

// scratch holds per-unwrap key streams; they are cleared before they go
// back to the pool.
var scratch sync.Pool

func getScratch(n int) *[]byte {
	if p, ok := scratch.Get().(*[]byte); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n)
	return &b
}

func putScratch(p *[]byte) {
	clear((*p)[:cap(*p)])
	scratch.Put(p)
}
