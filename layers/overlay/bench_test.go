package overlay

import (
	"fmt"
	"testing"
)

// BenchmarkMessageID measures the message-id function gossipsub runs on
// every message it receives.
func BenchmarkMessageID(b *testing.B) {
	for _, size := range []int{64, 1024, 65536} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			data := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				MessageID(testTopic, data)
			}
		})
	}
}

// BenchmarkValidate measures the overlay's own validation of a message.
func BenchmarkValidate(b *testing.B) {
	data := make([]byte, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(testTopic, data, 4096); err != nil {
			b.Fatal(err)
		}
	}
}
