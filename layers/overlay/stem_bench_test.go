package overlay

import (
	"bytes"
	"testing"
)

// BenchmarkStemFrame encodes and decodes a 1 KiB stem frame, and reads
// it from a stream as a relay does.
func BenchmarkStemFrame(b *testing.B) {
	f := StemFrame{Topic: "/strata/1/chat/general", Data: bytes.Repeat([]byte{7}, 1024)}
	frame, err := AppendStemFrame(nil, f, 4096)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		buf := make([]byte, 0, len(frame))
		for b.Loop() {
			if _, err := AppendStemFrame(buf[:0], f, 4096); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeStemFrame(frame, 4096); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		r := bytes.NewReader(frame)
		for b.Loop() {
			r.Reset(frame)
			if _, err := readStemFrame(r, 4096); err != nil {
				b.Fatal(err)
			}
		}
	})
}
