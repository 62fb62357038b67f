//go:build race

package sybil

// raceOn: the race detector slows the in-process harness several times
// over, so the small study keeps only its main part under it.
const raceOn = true
