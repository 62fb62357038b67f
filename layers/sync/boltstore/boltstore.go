package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/strata-lab/strata/layers/sync"
)

// SchemaVersion is the version of the file layout this package reads and
// writes (see the package documentation).
const SchemaVersion = 1

// DefaultTimeout is how long Open waits for the file lock by default.
const DefaultTimeout = time.Second

// Errors. Every error the store returns wraps sync.ErrStore, so that the
// engine classifies it as a store failure, and where one applies, one of
// the errors below.
var (
	// ErrSchema: the file was written with another schema version, or is
	// not a store of this package.
	ErrSchema = errors.New("boltstore: unsupported schema")
	// ErrCorrupt: stored bytes are malformed, or a message does not hash to
	// the id it is stored under.
	ErrCorrupt = errors.New("boltstore: corrupt store")
	// ErrUnstorable: Apply was given a value this store cannot represent
	// exactly (a time outside the UnixNano range, a peer id longer than
	// MaxPeerIDLen, ...). The batch is not applied.
	ErrUnstorable = errors.New("boltstore: value cannot be stored")
)

var (
	bucketMeta     = []byte("meta")
	bucketGroups   = []byte("groups")
	bucketMessages = []byte("messages")
	bucketRecords  = []byte("records")
	dataBuckets    = [][]byte{bucketGroups, bucketMessages, bucketRecords}

	keySchema = []byte("schema")
)

// Options configures Open. The zero value is the durable default.
type Options struct {
	// Timeout is how long Open waits for the file lock another process (or
	// another Store in this process) holds; 0 means DefaultTimeout.
	Timeout time.Duration
	// NoSync skips the fsync at the end of every Apply. It is faster but
	// drops the store's guarantee: after a crash of the machine, messages
	// the engine acknowledged may be lost and the file may be torn. A crash
	// of the process alone loses nothing. Use it for simulations and
	// benchmarks only.
	NoSync bool
}

func (o *Options) validate() error {
	if o.Timeout < 0 {
		return fmt.Errorf("%w: boltstore: Options.Timeout is %v, must be ≥ 0", sync.ErrStore, o.Timeout)
	}
	return nil
}

// Store is a sync.Store kept in a bbolt file. Its methods are safe for
// concurrent use, but a file holds the state of one engine.
type Store struct {
	db *bolt.DB
}

var _ sync.Store = (*Store)(nil)

func storeErr(op string, err error) error {
	return fmt.Errorf("%w: boltstore: %s: %w", sync.ErrStore, op, err)
}

// Open opens the store at path, creating the file if it does not exist.
// It fails with an error wrapping ErrSchema if the file has another schema
// version, and with bbolt's timeout error if the file stays locked for
// opts.Timeout.
func Open(path string, opts Options) (*Store, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if err != nil {
		switch {
		case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum):
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		case errors.Is(err, berrors.ErrVersionMismatch):
			err = fmt.Errorf("%w: %w", ErrSchema, err)
		}
		return nil, storeErr("open "+path, err)
	}
	if err := db.Update(initSchema); err != nil {
		db.Close()
		return nil, storeErr("open "+path, err)
	}
	return &Store{db: db}, nil
}

// initSchema creates the buckets of a new file, or checks the schema
// version of an existing one.
func initSchema(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		for _, name := range dataBuckets {
			if tx.Bucket(name) != nil {
				return fmt.Errorf("%w: bucket %q without a schema version", ErrSchema, name)
			}
		}
		meta, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		if err := meta.Put(keySchema, binary.BigEndian.AppendUint32(nil, SchemaVersion)); err != nil {
			return err
		}
		for _, name := range dataBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	}
	v := meta.Get(keySchema)
	if len(v) != 4 {
		return fmt.Errorf("%w: schema version of %d bytes", ErrSchema, len(v))
	}
	if got := binary.BigEndian.Uint32(v); got != SchemaVersion {
		return fmt.Errorf("%w: schema version %d, this package reads %d", ErrSchema, got, SchemaVersion)
	}
	for _, name := range dataBuckets {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("%w: bucket %q is missing", ErrCorrupt, name)
		}
	}
	return nil
}

