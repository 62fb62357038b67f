package sphinx

import (
	"crypto/sha256"
	"io"
	"math/rand/v2"
)

// seededReader returns a deterministic io.Reader (ChaCha8 keyed with
// SHA-256(seed)) for vectors. It is not a source of secrets.
func seededReader(seed string) io.Reader {
	return rand.NewChaCha8(sha256.Sum256([]byte(seed)))
}
