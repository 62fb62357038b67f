package overlay

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// IdentityFile is the name of the identity key file in a node's data
// directory.
const IdentityFile = "identity.key"

// maxKeyFileBytes bounds the key file read (an Ed25519 key is 68 bytes).
const maxKeyFileBytes = 4096

// GenerateIdentity draws a new Ed25519 identity from rand. With a seeded
// reader the identity, and so the peer id, replays.
func GenerateIdentity(rand io.Reader) (crypto.PrivKey, error) {
	sk, _, err := crypto.GenerateEd25519Key(rand)
	if err != nil {
		return nil, fmt.Errorf("%w: generating: %w", ErrIdentity, err)
	}
	return sk, nil
}

// WriteIdentity writes sk as a libp2p protobuf-encoded private key to path
// (mode 0600), atomically.
func WriteIdentity(path string, sk crypto.PrivKey) error {
	b, err := crypto.MarshalPrivateKey(sk)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrIdentity, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".identity-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadIdentity reads a key file WriteIdentity wrote. Only Ed25519 keys are
// accepted.
func ReadIdentity(path string) (crypto.PrivKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyFileBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrIdentity, path, maxKeyFileBytes)
	}
	sk, err := crypto.UnmarshalPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrIdentity, path, err)
	}
	if sk.Type() != crypto.Ed25519 {
		return nil, fmt.Errorf("%w: %s holds a %v key, want Ed25519", ErrIdentity, path, sk.Type())
	}
	return sk, nil
}

// LoadOrCreateIdentity returns the identity in dir/IdentityFile, creating
// it from rand when the file does not exist. A file that exists but does
// not parse is an error, never silently replaced: the peer id is the
// node's name to its peers.
func LoadOrCreateIdentity(dir string, rand io.Reader) (crypto.PrivKey, peer.ID, error) {
	path := filepath.Join(dir, IdentityFile)
	sk, err := ReadIdentity(path)
	if errors.Is(err, fs.ErrNotExist) {
		if sk, err = GenerateIdentity(rand); err != nil {
			return nil, "", err
		}
		err = WriteIdentity(path, sk)
	}
	if err != nil {
		return nil, "", err
	}
	id, err := peer.IDFromPrivateKey(sk)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrIdentity, err)
	}
	return sk, id, nil
}
