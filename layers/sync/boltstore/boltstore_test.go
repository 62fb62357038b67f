package boltstore_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/strata-lab/strata/layers/sync"
	"github.com/strata-lab/strata/layers/sync/boltstore"
)

func open(t testing.TB, path string) *boltstore.Store {
	t.Helper()
	return openWith(t, path, boltstore.Options{})
}

func openWith(t testing.TB, path string, opts boltstore.Options) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func load(t testing.TB, s sync.Store) *sync.Snapshot {
	t.Helper()
	snap, err := s.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return snap
}

// gen generates random batches over small pools of groups, peers, messages
// and record keys, so that batches replace and delete what earlier ones
// wrote.
type gen struct {
	r        *rand.Rand
	groups   []sync.GroupID
	peers    []sync.PeerID
	messages []sync.Message
	keys     []sync.RecordKey
}

func newGen(seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, 1))}
	for range 4 {
		g.groups = append(g.groups, g.id())
	}
	// Lengths and bytes chosen so that (length, bytes) order differs from
	// byte order: "b" < "aa" by length, "aa" < "b" by bytes.
	g.peers = []sync.PeerID{"", "a", "aa", "b", "peer-with-a-longer-name", "z", "\x00", "\xff\xfe"}
	return g
}

func (g *gen) id() sync.ID {
	var id sync.ID
	for i := range id {
		id[i] = byte(g.r.UintN(256))
	}
	return id
}

func (g *gen) time() time.Time {
	switch g.r.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, math.MaxInt64).UTC()
	case 2:
		return time.Unix(0, math.MinInt64+1).UTC()
	case 3:
		return time.Unix(0, -g.r.Int64N(1e18)).UTC() // before 1970
	}
	return time.Unix(0, 1.7e18+g.r.Int64N(1e15)).UTC()
}

func (g *gen) message() sync.Message {
	m := sync.Message{
		Group:     g.groups[g.r.IntN(len(g.groups))],
		Timestamp: g.r.Uint64(),
		Body:      make([]byte, []int{0, 1, 33, 1000}[g.r.IntN(4)]),
	}
	for i := range m.Body {
		m.Body[i] = byte(g.r.UintN(256))
	}
	if g.r.IntN(8) == 0 {
		m.Ephemeral = true
		return m
	}
	if n := g.r.IntN(sync.MaxParents + 1); n > 0 && g.r.IntN(2) == 0 {
		for range n {
			if len(g.messages) > 0 && g.r.IntN(2) == 0 {
				m.Parents = append(m.Parents, g.messages[g.r.IntN(len(g.messages))].ID())
			} else {
				m.Parents = append(m.Parents, g.id())
			}
		}
		slices.SortFunc(m.Parents, func(a, b sync.ID) int { return bytes.Compare(a[:], b[:]) })
		m.Parents = slices.Compact(m.Parents)
	}
	return m
}

func (g *gen) key() sync.RecordKey {
	if len(g.keys) > 0 && g.r.IntN(2) == 0 {
		return g.keys[g.r.IntN(len(g.keys))]
	}
	k := sync.RecordKey{Peer: g.peers[g.r.IntN(len(g.peers))], Kind: sync.RecordKind(1 + g.r.IntN(3))}
	if len(g.messages) > 0 && g.r.IntN(2) == 0 {
		k.ID = g.messages[g.r.IntN(len(g.messages))].ID()
	} else {
		k.ID = g.id()
	}
	g.keys = append(g.keys, k)
	return k
}

func (g *gen) batch() *sync.Batch {
	b := &sync.Batch{}
	for range g.r.IntN(3) {
		var members []sync.PeerID
		for _, p := range g.peers {
			if g.r.IntN(2) == 0 {
				members = append(members, p)
			}
		}
		b.Groups = append(b.Groups, sync.Group{ID: g.groups[g.r.IntN(len(g.groups))], Members: members})
	}
	for range g.r.IntN(5) {
		var m sync.Message
		if len(g.messages) > 0 && g.r.IntN(3) == 0 {
			m = g.messages[g.r.IntN(len(g.messages))] // replaced: new delivery state
		} else {
			m = g.message()
			g.messages = append(g.messages, m)
		}
		b.Messages = append(b.Messages, sync.StoredMessage{Message: m, Delivered: g.r.IntN(2) == 0, Since: g.time()})
	}
	for range g.r.IntN(4) {
		b.DelRecords = append(b.DelRecords, g.key())
	}
	for range g.r.IntN(6) {
		k := g.key()
		if len(b.DelRecords) > 0 && g.r.IntN(4) == 0 {
			k = b.DelRecords[g.r.IntN(len(b.DelRecords))] // deleted and rewritten
		}
		b.Records = append(b.Records, sync.Record{
			RecordKey: k, Group: g.groups[g.r.IntN(len(g.groups))],
			Attempts: g.r.IntN(100), Backoff: g.r.IntN(40) - 1,
			First: g.time(), Next: g.time(),
		})
	}
	return b
}

