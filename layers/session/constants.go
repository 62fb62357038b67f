package session

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/cloudflare/circl/kem/mlkem/mlkem768"
)

// Specification constants (SPEC.md, "Wire format" and "Procedures").
const (
	// ProtocolVersion is the version carried in bundles, initial messages,
	// device lists and serialized sessions.
	ProtocolVersion = 1

	// KeySize is the size of X25519 keys, root, chain, message and header
	// keys.
	KeySize = 32
	// KEMPublicKeySize, KEMCiphertextSize and KEMSeedSize are ML-KEM-768's.
	KEMPublicKeySize  = mlkem768.PublicKeySize
	KEMCiphertextSize = mlkem768.CiphertextSize
	KEMSeedSize       = mlkem768.KeySeedSize
	// SignatureSize is Ed25519's.
	SignatureSize = ed25519.SignatureSize
	// DeviceIDSize is the size of a device id.
	DeviceIDSize = 16

	// Ratchet message types (the first byte of a ratchet message).
	TypeClassic = 0x01 // header without post-quantum fields
	TypePQ      = 0x02 // header with an ML-KEM-768 key and ciphertext

	// NonceSize is the size of the cleartext header nonce; TagSize the
	// ChaCha20-Poly1305 tag.
	NonceSize = 12
	TagSize   = 16
	// ClassicHeaderSize and PQHeaderSize are the plaintext header sizes.
	ClassicHeaderSize = KeySize + 4 + 4                                              // dh ‖ pn ‖ n
	PQHeaderSize      = ClassicHeaderSize + 1 + KEMPublicKeySize + KEMCiphertextSize // ‖ flags ‖ ek ‖ ct

	// MinBucket and MaxBucket bound the padded plaintext sizes: a padded
	// plaintext is the smallest power of two ≥ len+1 and ≥ MinBucket.
	MinBucket = 64
	MaxBucket = 65536
	// MaxPlaintext is the largest plaintext a message can carry.
	MaxPlaintext = MaxBucket - 1
)

// Info strings and labels (SPEC.md, "Key derivation").
const (
	infoPQXDH    = "Strata_PQXDH_X25519_SHA-256_ML-KEM-768_v1"
	infoRoot     = "Strata_Ratchet_Root_v1"
	infoRootPQ   = "Strata_Ratchet_Root_PQ_v1"
	labelPrekeys = "Strata_Prekeys_v1"
	labelDevices = "Strata_DeviceList_v1"
)

// Defaults (Config).
const (
	DefaultPQInterval       = 4
	DefaultMaxSkip          = 25000
	DefaultMaxStoredKeys    = 2000
	DefaultMaxSkippedChains = 5
	DefaultMaxKeyAgeMsgs    = 20000
	DefaultMaxKeyAge        = 30 * 24 * time.Hour
)

// Config holds the tunable limits of a session. The zero value is not
// valid; start from DefaultConfig. Config is not serialized with a
// session: the host passes it to every call, so limits can change.
type Config struct {
	// PQInterval (K) makes every K-th sending chain of each party a
	// post-quantum chain (SPEC.md, "Post-quantum ratchet").
	PQInterval int
	// MaxSkip bounds how many message keys one received message may make
	// the receiver derive in one chain.
	MaxSkip int
	// MaxStoredKeys bounds the skipped message keys a session stores; the
	// oldest are deleted first.
	MaxStoredKeys int
	// MaxSkippedChains bounds the distinct header keys among the stored
	// skipped keys (each costs one trial decryption per message).
	MaxSkippedChains int
	// MaxKeyAgeMsgs deletes a skipped key once this many later messages
	// have been received.
	MaxKeyAgeMsgs int
	// MaxKeyAge deletes a skipped key this long after it was stored, as
	// measured by the now arguments the host passes in.
	MaxKeyAge time.Duration
}

// DefaultConfig returns the defaults of SPEC.md.
func DefaultConfig() Config {
	return Config{
		PQInterval:       DefaultPQInterval,
		MaxSkip:          DefaultMaxSkip,
		MaxStoredKeys:    DefaultMaxStoredKeys,
		MaxSkippedChains: DefaultMaxSkippedChains,
		MaxKeyAgeMsgs:    DefaultMaxKeyAgeMsgs,
		MaxKeyAge:        DefaultMaxKeyAge,
	}
}

// Validate reports whether c is usable.
func (c Config) Validate() error {
	switch {
	case c.PQInterval < 1 || c.PQInterval > 1<<16:
		return fmt.Errorf("%w: PQInterval %d is not in [1, 65536]", ErrConfig, c.PQInterval)
	case c.MaxSkip < 0 || c.MaxSkip > 1<<20:
		return fmt.Errorf("%w: MaxSkip %d is not in [0, 2^20]", ErrConfig, c.MaxSkip)
	case c.MaxStoredKeys < 0 || c.MaxStoredKeys > maxStoredKeysLimit:
		return fmt.Errorf("%w: MaxStoredKeys %d is not in [0, %d]", ErrConfig, c.MaxStoredKeys, maxStoredKeysLimit)
	case c.MaxSkippedChains < 1 || c.MaxSkippedChains > maxSkippedChainsLimit:
		return fmt.Errorf("%w: MaxSkippedChains %d is not in [1, %d]", ErrConfig, c.MaxSkippedChains, maxSkippedChainsLimit)
	case c.MaxKeyAgeMsgs < 1:
		return fmt.Errorf("%w: MaxKeyAgeMsgs must be positive", ErrConfig)
	case c.MaxKeyAge <= 0:
		return fmt.Errorf("%w: MaxKeyAge must be positive", ErrConfig)
	}
	return nil
}

// Implementation constants: decoder bounds.
const (
	maxStoredKeysLimit    = 1 << 16
	maxSkippedChainsLimit = 64
	maxBundleBytes        = 4096
	maxInitialBytes       = 8192 + MaxBucket
	maxDeviceListBytes    = 64 << 10
	// MaxDevices bounds a device list.
	MaxDevices = 256
)
