// Package trafficanalysis holds the adversary models of the transport
// privacy layer: a global passive adversary that reads every link of a
// simulated Loopix deployment and estimates who sent each message, the
// statistical disclosure attack over many rounds, a fraction of
// compromised mixes, and the n−1 (flush) attack against the mixes' loop
// detection — each beside the same traffic sent without mixing.
package trafficanalysis
