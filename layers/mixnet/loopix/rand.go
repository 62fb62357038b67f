package loopix

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"time"
)

// Randomness: every core draws timing and path choices from a *rand.Rand
// and packet randomness (nonces, ephemeral keys, cover bodies) from an
// io.Reader. A real node seeds both from crypto/rand (math/rand/v2's
// ChaCha8 is a CSPRNG when so seeded); simulations seed both from the run's
// seed.

// randReader reads bytes from a *rand.Rand.
type randReader struct{ r *rand.Rand }

func (r randReader) Read(p []byte) (int, error) {
	var b [8]byte
	n := 0
	for n+8 <= len(p) {
		binary.LittleEndian.PutUint64(p[n:], r.r.Uint64())
		n += 8
	}
	if n < len(p) {
		binary.LittleEndian.PutUint64(b[:], r.r.Uint64())
		n += copy(p[n:], b[:])
	}
	return n, nil
}

// ReaderFrom returns an io.Reader over r: the simulation's source of packet
// randomness.
func ReaderFrom(r *rand.Rand) io.Reader { return randReader{r} }

// expDelay draws an exponential duration of the given mean.
func expDelay(r *rand.Rand, mean time.Duration) time.Duration {
	return time.Duration(r.ExpFloat64() * float64(mean))
}

// hopDelay draws a per-hop delay of mean 1/μ, truncated at
// TruncationFactor·mean and at maxDelay, in whole milliseconds (the
// resolution of the packet header).
func hopDelay(r *rand.Rand, mean, maxDelay time.Duration) time.Duration {
	d := expDelay(r, mean)
	d = min(d, time.Duration(TruncationFactor*float64(mean)), maxDelay)
	return d.Round(time.Millisecond)
}

// fill fills b from the packet randomness; a failing reader leaves zeros.
func fill(r io.Reader, b []byte) error {
	_, err := io.ReadFull(r, b)
	return err
}
