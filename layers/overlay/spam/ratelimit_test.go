package spam

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

func TestRateLimiterBucket(t *testing.T) {
	l, err := NewRateLimiter(RateLimitConfig{Rate: 2, Burst: 3, MaxEntries: 10})
	if err != nil {
		t.Fatal(err)
	}
	p := peer.ID("peer-a")
	allowed := func(now time.Time, n int) int {
		ok := 0
		for range n {
			if err := l.Allow(now, p, testTopic); err == nil {
				ok++
			} else if !errors.Is(err, ErrRateLimited) {
				t.Fatal(err)
			}
		}
		return ok
	}
	if got := allowed(testTime, 10); got != 3 {
		t.Fatalf("burst: %d allowed, want 3", got)
	}
	if got := allowed(testTime.Add(500*time.Millisecond), 10); got != 1 {
		t.Fatalf("after 0.5 s at 2/s: %d allowed, want 1", got)
	}
	// A clock that goes back refills nothing.
	if got := allowed(testTime, 5); got != 0 {
		t.Fatalf("time going back: %d allowed", got)
	}
	if got := allowed(testTime.Add(time.Hour), 10); got != 3 {
		t.Fatalf("after a long pause: %d allowed, want the burst of 3", got)
	}
	// Another topic, another peer: their own buckets.
	if err := l.Allow(testTime, p, "/strata/1/chat/other"); err != nil {
		t.Fatal(err)
	}
	if err := l.Allow(testTime, "peer-b", testTopic); err != nil {
		t.Fatal(err)
	}
}

func TestRateLimiterEviction(t *testing.T) {
	l, _ := NewRateLimiter(RateLimitConfig{Rate: 1, Burst: 1, MaxEntries: 3})
	for i := range 3 {
		if err := l.Allow(testTime, peer.ID(fmt.Sprint(i)), testTopic); err != nil {
			t.Fatal(err)
		}
	}
	// Touch peer 0 so that peer 1 is the least recently used.
	if err := l.Allow(testTime, "0", testTopic); !errors.Is(err, ErrRateLimited) {
		t.Fatal("peer 0 not limited")
	}
	if err := l.Allow(testTime, "3", testTopic); err != nil {
		t.Fatal(err)
	}
	if l.Len() != 3 || l.Evicted() != 1 {
		t.Fatalf("len %d evicted %d", l.Len(), l.Evicted())
	}
	// Peer 1 was evicted and starts with a full bucket; peer 0 was kept.
	if err := l.Allow(testTime, "1", testTopic); err != nil {
		t.Fatal("evicted peer still limited")
	}
	if err := l.Allow(testTime, "3", testTopic); !errors.Is(err, ErrRateLimited) {
		t.Fatal("peer 3 lost its bucket")
	}
}

func TestRateLimitConfigValidate(t *testing.T) {
	if err := DefaultRateLimitConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []RateLimitConfig{{Rate: 0, Burst: 1, MaxEntries: 1}, {Rate: 1, Burst: 0.5, MaxEntries: 1}, {Rate: 1, Burst: 1}} {
		if _, err := NewRateLimiter(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v accepted", c)
		}
	}
}
