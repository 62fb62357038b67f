package dht

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"

	pb "github.com/libp2p/go-libp2p-kad-dht/pb"
	kb "github.com/libp2p/go-libp2p-kbucket"
	"github.com/libp2p/go-libp2p-kbucket/peerdiversity"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
)

// TestAddrsGroups checks that every honest address is a diversity group
// of its own, as are the attacker's, and that the two sets are disjoint.
func TestAddrsGroups(t *testing.T) {
	seen := map[peerdiversity.PeerIPGroupKey]string{}
	add := func(who string, ip net.IP, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		g := peerdiversity.IPGroupKey(ip)
		if prev, ok := seen[g]; ok {
			t.Fatalf("%s (%v) shares group %s with %s", who, ip, g, prev)
		}
		seen[g] = who
	}
	for i := 0; i < MaxHonest; i += 7 {
		ip, err := HonestAddr(i)
		add("honest", ip, err)
	}
	for j := 0; j < MaxAttackerAddrs; j += 5 {
		ip, err := AttackerAddr(j)
		add("attacker", ip, err)
	}
	if _, err := HonestAddr(MaxHonest); !errors.Is(err, ErrConfig) {
		t.Fatalf("honest address %d: %v", MaxHonest, err)
	}
	if _, err := AttackerAddr(-1); !errors.Is(err, ErrConfig) {
		t.Fatalf("attacker address -1: %v", err)
	}
}

