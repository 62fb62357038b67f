package spam

import (
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// distances returns, for every host, its hop distance from host src over
// the hosts' live connections (-1: unreachable).
func distances(hosts []host.Host, src int) []int {
	index := make(map[peer.ID]int, len(hosts))
	for i, h := range hosts {
		index[h.ID()] = i
	}
	adj := make([][]int, len(hosts))
	for i, h := range hosts {
		for _, p := range h.Network().Peers() {
			if j, ok := index[p]; ok {
				adj[i] = append(adj[i], j)
				adj[j] = append(adj[j], i)
			}
		}
	}
	return bfs(adj, src)
}

// bfs returns the hop distance of every vertex from src in the
// undirected graph adj (-1: unreachable).
func bfs(adj [][]int, src int) []int {
	dist := make([]int, len(adj))
	for i := range dist {
		dist[i] = -1
	}
	dist[src] = 0
	queue := []int{src}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range adj[v] {
			if dist[w] < 0 {
				dist[w] = dist[v] + 1
				queue = append(queue, w)
			}
		}
	}
	return dist
}

// topology returns the honest nodes' connections: a ring (so the graph is
// connected) and extra random chords until every node has dialled degree
// peers, without duplicates.
func topology(n, degree int, intn func(int) int) [][2]int {
	var edges [][2]int
	has := map[[2]int]bool{}
	add := func(a, b int) bool {
		if a == b {
			return false
		}
		k := [2]int{min(a, b), max(a, b)}
		if has[k] {
			return false
		}
		has[k] = true
		edges = append(edges, [2]int{a, b})
		return true
	}
	for i := range n {
		add(i, (i+1)%n)
	}
	for i := range n {
		for d, tries := 1, 0; d < degree && tries < 10*n; tries++ {
			if add(i, intn(n)) {
				d++
			}
		}
	}
	return edges
}
