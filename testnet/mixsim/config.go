package mixsim

import (
	"errors"
	"fmt"
	"time"

	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/layers/mixnet/sphinx"
)

// ErrConfig wraps every invalid configuration.
var ErrConfig = errors.New("mixsim: invalid configuration")

// Flush is an n−1 (flush) adversary on the links into one mix: from From
// on, it drops each packet sent to the mix with probability Fraction.
type Flush struct {
	// Mix indexes the mixes in layer order (0 .. Layers·MixesPerLayer−1).
	Mix      int
	Fraction float64
	From     time.Duration
}

// Config is one simulated deployment.
type Config struct {
	Seed uint64
	// Topology: Layers × MixesPerLayer mixes, Providers providers and
	// Clients clients spread round-robin over the providers.
	Layers, MixesPerLayer, Providers, Clients int
	// Params are the rates and delays the directory publishes; the mean
	// delay of non-adaptive clients is Params.MuSet[Params.DefaultMu].
	Params   loopix.Params
	Geometry loopix.Geometry
	// Format builds the packet format for a geometry (nil: SimFormat).
	Format func(loopix.Geometry) (loopix.Format, error)
	// Adaptive clients choose delays for TargetPool (0: the default).
	Adaptive   bool
	TargetPool float64
	// Profile is every client's profile. For ForegroundOnly profiles,
	// Foreground is the fraction of time the application is in the
	// foreground and MeanForeground the mean foreground session
	// (exponential on/off periods).
	Profile        loopix.Profile
	Foreground     float64
	MeanForeground time.Duration
	// MsgRate is each client's application message rate (Poisson, per
	// second), to a uniformly chosen other client.
	MsgRate float64
	// Baseline forwards the same messages without delays or cover (the
	// no-mixing reference).
	Baseline bool
	// Warmup, Duration, Drain: measurements cover [Warmup,
	// Warmup+Duration); applications write messages until its end; the run
	// goes on for Drain so that they arrive.
	Warmup, Duration, Drain time.Duration
	// Epoch is the directory period: at each boundary the authority
	// publishes the rates the mixes measured, with fresh keys.
	Epoch time.Duration
	// Latency is the fixed one-way latency of every link; Loss its loss.
	Latency time.Duration
	Loss    float64
	// SampleEvery is the period of the pool samples (0: five mean delays,
	// so consecutive samples of an M/M/∞ pool are correlated by e⁻⁵).
	SampleEvery time.Duration
	// RecordLinks keeps LinkEvents and GroundTruth in the Outcome (the
	// trace hash covers them either way).
	RecordLinks bool
	// Attack, if set, runs a flush adversary.
	Attack *Flush
	// Progress is called every ProgressEvery events of the simulator.
	Progress func(now time.Time, events uint64)
}

// DefaultConfig is 3 layers × 3 mixes, 4 providers, 100 desktop clients
// writing a message every 10 s on average, the directory's default rates
// (0.8 packets/s per client) and 100 ms mean delay, 20 ms links, 10 s of
// warm-up, 60 s measured, 30 s drain, 60 s epochs.
func DefaultConfig() Config {
	return Config{
		Seed: 1, Layers: 3, MixesPerLayer: 3, Providers: 4, Clients: 100,
		Params: loopix.DefaultParams(), Geometry: loopix.DefaultGeometry(),
		Profile: loopix.Desktop(), Foreground: 0.25, MeanForeground: 2 * time.Minute,
		MsgRate: 0.1, Warmup: 10 * time.Second, Duration: 60 * time.Second, Drain: 30 * time.Second,
		Epoch: 60 * time.Second, Latency: 20 * time.Millisecond,
	}
}

// MeanDelay is the mean per-hop delay of non-adaptive clients.
func (c *Config) MeanDelay() time.Duration { return c.Params.MuSet[c.Params.DefaultMu] }

// Validate checks the configuration.
func (c *Config) Validate() error {
	bad := func(f string, a ...any) error { return fmt.Errorf("%w: "+f, append([]any{ErrConfig}, a...)...) }
	switch {
	case c.Layers < 1 || c.Layers > loopix.MaxLayers || c.MixesPerLayer < 1 || c.Providers < 1:
		return bad("topology %d layers × %d mixes, %d providers", c.Layers, c.MixesPerLayer, c.Providers)
	case c.Clients < 0 || c.Providers+c.Layers*c.MixesPerLayer+c.Clients > 1<<20:
		return bad("%d clients", c.Clients)
	case c.MsgRate < 0 || c.Duration <= 0 || c.Warmup < 0 || c.Drain < 0 || c.Epoch <= 0:
		return bad("message rate ≥ 0, duration and epoch > 0, warm-up and drain ≥ 0")
	case c.Latency < 0 || !(c.Loss >= 0 && c.Loss <= 1):
		return bad("latency %v, loss %v", c.Latency, c.Loss)
	case c.Profile.ForegroundOnly && (!(c.Foreground > 0 && c.Foreground <= 1) || c.MeanForeground <= 0):
		return bad("a foreground-only profile needs Foreground in (0,1] and MeanForeground > 0")
	case c.Attack != nil && (c.Attack.Mix < 0 || c.Attack.Mix >= c.Layers*c.MixesPerLayer || !(c.Attack.Fraction >= 0 && c.Attack.Fraction <= 1)):
		return bad("attack %+v", *c.Attack)
	}
	return nil
}

// SphinxFormat is a Config.Format that runs the deployment over real
// Sphinx packets (X25519) of the geometry's payload and hops, with replay
// filters sized for 100,000 packets per key. Each hop then costs a real
// unwrap (about 20 times SimFormat's), so it suits small deployments.
func SphinxFormat(g loopix.Geometry) (loopix.Format, error) {
	sg, err := sphinx.NewGeometry(g.MaxHops, g.PayloadSize, sphinx.ModeX25519, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return loopix.NewSphinxFormat(sg, 100_000, 1e-6)
}
