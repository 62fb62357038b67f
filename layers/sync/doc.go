// Package sync implements Strata's data sync layer: reliable, causally
// ordered delivery of immutable messages in groups over delay-tolerant,
// lossy links, in the line of Briar's BSP and Vac's MVDS, with range-based
// set reconciliation for catch-up (package reconcile).
//
// The normative description is SPEC.md in this directory. The package has
// four parts:
//
//   - the wire codec (Frame, EncodeFrame, DecodeFrame) over the protobuf
//     schema in pb/, with every limit enforced and every error classified;
//   - canonical message ids (Message.ID);
//   - the Engine, a sans-I/O state machine: time is passed in, randomness is
//     injected, frames leave through Outbox, and state changes go to a Store
//     in one atomic batch per step before any frame of that step is released;
//   - MemStore, the in-memory Store (package boltstore has the durable one).
package sync