// TestGrindPick checks that grinding is a function of the seed and that
// Pick returns the deepest unclaimed identities, within the per-depth
// quota, never twice.
func TestGrindPick(t *testing.T) {
	a, err := Grind(3, 2000)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Grind(3, 2000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.ids {
		if a.ids[i] != b.ids[i] {
			t.Fatalf("identity %d differs between two grinds with one seed", i)
		}
	}
	victim := a.ids[0]
	idx, cpls := a.Pick(victim, 30, 4)
	if len(idx) != 30 {
		t.Fatalf("picked %d of 30", len(idx))
	}
	vk := kb.ConvertPeerID(victim)
	at := map[int]int{}
	for n, i := range idx {
		if a.ids[i] == victim {
			t.Fatal("picked the victim itself")
		}
		if got := kb.CommonPrefixLen(vk, a.keys[i]); got != cpls[n] {
			t.Fatalf("identity %d: prefix length %d, reported %d", i, got, cpls[n])
		}
		if n > 0 && cpls[n] > cpls[n-1] {
			t.Fatalf("not deepest first: %v", cpls)
		}
		at[cpls[n]]++
		if at[cpls[n]] > 4 {
			t.Fatalf("%d identities at depth %d, quota 4", at[cpls[n]], cpls[n])
		}
	}
	// No unpicked identity is deeper than the shallowest picked one
	// unless its depth's quota was full.
	picked := map[int]bool{}
	for _, i := range idx {
		picked[i] = true
	}
	low := cpls[len(cpls)-1]
	for i, k := range a.keys {
		if c := kb.CommonPrefixLen(vk, k); !picked[i] && a.ids[i] != victim && c > low && at[c] < 4 {
			t.Fatalf("identity %d at depth %d left out while depth %d was picked", i, c, low)
		}
	}
	again, _ := a.Pick(victim, 30, 4)
	for _, i := range again {
		if picked[i] {
			t.Fatalf("identity %d picked twice", i)
		}
	}
	if _, err := Grind(3, 0); !errors.Is(err, ErrConfig) {
		t.Fatalf("grinding 0: %v", err)
	}
}

func testAttacker(t *testing.T, perAddr, groups int) *Attacker {
	t.Helper()
	pool, err := Grind(9, perAddr*groups)
	if err != nil {
		t.Fatal(err)
	}
	a := &Attacker{}
	for i, id := range pool.ids {
		ip, err := AttackerAddr(i % groups)
		if err != nil {
			t.Fatal(err)
		}
		addr, err := ma.NewMultiaddr("/ip4/" + ip.String() + "/udp/8000/quic-v1")
		if err != nil {
			t.Fatal(err)
		}
		a.Sybils = append(a.Sybils, Sybil{ID: id, Key: pool.keys[i], Addrs: []ma.Multiaddr{addr}, Group: peerdiversity.IPGroupKey(ip)})
	}
	return a
}

// TestClosest checks the Sybils' answers: the closest Sybils to the key,
// never the excluded ones, at most PerGroup per group.
func TestClosest(t *testing.T) {
	a := testAttacker(t, 10, 4)
	key := kb.ConvertKey("target")
	all := a.Closest(key)
	if len(all) != BucketSize {
		t.Fatalf("%d peers in an answer, want %d", len(all), BucketSize)
	}
	for i := 1; i < len(all); i++ {
		if bytes.Compare(kb.Xor(kb.ConvertPeerID(all[i-1].ID), key), kb.Xor(kb.ConvertPeerID(all[i].ID), key)) > 0 {
			t.Fatal("answer not sorted by distance to the key")
		}
	}
	ex := a.Closest(key, all[0].ID)
	if ex[0].ID == all[0].ID || ex[0].ID != all[1].ID {
		t.Fatal("excluded peer answered, or the next closest missing")
	}
	a.PerGroup = 3
	capped := a.Closest(key)
	if len(capped) != 12 {
		t.Fatalf("4 groups × 3: %d peers", len(capped))
	}
	per := map[peerdiversity.PeerIPGroupKey]int{}
	group := map[peer.ID]peerdiversity.PeerIPGroupKey{}
	for _, s := range a.Sybils {
		group[s.ID] = s.Group
	}
	for _, p := range capped {
		per[group[p.ID]]++
		if per[group[p.ID]] > 3 {
			t.Fatalf("group %s: %d peers in one answer", group[p.ID], per[group[p.ID]])
		}
	}
}

// TestAnswer checks each request type's reply and the wire round trip.
func TestAnswer(t *testing.T) {
	a := testAttacker(t, 4, 2)
	self, from := a.Sybils[0].ID, a.Sybils[1].ID
	req := pb.NewMessage(pb.Message_FIND_NODE, []byte(a.Sybils[2].ID), 0)
	var buf bytes.Buffer
	if err := WriteMessage(&buf, req); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMessage(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Answer(self, from, got)
	if err != nil {
		t.Fatal(err)
	}
	ps := pb.PBPeersToPeerInfos(resp.GetCloserPeers())
	if len(ps) != len(a.Sybils)-2 {
		t.Fatalf("%d closer peers, want the %d Sybils other than self and requester", len(ps), len(a.Sybils)-2)
	}
	for _, p := range ps {
		if p.ID == self || p.ID == from || len(p.Addrs) == 0 {
			t.Fatalf("answer lists %s (self %s, requester %s) with %d addresses", p.ID, self, from, len(p.Addrs))
		}
	}
	ping := pb.NewMessage(pb.Message_PING, nil, 0)
	if r, err := a.Answer(self, from, ping); err != nil || r.GetType() != pb.Message_PING {
		t.Fatalf("ping: %v %v", r, err)
	}
	if r, err := a.Answer(self, from, pb.NewMessage(pb.Message_ADD_PROVIDER, []byte("k"), 0)); err != nil || r != nil {
		t.Fatalf("add provider: %v %v", r, err)
	}
	if _, err := a.Answer(self, from, &pb.Message{Type: pb.Message_MessageType(42)}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("unknown type: %v", err)
	}
}

// TestReadMessageBadInput checks the decoder's bounds and classes.
func TestReadMessageBadInput(t *testing.T) {
	read := func(b []byte) error {
		_, err := ReadMessage(bufio.NewReader(bytes.NewReader(b)))
		return err
	}
	if err := read(nil); !errors.Is(err, io.EOF) {
		t.Fatalf("empty stream: %v", err)
	}
	if err := read(binary.AppendUvarint(nil, MaxMessageBytes+1)); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("oversized length: %v", err)
	}
	if err := read(append(binary.AppendUvarint(nil, 10), 1, 2)); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("truncated body: %v", err)
	}
	if err := read([]byte{0x80}); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("truncated length: %v", err)
	}
	if err := read(append(binary.AppendUvarint(nil, 3), 0xff, 0xff, 0xff)); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("garbage body: %v", err)
	}
}

// FuzzReadMessage: any input gives a message or a classified error.
func FuzzReadMessage(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteMessage(&buf, pb.NewMessage(pb.Message_FIND_NODE, []byte("key"), 0))
	f.Add(buf.Bytes())
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		for {
			_, err := ReadMessage(r)
			if err == nil {
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, ErrBadMessage) && !errors.Is(err, ErrMessageTooLarge) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
	})
}
