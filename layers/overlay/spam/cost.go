package spam

import "time"

// The published costs of Waku's RLN (zero-knowledge proofs of membership
// and of the share), from "RLN Key Benchmarks" (docs.waku.org, research
// and studies): a 100-node waku-simulator run with 10,000 memberships.
// This package's scheme replaces the zero-knowledge proof with a public
// membership path and a signature, which cost far less CPU (see
// BenchmarkRLNProve and BenchmarkRLNVerify) and more bytes; a simulation
// that studies the real RLN adds these delays instead.
const (
	// ProveDelay is RLN proof generation: "≈0.15 s", constant across
	// 1–150 kB messages.
	ProveDelay = 150 * time.Millisecond
	// VerifyDelay is RLN proof verification: "≈0.012 s" per message and
	// per node that validates it.
	VerifyDelay = 12 * time.Millisecond
	// ProofBytes is what the RLN proof adds to each message: 384 bytes.
	ProofBytes = 384
)

// Role is where a node stands on a message's path.
type Role uint8

const (
	// RoleSender publishes the message (and proves).
	RoleSender Role = 1
	// RoleRelay validates the message before delivering or forwarding it
	// (every receiver, not only forwarders).
	RoleRelay Role = 2
)

// RLNDelay returns the delay a simulated node adds to a message to model
// the real RLN's CPU cost: ProveDelay for the sender, VerifyDelay for a
// relay, 0 for an unknown role.
func RLNDelay(r Role) time.Duration {
	switch r {
	case RoleSender:
		return ProveDelay
	case RoleRelay:
		return VerifyDelay
	}
	return 0
}

// RLNPathDelay is the latency the real RLN adds to a message that
// reaches a node after hops validating hops (the receiver included):
// ProveDelay + hops × VerifyDelay. The published benchmark's "0.06 s"
// for 10,000 nodes at D = 6 is the verification part of hops = 5.
func RLNPathDelay(hops int) time.Duration {
	if hops < 0 {
		hops = 0
	}
	return ProveDelay + time.Duration(hops)*VerifyDelay
}

// RLNWireSize is the size of a message of payloadLen bytes under the real
// RLN (payload plus ProofBytes), for simulations that model its bandwidth
// rather than this package's envelope (Overhead gives that).
func RLNWireSize(payloadLen int) int { return payloadLen + ProofBytes }
