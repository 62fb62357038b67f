// Package syncsim runs the data sync layer (layers/sync) in the
// deterministic simulator (testnet/sim) and measures it: bandwidth overhead,
// delivery latency against the contact pattern, delivered fraction,
// metadata, ack and repair bytes, for our modes and for an MVDS profile of
// the same engine configured as MVDS specifies it.
//
// Run executes one configuration; the studies (Churn, Reconcile, Scale)
// sweep grids and turn the outcomes into result documents with goals and
// plots declared beside the code that measures them.
package syncsim
