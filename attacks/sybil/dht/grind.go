package dht

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	kb "github.com/libp2p/go-libp2p-kbucket"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Pool is a set of ground Sybil identities: Ed25519 keys derived from a
// seed, with their Kademlia keys (SHA-256 of the peer ID), from which an
// attacker picks the ones closest to a victim. Grinding is the
// attacker's whole cost of choosing where its Sybils land in a victim's
// routing table: 2^(c+1) tries per identity at common prefix length c.
type Pool struct {
	seed int64
	ids  []peer.ID
	keys []kb.ID
	// claimed marks identities already given to an attacker.
	claimed []bool
}

// Grind derives n identities from seed, in parallel on the machine's
// cores (the result does not depend on the number of cores).
func Grind(seed int64, n int) (*Pool, error) {
	if n <= 0 {
		return nil, fmt.Errorf("%w: grinding %d identities", ErrConfig, n)
	}
	p := &Pool{seed: seed, ids: make([]peer.ID, n), keys: make([]kb.ID, n), claimed: make([]bool, n)}
	workers := max(1, runtime.GOMAXPROCS(0))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				sk, err := SybilKey(seed, i)
				if err != nil {
					errs[w] = err
					return
				}
				id, err := peer.IDFromPrivateKey(sk)
				if err != nil {
					errs[w] = err
					return
				}
				p.ids[i], p.keys[i] = id, kb.ConvertPeerID(id)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

// SybilKey derives the pool's identity i from seed.
func SybilKey(seed int64, i int) (crypto.PrivKey, error) {
	var k [32]byte
	binary.BigEndian.PutUint64(k[:], uint64(seed))
	binary.BigEndian.PutUint64(k[8:], uint64(i))
	copy(k[16:], "strata-dht-sybil")
	sk, _, err := crypto.GenerateEd25519Key(rand.NewChaCha8(k))
	return sk, err
}

// Len is the number of identities in the pool.
func (p *Pool) Len() int { return len(p.ids) }

// Pick claims up to n unclaimed identities for an attack on victim, the
// deepest first: sorted by common prefix length with the victim's
// Kademlia key (longest first, then by pool index), at most perCPL at any
// one prefix length (a bucket holds BucketSize peers: more at one depth
// cannot enter the table), then, if the attacker wants more, the deepest
// of the rest. It returns the pool indices and their prefix lengths.
func (p *Pool) Pick(victim peer.ID, n, perCPL int) (idx, cpls []int) {
	vk := kb.ConvertPeerID(victim)
	type cand struct{ i, cpl int }
	cs := make([]cand, 0, len(p.ids))
	for i, k := range p.keys {
		if !p.claimed[i] && p.ids[i] != victim {
			cs = append(cs, cand{i, kb.CommonPrefixLen(vk, k)})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if c := cmp.Compare(b.cpl, a.cpl); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	// First the deepest up to perCPL per depth, then, if the attacker
	// wants more, the deepest of the rest.
	at := map[int]int{}
	for pass := range 2 {
		for _, c := range cs {
			if len(idx) == n {
				return idx, cpls
			}
			if p.claimed[c.i] || (pass == 0 && at[c.cpl] >= perCPL) {
				continue
			}
			at[c.cpl]++
			p.claimed[c.i] = true
			idx, cpls = append(idx, c.i), append(cpls, c.cpl)
		}
	}
	return idx, cpls
}

// fresh returns the pool with no identity claimed (sharing the keys).
func (p *Pool) fresh() *Pool {
	return &Pool{seed: p.seed, ids: p.ids, keys: p.keys, claimed: make([]bool, len(p.ids))}
}
