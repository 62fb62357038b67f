package sync

import (
	"container/heap"
	"time"
)

// recEntry is a record in the engine's schedule. Entries of reachable peers
// sit in a min-heap ordered by due time; entries found due while their
// peer is unreachable are parked until the peer comes back.
type recEntry struct {
	Record
	idx    int // position in the heap, -1 when parked
	parked bool
}

// due is when the entry next needs attention: its transmission or its
// expiry, whichever comes first.
func (r *recEntry) due(ttl time.Duration) time.Time {
	if ttl > 0 {
		if exp := r.First.Add(ttl); exp.Before(r.Next) {
			return exp
		}
	}
	return r.Next
}

// schedule is the set of records: a map for lookup, per-peer sets for
// reconnects, and a heap for timers.
type schedule struct {
	ttl    time.Duration
	byKey  map[RecordKey]*recEntry
	byPeer map[PeerID]map[RecordKey]*recEntry
	h      recHeap
}

func newSchedule(ttl time.Duration) schedule {
	return schedule{ttl: ttl, byKey: map[RecordKey]*recEntry{}, byPeer: map[PeerID]map[RecordKey]*recEntry{}, h: recHeap{ttl: ttl}}
}

func (s *schedule) get(k RecordKey) *recEntry { return s.byKey[k] }
func (s *schedule) len() int                  { return len(s.byKey) }

func (s *schedule) add(r Record) *recEntry {
	e := &recEntry{Record: r, idx: -1}
	s.byKey[r.RecordKey] = e
	m := s.byPeer[r.Peer]
	if m == nil {
		m = map[RecordKey]*recEntry{}
		s.byPeer[r.Peer] = m
	}
	m[r.RecordKey] = e
	heap.Push(&s.h, e)
	return e
}

func (s *schedule) remove(k RecordKey) bool {
	e := s.byKey[k]
	if e == nil {
		return false
	}
	if e.idx >= 0 {
		heap.Remove(&s.h, e.idx)
	}
	delete(s.byKey, k)
	delete(s.byPeer[k.Peer], k)
	if len(s.byPeer[k.Peer]) == 0 {
		delete(s.byPeer, k.Peer)
	}
	return true
}

// changed restores the heap after an entry's times changed; a parked entry
// rejoins the heap.
func (s *schedule) changed(e *recEntry) {
	if e.parked {
		e.parked = false
		heap.Push(&s.h, e)
		return
	}
	heap.Fix(&s.h, e.idx)
}

// popDue removes and returns the earliest entry due at or before now.
func (s *schedule) popDue(now time.Time) *recEntry {
	if len(s.h.es) == 0 || s.h.es[0].due(s.ttl).After(now) {
		return nil
	}
	return heap.Pop(&s.h).(*recEntry)
}

// park keeps a popped entry out of the heap until changed is called.
func (s *schedule) park(e *recEntry) { e.parked = true }

// reschedule puts a popped entry back into the heap.
func (s *schedule) reschedule(e *recEntry) { heap.Push(&s.h, e) }

// next is the earliest due time in the heap.
func (s *schedule) next() (time.Time, bool) {
	if len(s.h.es) == 0 {
		return time.Time{}, false
	}
	return s.h.es[0].due(s.ttl), true
}

type recHeap struct {
	ttl time.Duration
	es  []*recEntry
}

func (h recHeap) Len() int { return len(h.es) }
func (h recHeap) Less(i, j int) bool {
	a, b := h.es[i], h.es[j]
	da, db := a.due(h.ttl), b.due(h.ttl)
	if !da.Equal(db) {
		return da.Before(db)
	}
	return a.RecordKey.Compare(b.RecordKey) < 0
}
func (h recHeap) Swap(i, j int) {
	h.es[i], h.es[j] = h.es[j], h.es[i]
	h.es[i].idx, h.es[j].idx = i, j
}
func (h *recHeap) Push(x any) {
	e := x.(*recEntry)
	e.idx = len(h.es)
	h.es = append(h.es, e)
}
func (h *recHeap) Pop() any {
	n := len(h.es) - 1
	e := h.es[n]
	h.es[n] = nil
	h.es = h.es[:n]
	e.idx = -1
	return e
}