// TestConformance applies the same random batches to a MemStore and to a
// bolt store, reopening the bolt file halfway, and compares the snapshots.
// It checks semantics, not durability (TestCrash does), so it skips fsync.
func TestConformance(t *testing.T) {
	opts := boltstore.Options{NoSync: true}
	for seed := range uint64(4) {
		path := filepath.Join(t.TempDir(), "sync.db")
		mem := sync.NewMemStore()
		bs := openWith(t, path, opts)
		g := newGen(seed)
		const n = 300
		for i := range n {
			if i == n/2 {
				if err := bs.Close(); err != nil {
					t.Fatal(err)
				}
				bs = openWith(t, path, opts)
				compare(t, i, mem, bs)
			}
			b := g.batch()
			if err := mem.Apply(b); err != nil {
				t.Fatal(err)
			}
			if err := bs.Apply(b); err != nil {
				t.Fatalf("seed %d batch %d: Apply: %v", seed, i, err)
			}
			if i%10 == 9 {
				compare(t, i, mem, bs)
			}
		}
		compare(t, n, mem, bs)
		snap := load(t, bs)
		if len(snap.Groups) == 0 || len(snap.Messages) < n || len(snap.Records) < 20 {
			t.Errorf("seed %d: the test exercised little: %d groups, %d messages, %d records",
				seed, len(snap.Groups), len(snap.Messages), len(snap.Records))
		}
		if err := bs.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func compare(t *testing.T, step int, mem, bs sync.Store) {
	t.Helper()
	want, got := load(t, mem), load(t, bs)
	if reflect.DeepEqual(want, got) {
		return
	}
	for _, part := range []struct {
		name string
		w, g any
	}{{"groups", want.Groups, got.Groups}, {"messages", want.Messages, got.Messages}, {"records", want.Records, got.Records}} {
		if !reflect.DeepEqual(part.w, part.g) {
			t.Fatalf("after batch %d: %s differ:\nmem:  %+v\nbolt: %+v", step, part.name, part.w, part.g)
		}
	}
	t.Fatalf("after batch %d: snapshots differ", step)
}

func TestEmptyStore(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "sync.db"))
	defer s.Close()
	if got, want := load(t, s), load(t, sync.NewMemStore()); !reflect.DeepEqual(got, want) {
		t.Fatalf("empty store: got %+v, want %+v", got, want)
	}
	if err := s.Apply(&sync.Batch{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(nil); err != nil {
		t.Fatal(err)
	}
}

func TestZeroTimeRoundTrip(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "sync.db"))
	defer s.Close()
	local := time.Date(2030, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	m := sync.Message{Body: []byte("x")}
	err := s.Apply(&sync.Batch{
		Messages: []sync.StoredMessage{{Message: m}},
		Records:  []sync.Record{{RecordKey: sync.RecordKey{Peer: "p", Kind: sync.RecordOffer}, First: local, Next: time.Now()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	snap := load(t, s)
	if !snap.Messages[0].Since.IsZero() {
		t.Errorf("zero time loaded as %v", snap.Messages[0].Since)
	}
	r := snap.Records[0]
	if !r.First.Equal(local) || r.First.Location() != time.UTC {
		t.Errorf("First loaded as %v, want %v in UTC", r.First, local)
	}
}

func TestUnstorable(t *testing.T) {
	long := sync.PeerID(bytes.Repeat([]byte("p"), boltstore.MaxPeerIDLen+1))
	tests := map[string]sync.Batch{
		"time before 1678":  {Records: []sync.Record{{First: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		"time after 2262":   {Messages: []sync.StoredMessage{{Since: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		"long record peer":  {Records: []sync.Record{{RecordKey: sync.RecordKey{Peer: long}}}},
		"long member":       {Groups: []sync.Group{{Members: []sync.PeerID{"a", long}}}},
		"too many parents":  {Messages: []sync.StoredMessage{{Message: sync.Message{Parents: make([]sync.ID, sync.MaxParents+1)}}}},
		"body too large":    {Messages: []sync.StoredMessage{{Message: sync.Message{Body: make([]byte, sync.MaxBodyBytes+1)}}}},
		"time at sentinel":  {Records: []sync.Record{{Next: time.Unix(0, math.MinInt64)}}},
		"too many members":  {Groups: []sync.Group{{Members: make([]sync.PeerID, boltstore.MaxMembers+1)}}},
		"nanosecond beyond": {Records: []sync.Record{{Next: time.Unix(0, math.MaxInt64).Add(1)}}},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "sync.db"))
			defer s.Close()
			// A valid group in the same batch must not be written either.
			b.Groups = append(b.Groups, sync.Group{ID: sync.ID{1}, Members: []sync.PeerID{"a"}})
			err := s.Apply(&b)
			if !errors.Is(err, boltstore.ErrUnstorable) || !errors.Is(err, sync.ErrStore) {
				t.Fatalf("Apply: %v, want ErrUnstorable and sync.ErrStore", err)
			}
			if snap := load(t, s); len(snap.Groups)+len(snap.Messages)+len(snap.Records) != 0 {
				t.Fatalf("a failed batch was partly applied: %+v", snap)
			}
		})
	}
	// Deleting a record no peer id can name is not an error (MemStore
	// deletes nothing either).
	s := open(t, filepath.Join(t.TempDir(), "sync.db"))
	defer s.Close()
	if err := s.Apply(&sync.Batch{DelRecords: []sync.RecordKey{{Peer: long}}}); err != nil {
		t.Fatal(err)
	}
}

// TestCorruptFile flips a byte of a stored message body in the file itself.
func TestCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sync.db")
	s := open(t, path)
	marker := []byte("strata-boltstore-corruption-marker-0123456789")
	m := sync.Message{Group: sync.ID{7}, Timestamp: 42, Body: marker}
	if err := s.Apply(&sync.Batch{Messages: []sync.StoredMessage{{Message: m, Delivered: true}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for off := 0; ; {
		i := bytes.Index(raw[off:], marker)
		if i < 0 {
			break
		}
		raw[off+i+10] ^= 0x01
		off += i + len(marker)
		found++
	}
	if found == 0 {
		t.Fatal("message body not found in the file")
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	defer s.Close()
	_, err = s.Load()
	if !errors.Is(err, boltstore.ErrCorrupt) || !errors.Is(err, sync.ErrStore) {
		t.Fatalf("Load of a flipped body: %v, want ErrCorrupt and sync.ErrStore", err)
	}
}

// rawPut writes key → value into a bucket of a closed store's file.
func rawPut(t *testing.T, path, bucket string, key, value []byte) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucket))
		if err != nil {
			return err
		}
		return b.Put(key, value)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCorruptValues writes malformed keys and values behind the store's
// back; Load must report ErrCorrupt.
func TestCorruptValues(t *testing.T) {
	m := sync.Message{Group: sync.ID{7}, Timestamp: 42, Body: []byte("body"), Parents: []sync.ID{{1}, {2}}}
	id := m.ID()
	good := func(t *testing.T, path string) []byte {
		// The valid encoding, read back raw.
		s := open(t, path)
		if err := s.Apply(&sync.Batch{Messages: []sync.StoredMessage{{Message: m}}}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v []byte
		db.View(func(tx *bolt.Tx) error {
			v = bytes.Clone(tx.Bucket([]byte("messages")).Get(id[:]))
			return nil
		})
		if v == nil {
			t.Fatal("message not stored")
		}
		return v
	}
	edit := func(f func(v []byte) []byte) func([]byte) []byte { return f }
	recKey := func(peer string) []byte {
		k := binary.BigEndian.AppendUint16(nil, uint16(len(peer)))
		k = append(k, peer...)
		k = append(k, 1)
		return append(k, make([]byte, 32)...)
	}
	goodRecord := make([]byte, 1+32+32)
	goodRecord[0] = 1
	tests := []struct {
		name, bucket string
		key          []byte
		value        func(good []byte) []byte
	}{
		{"message truncated", "messages", id[:], edit(func(v []byte) []byte { return v[:20] })},
		{"message version", "messages", id[:], edit(func(v []byte) []byte { v[0] = 2; return v })},
		{"message flags", "messages", id[:], edit(func(v []byte) []byte { v[1] |= 0x80; return v })},
		{"message ephemeral flag", "messages", id[:], edit(func(v []byte) []byte { v[1] |= 2; return v })},
		{"message parents count", "messages", id[:], edit(func(v []byte) []byte { v[50] = 9; return v })},
		{"message parents overrun", "messages", id[:], edit(func(v []byte) []byte { v[50] = 3; return v })},
		{"message body byte", "messages", id[:], edit(func(v []byte) []byte { v[len(v)-1] ^= 1; return v })},
		{"message timestamp", "messages", id[:], edit(func(v []byte) []byte { v[17] ^= 1; return v })},
		{"message key", "messages", append(bytes.Clone(id[:]), 0), edit(func(v []byte) []byte { return v })},
		{"message other key", "messages", make([]byte, 32), edit(func(v []byte) []byte { return v })},
		{"group empty", "groups", make([]byte, 32), edit(func([]byte) []byte { return []byte{} })},
		{"group version", "groups", make([]byte, 32), edit(func([]byte) []byte { return []byte{0, 0, 0} })},
		{"group key", "groups", make([]byte, 31), edit(func([]byte) []byte { return []byte{1, 0, 0} })},
		{"group count", "groups", make([]byte, 32), edit(func([]byte) []byte { return []byte{1, 0xff, 0xff, 0, 0} })},
		{"group member overrun", "groups", make([]byte, 32), edit(func([]byte) []byte { return []byte{1, 0, 1, 0, 5, 'a'} })},
		{"group trailing", "groups", make([]byte, 32), edit(func([]byte) []byte { return []byte{1, 0, 1, 0, 1, 'a', 'b'} })},
		{"record key short", "records", []byte{0}, edit(func([]byte) []byte { return goodRecord })},
		{"record key length", "records", append(recKey("ab"), 0), edit(func([]byte) []byte { return goodRecord })},
		{"record value length", "records", recKey("ab"), edit(func([]byte) []byte { return goodRecord[:40] })},
		{"record version", "records", recKey("ab"), edit(func([]byte) []byte { v := bytes.Clone(goodRecord); v[0] = 0; return v })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sync.db")
			rawPut(t, path, tc.bucket, tc.key, tc.value(good(t, path)))
			s := open(t, path)
			defer s.Close()
			_, err := s.Load()
			if !errors.Is(err, boltstore.ErrCorrupt) || !errors.Is(err, sync.ErrStore) {
				t.Fatalf("Load: %v, want ErrCorrupt and sync.ErrStore", err)
			}
		})
	}
	// The unedited value loads: the cases above fail for their edit.
	path := filepath.Join(t.TempDir(), "sync.db")
	good(t, path)
	rawPut(t, path, "records", recKey("ab"), goodRecord)
	s := open(t, path)
	defer s.Close()
	if snap := load(t, s); len(snap.Messages) != 1 || len(snap.Records) != 1 {
		t.Fatalf("snapshot %+v", snap)
	}
}

func TestSchema(t *testing.T) {
	t.Run("other version", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sync.db")
		open(t, path).Close()
		rawPut(t, path, "meta", []byte("schema"), binary.BigEndian.AppendUint32(nil, boltstore.SchemaVersion+1))
		_, err := boltstore.Open(path, boltstore.Options{})
		if !errors.Is(err, boltstore.ErrSchema) || !errors.Is(err, sync.ErrStore) {
			t.Fatalf("Open: %v, want ErrSchema and sync.ErrStore", err)
		}
	})
	t.Run("malformed version", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sync.db")
		open(t, path).Close()
		rawPut(t, path, "meta", []byte("schema"), []byte{1})
		if _, err := boltstore.Open(path, boltstore.Options{}); !errors.Is(err, boltstore.ErrSchema) {
			t.Fatalf("Open: %v, want ErrSchema", err)
		}
	})
	t.Run("foreign bolt file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sync.db")
		rawPut(t, path, "messages", []byte("k"), []byte("v"))
		if _, err := boltstore.Open(path, boltstore.Options{}); !errors.Is(err, boltstore.ErrSchema) {
			t.Fatalf("Open: %v, want ErrSchema", err)
		}
	})
	t.Run("not a bolt file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sync.db")
		if err := os.WriteFile(path, bytes.Repeat([]byte("junk"), 4096), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := boltstore.Open(path, boltstore.Options{})
		if !errors.Is(err, boltstore.ErrCorrupt) || !errors.Is(err, sync.ErrStore) {
			t.Fatalf("Open: %v, want ErrCorrupt and sync.ErrStore", err)
		}
	})
	t.Run("same version reopens", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sync.db")
		open(t, path).Close()
		open(t, path).Close()
	})
}

func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sync.db")
	s := open(t, path)
	defer s.Close()
	_, err := boltstore.Open(path, boltstore.Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, berrors.ErrTimeout) || !errors.Is(err, sync.ErrStore) {
		t.Fatalf("second Open: %v, want berrors.ErrTimeout and sync.ErrStore", err)
	}
	if _, err := boltstore.Open(path, boltstore.Options{Timeout: -1}); !errors.Is(err, sync.ErrStore) {
		t.Fatalf("negative timeout: %v", err)
	}
}

func TestClosed(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "sync.db"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	err := s.Apply(&sync.Batch{Groups: []sync.Group{{}}})
	if !errors.Is(err, sync.ErrStore) {
		t.Fatalf("Apply after Close: %v, want sync.ErrStore", err)
	}
	if _, err := s.Load(); !errors.Is(err, sync.ErrStore) {
		t.Fatalf("Load after Close: %v, want sync.ErrStore", err)
	}
}
