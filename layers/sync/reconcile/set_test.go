package reconcile

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// testItems returns n random items with timestamps in [0, tsRange), from a
// fixed seed.
func testItems(seed uint64, n int, tsRange uint64) []Item {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	items := make([]Item, n)
	for i := range items {
		items[i] = randItem(r, tsRange)
	}
	return items
}

func randItem(r *rand.Rand, tsRange uint64) Item {
	var it Item
	it.Timestamp = r.Uint64N(max(tsRange, 1))
	for j := 0; j < IDSize; j += 8 {
		v := r.Uint64()
		for k := range 8 {
			it.ID[j+k] = byte(v >> (8 * k))
		}
	}
	return it
}

func TestSet(t *testing.T) {
	items := testItems(2, 500, 20)
	dup := append(slices.Clone(items), items[:100]...)
	s := NewSet(dup)
	if s.Len() != 500 {
		t.Fatalf("Len = %d, want 500", s.Len())
	}
	if !slices.IsSortedFunc(s.Items(), Item.Compare) {
		t.Fatal("items not sorted")
	}
	for i := 1; i < s.Len(); i++ {
		if s.Items()[i-1].Compare(s.Items()[i]) == 0 {
			t.Fatal("duplicate")
		}
	}
	dup[0].Timestamp = 999 // NewSet copied
	if s.Has(dup[0]) {
		t.Fatal("NewSet aliases its argument")
	}
	for _, it := range items {
		if !s.Has(it) || s.Insert(it) {
			t.Fatalf("item %v: Has false or Insert true", it)
		}
	}
	extra := testItems(3, 50, 20)
	for _, it := range extra {
		if s.Has(it) || !s.Insert(it) || !s.Has(it) {
			t.Fatalf("new item %v", it)
		}
	}
	if s.Len() != 550 || !slices.IsSortedFunc(s.Items(), Item.Compare) {
		t.Fatal("Insert broke the order")
	}

	var zero Set
	if zero.Len() != 0 || zero.Has(items[0]) || !zero.Insert(items[0]) || zero.Len() != 1 {
		t.Fatal("zero Set")
	}
	var nilSet *Set
	if nilSet.Len() != 0 || nilSet.Has(items[0]) || nilSet.Items() != nil {
		t.Fatal("nil Set")
	}
}

func TestLowerBound(t *testing.T) {
	s := NewSet(testItems(4, 200, 10)).Items()
	for i, it := range s {
		if got := lowerBound(s, it); got != i {
			t.Fatalf("lowerBound(item %d) = %d", i, got)
		}
	}
	if lowerBound(s, Item{}) != 0 && s[0] != (Item{}) {
		t.Fatal("least key")
	}
	top := Item{Timestamp: ^uint64(0)}
	for i := range top.ID {
		top.ID[i] = 0xff
	}
	if lowerBound(s, top) != len(s) {
		t.Fatal("greatest key")
	}
	if lowerBound(nil, top) != 0 {
		t.Fatal("empty")
	}
}
