// Package spam holds the overlay's spam adversaries: floods against
// honest gossipsub nodes (layers/overlay) on the in-process harness
// (testnet/inproc: go-libp2p hosts on a simulated network, virtual time),
// each run beside its no-attack baseline with the defence on and off.
//
// # Floods
//
// The attacker is a raw-protocol peer (attacks/gossipwire) connected to a
// few honest nodes; it subscribes and GRAFTs onto their meshes, then, for
// the attack window, sends to every neighbour:
//
//   - invalid-flood: messages that fail the topic validator (not a
//     layers/overlay/spam envelope) at Multiplier × AllowedRate = 40/s.
//   - ihave-flood: 20 IHAVE/s, each advertising 5000 fresh ids it never
//     serves (broken promises).
//   - iwant-flood: 20 IWANT/s for every message id it has seen (and random
//     ones), over and over.
//   - graft-flood: PRUNE and GRAFT alternating, 20 RPCs/s: every GRAFT
//     after the first falls in the backoff the PRUNE started.
//   - idontwant-flood: 20 IDONTWANT/s (meshsub 1.2) of 1000 random ids.
//   - rate-flood-*: well-formed messages at 40/s, 10× the per-peer
//     allowed rate (4/s) and 40× RLN's (1 per 1 s epoch): plain envelopes,
//     proof of work it mints itself, or RLN signals that reuse message
//     index 0 (a double signal for every message after an epoch's first).
//
// # Defences (each switchable, Defence)
//
//   - Validators with peer scoring: the topic validator
//     (ospam.Defences.Validator) rejects what is not a well-formed
//     envelope, which costs the forwarding peer P4 score; scoring on/off
//     is overlay.Config.ScoringOff. Validators off: a node accepts any
//     non-empty message.
//   - Per-peer rate limits: ospam token buckets, AllowedRate 4 msg/s and
//     burst 8 per forwarding peer, applied to inbound RPCs before
//     gossipsub deduplicates (ospam.RateLimitInspector): over-rate
//     messages are removed, never marked seen, so honest copies from
//     other peers still arrive.
//   - Proof of work in the style of Whisper (EIP-627), at
//     ospam.DefaultPoWPolicy. Its cost to a phone is derived, not
//     measured on a phone: this machine's single-core hash rate is
//     measured (MeasureHashRate, wall clock, before the virtual-time runs)
//     and a phone is assumed to hash at PhoneRatio (0.1) of it — a
//     stated assumption for a low-end phone core without SHA-256
//     instructions; no phone benchmark in this project's references backs
//     the ratio, and a measurement on a phone should replace it. Honest
//     publishers wait their expected mint time at the phone rate; the
//     attacker mints at this machine's rate. The result states the mint
//     time per message on both, and what a phone would pay per message if
//     the work were raised until this machine's one core could mint only
//     at the allowed rate.
//   - Rate-limiting nullifiers: ospam's RLN-like scheme (members in a
//     Merkle tree, one message per 1 s epoch); a member that double
//     signals reveals its key and every node that sees both signals
//     removes it. The real RLN's proof cost (ospam.ProveDelay 150 ms,
//     VerifyDelay 12 ms) is modelled in virtual time: a publisher waits
//     150 ms before publishing, and every node's validator sleeps 12 ms for
//     each RLN message, holding one of gossipsub's validation workers.
//     Bytes on the wire are this scheme's envelope (a depth-8 Merkle path),
//     not RLN's 384-byte proof.
//
// # What is measured
//
// Per run (labels run=baseline|attack, defence=on|off, setting): honest
// delivery rate and latency (CDF) of the messages published during the
// window; for message floods the spam hops — the largest connection-graph
// distance from the attacker, at the start of the flood, of an honest
// node that received more of the attacker's messages than its allowance
// (AllowedBurst + AllowedRate × window; zero for invalid messages), seen
// through overlay.Config.Tracer — with the share of honest nodes so
// reached, the share of flood messages accepted and the flood messages
// received per node by distance; gossip RPC bytes in and out per honest
// node (and for the attacker's neighbours) and to the attacker; process
// CPU per honest node; the attacker's achieved rate, its lowest score at
// its neighbours and how many graylisted it; for RLN, how many nodes
// removed the member. The goals are the issue's: honest delivery ≥ 99%
// and spam hops ≤ 1 in the defence-on attack run.
//
// # Limits
//
//   - CPU: virtual time has no per-node CPU clock. cpu_per_node is the
//     whole test process's CPU time (getrusage) over the window divided by
//     honest nodes and virtual seconds: honest routers, the attacker and
//     the simulated network together, on a machine other work shares.
//     Validation work takes no virtual time except the modelled RLN
//     delay.
//   - Bandwidth counts gossipsub RPC bytes (protobuf size) at the tracer,
//     not QUIC or stream framing; RPCs a node drops before reading them
//     (from a graylisted peer) are not counted.
//   - The connection graph for hop distances is the one at the start of
//     the flood; peer exchange and connection maintenance may add edges
//     later.
//   - One attacker host; Sybil floods from many hosts are attacks/sybil's.
//     RLN membership removal is local to the nodes that saw a double
//     signal (no slashing contract); registration cost is not modelled.
//   - gossipsub's internal randomness is not seeded: a rerun with a seed
//     reproduces topology, publications and payloads, and figures
//     closely, not traces exactly. The measured hash rate varies between
//     runs and machines, and with it the modelled PoW delays.
//
// TestStudySpam is the study the command line runs through `go test`
// (internal/gotest); as an ordinary test it runs the small version with
// assertions.
package spam
