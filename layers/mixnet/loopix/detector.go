package loopix

import (
	"container/heap"
	"fmt"
	"math"
	"time"
)

// DetectorConfig configures a mix's n−1 detector (SPEC.md, "Procedures").
// A loop the mix sent is due at its send time plus the delays the mix
// chose for it plus Budget; a loop not back by then counts as lost. At
// every check, the loops due within the last Window are counted; if there
// are at least MinLoops and the fraction back is below Threshold, the
// detector alarms.
type DetectorConfig struct {
	Window    time.Duration
	Threshold float64
	MinLoops  int
	Budget    time.Duration
	// Every is the period of the checks.
	Every time.Duration
}

// DefaultDetector returns a 30 s window, threshold 0.75, at least 20 loops,
// a 2 s allowance for links and slack, a check every 5 s. With λM = 2/s a
// window holds about 60 loops.
func DefaultDetector() DetectorConfig {
	return DetectorConfig{Window: 30 * time.Second, Threshold: 0.75, MinLoops: 20, Budget: 2 * time.Second, Every: 5 * time.Second}
}

func (c DetectorConfig) validate() error {
	if c.Window <= 0 || c.Every <= 0 || c.Budget < 0 || !(c.Threshold > 0 && c.Threshold <= 1) || c.MinLoops < 1 {
		return fmt.Errorf("%w: detector %+v: window, period > 0, budget ≥ 0, threshold in (0,1], min loops ≥ 1", ErrConfig, c)
	}
	return nil
}

// Alarm is a detector verdict below threshold.
type Alarm struct {
	At       time.Time
	Due      int // loops due in the window
	Returned int // of which back in time
	Ratio    float64
}

type loopRec struct {
	sent     time.Time
	due      time.Time
	returned bool
}

type dueRef struct {
	due time.Time
	id  [16]byte
}

type dueHeap []dueRef

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueRef)) }
func (h *dueHeap) Pop() any {
	o := *h
	x := o[len(o)-1]
	*h = o[:len(o)-1]
	return x
}

type resolved struct {
	due      time.Time
	returned bool
}

// detector tracks a mix's loops.
type detector struct {
	cfg       DetectorConfig
	loops     map[[16]byte]*loopRec
	pending   dueHeap
	window    []resolved // resolved loops, by due time
	lost      map[[16]byte]time.Time
	lostOrder []dueRef
	nextCheck time.Time
	alarmed   bool
	alarms    int
	checks    int
}

func newDetector(cfg DetectorConfig, now time.Time) *detector {
	return &detector{cfg: cfg, loops: map[[16]byte]*loopRec{}, lost: map[[16]byte]time.Time{}, nextCheck: now.Add(cfg.Every)}
}

func (d *detector) sent(id [16]byte, sent, due time.Time) {
	d.loops[id] = &loopRec{sent: sent, due: due}
	heap.Push(&d.pending, dueRef{due: due, id: id})
}

// back records a returning loop. known: the id is one of this
// endpoint's loops (pending, or lost within the last forget period);
// inTime: it is back before its due time (and counts as returned).
func (d *detector) back(id [16]byte, now time.Time) (known, inTime bool, sent time.Time) {
	if l, ok := d.loops[id]; ok {
		if l.returned || now.After(l.due) {
			return true, false, l.sent
		}
		l.returned = true
		return true, true, l.sent
	}
	if _, ok := d.lost[id]; ok {
		delete(d.lost, id)
		return true, false, time.Time{}
	}
	return false, false, time.Time{}
}

// forget is how long the ids of lost loops are kept, so a late loop is
// recognised as such.
func (d *detector) forget() time.Duration { return 10 * d.cfg.Window }

// ratio is the fraction of the loops resolved within the window that came
// back, or −1 if none resolved.
func (d *detector) ratio() float64 {
	if len(d.window) == 0 {
		return -1
	}
	n := 0
	for _, r := range d.window {
		if r.returned {
			n++
		}
	}
	return float64(n) / float64(len(d.window))
}

// advance resolves the loops due by now and runs the checks due; it
// returns the alarms raised.
func (d *detector) advance(now time.Time) []Alarm {
	var alarms []Alarm
	for {
		nextDue, ok := time.Time{}, len(d.pending) > 0
		if ok {
			nextDue = d.pending[0].due
		}
		if ok && !nextDue.After(now) && !nextDue.After(d.nextCheck) {
			r := heap.Pop(&d.pending).(dueRef)
			l := d.loops[r.id]
			delete(d.loops, r.id)
			d.window = append(d.window, resolved{due: r.due, returned: l.returned})
			if !l.returned {
				d.lost[r.id] = r.due
				d.lostOrder = append(d.lostOrder, r)
			}
			continue
		}
		if d.nextCheck.After(now) {
			d.prune(now)
			return alarms
		}
		if a, fired := d.check(d.nextCheck); fired {
			alarms = append(alarms, a)
		}
		d.nextCheck = d.nextCheck.Add(d.cfg.Every)
	}
}

func (d *detector) prune(now time.Time) {
	k := 0
	for k < len(d.lostOrder) && now.Sub(d.lostOrder[k].due) > d.forget() {
		delete(d.lost, d.lostOrder[k].id)
		k++
	}
	if k > 0 {
		d.lostOrder = append(d.lostOrder[:0], d.lostOrder[k:]...)
	}
}

func (d *detector) check(at time.Time) (Alarm, bool) {
	from := at.Add(-d.cfg.Window)
	k := 0
	for k < len(d.window) && !d.window[k].due.After(from) {
		k++
	}
	d.window = d.window[k:]
	a := Alarm{At: at, Due: len(d.window)}
	for _, r := range d.window {
		if r.returned {
			a.Returned++
		}
	}
	d.checks++
	if a.Due < d.cfg.MinLoops {
		return a, false
	}
	a.Ratio = float64(a.Returned) / float64(a.Due)
	below := a.Ratio < d.cfg.Threshold
	fire := below && !d.alarmed
	d.alarmed = below
	if fire {
		d.alarms++
	}
	return a, fire
}

// FalseAlarmProbability is the probability that one check alarms without
// an attack: P(Binomial(n, q) < θ·n), for n loops due in the window, each
// back with probability q (the loss of the links on its path), and
// threshold θ (SPEC.md, "Security considerations").
func FalseAlarmProbability(n int, q, theta float64) float64 {
	if n <= 0 {
		return 0
	}
	p := 0.0
	for k := 0; float64(k) < theta*float64(n); k++ {
		lc, _ := math.Lgamma(float64(n + 1))
		a, _ := math.Lgamma(float64(k + 1))
		b, _ := math.Lgamma(float64(n - k + 1))
		lp := lc - a - b
		if q > 0 {
			lp += float64(k) * math.Log(q)
		} else if k > 0 {
			continue
		}
		if q < 1 {
			lp += float64(n-k) * math.Log1p(-q)
		} else if n-k > 0 {
			continue
		}
		p += math.Exp(lp)
	}
	return math.Min(p, 1)
}
