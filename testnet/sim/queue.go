package sim

// evKind is what a queued event does when it fires.
type evKind uint8

const (
	evArrive evKind = iota + 1 // a packet reaches node `node` from `from`
	evTimer                    // timer `arg` of node `node` fires
	evChurn                    // node `node` toggles; arg is the churn generation
	evFunc                     // run s.funcs[arg]
)

// event is one entry of the queue: 64 bytes, stored by value so that the
// queue allocates only when it grows.
type event struct {
	at      int64  // virtual nanoseconds since the epoch
	seq     uint64 // insertion number: breaks ties, makes the order total
	arg     uint64 // packet id, timer tag, churn generation or func slot
	payload []byte // evArrive only
	node    int32
	from    int32
	kind    evKind
}

// less orders events by time, then by insertion.
func (e *event) less(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

// queue is a binary min-heap of events. It is written out rather than built
// on container/heap, whose interface{} Push and Pop would allocate once per
// event.
type queue struct {
	h []event
}

func (q *queue) len() int { return len(q.h) }

// peek returns the earliest event; the queue must not be empty.
func (q *queue) peek() *event { return &q.h[0] }

func (q *queue) push(e event) {
	q.h = append(q.h, event{})
	h := q.h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !e.less(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// pop removes and returns the earliest event; the queue must not be empty.
func (q *queue) pop() event {
	h := q.h
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h[n] = event{} // drop the payload reference
	h = h[:n]
	q.h = h
	if n == 0 {
		return top
	}
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].less(&h[l]) {
			m = r
		}
		if !h[m].less(&last) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = last
	return top
}
