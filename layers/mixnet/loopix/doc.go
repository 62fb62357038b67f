// Package loopix implements the Loopix mixnet layer of Strata (SPEC.md):
// clients that send Poisson streams of real, loop and drop-cover packets
// with sender-chosen exponential per-hop delays, providers that act as
// gateways and store inbound messages for offline clients, mixes in a
// stratified topology that hold every packet for its delay (Poisson
// "stop-and-go" mixing), send loop cover of their own and detect n−1
// attacks from the loops that fail to return, and a signed per-epoch
// directory that publishes the nodes, their keys, the rates and the set of
// delays clients may choose from.
//
// Every core (Client, Provider, Mix) is a sans-I/O state machine: it reads
// no clock, owns no goroutine and draws randomness only from the sources it
// is given. Each input (a frame received, a timer due, a message to send, a
// new directory) takes the current virtual time and returns Actions: send
// a frame to a node, deliver a message to the application, drop a packet
// with a named reason, report the expected anonymity of a message, raise an
// n−1 alarm, and set the timer for the next call of Tick.
//
// The cores speak to packets through the small Format interface, so that
// they run with real Sphinx packets (the node, small end-to-end tests) or
// with SimFormat, a simulation format of the same fixed size whose routing
// is in the clear, for simulated deployments of thousands of clients where
// millions of real unwraps would take too long.
//
// The headline feature is adaptive anonymity: the client picks each hop's
// mean delay from the set the directory publishes so that the expected pool
// λ/μ at that mix reaches its target, and reports to the user, for every
// message, the expected pool per hop and the entropy floor it implies.
package loopix
