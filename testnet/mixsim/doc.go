// Package mixsim runs simulated Loopix deployments (layers/mixnet/loopix)
// in the deterministic simulator (testnet/sim): a stratified network of
// mixes, providers and 100 to thousands of clients with Poisson traffic,
// cover and sender-chosen delays, directory epochs with measured rates,
// desktop and mobile clients, and an optional n−1 (flush) adversary.
//
// Run executes one configuration and returns an Outcome: what an observer
// of every link sees (LinkEvents: time, from, to, size), the ground truth
// of every frame (GroundTruth: which packet it carries, at which hop, and
// which input frame of a mix it came from), per-message latency and the
// anonymity the sender was told, per-mix pool samples and entropy, and
// per-client bytes. Traffic-analysis adversaries consume LinkEvents and
// score themselves against GroundTruth.
//
// Large deployments use loopix.SimFormat, a packet format of the same
// fixed size as Sphinx whose routing is in the clear, because millions of
// real Sphinx unwraps would take too long; the cores behave the same with
// either format (Config.Format selects another).
//
// The studies (LatencyStudy, PoolStudy, BandwidthStudy, AdaptiveStudy)
// sweep configurations and write result documents with goals and plots,
// for `strata sim mixnet`; DetectStudy, the n−1 adversary against the
// mixes' loop detection, runs as the attack
// `strata attack trafficanalysis --only n-1-flush`.
package mixsim
