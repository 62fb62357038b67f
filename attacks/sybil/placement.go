package sybil

import (
	"fmt"
	"math/rand/v2"
	"net"
)

// Placement says which victims each Sybil attacks and from which address.
type Placement struct {
	// Victims[s] lists the victims (indices into the study's victim list)
	// Sybil s attacks.
	Victims [][]int
	// IP and Port are Sybil s's address.
	IP   []net.IP
	Port []int
}

// Colocation says how Sybils share addresses.
type Colocation int

// Colocation schemes.
const (
	// OwnIP gives every Sybil an address of its own.
	OwnIP Colocation = iota
	// ColocateAware puts many Sybils on one address but never two of them
	// on one victim: the j-th Sybil of every victim uses address j, so a
	// victim sees each address once and gossipsub's IP colocation factor
	// (P6, which counts a victim's peers per address) never fires.
	ColocateAware
	// ColocateNaive puts a victim's Sybils on shared addresses, PerIP of
	// them on each: P6 penalises every one of them at the victim.
	ColocateNaive
)

func (c Colocation) String() string {
	switch c {
	case OwnIP:
		return "own-ip"
	case ColocateAware:
		return "aware"
	case ColocateNaive:
		return "naive"
	}
	return "colocation(?)"
}

// sybilIP is the j-th address of the Sybils' pool: 150.0.0.2 upward, one
// /24 per 256 addresses, apart from the honest hosts' inproc.Addr range
// (first octets 11-99).
func sybilIP(j int) net.IP {
	return net.IPv4(byte(150+j>>16), byte(j>>8), byte(j), 2)
}

// maxSybilIPs is the size of sybilIP's pool (first octets 150-223).
const maxSybilIPs = 74 << 16

// basePort is the first UDP port of Sybils on a shared address.
const basePort = 9000

// Place assigns sybils Sybils to victims victims, perSybil victims each,
// spread evenly (every victim gets sybils·perSybil/victims of them, ±1) in
// a seeded order, and gives them addresses by colocation (perIP is the
// number of one victim's Sybils on one address for ColocateNaive).
func Place(seed uint64, victims, sybils, perSybil int, col Colocation, perIP int) (Placement, error) {
	switch {
	case victims < 1 || sybils < 1:
		return Placement{}, fmt.Errorf("%w: %d victims and %d Sybils: need at least one of each", ErrConfig, victims, sybils)
	case perSybil < 1 || perSybil > victims:
		return Placement{}, fmt.Errorf("%w: %d victims per Sybil: need 1 to %d", ErrConfig, perSybil, victims)
	case col == ColocateNaive && perIP < 2:
		return Placement{}, fmt.Errorf("%w: naive colocation needs at least 2 Sybils per address, have %d", ErrConfig, perIP)
	case col != ColocateNaive && col != ColocateAware && col != OwnIP:
		return Placement{}, fmt.Errorf("%w: unknown colocation %d", ErrConfig, int(col))
	case col != OwnIP && perSybil != 1:
		return Placement{}, fmt.Errorf("%w: colocated Sybils attack one victim each, not %d", ErrConfig, perSybil)
	case sybils > maxSybilIPs:
		return Placement{}, fmt.Errorf("%w: %d Sybils exceed the %d addresses of the pool: colocate them", ErrConfig, sybils, maxSybilIPs)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5b11))
	order := rng.Perm(victims)
	p := Placement{Victims: make([][]int, sybils), IP: make([]net.IP, sybils), Port: make([]int, sybils)}
	// Slot k = s·perSybil + j goes to victim order[k mod victims]: the
	// perSybil slots of one Sybil are consecutive, hence distinct victims.
	rank := make([]int, victims) // how many Sybils each victim has so far
	for s := range sybils {
		for j := range perSybil {
			v := order[(s*perSybil+j)%victims]
			p.Victims[s] = append(p.Victims[s], v)
		}
		first := p.Victims[s][0]
		r := rank[first]
		for _, v := range p.Victims[s] {
			rank[v]++
		}
		switch col {
		case OwnIP:
			p.IP[s], p.Port[s] = sybilIP(s), basePort
		case ColocateAware:
			// Address r is shared by the r-th Sybils of all victims; the
			// port tells them apart.
			p.IP[s], p.Port[s] = sybilIP(r), basePort+first
		case ColocateNaive:
			// The r-th Sybil of victim v shares address (v, r/perIP).
			perVictim := (sybils+victims-1)/victims/perIP + 1
			p.IP[s], p.Port[s] = sybilIP(first*perVictim+r/perIP), basePort+r%perIP
		}
	}
	return p, nil
}