// Load implements sync.Store. It reads the whole store in one read
// transaction, verifies every message id and returns groups and messages in
// id order and records in (peer, kind, id) order, as sync.MemStore does.
func (s *Store) Load() (*sync.Snapshot, error) {
	snap := &sync.Snapshot{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := buckets(tx)
		if err != nil {
			return err
		}
		err = b[0].ForEach(func(k, v []byte) error {
			id, err := idKey("group", k)
			if err != nil {
				return err
			}
			g, err := decodeGroup(id, v)
			if err != nil {
				return err
			}
			snap.Groups = append(snap.Groups, g)
			return nil
		})
		if err != nil {
			return err
		}
		err = b[1].ForEach(func(k, v []byte) error {
			id, err := idKey("message", k)
			if err != nil {
				return err
			}
			m, err := decodeMessage(id, v)
			if err != nil {
				return err
			}
			snap.Messages = append(snap.Messages, m)
			return nil
		})
		if err != nil {
			return err
		}
		return b[2].ForEach(func(k, v []byte) error {
			rk, err := decodeRecordKey(k)
			if err != nil {
				return err
			}
			r, err := decodeRecord(rk, v)
			if err != nil {
				return err
			}
			snap.Records = append(snap.Records, r)
			return nil
		})
	})
	if err != nil {
		return nil, storeErr("load", err)
	}
	// The key puts the peer's length first, so bbolt's order is not
	// MemStore's (peer, kind, id) order.
	slices.SortFunc(snap.Records, func(a, b sync.Record) int { return a.RecordKey.Compare(b.RecordKey) })
	return snap, nil
}

// Apply implements sync.Store: it applies the batch in one bbolt
// transaction, fsynced before it returns unless Options.NoSync is set.
// Like sync.MemStore it writes groups, then messages, then deletes
// DelRecords, then writes Records, so a record both deleted and written is
// written. A value the store cannot represent fails the whole batch with
// ErrUnstorable.
func (s *Store) Apply(batch *sync.Batch) error {
	if batch == nil || batch.Empty() {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := buckets(tx)
		if err != nil {
			return err
		}
		for i := range batch.Groups {
			g := &batch.Groups[i]
			v, err := encodeGroup(g)
			if err != nil {
				return err
			}
			if err := b[0].Put(g.ID[:], v); err != nil {
				return err
			}
		}
		for i := range batch.Messages {
			m := &batch.Messages[i]
			v, err := encodeMessage(m)
			if err != nil {
				return err
			}
			id := m.Message.ID()
			if err := b[1].Put(id[:], v); err != nil {
				return err
			}
		}
		for _, k := range batch.DelRecords {
			if len(k.Peer) > MaxPeerIDLen {
				continue // never stored
			}
			key, err := recordKey(k)
			if err != nil {
				return err
			}
			if err := b[2].Delete(key); err != nil {
				return err
			}
		}
		for i := range batch.Records {
			r := &batch.Records[i]
			key, err := recordKey(r.RecordKey)
			if err != nil {
				return err
			}
			v, err := encodeRecord(r)
			if err != nil {
				return err
			}
			if err := b[2].Put(key, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return storeErr("apply", err)
	}
	return nil
}

// Close implements sync.Store. It releases the file lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return storeErr("close", err)
	}
	return nil
}

// Path returns the path of the store's file.
func (s *Store) Path() string { return s.db.Path() }

func buckets(tx *bolt.Tx) ([3]*bolt.Bucket, error) {
	var b [3]*bolt.Bucket
	for i, name := range dataBuckets {
		if b[i] = tx.Bucket(name); b[i] == nil {
			return b, fmt.Errorf("%w: bucket %q is missing", ErrCorrupt, name)
		}
	}
	return b, nil
}

func idKey(what string, k []byte) (sync.ID, error) {
	var id sync.ID
	if len(k) != sync.IDSize {
		return id, corrupt("%s key of %d bytes", what, len(k))
	}
	copy(id[:], k)
	return id, nil
}
