// Package sim is a deterministic discrete-event network simulator. It runs
// sans-I/O protocol cores (wrapped in small Node adapters) on simulated
// links with latency, jitter, loss, bandwidth and on/off churn, in virtual
// time, up to thousands of nodes in one process, and replays a run
// identically from its seed.
//
// # Guarantees
//
// A run is a pure function of its Config (Seed included), the nodes added
// (in order, with their NodeConfig), the actions scheduled and the nodes'
// own behaviour, provided the nodes draw randomness only from Env.Rand and
// time only from Env.Now: two such runs emit byte-identical traces, hence
// equal Sim.TraceHash, Sim.Stats and Sim.Events. Nothing in the package
// reads the wall clock or global randomness, iterates a map where order
// matters, or starts a goroutine.
//
// # Time and events
//
// Virtual time starts at Config.Epoch (default 2026-01-01T00:00:00Z) and is
// kept in nanoseconds. Pending events sit in a binary min-heap ordered by
// (time, insertion sequence number): events at the same instant run in the
// order they were scheduled, so the order is total. Events are packet
// arrivals, timers, churn transitions and Sim.At actions. The first Run,
// RunFor or Step starts the run at the epoch: it draws every node's initial
// state (emitting a state event per node), calls every node's Start in id
// order, then announces the initial presence. Run(until) processes every
// event due at or before until and leaves the clock at until (or at the
// current event if Stop was called).
//
// # Randomness
//
// Every random draw comes from Config.Seed through PCG streams
// (math/rand/v2) keyed by (seed, purpose, node id) with SplitMix64 mixing.
// Each node has three: its own (Env.Rand), its churn stream (initial state
// and on/off periods), and its link stream (loss, latency and jitter of the
// packets it sends). A node drawing more numbers, or a node added after
// it, therefore never shifts another node's draws; only the interleaving of
// events changes.
//
// # Links
//
// Each node has a class (NodeConfig.Class). The packet from a node of class
// A to one of class B follows Config.Links[{A, B}], or Config.DefaultLink
// if absent. Send(to, p) at time t, from node s to node r, goes through:
//
//  1. A send trace event (if Config.TraceLinks); the packet gets an id, the
//     trace MsgID (hex), shared by its send, recv and drop events.
//  2. If s is offline: drop, node_offline (an offline node cannot send; the
//     attempt is counted and traced like any other).
//  3. If a partition separates s and r: drop, partition.
//  4. The uplink: each sender has one FIFO uplink. The packet starts
//     serializing at max(t, the time the uplink becomes free) and takes
//     len(p)/Bandwidth seconds (0 with Bandwidth 0); the uplink is then free
//     at its end, depart. If MaxQueue > 0 and the bytes of packets on the
//     uplink whose serialization ends after t, plus len(p), exceed MaxQueue:
//     drop, queue_full, and the uplink is not used.
//  5. Loss: with probability Loss, drop, link_loss. A lost packet has used
//     the uplink (it was lost on the wire). The drop is traced at time t.
//  6. Otherwise it arrives at depart + d, where d = latency + jitter,
//     clamped at 0; latency is Fixed or a Normal truncated at 0 (negative
//     draws are redrawn), jitter uniform on [-Jitter, +Jitter] (integer
//     nanoseconds). Jitter reorders packets; the uplink does not.
//
// At arrival, the packet is delivered (recv trace event, then Node.Receive)
// only if r is online and no partition separates s and r at that instant;
// otherwise it is dropped (node_offline, else partition). The sender's state
// at arrival does not matter: a packet on the wire, or already accepted on
// the uplink, is delivered even if its sender went offline (a
// simplification for packets still queued on the uplink). Drops decided at
// send time are traced at the sender (Node s, Peer r), drops at arrival at
// the receiver (Node r, Peer s). Every packet ends in exactly one recv or
// drop, so Stats.Sent = Delivered + ΣDropped + packets in flight.
//
// # Churn
//
// A node's Churn is an alternating renewal process: ON periods with mean
// M = MeanSession, OFF periods with mean M·(1−U)/U where U = Uptime, so the
// long-run fraction of time online is M/(M + M(1−U)/U) = U. Periods are
// exponential (Dist "exp": mean·E, E ~ Exp(1)) or Weibull (Dist "weibull"
// with shape k: λ·E^(1/k), scale λ = mean/Γ(1+1/k)). The process starts
// stationary: the initial state is ON with probability U and the first
// period is the residual life at a random instant, drawn from the
// equilibrium distribution (density S(x)/mean): U'·L with U' uniform and L
// length-biased, i.e. exponential with the period's mean for "exp", and
// λ·G^(1/k), G ~ Gamma(1+1/k, 1), for "weibull". Every period is at least
// 1 ns. Uptime 1 (or the zero Churn) means always online. Sim.SetOnline
// forces a state and suspends churn until Sim.ResumeChurn, which restarts
// it with a fresh period of the current state.
//
// A state change emits a state event (Detail "up" or "down"), then calls
// Up or Down. Timers that come due while a node is offline are deferred and
// fire, in the order they came due, at the instant the node comes back
// online (after Up), unless set again or cancelled meanwhile.
//
// # Presence
//
// With Config.Presence, nodes that implement PresenceAware learn when the
// link to a neighbour (Sim.Connect) becomes usable, meaning both online and
// on the same side of any partition, and when it stops being usable. Only
// online nodes are notified: a node going down gets Down, its neighbours
// PeerDown; a node coming up gets Up, then PeerUp per usable neighbour,
// which gets PeerUp too. Partition and Heal notify both ends of each link
// they cut or restore.
//
// # Partitions and actions
//
// Sim.Partition(groups...) puts each listed group on its own side and all
// unlisted nodes on one more side; Sim.Heal joins them. Both emit a state
// event at node "sim". Sim.At schedules any action (SetOnline, Partition,
// or a call into a node through Sim.Env).
//
// # Tracing and counters
//
// The simulator emits trace events (Layer "sim") for sends and receives
// (if Config.TraceLinks), drops with their reason, state changes,
// partitions and heals, and passes on the nodes' own events (Env.Trace).
// Every emitted event is encoded by a trace.Writer whose SHA-256 is
// Sim.TraceHash; with TraceLinks off the hash covers the events that remain.
// Stats count every packet whatever the tracing.
package sim
