package loopix

import (
	"encoding/hex"
	"math"
	"time"
)

// NodeID names an endpoint of the mixnet: a mix, a provider or a client.
// It has the size of a Sphinx node identifier (32 bytes).
type NodeID [32]byte

// String is the first 6 bytes in hex, enough to tell nodes apart in logs.
func (id NodeID) String() string { return hex.EncodeToString(id[:6]) }

// Role is what a node of the directory does.
type Role uint8

// Roles (SPEC.md, "Wire format", directory).
const (
	// RoleProvider is a gateway: the first and last hop of every client
	// packet, and the store its clients pull from.
	RoleProvider Role = 1
	// RoleMix is a mix of one of the layers 1..Layers.
	RoleMix Role = 2
)

func (r Role) String() string {
	switch r {
	case RoleProvider:
		return "provider"
	case RoleMix:
		return "mix"
	}
	return "role?"
}

// Rate is a rate of events in millihertz (events per 1000 s), the unit the
// directory publishes rates in.
type Rate uint32

// PerSecond is the rate in events per second.
func (r Rate) PerSecond() float64 { return float64(r) / 1000 }

// Mean is the mean time between two events of a Poisson process of this
// rate; 0 for a zero rate.
func (r Rate) Mean() time.Duration {
	if r == 0 {
		return 0
	}
	return time.Duration(float64(time.Second) * 1000 / float64(r))
}

// PerSecond returns the Rate closest to x events per second, saturating at
// the largest Rate; negative and NaN give 0.
func PerSecond(x float64) Rate {
	v := math.Round(x * 1000)
	switch {
	case !(v > 0):
		return 0
	case v >= math.MaxUint32:
		return math.MaxUint32
	}
	return Rate(v)
}

// FormatID names a packet format in the directory.
type FormatID uint8

// Packet formats.
const (
	// FormatSim is SimFormat: routing in the clear, for simulation only.
	FormatSim FormatID = 1
	// FormatSphinx is the Sphinx format of layers/mixnet/sphinx.
	FormatSphinx FormatID = 2
)

func (f FormatID) String() string {
	switch f {
	case FormatSim:
		return "sim"
	case FormatSphinx:
		return "sphinx"
	}
	return "format?"
}

// Geometry is the fixed shape of every packet of an epoch: all packets
// on every link have PacketSize bytes and carry a body of PayloadSize
// bytes along at most MaxHops hops.
type Geometry struct {
	Format      FormatID
	PacketSize  int
	PayloadSize int
	MaxHops     int
}
