package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/mlkem/mlkemtest"
	"testing"
	"time"

	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
)

// BenchmarkX25519 measures one X25519 scalar multiplication with the
// layer's dh (circl's dh/x25519, with the low-order checks) beside the
// standard library's crypto/ecdh, which the layer does not use because it
// measures slower here.
func BenchmarkX25519(b *testing.B) {
	b.Run("layer-circl", func(b *testing.B) {
		priv, _ := xkeyFrom([32]byte{1, 2, 3})
		pub, _ := x25519Public([32]byte{4, 5, 6})
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := dh(priv, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib-ecdh-reused-key", func(b *testing.B) {
		k, _ := ecdh.X25519().NewPrivateKey(make([]byte, 32))
		p, _ := ecdh.X25519().NewPrivateKey([]byte("0123456789abcdef0123456789abcdef"))
		pub := p.PublicKey()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := k.ECDH(pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMLKEM768 measures ML-KEM-768 key generation from a seed,
// derandomized encapsulation (to a decoded key, and decoding included) and
// decapsulation, with circl's kem/mlkem/mlkem768 (what the layer uses) and
// with the standard library's crypto/mlkem (derandomized encapsulation
// through crypto/mlkem/mlkemtest), so that the choice stays measured.
func BenchmarkMLKEM768(b *testing.B) {
	seed := make([]byte, KEMSeedSize)
	m := make([]byte, 32)
	b.Run("circl", func(b *testing.B) {
		k, _ := newKEMFromSeed(seed)
		ek := k.public()
		pk, _ := parseKEMPublic(ek)
		_, ct, _ := encapsulate(NewSeededReader("bench-kem"), pk)
		ss := make([]byte, 32)
		b.Run("keygen", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mlkem768.NewKeyFromSeed(seed)
			}
		})
		b.Run("encaps", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pk.EncapsulateTo(ct, ss, m)
			}
		})
		b.Run("decode+encaps", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := parseKEMPublic(ek)
				if err != nil {
					b.Fatal(err)
				}
				p.EncapsulateTo(ct, ss, m)
			}
		})
		b.Run("decaps", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				k.sk.DecapsulateTo(ss, ct)
			}
		})
	})
	b.Run("stdlib", func(b *testing.B) {
		dk, _ := mlkem.NewDecapsulationKey768(seed)
		ek := dk.EncapsulationKey()
		_, ct, _ := mlkemtest.Encapsulate768(ek, m)
		b.Run("keygen", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := mlkem.NewDecapsulationKey768(seed); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("encaps", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := mlkemtest.Encapsulate768(ek, m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decode+encaps", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				k, err := mlkem.NewEncapsulationKey768(ek.Bytes())
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := mlkemtest.Encapsulate768(k, m); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("decaps", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dk.Decapsulate(ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkAEADSetup measures what a fresh message key costs: setting up
// the AEAD and sealing 256 bytes, with ChaCha20-Poly1305 (the layer's) and
// AES-256-GCM (the standard library's, with AES instructions here).
func BenchmarkAEADSetup(b *testing.B) {
	var key [32]byte
	var nonce [NonceSize]byte
	msg := make([]byte, 256, 256+TagSize)
	for _, c := range []struct {
		name string
		aead func([32]byte) cipher.AEAD
	}{
		{"chacha20poly1305", newAEAD},
		{"aes256gcm", func(k [32]byte) cipher.AEAD {
			blk, _ := aes.NewCipher(k[:])
			g, _ := cipher.NewGCM(blk)
			return g
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				key[0]++
				c.aead(key).Seal(msg[:0], nonce[:], msg, nil)
			}
		})
	}
}

// BenchmarkSymmetricRatchet encrypts and decrypts one 256-byte message in
// an established chain (no DH step): the per-message cost.
func BenchmarkSymmetricRatchet(b *testing.B) {
	cfg := DefaultConfig()
	sa, sb := pair(b, "bench-sym", cfg)
	r := NewSeededReader("bench-sym-run")
	c, _ := sb.Encrypt([]byte("ack"))
	if _, err := sa.Decrypt(r, cfg, t0, c); err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 256)
	b.SetBytes(256)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		c, err := sa.Encrypt(msg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sb.Decrypt(r, cfg, t0, c); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}

// reportCPU reports process CPU time per operation (all threads,
// including the garbage collector), beside the wall time of ns/op.
func reportCPU(b *testing.B, cpu0 int64) {
	if c := cpuTime(); c > 0 && b.N > 0 {
		b.ReportMetric(float64(c-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkDHRatchetStep measures a classic DH ratchet step at the
// receiver (decrypting the first message of a new chain: two X25519
// multiplications, one key generation, two root KDFs) and, in the same
// function, one X25519 multiplication; it reports their ratio.
func BenchmarkDHRatchetStep(b *testing.B) {
	cfg := DefaultConfig()
	cfg.PQInterval = 1 << 16 // classic steps only
	benchRatchetStep(b, cfg)
}

// BenchmarkPQRatchetStep is BenchmarkDHRatchetStep with a post-quantum
// step at the receiver: it decapsulates the sender's ciphertext, and its
// own new chain generates an ML-KEM-768 key and encapsulates (K = 1).
func BenchmarkPQRatchetStep(b *testing.B) {
	cfg := DefaultConfig()
	cfg.PQInterval = 1
	benchRatchetStep(b, cfg)
}

func benchRatchetStep(b *testing.B, cfg Config) {
	sa, sb := pair(b, "bench-dh", cfg)
	r := NewSeededReader("bench-dh-run")
	c, _ := sb.Encrypt(nil)
	if _, err := sa.Decrypt(r, cfg, t0, c); err != nil {
		b.Fatal(err)
	}
	if _, err := sb.Decrypt(r, cfg, t0, mustEnc(b, sa, "a")); err != nil {
		b.Fatal(err)
	}
	if _, err := sa.Decrypt(r, cfg, t0, mustEnc(b, sb, "b")); err != nil {
		b.Fatal(err)
	}
	first, _ := sa.Encrypt(nil) // opens a new chain at Bob
	if cfg.PQInterval == 1 && first[0] != TypePQ {
		b.Fatal("expected a post-quantum header")
	}
	snap := sb.Marshal()
	priv, _ := xkeyFrom([32]byte{1, 2, 3})
	pub, _ := x25519Public([32]byte{4, 5, 6})
	var stepNs, mulNs time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		s, _ := Unmarshal(snap)
		b.StartTimer()
		t := time.Now()
		if _, err := s.Decrypt(r, cfg, t0, first); err != nil {
			b.Fatal(err)
		}
		stepNs += time.Since(t)
		t = time.Now()
		if _, err := dh(priv, pub); err != nil {
			b.Fatal(err)
		}
		mulNs += time.Since(t)
	}
	if mulNs > 0 {
		b.ReportMetric(float64(stepNs)/float64(mulNs), "x-of-x25519")
		b.ReportMetric(float64(stepNs.Nanoseconds())/float64(b.N), "step-ns")
	}
}

// BenchmarkHandshake measures a full handshake: parsing and verifying the
// bundle, the initiator's and the responder's key agreement, and the first
// (empty) message. It reports the bytes on the wire: bundle + initial
// message.
func BenchmarkHandshake(b *testing.B) {
	cfg := DefaultConfig()
	r := NewSeededReader("bench-hs")
	alice, _ := NewDevice(r)
	bob, _ := NewDevice(r)
	_ = bob.AddOneTimePrekeys(r, 1)
	bundle, _ := bob.Bundle()
	var wire int
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		sa, err := Initiate(r, alice, bundle)
		if err != nil {
			b.Fatal(err)
		}
		m, _ := sa.Encrypt(nil)
		// respond without consuming the one-time prekeys, so every
		// iteration does the same work
		if _, _, _, err := bob.respondKeep(r, cfg, t0, m); err != nil {
			b.Fatal(err)
		}
		wire = len(bundle) + len(m)
	}
	reportCPU(b, cpu0)
	b.ReportMetric(float64(wire), "bytes")
}

// BenchmarkIdleSession reports the serialized size of an idle session after
// a conversation with PQ steps, and measures Marshal+Unmarshal.
func BenchmarkIdleSession(b *testing.B) {
	cfg := DefaultConfig()
	cfg.PQInterval = 1
	sa, sb := pair(b, "bench-idle", cfg)
	r := NewSeededReader("bench-idle-run")
	max := 0
	for i := range 8 {
		from, to := sa, sb
		if i%2 == 0 {
			from, to = sb, sa
		}
		c, _ := from.Encrypt([]byte("m"))
		if _, err := to.Decrypt(r, cfg, t0, c); err != nil {
			b.Fatal(err)
		}
		max = maxInt(max, len(sa.Marshal()), len(sb.Marshal()))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Unmarshal(sa.Marshal()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(max), "bytes")
}

func maxInt(xs ...int) int {
	m := xs[0]
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
