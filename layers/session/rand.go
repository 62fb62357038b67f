package session

import (
	"crypto/sha256"
	"io"
	"math/rand/v2"
)

// NewSeededReader returns a deterministic io.Reader (ChaCha8 keyed with
// SHA-256(seed)) for tests, vectors and simulations. It is not a source of
// secrets: hosts pass crypto/rand.Reader in production.
func NewSeededReader(seed string) io.Reader {
	return rand.NewChaCha8(sha256.Sum256([]byte(seed)))
}
