// Package dht is the eclipse-on-discovery adversary: routing-table
// poisoning of a kad-dht server from K addresses, against the DHT's
// peer-diversity filter.
//
// # Model
//
// An honest network of go-libp2p-kad-dht servers runs as layers/overlay
// runs them (server mode, protocol prefix /strata, bootstrap servers), on
// the in-process harness (testnet/inproc: simnet QUIC links with a
// one-way latency, synctest virtual time), each honest server on an IPv4
// /16 of its own (outside the legacy class-A blocks the filter groups by
// /8). For each K studied, one honest server is a victim and one attacker
// targets it:
//
//   - the attacker holds K addresses, each an IPv4 /16 of its own (the
//     strongest attacker with K addresses: K groups for the filter);
//   - each address hosts PerAddr Sybil identities (one libp2p host each,
//     same IP, distinct ports);
//   - the identities are ground: from a pool of Ed25519 keys the
//     attacker keeps those whose Kademlia keys (SHA-256 of the peer ID)
//     share the longest prefixes with the victim's, deepest first, at
//     most a bucket (20) per prefix length (then, if it wants more, the
//     deepest of the rest), dealt round-robin over the addresses so every
//     address holds Sybils at every depth;
//   - each Sybil is a raw DHT responder (Attacker.Serve), not a kad-dht
//     server: it answers FIND_NODE, GET_VALUE and GET_PROVIDERS with the
//     attacker's Sybils closest to the requested key and never with an
//     honest peer. With the filter on it puts at most 3 Sybils of one
//     group in an answer, since kad-dht drops every peer of a group that
//     is over-represented in one answer (the attacker knows the defence);
//   - once the honest network has settled (tables full and frozen), every
//     Sybil dials its victim; the victim checks each (a FIND_NODE that
//     the Sybil answers) and adds it if its bucket and the filter allow,
//     then refreshes its table, as it does every ten minutes.
//
// The filter is go-libp2p-kad-dht's RTPeerDiversityFilter with the dual
// DHT's limits (2 peers of one IP group per common prefix length, 3 in
// the table), at every honest server, or no filter at all.
//
// Honest hosts run the overlay's connection manager (layers/overlay
// DefaultLimits: 32 to 64 connections, 20 s grace); kad-dht protects the
// peers of its shallow buckets from trimming, and a peer stays in a
// routing table when its connection is trimmed.
//
// # Metrics
//
// For each K and filter setting, before the attack and at its end: the
// victim's table size, the attacker's entries and share of the table,
// the most entries of one attacker group (and of one group at one
// depth), the attacker's share of the 20 entries closest to the victim's
// own key, and the honest lookups of the victim's key: the attacker's
// mean share of their closest peers and the share of lookups whose
// closest peers are all Sybils (the victim itself left out).
//
// # Not modelled
//
// Address-based diversity only: IPv4 /16 groups (no IPv6 ASN groups), no
// S/Kademlia disjoint lookups or identity puzzles, no churn. Sybils
// never dial honest servers other than their victim. The attackers of
// one run share the honest network (side by side, each with its own
// victim and addresses).
// kad-dht's own randomness (refresh keys, query order) is not seeded:
// two runs with one seed agree closely, not exactly.
package dht
