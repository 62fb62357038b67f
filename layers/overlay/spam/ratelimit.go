package spam

import (
	"container/list"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// RateLimitConfig configures the per-peer, per-topic token buckets.
type RateLimitConfig struct {
	// Rate is how many messages per second a forwarding peer may send on
	// one topic in the long run.
	Rate float64 `json:"rate"`
	// Burst is the bucket's capacity: how many messages may arrive at once
	// after a quiet period (≥ 1).
	Burst float64 `json:"burst"`
	// MaxEntries bounds the buckets kept; the least recently used is
	// evicted to make room.
	MaxEntries int `json:"max_entries"`
}

// Default rate-limit values.
const (
	// defaultRate and defaultBurst are this project's choice: 100
	// messages/s per peer and topic, bursts of 200. A peer forwards the
	// whole topic's traffic, so the rate must sit above the topic's honest
	// rate; the spam scenarios sweep it.
	defaultRate  = 100
	defaultBurst = 200
	// defaultMaxEntries: 128 connections (the overlay's MaxConns) × 32
	// topics, so connected peers are not evicted in normal operation.
	defaultMaxEntries = 4096
)

// DefaultRateLimitConfig returns 100 messages/s, burst 200, 4096 buckets
// (the reason for each is beside its constant).
func DefaultRateLimitConfig() RateLimitConfig {
	return RateLimitConfig{Rate: defaultRate, Burst: defaultBurst, MaxEntries: defaultMaxEntries}
}

// Validate checks the configuration.
func (c RateLimitConfig) Validate() error {
	switch {
	case !(c.Rate > 0) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("%w: RateLimitConfig.Rate=%v must be positive and finite", ErrConfig, c.Rate)
	case !(c.Burst >= 1) || math.IsInf(c.Burst, 0):
		return fmt.Errorf("%w: RateLimitConfig.Burst=%v must be at least 1 and finite", ErrConfig, c.Burst)
	case c.MaxEntries < 1:
		return fmt.Errorf("%w: RateLimitConfig.MaxEntries must be at least 1", ErrConfig)
	}
	return nil
}

type bucketKey struct {
	peer  peer.ID
	topic string
}

type bucket struct {
	key    bucketKey
	tokens float64
	last   time.Time
}

// RateLimiter keeps a token bucket per (forwarding peer, topic). Time is
// passed in; a time earlier than a bucket's last one refills nothing.
// Memory is bounded by MaxEntries buckets. It is safe for concurrent use.
type RateLimiter struct {
	cfg     RateLimitConfig
	mu      sync.Mutex
	buckets map[bucketKey]*list.Element
	lru     *list.List // front: most recently used
	evicted uint64
}

// NewRateLimiter returns a limiter with no bucket. Errors: ErrConfig.
func NewRateLimiter(cfg RateLimitConfig) (*RateLimiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &RateLimiter{cfg: cfg, buckets: map[bucketKey]*list.Element{}, lru: list.New()}, nil
}

// Config returns the limiter's configuration.
func (l *RateLimiter) Config() RateLimitConfig { return l.cfg }

// Allow takes a token from the bucket of (from, topic) at time now. A new
// bucket starts full. It returns nil, or an error wrapping ErrRateLimited.
func (l *RateLimiter) Allow(now time.Time, from peer.ID, topic string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := bucketKey{peer: from, topic: topic}
	var b *bucket
	if el, ok := l.buckets[k]; ok {
		l.lru.MoveToFront(el)
		b = el.Value.(*bucket)
		if dt := now.Sub(b.last); dt > 0 {
			b.tokens = math.Min(l.cfg.Burst, b.tokens+dt.Seconds()*l.cfg.Rate)
			b.last = now
		}
	} else {
		if l.lru.Len() >= l.cfg.MaxEntries {
			old := l.lru.Back()
			delete(l.buckets, old.Value.(*bucket).key)
			l.lru.Remove(old)
			l.evicted++
		}
		b = &bucket{key: k, tokens: l.cfg.Burst, last: now}
		l.buckets[k] = l.lru.PushFront(b)
	}
	if b.tokens < 1 {
		return fmt.Errorf("%w: peer %s on %s", ErrRateLimited, from, topic)
	}
	b.tokens--
	return nil
}

// Len returns how many buckets the limiter holds.
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// Evicted returns how many buckets were evicted to respect MaxEntries.
func (l *RateLimiter) Evicted() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.evicted
}
