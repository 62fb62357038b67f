package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/strata-lab/strata/layers/sync"
)

// Implementation constants: limits of this store's encoding.
const (
	// MaxPeerIDLen bounds the bytes of a peer id the store accepts.
	MaxPeerIDLen = 1024
	// MaxMembers bounds the members of a group the store accepts.
	MaxMembers = math.MaxUint16
)

const (
	// valueVersion is the format version every stored value starts with.
	valueVersion = 1

	zeroTime = math.MinInt64 // the encoding of time.Time{}

	msgDelivered = 1 << 0
	msgEphemeral = 1 << 1

	msgHeaderLen = 1 + 1 + 8 + 8 + sync.IDSize + 1
	recordLen    = 1 + sync.IDSize + 8 + 8 + 8 + 8
)

func unstorable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnstorable, fmt.Sprintf(format, args...))
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// encodeTime maps t to UnixNano, the zero time to zeroTime. It refuses times
// that would not load back Equal to t.
func encodeTime(t time.Time) (int64, error) {
	if t.IsZero() {
		return zeroTime, nil
	}
	n := t.UnixNano()
	if n == zeroTime || !time.Unix(0, n).Equal(t) {
		return 0, unstorable("time %v is outside the UnixNano range", t)
	}
	return n, nil
}

func decodeTime(n int64) time.Time {
	if n == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// recordKey encodes u16 len(peer) || peer || u8 kind || id.
func recordKey(k sync.RecordKey) ([]byte, error) {
	if len(k.Peer) > MaxPeerIDLen {
		return nil, unstorable("peer id of %d bytes, limit %d", len(k.Peer), MaxPeerIDLen)
	}
	b := make([]byte, 0, 2+len(k.Peer)+1+sync.IDSize)
	b = binary.BigEndian.AppendUint16(b, uint16(len(k.Peer)))
	b = append(b, k.Peer...)
	b = append(b, byte(k.Kind))
	return append(b, k.ID[:]...), nil
}

func decodeRecordKey(b []byte) (sync.RecordKey, error) {
	var k sync.RecordKey
	if len(b) < 2 {
		return k, corrupt("record key of %d bytes", len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	if n > MaxPeerIDLen || len(b) != 2+n+1+sync.IDSize {
		return k, corrupt("record key of %d bytes names a peer id of %d bytes", len(b), n)
	}
	k.Peer = sync.PeerID(b[2 : 2+n])
	k.Kind = sync.RecordKind(b[2+n])
	copy(k.ID[:], b[2+n+1:])
	return k, nil
}

func encodeGroup(g *sync.Group) ([]byte, error) {
	if len(g.Members) > MaxMembers {
		return nil, unstorable("group %s has %d members, limit %d", sync.Short(g.ID), len(g.Members), MaxMembers)
	}
	size := 1 + 2
	for _, p := range g.Members {
		if len(p) > MaxPeerIDLen {
			return nil, unstorable("peer id of %d bytes, limit %d", len(p), MaxPeerIDLen)
		}
		size += 2 + len(p)
	}
	b := make([]byte, 0, size)
	b = append(b, valueVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(len(g.Members)))
	for _, p := range g.Members {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
		b = append(b, p...)
	}
	return b, nil
}

// decodeGroup decodes a group value; the id comes from the key.
func decodeGroup(id sync.GroupID, b []byte) (sync.Group, error) {
	g := sync.Group{ID: id}
	if len(b) < 3 {
		return g, corrupt("group %s: value of %d bytes", sync.Short(id), len(b))
	}
	if b[0] != valueVersion {
		return g, corrupt("group %s: format version %d", sync.Short(id), b[0])
	}
	n := int(binary.BigEndian.Uint16(b[1:]))
	b = b[3:]
	// Each member takes at least two bytes: bound the allocation by the input.
	if n > len(b)/2 {
		return g, corrupt("group %s: %d members in %d bytes", sync.Short(id), n, len(b))
	}
	if n > 0 {
		g.Members = make([]sync.PeerID, 0, n)
	}
	for i := range n {
		if len(b) < 2 {
			return g, corrupt("group %s: member %d truncated", sync.Short(id), i)
		}
		l := int(binary.BigEndian.Uint16(b))
		if l > MaxPeerIDLen || len(b) < 2+l {
			return g, corrupt("group %s: member %d of %d bytes in %d bytes", sync.Short(id), i, l, len(b)-2)
		}
		g.Members = append(g.Members, sync.PeerID(b[2:2+l]))
		b = b[2+l:]
	}
	if len(b) != 0 {
		return g, corrupt("group %s: %d trailing bytes", sync.Short(id), len(b))
	}
	return g, nil
}

func encodeMessage(sm *sync.StoredMessage) ([]byte, error) {
	m := &sm.Message
	if len(m.Parents) > sync.MaxParents {
		return nil, unstorable("message with %d parents, limit %d", len(m.Parents), sync.MaxParents)
	}
	if len(m.Body) > sync.MaxBodyBytes {
		return nil, unstorable("message body of %d bytes, limit %d", len(m.Body), sync.MaxBodyBytes)
	}
	since, err := encodeTime(sm.Since)
	if err != nil {
		return nil, err
	}
	var flags byte
	if sm.Delivered {
		flags |= msgDelivered
	}
	if m.Ephemeral {
		flags |= msgEphemeral
	}
	b := make([]byte, 0, msgHeaderLen+len(m.Parents)*sync.IDSize+len(m.Body))
	b = append(b, valueVersion, flags)
	b = binary.BigEndian.AppendUint64(b, uint64(since))
	b = binary.BigEndian.AppendUint64(b, m.Timestamp)
	b = append(b, m.Group[:]...)
	b = append(b, byte(len(m.Parents)))
	for i := range m.Parents {
		b = append(b, m.Parents[i][:]...)
	}
	return append(b, m.Body...), nil
}

// decodeMessage decodes a message value and checks that the message's id
// is key.
func decodeMessage(key sync.ID, b []byte) (sync.StoredMessage, error) {
	sm, err := decodeMessageValue(key, b)
	if err != nil {
		return sm, err
	}
	if id := sm.Message.ID(); id != key {
		return sm, corrupt("message stored under %s has id %s", sync.Short(key), sync.Short(id))
	}
	return sm, nil
}

// decodeMessageValue decodes a message value; key only names it in errors.
func decodeMessageValue(key sync.ID, b []byte) (sync.StoredMessage, error) {
	var sm sync.StoredMessage
	if len(b) < msgHeaderLen {
		return sm, corrupt("message %s: value of %d bytes", sync.Short(key), len(b))
	}
	if b[0] != valueVersion {
		return sm, corrupt("message %s: format version %d", sync.Short(key), b[0])
	}
	flags := b[1]
	if flags&^(msgDelivered|msgEphemeral) != 0 {
		return sm, corrupt("message %s: unknown flags %#x", sync.Short(key), flags)
	}
	sm.Delivered = flags&msgDelivered != 0
	sm.Since = decodeTime(int64(binary.BigEndian.Uint64(b[2:])))
	m := &sm.Message
	m.Ephemeral = flags&msgEphemeral != 0
	m.Timestamp = binary.BigEndian.Uint64(b[10:])
	copy(m.Group[:], b[18:])
	np := int(b[18+sync.IDSize])
	b = b[msgHeaderLen:]
	if np > sync.MaxParents || len(b) < np*sync.IDSize {
		return sm, corrupt("message %s: %d parents in %d bytes", sync.Short(key), np, len(b))
	}
	if np > 0 {
		m.Parents = make([]sync.ID, np)
		for i := range m.Parents {
			copy(m.Parents[i][:], b[i*sync.IDSize:])
		}
	}
	b = b[np*sync.IDSize:]
	if len(b) > sync.MaxBodyBytes {
		return sm, corrupt("message %s: body of %d bytes, limit %d", sync.Short(key), len(b), sync.MaxBodyBytes)
	}
	m.Body = bytes.Clone(b)
	if m.Body == nil {
		m.Body = []byte{}
	}
	return sm, nil
}

func encodeRecord(r *sync.Record) ([]byte, error) {
	first, err := encodeTime(r.First)
	if err != nil {
		return nil, err
	}
	next, err := encodeTime(r.Next)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, recordLen)
	b = append(b, valueVersion)
	b = append(b, r.Group[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(int64(r.Attempts)))
	b = binary.BigEndian.AppendUint64(b, uint64(int64(r.Backoff)))
	b = binary.BigEndian.AppendUint64(b, uint64(first))
	b = binary.BigEndian.AppendUint64(b, uint64(next))
	return b, nil
}

// decodeRecord decodes a record value; the key fields come from the key.
func decodeRecord(k sync.RecordKey, b []byte) (sync.Record, error) {
	r := sync.Record{RecordKey: k}
	if len(b) != recordLen {
		return r, corrupt("record %q/%v/%s: value of %d bytes", k.Peer, k.Kind, sync.Short(k.ID), len(b))
	}
	if b[0] != valueVersion {
		return r, corrupt("record %q/%v/%s: format version %d", k.Peer, k.Kind, sync.Short(k.ID), b[0])
	}
	copy(r.Group[:], b[1:])
	b = b[1+sync.IDSize:]
	attempts := int64(binary.BigEndian.Uint64(b))
	backoff := int64(binary.BigEndian.Uint64(b[8:]))
	if int64(int(attempts)) != attempts || int64(int(backoff)) != backoff {
		return r, corrupt("record %q/%v/%s: counters overflow int", k.Peer, k.Kind, sync.Short(k.ID))
	}
	r.Attempts, r.Backoff = int(attempts), int(backoff)
	r.First = decodeTime(int64(binary.BigEndian.Uint64(b[16:])))
	r.Next = decodeTime(int64(binary.BigEndian.Uint64(b[24:])))
	return r, nil
}
