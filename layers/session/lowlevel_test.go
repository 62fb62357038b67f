package session

import (
	"crypto/ecdh"
	"io"
	"time"
)

// rawX25519 computes X25519 without the package's checks.
func rawX25519(priv, pub [32]byte) ([32]byte, error) {
	var out [32]byte
	k, _ := ecdh.X25519().NewPrivateKey(priv[:])
	p, err := ecdh.X25519().NewPublicKey(pub[:])
	if err != nil {
		return out, err
	}
	s, err := k.ECDH(p)
	if err != nil {
		return out, nil // all-zero output refused: low order
	}
	copy(out[:], s)
	return out, nil
}

func (d *Device) respondKeep(r io.Reader, cfg Config, now time.Time, msg []byte) (*Session, handshakeSecrets, []byte, error) {
	return d.respond(r, cfg, now, msg, true)
}
