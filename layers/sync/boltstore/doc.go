// Package boltstore implements the data-sync engine's Store
// (github.com/strata-lab/strata/layers/sync) on a single bbolt file.
//
// # Guarantees
//
// Apply runs one bbolt read-write transaction per batch: a batch is applied
// all or nothing, and — unless Options.NoSync is set — the transaction is
// fsynced before Apply returns. The engine applies a step's batch before it
// releases any frame of that step, so every message the engine acknowledged
// survives a crash of the process (or of the machine, as far as the disk
// honours fsync). With NoSync that guarantee is gone: a crash of the machine
// may lose acknowledged messages or tear the file.
//
// Load returns the same Snapshot a sync.MemStore that received the same
// batches would return (same order, same values), with three normalisations
// the engine does not observe:
//
//   - times load back as time.Unix(0, n).UTC() (no monotonic reading, UTC
//     location) and the zero time loads back as time.Time{}; the engine
//     compares times with Equal, Before and After only. Apply rejects times
//     that UnixNano cannot represent (before 1678 or after 2262) with
//     ErrUnstorable rather than storing them wrong;
//   - a message body loads back non-nil ([]byte{} when empty) and empty
//     parents load back as nil, the forms sync.DecodeFrame produces;
//   - an empty member list loads back as nil.
//
// # Layout
//
// One bbolt file holds four buckets:
//
//	meta      "schema" → u32 schema version (SchemaVersion)
//	groups    group id (32) → group value
//	messages  message id (32) → message value
//	records   u16 len(peer) || peer || u8 kind || id (32) → record value
//
// bbolt iterates keys in byte order; for records that is not MemStore's
// (peer, kind, id) order (the length comes first), so Load sorts records.
// Every value starts with a one-byte format version. All integers are
// big-endian; times are int64 UnixNano with math.MinInt64 for the zero time.
//
//	group    = u8 version || u16 n || n × (u16 len || peer)
//	message  = u8 version || u8 flags (1: delivered, 2: ephemeral)
//	           || i64 since || u64 timestamp || group (32)
//	           || u8 len(parents) || parents (32 each) || body (the rest)
//	record   = u8 version || group (32) || i64 attempts || i64 backoff
//	           || i64 first || i64 next
//
// Load recomputes every message id and compares it with its key; every
// decoder bounds every length. A mismatch or malformed bytes give an error
// wrapping ErrCorrupt. Every error the store returns wraps sync.ErrStore.
package boltstore
