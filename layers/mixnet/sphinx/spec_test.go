package sphinx

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/mlkem"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/strata-lab/strata/layers/vectorstest"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// These tests recompute vector outputs from SPEC.md's text with code
// independent of the implementation (the standard library's X25519 and
// ML-KEM, the plain ChaCha20 of x/crypto/chacha20), so that the spec, not
// just the code, is what the vectors pin down.

func specS(k []byte, n int) []byte {
	c, err := chacha20.NewUnauthenticatedCipher(k, make([]byte, 12))
	if err != nil {
		panic(err)
	}
	c.SetCounter(1)
	out := make([]byte, n)
	c.XORKeyStream(out, out)
	return out
}

func specXOR(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}

func specLioness(key, block []byte, enc bool) []byte {
	b := bytes.Clone(block)
	l, r := b[:32], b[32:]
	stream := func(sub []byte) { copy(r, specXOR(r, specS(specXOR(l, sub), len(r)))) }
	hash := func(sub []byte) {
		h := hmac.New(sha256.New, sub)
		h.Write(r)
		copy(l, specXOR(l, h.Sum(nil)))
	}
	if enc {
		stream(key[0:32])
		hash(key[32:64])
		stream(key[64:96])
		hash(key[96:128])
	} else {
		hash(key[96:128])
		stream(key[64:96])
		hash(key[32:64])
		stream(key[0:32])
	}
	return b
}

func TestSpecLioness(t *testing.T) {
	var cases []lionessCase
	vectorstest.Cases(t, Descriptor, "lioness.json", &cases)
	n := 0
	for _, c := range cases {
		if c.Expect != "valid" {
			continue
		}
		n++
		key, pt := mustHex(t, c.Key), mustHex(t, c.Plaintext)
		if got := specLioness(key, pt, true); !bytes.Equal(got, mustHex(t, c.Ciphertext)) {
			t.Errorf("%s: ciphertext differs from SPEC.md's LIONESS", c.Name)
		}
		if got := specLioness(key, mustHex(t, c.Ciphertext), false); !bytes.Equal(got, pt) {
			t.Errorf("%s: decryption differs", c.Name)
		}
	}
	if n == 0 {
		t.Fatal("no valid cases")
	}
}

// specHop processes one packet at one hop as "Processing a packet" says,
// for a valid packet, and returns the shared secret, the replay tag and
// the next packet (forward) or the body plaintext (final).
func specHop(t *testing.T, g Geometry, seed, pkt []byte) (s, tag, out []byte, cmd []byte) {
	t.Helper()
	sz := g.Sizes()
	H, R, E := g.Hops, sz.Slot, g.Mode.elementSize()
	ad, elem := pkt[:2], pkt[2:2+E]
	beta := pkt[2+E : 2+E+H*R]
	gamma := pkt[sz.Header-16 : sz.Header]
	body := pkt[sz.Header:]
	switch g.Mode {
	case ModeX25519:
		priv, err := ecdh.X25519().NewPrivateKey(seed)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ecdh.X25519().NewPublicKey(elem)
		if err != nil {
			t.Fatal(err)
		}
		if s, err = priv.ECDH(pub); err != nil {
			t.Fatal(err)
		}
	case ModeMLKEM768:
		dk, err := mlkem.NewDecapsulationKey768(seed)
		if err != nil {
			t.Fatal(err)
		}
		if s, err = dk.Decapsulate(elem); err != nil {
			t.Fatal(err)
		}
	}
	in := append(append([]byte("strata-sphinx-v1"), byte(g.Mode), 0), s...)
	t0 := sha256.Sum256(in)
	in[17] = 1
	k1 := sha256.Sum256(in)
	tag, k := t0[:], k1[:]
	z := specS(k, 192+(H+1)*R)
	kmac, blind, ksprp, rho := z[0:32], z[32:64], z[64:192], z[192:]
	a, _ := chacha20poly1305.New(kmac)
	if want := a.Seal(nil, make([]byte, 12), nil, pkt[:sz.Header-16]); !bytes.Equal(want, gamma) {
		t.Fatal("MAC differs from SPEC.md's")
	}
	T := specXOR(append(bytes.Clone(beta), make([]byte, R)...), rho)
	cmd = T[:CommandSize]
	b := specLioness(ksprp, body, false)
	if cmd[0] != cmdForward {
		return s, tag, b, cmd
	}
	var next []byte
	switch g.Mode {
	case ModeX25519:
		bk, _ := ecdh.X25519().NewPrivateKey(blind)
		ap, _ := ecdh.X25519().NewPublicKey(elem)
		alpha, err := bk.ECDH(ap)
		if err != nil {
			t.Fatal(err)
		}
		next = alpha
	case ModeMLKEM768:
		next = T[CommandSize:R]
	}
	out = append(append(append(append(bytes.Clone(ad), next...), T[R:(H+1)*R]...), cmd[37:53]...), b...)
	return s, tag, out, cmd
}

