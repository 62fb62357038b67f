package sim

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigValid(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var zero Config
	if err := zero.Validate(); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
	s, err := New(zero)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Now().Equal(defaultEpoch) {
		t.Errorf("zero Config starts at %v", s.Now())
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.Churn.Uptime = 1.5 }, "sim: Config.Churn.Uptime is 1.5, must be in (0,1]"},
		{func(c *Config) { c.Churn.Uptime = -0.1 }, "sim: Config.Churn.Uptime is -0.1, must be in (0,1]"},
		{func(c *Config) { c.Churn = Churn{Uptime: 0.5} }, "sim: Config.Churn.MeanSession is 0s, must be > 0 when Uptime < 1"},
		{func(c *Config) { c.Churn = Churn{Uptime: 0.5, MeanSession: time.Hour, Dist: "pareto"} },
			`sim: Config.Churn.Dist is "pareto", must be "exp" or "weibull"`},
		{func(c *Config) { c.Churn = Churn{Uptime: 0.5, MeanSession: time.Hour, Dist: ChurnWeibull} },
			`sim: Config.Churn.WeibullShape is 0, must be > 0 for "weibull"`},
		{func(c *Config) { c.DefaultLink.Loss = 1.2 }, "sim: Config.DefaultLink.Loss is 1.2, must be in [0,1]"},
		{func(c *Config) { c.DefaultLink.Jitter = -time.Second }, "sim: Config.DefaultLink.Jitter is -1s, must be ≥ 0"},
		{func(c *Config) { c.DefaultLink.Bandwidth = -1 }, "sim: Config.DefaultLink.Bandwidth is -1, must be ≥ 0 (0: infinite)"},
		{func(c *Config) { c.DefaultLink.MaxQueue = -1 }, "sim: Config.DefaultLink.MaxQueue is -1, must be ≥ 0 (0: unbounded)"},
		{func(c *Config) { c.DefaultLink.Latency = Normal(-time.Second, 0) }, "sim: Config.DefaultLink.Latency.Mean is -1s, must be ≥ 0"},
		{func(c *Config) { c.DefaultLink.Latency = Dist{Kind: 9} }, "sim: Config.DefaultLink.Latency.Kind is 9, must be DistFixed or DistNormal"},
		{func(c *Config) { c.Links = map[[2]string]LinkModel{{"a", "b"}: {Loss: -1}} },
			`sim: Config.Links["a"→"b"].Loss is -1, must be in [0,1]`},
	} {
		cfg := DefaultConfig()
		tc.mut(&cfg)
		err := cfg.Validate()
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%s: error %v does not wrap ErrConfig", tc.want, err)
			continue
		}
		if err.Error() != tc.want {
			t.Errorf("error %q, want %q", err, tc.want)
		}
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New accepted an invalid config (%s)", tc.want)
		}
	}
}

func TestValidateReportsAll(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Churn.Uptime = 2
	cfg.DefaultLink.Loss = 2
	err := cfg.Validate()
	if n := strings.Count(err.Error(), "sim: "); n != 2 {
		t.Errorf("%d problems reported, want 2: %v", n, err)
	}
}

func TestAddValidatesNodeChurn(t *testing.T) {
	s, _ := New(DefaultConfig())
	_, err := s.Add(&probe{}, NodeConfig{Churn: &Churn{Uptime: 3}})
	if !errors.Is(err, ErrConfig) || err.Error() != "sim: NodeConfig.Churn.Uptime is 3, must be in (0,1]" {
		t.Errorf("Add: %v", err)
	}
	if _, err := s.Add(nil, NodeConfig{}); !errors.Is(err, ErrConfig) {
		t.Errorf("Add(nil): %v", err)
	}
}
