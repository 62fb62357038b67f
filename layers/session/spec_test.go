package session

import (
	"bytes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/strata-lab/strata/layers/vectorstest"
	"golang.org/x/crypto/chacha20poly1305"
)

// These tests recompute vector outputs from SPEC.md's text with standard
// library primitives only, so that the spec, not just the code, is what
// the vectors pin down.

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpecHandshakeKDF(t *testing.T) {
	var cases []handshakeCase
	vectorstest.Cases(t, Descriptor, "handshake.json", &cases)
	n := 0
	for _, c := range cases {
		if c.Expect != expectValid {
			continue
		}
		n++
		b, err := ParseBundle(unhex(t, c.Bundle))
		if err != nil {
			t.Fatal(err)
		}
		x := func(privHex string, pub []byte) []byte {
			k, _ := ecdh.X25519().NewPrivateKey(unhex(t, privHex))
			p, _ := ecdh.X25519().NewPublicKey(pub)
			out, err := k.ECDH(p)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		ikm := bytes.Repeat([]byte{0xff}, 32)
		ikm = append(ikm, x(c.Keys["alice_identity_x25519_private"], b.SignedPrekey[:])...)
		ikm = append(ikm, x(c.Keys["alice_ephemeral_private"], b.Identity.DH[:])...)
		ikm = append(ikm, x(c.Keys["alice_ephemeral_private"], b.SignedPrekey[:])...)
		if b.OneTimePrekeyID != 0 {
			ikm = append(ikm, x(c.Keys["alice_ephemeral_private"], b.OneTimePrekey[:])...)
		}
		ek, err := mlkem.NewEncapsulationKey768(b.KEMPrekey)
		if err != nil {
			t.Fatal(err)
		}
		ss, _, err := mlkemtest.Encapsulate768(ek, unhex(t, c.Keys["alice_encapsulation_m"]))
		if err != nil {
			t.Fatal(err)
		}
		ikm = append(ikm, ss...)
		okm, _ := hkdf.Key(sha256.New, ikm, make([]byte, 32), "Strata_PQXDH_X25519_SHA-256_ML-KEM-768_v1", 96)
		if hex.EncodeToString(okm) != c.SK+c.HKa+c.NHKb {
			t.Errorf("%s: SK ‖ HKa ‖ NHKb from the spec's formula differ from the vector", c.Name)
		}
		ad := unhex(t, c.AliceID+c.BobID)
		if hex.EncodeToString(ad) != c.AD {
			t.Errorf("%s: AD is not IK_A ‖ IK_B", c.Name)
		}
	}
	if n == 0 {
		t.Fatal("no valid handshake cases")
	}
}

func TestSpecMessageLayout(t *testing.T) {
	var cases []ratchetCase
	vectorstest.Cases(t, Descriptor, "ratchet.json", &cases)
	n := 0
	for _, c := range cases {
		ad := unhex(t, c.AD)
		for _, st := range c.Steps {
			if st.Op != "send" || st.Expect != expectValid {
				continue
			}
			n++
			msg := unhex(t, st.Message)
			if msg[0] == TypeInitial {
				im, err := parseInitial(msg)
				if err != nil {
					t.Fatal(err)
				}
				msg = im.message
			}
			hdr, pt := unhex(t, st.Header), unhex(t, st.Plaintext)
			typ := byte(TypeClassic)
			if len(hdr) == PQHeaderSize {
				typ = TypePQ
			}
			aead := func(key []byte) cipher.AEAD {
				g, _ := chacha20poly1305.New(key)
				return g
			}
			nonce := msg[1:13]
			want := append([]byte{typ}, nonce...)
			want = aead(unhex(t, st.HK)).Seal(want, nonce, hdr, append(bytes.Clone(ad), typ))
			size := 64
			for size < len(pt)+1 {
				size *= 2
			}
			padded := make([]byte, size)
			copy(padded, pt)
			padded[len(pt)] = 0x80
			want = aead(unhex(t, st.MK)).Seal(want, make([]byte, 12), padded, append(bytes.Clone(ad), want...))
			if !bytes.Equal(want, msg) {
				t.Fatalf("%s: message rebuilt from the spec's layout differs", c.Name)
			}
		}
	}
	if n == 0 {
		t.Fatal("no send steps")
	}
}
