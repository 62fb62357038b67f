// Package study runs the configurations of a simulator study on a pool of
// workers: the options every study takes, the order-keeping parallel
// runner and its progress lines. Results do not depend on the number of
// workers, since every run is seeded on its own.
package study

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"
)

// Options configure a study.
type Options struct {
	Seed  int64
	Quick bool
	// Progress receives one line per finished run, and the lines runs
	// write while they last (nil: silent).
	Progress io.Writer
	// Workers runs configurations in parallel (0: GOMAXPROCS).
	Workers int
}

// Run runs jobs 0..n-1 with run on opts.Workers workers and returns their
// outputs and wall times in job order. run may call note to print a
// progress line about job i while it runs. With opts.Progress set, each
// finished job prints "[k/n] label: summary (wall)". The first error (in
// job order) is returned, wrapped with the job's label; a cancelled ctx
// stops handing out jobs.
func Run[O any](ctx context.Context, opts Options, n int, label func(i int) string,
	run func(i int, note func(string)) (O, error), summary func(O) string) ([]O, []time.Duration, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	outs := make([]O, n)
	walls := make([]time.Duration, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	print := func(format string, args ...any) {
		if opts.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(opts.Progress, format, args...)
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := time.Now()
				note := func(msg string) {
					print("  … %s: %s, %.0fs elapsed\n", label(i), msg, time.Since(start).Seconds())
				}
				outs[i], errs[i] = run(i, note)
				walls[i] = time.Since(start)
				status := "ok"
				if errs[i] != nil {
					status = errs[i].Error()
				} else if summary != nil {
					status = summary(outs[i])
				}
				mu.Lock()
				done++
				k := done
				mu.Unlock()
				print("  [%d/%d] %s: %s (%.1fs)\n", k, n, label(i), status, walls[i].Seconds())
			}
		}()
	}
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			close(next)
			wg.Wait()
			return nil, nil, ctx.Err()
		}
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", label(i), err)
		}
	}
	return outs, walls, nil
}
