package session

import "errors"

// Sentinel errors. Every error the package returns wraps exactly one of
// these (test vectors name them in their "expect" field). Error texts never
// contain key material.
var (
	// ErrMalformed: bytes that do not parse (wrong length, bad encoding,
	// field out of range).
	ErrMalformed = errors.New("session: malformed input")
	// ErrVersion: an unknown protocol or serialization version.
	ErrVersion = errors.New("session: unsupported version")
	// ErrBadSignature: a prekey or device-list signature does not verify.
	ErrBadSignature = errors.New("session: bad signature")
	// ErrLowOrderKey: an all-zero or low-order X25519 public key, or an
	// all-zero X25519 output.
	ErrLowOrderKey = errors.New("session: low-order X25519 key")
	// ErrDecrypt: no header key opens the header, or the body fails
	// authentication.
	ErrDecrypt = errors.New("session: decryption failed")
	// ErrTooManySkipped: the message would skip more message keys than
	// Config.MaxSkip allows in one chain.
	ErrTooManySkipped = errors.New("session: too many skipped messages")
	// ErrDuplicate: a message whose key was already used or deleted
	// (replay or duplicate delivery).
	ErrDuplicate = errors.New("session: duplicate or replayed message")
	// ErrUnknownPrekey: an initial message names a prekey the responder
	// does not hold (already used, rotated away, or never issued).
	ErrUnknownPrekey = errors.New("session: unknown prekey")
	// ErrRollback: a serialized session older than the last generation the
	// host persisted (a restored backup).
	ErrRollback = errors.New("session: rolled-back session state")
	// ErrTooLarge: a plaintext larger than MaxPlaintext.
	ErrTooLarge = errors.New("session: plaintext too large")
	// ErrStaleDeviceList: a device list whose counter is not above the
	// one already accepted (rollback).
	ErrStaleDeviceList = errors.New("session: stale device list")
	// ErrUnknownDevice: a device that is not in the accepted device list
	// (never added, or revoked).
	ErrUnknownDevice = errors.New("session: unknown or revoked device")
	// ErrConfig: an invalid Config.
	ErrConfig = errors.New("session: invalid config")
	// ErrRandom: the injected random source failed.
	ErrRandom = errors.New("session: random source failed")
)
