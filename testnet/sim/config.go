package sim

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/strata-lab/strata/internal/trace"
)

// defaultEpoch, 2026-01-01T00:00:00Z, is the virtual time at which a
// simulation starts unless Config.Epoch says otherwise. Unexported so that
// it cannot be changed under other users' feet; DefaultConfig().Epoch
// gives it.
var defaultEpoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Implementation constants.
const (
	// DefaultProgressEvery is how many events pass between two calls of
	// Config.Progress when Config.ProgressEvery is 0.
	DefaultProgressEvery = 1 << 20
	// TraceLayer is the Layer of every trace event the simulator itself
	// emits (send, recv, drop, state).
	TraceLayer = "sim"
	// SimNode is the Node of trace events that concern the whole network
	// (partition, heal) rather than one node.
	SimNode = "sim"
)

// Config configures a Sim. Start from DefaultConfig: in the zero Config,
// TraceLinks is off. New fills the zero Epoch and ProgressEvery; every other
// field is taken as given.
type Config struct {
	// Seed is the one seed every random draw of the run derives from
	// (see the package documentation for the streams).
	Seed uint64
	// Epoch is the virtual time of the start (zero: 2026-01-01T00:00:00Z).
	Epoch time.Time
	// DefaultLink is the link model between two classes that Links does
	// not name.
	DefaultLink LinkModel
	// Links holds the link model per ordered pair of node classes
	// {from, to}. A pair absent here uses DefaultLink.
	Links map[[2]string]LinkModel
	// Churn is the on/off model of every node whose NodeConfig.Churn is nil.
	// The zero Churn means always online.
	Churn Churn
	// Presence turns on PeerUp/PeerDown notifications (see PresenceAware).
	Presence bool
	// Trace receives every trace event, after the simulator's own hashing
	// writer. nil: events are only hashed. If Trace is a *trace.Writer it is
	// used as the hashing writer itself, so each event is encoded once and
	// Sim.TraceHash is the hash of what that writer wrote.
	Trace trace.Sink
	// TraceLinks emits a send event for every packet handed to Send and a
	// recv event for every packet delivered. Drops and state changes are
	// always emitted. Turning it off saves one JSON encoding per packet and
	// per delivery; TraceHash then covers the events that were emitted.
	TraceLinks bool
	// Progress, if set, is called every ProgressEvery processed events.
	Progress func(now time.Time, events uint64)
	// ProgressEvery is the period of Progress in events
	// (0: DefaultProgressEvery).
	ProgressEvery uint64
}

// DefaultConfig returns a configuration with seed 1, epoch
// 2026-01-01T00:00:00Z, a 50 ms fixed-latency lossless link of unlimited
// bandwidth between all classes, no churn, and link tracing on.
func DefaultConfig() Config {
	return Config{
		Seed:          1,
		Epoch:         defaultEpoch,
		DefaultLink:   LinkModel{Latency: Fixed(50 * time.Millisecond)},
		Churn:         Churn{Uptime: 1},
		TraceLinks:    true,
		ProgressEvery: DefaultProgressEvery,
	}
}

// DistKind is the shape of a latency distribution.
type DistKind uint8

// Latency distributions.
const (
	// DistFixed is always Mean.
	DistFixed DistKind = iota
	// DistNormal is normal with Mean and StdDev, truncated at 0: draws below
	// 0 are redrawn (the distribution is conditioned on being ≥ 0).
	DistNormal
)

func (k DistKind) String() string {
	switch k {
	case DistFixed:
		return "fixed"
	case DistNormal:
		return "normal"
	}
	return fmt.Sprintf("dist(%d)", uint8(k))
}

// Dist is a distribution of durations. The zero Dist is fixed at 0.
type Dist struct {
	Kind   DistKind
	Mean   time.Duration
	StdDev time.Duration // DistNormal only
}

// Fixed returns the distribution that is always d.
func Fixed(d time.Duration) Dist { return Dist{Kind: DistFixed, Mean: d} }

// Normal returns the normal distribution of mean and stddev truncated at 0.
func Normal(mean, stddev time.Duration) Dist {
	return Dist{Kind: DistNormal, Mean: mean, StdDev: stddev}
}

// LinkModel describes the one-way path from a node of one class to a node
// of another. The zero LinkModel delivers instantly and never loses.
type LinkModel struct {
	// Latency is the propagation delay.
	Latency Dist
	// Jitter adds a delay drawn uniformly from [-Jitter, +Jitter] to each
	// packet (the sum is clamped at 0). Jitter reorders packets.
	Jitter time.Duration
	// Loss is the probability in [0,1] that a packet is lost.
	Loss float64
	// Bandwidth is the sender's uplink rate in bytes per second for packets
	// on this link (0: infinite). A packet of n bytes occupies the uplink
	// for n/Bandwidth seconds, after the packets before it.
	Bandwidth int64
	// MaxQueue bounds, in bytes, the sender's uplink backlog: a packet is
	// dropped (queue_full) if the bytes still being serialized plus its own
	// would exceed MaxQueue (0: unbounded).
	MaxQueue int64
}

