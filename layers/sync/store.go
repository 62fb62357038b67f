package sync

import (
	"errors"
	"maps"
	"slices"
	"time"
)

// PeerID names a peer. It is opaque to the engine (a libp2p peer id, a node
// name in the simulator).
type PeerID string

// RecordKind is the kind of a retransmission record.
type RecordKind uint8

// Record kinds (SPEC.md, "Procedures").
const (
	RecordOffer   RecordKind = 1 // we offered the id; resent until requested or acked
	RecordMessage RecordKind = 2 // we send the message; resent until acked
	RecordRequest RecordKind = 3 // we asked for the id; resent until the message arrives
)

func (k RecordKind) String() string {
	switch k {
	case RecordOffer:
		return "offer"
	case RecordMessage:
		return "message"
	case RecordRequest:
		return "request"
	}
	return "unknown"
}

// RecordKey identifies a record: one id, one peer, one kind.
type RecordKey struct {
	Peer PeerID
	Kind RecordKind
	ID   ID
}

// Record is the retransmission state of one record.
type Record struct {
	RecordKey
	// Group is the group the id belongs to (zero for requests of unknown ids).
	Group GroupID
	// Attempts counts transmissions; it never resets.
	Attempts int
	// Backoff is the exponent of the next retransmission interval; it resets
	// when the peer comes back online.
	Backoff int
	// First is when the record was created; the TTL runs from it.
	First time.Time
	// Next is when the record is due.
	Next time.Time
}

// StoredMessage is a message with its local delivery state.
type StoredMessage struct {
	Message   Message
	Delivered bool
	// Buffered since, for a message waiting for its parents (causal mode).
	Since time.Time
}

// Group is a group with its member set.
type Group struct {
	ID      GroupID
	Members []PeerID // sorted, unique, includes the local peer
}

// Snapshot is the whole persistent state of an engine.
type Snapshot struct {
	Groups   []Group
	Messages []StoredMessage
	Records  []Record
}

// Batch is the set of changes one engine step makes. A Store applies a
// batch atomically: all of it or none.
type Batch struct {
	Groups     []Group
	Messages   []StoredMessage // inserted or replaced (delivery state changes)
	Records    []Record        // inserted or replaced
	DelRecords []RecordKey
}

// Empty reports whether the batch changes nothing.
func (b *Batch) Empty() bool {
	return len(b.Groups)+len(b.Messages)+len(b.Records)+len(b.DelRecords) == 0
}

// Store keeps an engine's state. The engine applies one batch per step
// (Send, Receive, Tick, ...) before it releases any frame of that step, so a
// message the engine acknowledged is in the store.
type Store interface {
	// Load returns the persisted state.
	Load() (*Snapshot, error)
	// Apply applies a batch atomically and durably.
	Apply(*Batch) error
	// Close releases the store.
	Close() error
}

// ErrStore wraps failures of the store; the engine cannot continue after one.
var ErrStore = errors.New("sync: store failure")

// MemStore is a Store in memory. It is safe for one engine at a time.
type MemStore struct {
	groups   map[GroupID]Group
	messages map[ID]StoredMessage
	records  map[RecordKey]Record
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{groups: map[GroupID]Group{}, messages: map[ID]StoredMessage{}, records: map[RecordKey]Record{}}
}

// Load implements Store.
func (s *MemStore) Load() (*Snapshot, error) {
	snap := &Snapshot{}
	for _, k := range slices.SortedFunc(maps.Keys(s.groups), cmpID) {
		snap.Groups = append(snap.Groups, s.groups[k])
	}
	for _, k := range slices.SortedFunc(maps.Keys(s.messages), cmpID) {
		snap.Messages = append(snap.Messages, s.messages[k])
	}
	for _, k := range slices.SortedFunc(maps.Keys(s.records), RecordKey.Compare) {
		snap.Records = append(snap.Records, s.records[k])
	}
	return snap, nil
}

// Apply implements Store.
func (s *MemStore) Apply(b *Batch) error {
	for _, g := range b.Groups {
		s.groups[g.ID] = Group{ID: g.ID, Members: slices.Clone(g.Members)}
	}
	for _, m := range b.Messages {
		s.messages[m.Message.ID()] = m
	}
	for _, k := range b.DelRecords {
		delete(s.records, k)
	}
	for _, r := range b.Records {
		s.records[r.RecordKey] = r
	}
	return nil
}

// Close implements Store.
func (s *MemStore) Close() error { return nil }

func cmpID(a, b ID) int {
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Compare orders record keys by peer, kind, then id: the order in which
// stores return records from Load.
func (a RecordKey) Compare(b RecordKey) int {
	switch {
	case a.Peer < b.Peer:
		return -1
	case a.Peer > b.Peer:
		return 1
	case a.Kind != b.Kind:
		return int(a.Kind) - int(b.Kind)
	}
	return cmpID(a.ID, b.ID)
}