func TestSpecPackets(t *testing.T) {
	var cases []packetCase
	vectorstest.Cases(t, Descriptor, "packets.json", &cases)
	for _, c := range cases {
		g, err := parseGeometryHex(c.Geometry)
		if err != nil {
			t.Fatal(err)
		}
		pkt := mustHex(t, c.Packet)
		for i, h := range c.Hops {
			s, tag, out, cmd := specHop(t, g, mustHex(t, c.Path[i].NodeSeed), pkt)
			if hx(s) != h.SharedSecret || hx(tag) != h.ReplayTag {
				t.Fatalf("%s hop %d: secret or replay tag differs", c.Name, i)
			}
			if d := binary.BigEndian.Uint32(cmd[1:5]); d != h.DelayMs {
				t.Fatalf("%s hop %d: delay %d", c.Name, i, d)
			}
			if h.Action == "forward" {
				if hx(out) != h.Packet || hx(cmd[5:37]) != h.NextHop {
					t.Fatalf("%s hop %d: next packet differs from SPEC.md's", c.Name, i)
				}
				pkt = out
				continue
			}
			if cmd[0] != cmdDeliver || hx(cmd[5:37]) != h.Recipient || !bytes.Equal(out[:16], make([]byte, 16)) {
				t.Fatalf("%s: final hop differs", c.Name)
			}
			if !strings.HasSuffix(hx(out), h.Payload) {
				t.Fatalf("%s: payload differs", c.Name)
			}
		}
	}
}

// TestSpecMLKEMKeys checks that node keys follow FIPS 203 KeyGen_internal
// from d ‖ z (the standard library's NewDecapsulationKey768).
func TestSpecMLKEMKeys(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, KEMSeedSize)
	k, err := NodeKeyFromSeed(ModeMLKEM768, seed, 0)
	if err != nil {
		t.Fatal(err)
	}
	dk, _ := mlkem.NewDecapsulationKey768(seed)
	if !bytes.Equal(k.PublicKey(), dk.EncapsulationKey().Bytes()) {
		t.Fatal("ML-KEM-768 public key differs from crypto/mlkem's")
	}
}

// TestSpecNumbers pins the sizes and the replay-filter example SPEC.md
// states to what the code computes.
func TestSpecNumbers(t *testing.T) {
	m, k, p, err := ReplayFilterSize(1000000, 1e-6)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("m = %d bits (%.2f MiB), k = %d, and an\nachieved rate of %.1e.", m, float64(m)/8/(1<<20), k, p)
	if !strings.Contains(string(spec), want) {
		t.Errorf("SPEC.md's replay example should read %q", want)
	}
	x := DefaultGeometry()
	xs := Geometry{5, 2048, ModeX25519, true}
	k5 := Geometry{5, 2048, ModeMLKEM768, false}
	k5s := Geometry{5, 2048, ModeMLKEM768, true}
	x3 := Geometry{3, 2048, ModeX25519, false}
	flat := strings.Join(strings.Fields(string(spec)), " ")
	for _, text := range []string{
		fmt.Sprintf("X25519 header %d, packet %d (%d with a SURB slot); ML-KEM-768 header %d, packet %d (%d with a SURB slot)",
			x.HeaderSize(), x.PacketSize(), xs.PacketSize(), k5.HeaderSize(), k5.PacketSize(), k5s.PacketSize()),
		fmt.Sprintf("At H = 3 an X25519 header is %d", x3.HeaderSize()),
		fmt.Sprintf("`1106 + 1141·5 = %d`", k5.HeaderSize()),
		fmt.Sprintf("a %d-byte header at 5 hops instead of %d", k5.HeaderSize(), x.HeaderSize()),
		fmt.Sprintf("%d bytes at 5 hops in X25519 mode, %d in ML-KEM-768 mode", 1+x.SURBSize(), 1+k5.SURBSize()),
	} {
		if !strings.Contains(flat, text) {
			t.Errorf("SPEC.md should contain %q", text)
		}
	}
}
