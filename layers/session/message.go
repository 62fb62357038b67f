package session

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// TypeInitial marks an initial message: the byte is followed by a
// strata.session.v1.InitialMessage.
const TypeInitial = 0x03

// pqFlagCT: the PQ header carries a ciphertext.
const pqFlagCT = 0x01

// header is a ratchet message header (SPEC.md, "Ratchet message").
type header struct {
	dh    [KeySize]byte
	pn, n uint32
	pq    bool
	hasCT bool
	ek    []byte // PQ only: the sender's current ML-KEM-768 key
	ct    []byte // PQ only: a ciphertext to the receiver's key, or nil
}

func headerSize(typ byte) int {
	if typ == TypePQ {
		return PQHeaderSize
	}
	return ClassicHeaderSize
}

func (h *header) typ() byte {
	if h.pq {
		return TypePQ
	}
	return TypeClassic
}

func (h *header) marshal() []byte {
	b := make([]byte, 0, headerSize(h.typ()))
	b = append(b, h.dh[:]...)
	b = binary.BigEndian.AppendUint32(b, h.pn)
	b = binary.BigEndian.AppendUint32(b, h.n)
	if h.pq {
		var flags byte
		if h.hasCT {
			flags |= pqFlagCT
		}
		b = append(b, flags)
		b = append(b, h.ek...)
		if h.hasCT {
			b = append(b, h.ct...)
		} else {
			b = append(b, make([]byte, KEMCiphertextSize)...)
		}
	}
	return b
}

var zeroCT [KEMCiphertextSize]byte

func parseHeader(typ byte, b []byte) (*header, error) {
	if len(b) != headerSize(typ) {
		return nil, fmt.Errorf("%w: header of %d bytes", ErrMalformed, len(b))
	}
	h := &header{pq: typ == TypePQ}
	copy(h.dh[:], b[:KeySize])
	h.pn = binary.BigEndian.Uint32(b[KeySize:])
	h.n = binary.BigEndian.Uint32(b[KeySize+4:])
	if h.pq {
		flags := b[ClassicHeaderSize]
		if flags&^pqFlagCT != 0 {
			return nil, fmt.Errorf("%w: unknown header flags %#x", ErrMalformed, flags)
		}
		h.hasCT = flags&pqFlagCT != 0
		rest := b[ClassicHeaderSize+1:]
		h.ek = rest[:KEMPublicKeySize:KEMPublicKeySize]
		ct := rest[KEMPublicKeySize:]
		if h.hasCT {
			h.ct = ct
		} else if !bytes.Equal(ct, zeroCT[:]) {
			return nil, fmt.Errorf("%w: ciphertext field not zero without flag", ErrMalformed)
		}
	}
	return h, nil
}

// wireMessage is a ratchet message split into its parts (no crypto).
type wireMessage struct {
	typ       byte
	prefix    []byte // type ‖ nonce ‖ encrypted header: the body's AD tail
	nonce     []byte
	encHeader []byte
	body      []byte
}

// parseMessage splits a ratchet message; it checks only sizes.
func parseMessage(b []byte) (wireMessage, error) {
	var m wireMessage
	if len(b) == 0 {
		return m, fmt.Errorf("%w: empty message", ErrMalformed)
	}
	m.typ = b[0]
	if m.typ != TypeClassic && m.typ != TypePQ {
		return m, fmt.Errorf("%w: message type %#x", ErrMalformed, m.typ)
	}
	hlen := headerSize(m.typ) + TagSize
	if len(b) < 1+NonceSize+hlen+MinBucket+TagSize {
		return m, fmt.Errorf("%w: message of %d bytes is too short", ErrMalformed, len(b))
	}
	m.prefix = b[:1+NonceSize+hlen]
	m.nonce = b[1 : 1+NonceSize]
	m.encHeader = b[1+NonceSize : 1+NonceSize+hlen]
	m.body = b[1+NonceSize+hlen:]
	if p := len(m.body) - TagSize; p > MaxBucket || p&(p-1) != 0 {
		return m, fmt.Errorf("%w: body of %d bytes is not a bucket", ErrMalformed, len(m.body))
	}
	return m, nil
}

// MessageSize returns the wire size of a ratchet message carrying a
// plaintext of n bytes, with a classic or a post-quantum header.
func MessageSize(n int, pq bool) int {
	typ := byte(TypeClassic)
	if pq {
		typ = TypePQ
	}
	return 1 + NonceSize + headerSize(typ) + TagSize + bucket(n) + TagSize
}
