package testnet

import "time"

// interval is a half-open span of run time.
type interval struct{ from, to time.Duration }

func (iv interval) overlaps(from, to time.Duration) bool { return iv.from < to && from < iv.to }

const forever = time.Duration(1<<63 - 1)

// timeline says when each node could not take part (killed, stopped,
// isolated) and which partitions were in force, from a plan's events.
type timeline struct {
	out   [][]interval // per node: killed, stopped or isolated
	down  [][]interval // per node: killed or stopped (the process cannot act)
	parts []partition
}

type partition struct {
	interval
	side map[int]bool
}

func (p *Plan) timeline() *timeline {
	tl := &timeline{out: make([][]interval, len(p.Nodes)), down: make([][]interval, len(p.Nodes))}
	downSince := make([]time.Duration, len(p.Nodes))
	downN := make([]int, len(p.Nodes))
	since := make([]time.Duration, len(p.Nodes))
	downs := make([]int, len(p.Nodes)) // nested off states (e.g. stopped while isolated)
	off := func(i int, at time.Duration) {
		if downs[i] == 0 {
			since[i] = at
		}
		downs[i]++
	}
	on := func(i int, at time.Duration) {
		if downs[i] == 0 {
			return
		}
		downs[i]--
		if downs[i] == 0 {
			tl.out[i] = append(tl.out[i], interval{since[i], at})
		}
	}
	var open *partition
	for _, e := range p.Events {
		for _, i := range e.Nodes {
			switch e.Action {
			case ActKill, ActStop, actIsolate:
				off(i, e.At)
			case ActRestart, ActCont, actRejoin:
				on(i, e.At)
			}
			switch e.Action {
			case ActKill, ActStop:
				if downN[i] == 0 {
					downSince[i] = e.At
				}
				downN[i]++
			case ActRestart, ActCont:
				if downN[i] > 0 {
					downN[i]--
					if downN[i] == 0 {
						tl.down[i] = append(tl.down[i], interval{downSince[i], e.At})
					}
				}
			}
		}
		switch e.Action {
		case ActPartition:
			if open != nil {
				open.to = e.At
				tl.parts = append(tl.parts, *open)
			}
			open = &partition{interval: interval{e.At, forever}, side: map[int]bool{}}
			for _, i := range e.Nodes {
				open.side[i] = true
			}
		case ActHeal:
			if open != nil {
				open.to = e.At
				tl.parts = append(tl.parts, *open)
				open = nil
			}
		}
	}
	if open != nil {
		tl.parts = append(tl.parts, *open)
	}
	for i := range downs {
		if downs[i] > 0 {
			tl.out[i] = append(tl.out[i], interval{since[i], forever})
		}
		if downN[i] > 0 {
			tl.down[i] = append(tl.down[i], interval{downSince[i], forever})
		}
	}
	return tl
}

// available reports whether node i was up during [from, to).
func (tl *timeline) available(i int, from, to time.Duration) bool {
	for _, iv := range tl.out[i] {
		if iv.overlaps(from, to) {
			return false
		}
	}
	return true
}

// eligible reports whether node j is expected to receive a message node
// pub published at t: both up from t to t+window, and on the same side of
// every partition in force meanwhile.
func (tl *timeline) eligible(j, pub int, t, window time.Duration) bool {
	if !tl.available(j, t, t+window) || !tl.available(pub, t, t+window) {
		return false
	}
	for _, p := range tl.parts {
		if p.overlaps(t, t+window) && p.side[j] != p.side[pub] {
			return false
		}
	}
	return true
}

// running reports whether node i's process can act at t (not killed or
// stopped; an isolated node still runs).
func (tl *timeline) running(i int, t time.Duration) bool {
	for _, iv := range tl.down[i] {
		if iv.overlaps(t, t+1) {
			return false
		}
	}
	return true
}
