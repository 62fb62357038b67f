// Package session implements Strata's conversational-security layer: a
// PQXDH-shaped asynchronous handshake (X25519 + ML-KEM-768, signed prekeys)
// followed by a Double Ratchet with header encryption and a sparse
// post-quantum ratchet step, plus signed multi-device lists.
//
// The package is sans-I/O: every operation that needs randomness takes an
// io.Reader and every operation that needs time takes a time.Time. Given
// the same reader bytes, every output replays byte for byte. SPEC.md is the
// normative description; testdata/vectors holds its test vectors.
//
// Decryption is transactional: a message that is rejected leaves the
// session, and its serialization, unchanged.
package session
