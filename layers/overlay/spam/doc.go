// Package spam implements the spam defences of Strata's p2p overlay as pure
// validation logic that plugs into the overlay's Validator shape:
//
//   - Envelope: a versioned, bounded binary wrapper that carries a gossip
//     payload together with its defence proof (none, proof of work, or a
//     rate-limiting-nullifier signal), with a strict canonical decoder.
//   - Proof of work in the style of Whisper (EIP-627): work is
//     2^(leading zero bits of the proof hash) / (envelope size × TTL);
//     Mint searches nonces deterministically, VerifyPoW checks a policy.
//   - Rate-limiting nullifiers in the spirit of Waku's RLN, without a
//     zero-knowledge proof: members register a Ristretto255 public key in
//     a SHA-256 Merkle tree; each message in an epoch carries a nullifier,
//     a Shamir share of the member's secret on a per-(epoch, index) line
//     and a Schnorr signature. A member who sends two different messages
//     under one nullifier reveals its secret key (or, if it deviated from
//     the slope derivation, two signed conflicting messages) and is
//     removed. Membership is not anonymous: a message names its member.
//   - A per-peer, per-topic token-bucket rate limiter with bounded memory.
//   - Validators that turn each defence into an overlay.Validator, and a
//     model of the real RLN's proof costs as delays for simulations.
//
// The package is sans-I/O: it starts no goroutine, reads no clock (time is
// passed in, or a clock function is injected into the validators) and uses
// no global randomness (member keys come from an injected io.Reader or a
// seed). Its stateful types are safe for concurrent use, since gossipsub
// runs validators concurrently. SPEC.md is the normative description and
// testdata/vectors holds its test vectors.
package spam