// Churn names the supported on/off period distributions.
const (
	ChurnExp     = "exp"
	ChurnWeibull = "weibull"
)

// Churn is a node's on/off session model: an alternating renewal process
// whose ON periods have mean MeanSession and OFF periods mean
// MeanSession·(1−Uptime)/Uptime, so that the long-run fraction of time
// online is Uptime. The zero Churn (Uptime 0) is treated as Uptime 1:
// always online.
type Churn struct {
	// Uptime is the fraction of time online, in (0,1]. 1: always online.
	Uptime float64
	// MeanSession is the mean length of an ON period (required if Uptime<1).
	MeanSession time.Duration
	// Dist is ChurnExp (also when empty) or ChurnWeibull.
	Dist string
	// WeibullShape is the Weibull shape k > 0 (ChurnWeibull only);
	// k < 1 gives many short sessions and a few very long ones.
	WeibullShape float64
}

// always reports whether the model never goes offline.
func (c Churn) always() bool { return c.Uptime == 0 || c.Uptime == 1 }

// NodeConfig configures one node at Sim.Add.
type NodeConfig struct {
	// Class selects the link models (Config.Links) of the node's packets.
	Class string
	// Churn overrides Config.Churn for this node when not nil.
	Churn *Churn
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("sim: invalid configuration")

// configError is one configuration problem; it unwraps to ErrConfig and
// reads "sim: <field> is <value>, must be <rule>".
type configError struct{ msg string }

func (e *configError) Error() string { return "sim: " + e.msg }
func (e *configError) Unwrap() error { return ErrConfig }

func bad(format string, args ...any) error {
	return &configError{msg: fmt.Sprintf(format, args...)}
}

// Validate checks the configuration. It reports every problem it finds,
// joined; each wraps ErrConfig.
func (c *Config) Validate() error {
	var errs []error
	errs = append(errs, c.DefaultLink.validate("Config.DefaultLink")...)
	keys := make([][2]string, 0, len(c.Links))
	for k := range c.Links {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	for _, k := range keys {
		errs = append(errs, c.Links[k].validate(fmt.Sprintf("Config.Links[%q→%q]", k[0], k[1]))...)
	}
	errs = append(errs, c.Churn.validate("Config.Churn")...)
	return errors.Join(errs...)
}

// Validate checks a per-node configuration.
func (nc *NodeConfig) Validate() error {
	if nc.Churn == nil {
		return nil
	}
	return errors.Join(nc.Churn.validate("NodeConfig.Churn")...)
}

func (d Dist) validate(field string) []error {
	var errs []error
	switch d.Kind {
	case DistFixed, DistNormal:
	default:
		errs = append(errs, bad("%s.Kind is %d, must be DistFixed or DistNormal", field, d.Kind))
	}
	if d.Mean < 0 {
		errs = append(errs, bad("%s.Mean is %v, must be ≥ 0", field, d.Mean))
	}
	if d.StdDev < 0 {
		errs = append(errs, bad("%s.StdDev is %v, must be ≥ 0", field, d.StdDev))
	}
	return errs
}

func (l LinkModel) validate(field string) []error {
	errs := l.Latency.validate(field + ".Latency")
	if l.Jitter < 0 {
		errs = append(errs, bad("%s.Jitter is %v, must be ≥ 0", field, l.Jitter))
	}
	if !(l.Loss >= 0 && l.Loss <= 1) { // also rejects NaN
		errs = append(errs, bad("%s.Loss is %v, must be in [0,1]", field, l.Loss))
	}
	if l.Bandwidth < 0 {
		errs = append(errs, bad("%s.Bandwidth is %d, must be ≥ 0 (0: infinite)", field, l.Bandwidth))
	}
	if l.MaxQueue < 0 {
		errs = append(errs, bad("%s.MaxQueue is %d, must be ≥ 0 (0: unbounded)", field, l.MaxQueue))
	}
	return errs
}

func (c Churn) validate(field string) []error {
	var errs []error
	if c.Uptime == 0 {
		return nil // the zero Churn: always online
	}
	if !(c.Uptime > 0 && c.Uptime <= 1) {
		errs = append(errs, bad("%s.Uptime is %v, must be in (0,1]", field, c.Uptime))
	}
	switch c.Dist {
	case "", ChurnExp:
	case ChurnWeibull:
		if !(c.WeibullShape > 0) || math.IsInf(c.WeibullShape, 0) {
			errs = append(errs, bad("%s.WeibullShape is %v, must be > 0 for %q", field, c.WeibullShape, ChurnWeibull))
		}
	default:
		errs = append(errs, bad("%s.Dist is %q, must be %q or %q", field, c.Dist, ChurnExp, ChurnWeibull))
	}
	if c.Uptime > 0 && c.Uptime < 1 && c.MeanSession <= 0 {
		errs = append(errs, bad("%s.MeanSession is %v, must be > 0 when Uptime < 1", field, c.MeanSession))
	}
	return errs
}
