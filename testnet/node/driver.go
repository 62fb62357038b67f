package node

import (
	"context"
	"time"
)

// driverQueue is how many commands may wait for a driver's loop; posting
// blocks beyond it, which is the backpressure on the transports and the
// control API.
const driverQueue = 1024

// driver runs a layer core on one goroutine against the node's wall
// clock. Requests, inbound frames and the core's own deadlines all become
// calls on that goroutine, each handed the current time, so the core never
// reads a clock and needs no lock (the sync engine and the mixnet cores).
type driver struct {
	cmds chan func(time.Time)
	// done is closed when the loop has returned.
	done chan struct{}
	// stopped is what posts and calls get once it has.
	stopped error
}

func newDriver(stopped error) *driver {
	return &driver{cmds: make(chan func(time.Time), driverQueue), done: make(chan struct{}), stopped: stopped}
}

// run is the loop, until ctx ends: it runs posted commands, calls tick
// when the core's deadline (deadline; none: an hour) has passed, and
// after each of those calls after (if not nil). It closes done on return.
func (d *driver) run(ctx context.Context, tick func(now time.Time), after func(), deadline func() (time.Time, bool)) {
	defer close(d.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-d.cmds:
			f(time.Now())
		case <-timer.C:
			tick(time.Now())
		}
		if after != nil {
			after()
		}
		wait := time.Hour
		if t, ok := deadline(); ok {
			wait = max(0, time.Until(t))
		}
		// Since Go 1.23 no tick of the old setting arrives after Reset.
		timer.Reset(wait)
	}
}

// post queues f to run on the loop. It blocks while the queue is full and
// fails once ctx ends or the loop has stopped.
func (d *driver) post(ctx context.Context, f func(now time.Time)) error {
	select { // first, or a queue with room would win over a closed done
	case <-d.done:
		return d.stopped
	default:
	}
	select {
	case d.cmds <- f:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-d.done:
		return d.stopped
	}
}

// onLoop runs f on d's loop and returns what it returned. It fails once
// ctx ends or the loop has stopped before running f.
func onLoop[T any](ctx context.Context, d *driver, f func(now time.Time) (T, error)) (T, error) {
	var (
		v   T
		err error
	)
	ran := make(chan struct{})
	if perr := d.post(ctx, func(now time.Time) {
		v, err = f(now)
		close(ran)
	}); perr != nil {
		return v, perr
	}
	var zero T
	select {
	case <-ran:
		return v, err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-d.done:
		select {
		case <-ran: // the loop ran f just before it stopped
			return v, err
		default:
			return zero, d.stopped
		}
	}
}
