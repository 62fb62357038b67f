package dht

import (
	"errors"
	"fmt"
	"net"
	"slices"
)

// Errors of the study and of the Sybil responder.
var (
	// ErrConfig reports an unusable study configuration.
	ErrConfig = errors.New("dht: invalid configuration")
	// ErrMessageTooLarge reports a DHT message whose length prefix exceeds
	// MaxMessageBytes.
	ErrMessageTooLarge = errors.New("dht: message too large")
	// ErrBadMessage reports a DHT message that does not decode.
	ErrBadMessage = errors.New("dht: malformed message")
	// ErrUnsupported reports a DHT request type the Sybil responder does
	// not answer.
	ErrUnsupported = errors.New("dht: unsupported request type")
)

// legacyClassA are the first octets of the IPv4 /8 blocks that the
// DHT's diversity filter groups by /8 rather than by /16
// (go-libp2p-kbucket/peerdiversity). Honest addresses avoid them, so
// that every honest host is an IP group of its own.
var legacyClassA = []byte{12, 17, 19, 38, 48, 53, 56, 73}

// honestOctets are the first octets of honest addresses: 20-99 without
// the legacy class-A blocks.
var honestOctets = func() []byte {
	var o []byte
	for b := byte(20); b < 100; b++ {
		if !slices.Contains(legacyClassA, b) {
			o = append(o, b)
		}
	}
	return o
}()

// MaxHonest is the number of distinct honest addresses HonestAddr gives.
var MaxHonest = len(honestOctets) * 256

// MaxAttackerAddrs is the number of distinct attacker addresses
// AttackerAddr gives.
const MaxAttackerAddrs = 64 * 256

// HonestAddr is the address of honest host i: each in an IPv4 /16 of its
// own, outside the legacy class-A blocks, so each is its own diversity
// group.
func HonestAddr(i int) (net.IP, error) {
	if i < 0 || i >= MaxHonest {
		return nil, fmt.Errorf("%w: honest host %d (at most %d)", ErrConfig, i, MaxHonest)
	}
	return net.IPv4(honestOctets[i/256], byte(i%256), 0, 1), nil
}

// AttackerAddr is the attacker's address j: each in an IPv4 /16 of its
// own (first octets 160-223, none a legacy class-A block), disjoint from
// the honest ones.
func AttackerAddr(j int) (net.IP, error) {
	if j < 0 || j >= MaxAttackerAddrs {
		return nil, fmt.Errorf("%w: attacker address %d (at most %d)", ErrConfig, j, MaxAttackerAddrs)
	}
	return net.IPv4(byte(160+j/256), byte(j%256), 0, 1), nil
}
