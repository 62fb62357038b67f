//go:build !race

package mixsim

// raceEnabled: the race detector slows simulations about tenfold.
const raceEnabled = false
