// Package node is the Strata node runtime: it hosts the layer cores on
// real I/O. A node runs the overlay (layers/overlay: libp2p, gossipsub),
// data sync (layers/sync with its bbolt store) over a libp2p stream
// protocol or a gossip topic, 1:1 sessions (layers/session), one mixnet
// role (a layers/mixnet/loopix client, provider or mix) over a stream
// protocol of its own, an HTTP+JSON control API on the node's own
// address, Prometheus metrics at /metrics, and an NDJSON trace
// (internal/trace) in its data directory.
//
// Every TCP connection and every UDP socket QUIC uses pass through an
// in-process link shaper (latency, jitter, bandwidth, loss per peer class;
// see LinkRule), and a connection gater applies partitions: there is no
// kernel netem to rely on.
//
// Adversarial behaviours plug in through the Behaviour interface; the node
// imports no attack code (cmd/strata supplies the behaviours).
//
// # Data directory
//
//	identity.key   the libp2p identity (layers/overlay)
//	sync.db        the sync store (layers/sync/boltstore); written before
//	               any acknowledgement leaves, so kill -9 loses nothing
//	               acknowledged
//	session.db     the session device and sessions (layers/session), stored
//	               before a message leaves or is acknowledged
//	trace.ndjson   the trace, appended to across restarts
//	control.addr   the control API's address, written once ready
//
// # Sync transports
//
// stream: protocol /strata/sync/1.0.0, one stream per peer and direction,
// each frame u32be(length) || frame with 0 < length ≤ sync.MaxFrameBytes.
// Reachability comes from libp2p connection events, and the node keeps
// dialling group members that are not connected.
//
// gossip: frames travel on the group's topic /strata/1/sync/<hex group
// id>, where the group id is SHA-256(u32be(len(label)) || label || name)
// with label "strata/testnet/group/v1", in an envelope
// u8(1) || u64be(nonce) || u8(len(to)) || to || u8(len(from)) || from ||
// frame (binary peer ids). The sender is not authenticated by the
// overlay; every member receives every envelope.
//
// # Sessions
//
// With sessions on, a node runs layers/session between nodes over
// /strata/session/1.0.0 (see SessionProtocol): one session per peer,
// started from the peer's prekey bundle, keyed by the peer id the link
// authenticated (trust on first use: the session identity is not checked
// against any device list). When both nodes start a session at once, the
// one started by the node with the lower peer id wins; the first message
// of the other is refused (its sender gets an error). Plaintexts go to the
// inbox (kind "session"), which, like every inbox entry, is not stored.
//
// # Mixnet
//
// With a mixnet role (MixnetConfig), a node runs exactly one Loopix core
// over Sphinx packets on one goroutine: it wakes at the core's deadline,
// hands it the wall-clock time, inbound frames and the application's
// messages, and executes its actions. Frames travel on
// /strata/mixnet/1.0.0 (see MixnetProtocol and the loopix SPEC.md,
// "Streams"): one stream per neighbour and direction, kept open, each
// frame u32be(length) || frame with the length bounded by the directory's
// geometry. An endpoint's node id is loopix.PeerNodeID of its peer id;
// inbound frames are attributed to the peer the connection authenticated.
// The signed directory, the authority key, the node's key seed and the
// clients' address book come in the configuration (MixnetDeployment
// builds them from a seed). An application message travels in a packet
// body as u16be(length) || data; its id is MixnetMessageID(data), under
// which the sender traces "queue" (accepted) and "depart" (left at a
// payload tick) and the recipient "deliver", so that traces give the
// end-to-end latency. A client's deliveries go to the inbox (kind
// "mixnet", no sender). Route and timing choices are seeded from the
// node's seed; packet keys and cover bodies come from crypto/rand.
//
// # Control API
//
//	GET  /status        name, peer id, addresses, peers, bytes, errors;
//	                    the mixnet role, ledger and counters
//	GET  /peers         connected peers: addresses, class, score, latency
//	POST /publish       {"topic", "data"}: gossip publish → {"id", "time"}
//	POST /send          {"topic": group, "data"}: sync send, answered once
//	                    the message is stored → {"id", "time"}
//	GET  /inbox         ?since=SEQ&limit=N&data=1: deliveries after SEQ
//	GET|PUT /links      link rules and the IP→class map
//	GET|PUT /partition  {"blocked": [ip...]}: addresses cut off (empty heals)
//	GET  /sync/state    messages and deliveries per sync group, from the store
//	POST /session/send  {"peer", "data"}: encrypt for a peer over a 1:1
//	                    session, answered once the peer decrypted it
//	POST /mixnet/send   {"to": client name or peer id, "data"}: queue a
//	                    message on this mixnet client → {"id", "time",
//	                    "queued"}
//	GET  /mixnet/inbox  GET /inbox restricted to mixnet deliveries
//	POST /ping          {"peer", "count"}: libp2p ping round trips in ms
//	POST /shutdown      stop cleanly
//	GET  /metrics       Prometheus metrics
//	GET  /debug/pprof/  Go profiles (CPU: /debug/pprof/profile?seconds=N)
//
// Errors are {"error": text} with status 400 (bad request), 404 (unknown
// topic or no sync service) or 503 (the operation failed).
//
// The command 'strata node --config FILE --data-dir DIR' runs one node;
// package testnet launches many.
package node
