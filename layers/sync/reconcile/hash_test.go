package reconcile

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"testing"
)

// Known answers, computed independently (Python hashlib) from the
// definitions in the package documentation.
func TestHashKnownAnswers(t *testing.T) {
	const salt = 0x0102030405060708
	var id0, idFF ID
	for i := range id0 {
		id0[i] = byte(i)
		idFF[i] = 0xff
	}
	if got := ShortIDOf(salt, id0); hex.EncodeToString(got[:]) != "0ded41c89506ba31" {
		t.Errorf("ShortIDOf = %x, want 0ded41c89506ba31", got)
	}
	fp := FingerprintOf(salt, []Item{{Timestamp: 7, ID: id0}, {Timestamp: 9, ID: idFF}})
	if hex.EncodeToString(fp[:]) != "95b0d48ab1e3d9b2" {
		t.Errorf("FingerprintOf = %x, want 95b0d48ab1e3d9b2", fp)
	}
	if fp := FingerprintOf(0, nil); hex.EncodeToString(fp[:]) != "4daf3408079da1ca" {
		t.Errorf("FingerprintOf(0, nil) = %x, want 4daf3408079da1ca", fp)
	}
}

// TestHashMatchesConcatenation checks the streaming implementations against
// hashing the concatenated input.
func TestHashMatchesConcatenation(t *testing.T) {
	items := testItems(1, 100, 50)
	for _, salt := range []uint64{0, 1, 1 << 63, ^uint64(0)} {
		for _, n := range []int{0, 1, 2, 3, 17, 100} {
			buf := []byte(FingerprintLabel)
			buf = binary.BigEndian.AppendUint64(buf, salt)
			buf = binary.BigEndian.AppendUint64(buf, uint64(n))
			for _, it := range items[:n] {
				buf = append(buf, it.ID[:]...)
			}
			want := sha256.Sum256(buf)
			if got := FingerprintOf(salt, items[:n]); string(got[:]) != string(want[:FingerprintSize]) {
				t.Errorf("FingerprintOf(%d, %d items) = %x, want %x", salt, n, got, want[:FingerprintSize])
			}
		}
		for _, it := range items[:10] {
			buf := []byte(ShortIDLabel)
			buf = binary.BigEndian.AppendUint64(buf, salt)
			buf = append(buf, it.ID[:]...)
			want := sha256.Sum256(buf)
			if got := ShortIDOf(salt, it.ID); string(got[:]) != string(want[:ShortIDSize]) {
				t.Errorf("ShortIDOf(%d, %x) = %x, want %x", salt, it.ID, got, want[:ShortIDSize])
			}
			if k := shortKey(salt, it.ID); k != binary.BigEndian.Uint64(want[:]) {
				t.Errorf("shortKey = %x", k)
			}
		}
	}
	// Timestamps are not hashed; the salt is.
	moved := append([]Item(nil), items[:5]...)
	moved[0].Timestamp++
	if FingerprintOf(3, moved) != FingerprintOf(3, items[:5]) {
		t.Error("fingerprint depends on timestamps")
	}
	if FingerprintOf(3, items[:5]) == FingerprintOf(4, items[:5]) {
		t.Error("fingerprint ignores the salt")
	}
}

func BenchmarkFingerprint(b *testing.B) {
	for _, n := range []int{16, 1024, 65536} {
		b.Run(fmt.Sprintf("ids=%d", n), func(b *testing.B) {
			items := testItems(1, n, uint64(n))
			b.SetBytes(int64(n * IDSize))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				FingerprintOf(42, items)
			}
		})
	}
}

func BenchmarkShortID(b *testing.B) {
	var id ID
	b.SetBytes(IDSize)
	b.ReportAllocs()
	for b.Loop() {
		id[0]++
		ShortIDOf(42, id)
	}
}
