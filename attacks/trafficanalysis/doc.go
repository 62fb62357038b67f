// Package trafficanalysis holds the adversary models of the transport
// privacy layer: a global passive adversary that reads every link of a
// simulated Loopix deployment and estimates who sent each message, the
// statistical disclosure attack over many rounds, a fraction of
// compromised mixes, and the n−1 (flush) attack against the mixes' loop
// detection — each beside the same traffic sent without mixing.
package trafficanalysis

// The first-spy adversary (FirstSpy, group "firstspy") targets the overlay
// instead: a fraction of the gossip nodes spy, log which peer first handed
// them each message, and guess that peer is its publisher. Its study runs
// on the in-process overlay harness (testnet/inproc) with no defence, with
// the overlay's stem phase, and with messages sent through a simulated
// Loopix mixnet that publishes them at a gateway. A fourth arm publishes
// with flood publishing off, to show how much of the spies' success comes
// from the publisher handing its message to every peer it is connected
// to (a gossip setting, not a defence: flood publishing protects
// delivery).
