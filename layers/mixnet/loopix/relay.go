package loopix

import (
	"container/heap"
	"errors"
	"fmt"
	"time"
)

// epochKey is a node's key of one epoch and its replay filter.
type epochKey struct {
	epoch uint64
	u     Unwrapper
	seen  map[[32]byte]struct{}
}

// held is a packet in a node's pool.
type held struct {
	release time.Time
	seq     uint64
	next    NodeID
	packet  []byte
	ref     uint64
	class   Class
}

type pool []held

func (p pool) Len() int { return len(p) }
func (p pool) Less(i, j int) bool {
	if !p[i].release.Equal(p[j].release) {
		return p[i].release.Before(p[j].release)
	}
	return p[i].seq < p[j].seq
}
func (p pool) Swap(i, j int) { p[i], p[j] = p[j], p[i] }
func (p *pool) Push(x any)   { *p = append(*p, x.(held)) }
func (p *pool) Pop() any {
	o := *p
	x := o[len(o)-1]
	o[len(o)-1] = held{}
	*p = o[:len(o)-1]
	return x
}

// relay is the packet processing mixes and providers share: unwrap under
// the current or previous epoch's key, replay check, route check, hold for
// the sender-chosen delay, forward.
type relay struct {
	self    NodeID
	role    Role
	layer   int
	dir     *Directory
	format  Format
	keys    []epochKey // newest first; at most two
	pool    pool
	seq     uint64
	maxPool int
	ledger  Ledger
	out     []Action
}

func (r *relay) drop(now time.Time, ref uint64, why Reason) {
	r.ledger.Dropped++
	r.out = append(r.out, Action{Kind: ActDrop, At: now, Ref: ref, Reason: why})
}

// setKey installs the key of a new epoch and keeps the previous one, so
// packets built just before the rotation still open.
func (r *relay) setKey(dir *Directory, u Unwrapper) error {
	if u == nil {
		return fmt.Errorf("%w: no key for epoch %d", ErrConfig, dir.Epoch)
	}
	n, ok := dir.Node(r.self)
	if !ok || n.Role != r.role {
		return fmt.Errorf("%w: node %s is not a %s of directory epoch %d", ErrConfig, r.self, r.role, dir.Epoch)
	}
	if len(r.keys) > 0 && dir.Epoch <= r.keys[0].epoch {
		if dir.Epoch == r.keys[0].epoch {
			r.dir, r.layer = dir, n.Layer
			r.keys[0].u = u
			return nil
		}
		return fmt.Errorf("%w: directory epoch %d is older than %d", ErrConfig, dir.Epoch, r.keys[0].epoch)
	}
	r.dir, r.layer = dir, n.Layer
	k := epochKey{epoch: dir.Epoch, u: u, seen: map[[32]byte]struct{}{}}
	if len(r.keys) > 0 {
		r.keys = []epochKey{k, r.keys[0]}
	} else {
		r.keys = []epochKey{k}
	}
	return nil
}

// open unwraps a packet under the keys held, newest first, and checks its
// replay tag against that key's filter.
func (r *relay) open(pkt []byte) (Opened, Reason) {
	var firstErr error
	for i := range r.keys {
		k := &r.keys[i]
		o, err := k.u.Unwrap(pkt)
		if errors.Is(err, ErrReplay) {
			return Opened{}, ReasonReplay
		}
		if err != nil {
			if firstErr == nil || errors.Is(firstErr, ErrUnwrap) && !errors.Is(err, ErrUnwrap) {
				firstErr = err
			}
			continue
		}
		if _, dup := k.seen[o.Tag]; dup {
			return Opened{}, ReasonReplay
		}
		k.seen[o.Tag] = struct{}{}
		return o, 0
	}
	if errors.Is(firstErr, ErrUnwrap) {
		return Opened{}, ReasonUnwrap
	}
	return Opened{}, ReasonMalformed
}

// nextLayer is the layer a node of layer l forwards to: providers (0) to
// layer 1, layer Layers to providers.
func (r *relay) nextLayer() int {
	if r.layer == r.dir.Layers {
		return 0
	}
	return r.layer + 1
}

// hold checks the forwarding command and puts the packet in the pool.
func (r *relay) hold(now time.Time, o Opened, ref uint64, class Class) {
	if o.Delay > r.dir.Params.MaxDelay {
		r.drop(now, ref, ReasonDelay)
		return
	}
	n, ok := r.dir.Node(o.Next)
	if !ok || n.Layer != r.nextLayer() {
		r.drop(now, ref, ReasonUnknownHop)
		return
	}
	if r.maxPool > 0 && len(r.pool) >= r.maxPool {
		r.drop(now, ref, ReasonPoolFull)
		return
	}
	r.seq++
	heap.Push(&r.pool, held{release: now.Add(o.Delay), seq: r.seq, next: o.Next, packet: o.Packet, ref: ref, class: class})
	r.ledger.Held++
}

// release forwards every held packet whose delay has ended by now, in
// release order, and returns them for the caller's bookkeeping.
func (r *relay) release(now time.Time, each func(h *held)) {
	for len(r.pool) > 0 && !r.pool[0].release.After(now) {
		h := heap.Pop(&r.pool).(held)
		if each != nil {
			each(&h)
		}
		r.ledger.Held--
		if h.class == ClassForward {
			r.ledger.Forwarded++
		}
		r.out = append(r.out, Action{Kind: ActSend, At: now, To: h.next, Frame: EncodePacketFrame(h.packet), Class: h.class, Ref: h.ref})
	}
}

// nextRelease is the release time of the earliest held packet.
func (r *relay) nextRelease() (time.Time, bool) {
	if len(r.pool) == 0 {
		return time.Time{}, false
	}
	return r.pool[0].release, true
}

// flush returns the actions gathered, with the timer for deadline last.
func (r *relay) flush(deadline time.Time, ok bool) []Action {
	if ok {
		r.out = append(r.out, Action{Kind: ActTimer, At: deadline})
	}
	out := r.out
	r.out = nil
	return out
}

func earliest(a time.Time, aok bool, b time.Time, bok bool) (time.Time, bool) {
	switch {
	case !aok:
		return b, bok
	case !bok:
		return a, aok
	case b.Before(a):
		return b, true
	}
	return a, true
}
