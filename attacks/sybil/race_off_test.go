//go:build !race

package sybil

// raceOn: see race_on_test.go.
const raceOn = false
