package node

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestDriver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errStopped := errors.New("stopped")
		d := newDriver(errStopped)
		ctx, cancel := context.WithCancel(context.Background())
		start := time.Now()
		next := start.Add(3 * time.Second) // the core's deadline
		var ticks []time.Duration
		afters := 0
		go d.run(ctx, func(now time.Time) {
			ticks = append(ticks, now.Sub(start))
			next = now.Add(5 * time.Second)
		}, func() { afters++ }, func() (time.Time, bool) { return next, true })

		got, err := onLoop(ctx, d, func(now time.Time) (int, error) { return 7, nil })
		if got != 7 || err != nil {
			t.Fatalf("onLoop: %d %v", got, err)
		}
		if _, err := onLoop(ctx, d, func(time.Time) (int, error) { return 0, errStopped }); err != errStopped {
			t.Fatalf("onLoop error: %v", err)
		}
		time.Sleep(9 * time.Second)
		var seen []time.Duration
		n, _ := onLoop(ctx, d, func(time.Time) (int, error) {
			seen = append(seen, ticks...)
			return afters, nil
		})
		if len(seen) != 2 || seen[0] != 3*time.Second || seen[1] != 8*time.Second {
			t.Fatalf("ticks %v, want at 3s and 8s", seen)
		}
		if n != 4 { // after two calls and two ticks
			t.Fatalf("after ran %d times, want 4", n)
		}
		cancel()
		<-d.done
		if err := d.post(context.Background(), func(time.Time) {}); err != errStopped {
			t.Fatalf("post after stop: %v", err)
		}
		if _, err := onLoop(context.Background(), d, func(time.Time) (int, error) { return 1, nil }); err != errStopped {
			t.Fatalf("onLoop after stop: %v", err)
		}
	})
}
