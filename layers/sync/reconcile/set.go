package reconcile

import "slices"

// Set is a sorted, duplicate-free collection of items, ordered by
// Item.Compare. The zero Set is empty and ready to use; a nil *Set reads as
// empty. A Set is not safe for concurrent use while it is being modified.
type Set struct {
	items []Item
}

// NewSet returns a Set holding the items (sorted and deduplicated); it
// copies the slice, which the caller keeps.
func NewSet(items []Item) *Set {
	s := slices.Clone(items)
	slices.SortFunc(s, Item.Compare)
	return &Set{items: slices.Compact(s)}
}

// Insert adds it and reports whether it was absent. It costs O(log n) to
// find the place and O(n) to move the items after it.
func (s *Set) Insert(it Item) bool {
	i, found := slices.BinarySearchFunc(s.items, it, Item.Compare)
	if found {
		return false
	}
	s.items = slices.Insert(s.items, i, it)
	return true
}

// Has reports whether it is in the set.
func (s *Set) Has(it Item) bool {
	_, found := slices.BinarySearchFunc(s.view(), it, Item.Compare)
	return found
}

// Len returns the number of items.
func (s *Set) Len() int { return len(s.view()) }

// Items returns the items in ascending order. The slice is the set's own
// storage: the caller must not modify it, and it is invalidated by Insert.
func (s *Set) Items() []Item { return s.view() }

func (s *Set) view() []Item {
	if s == nil {
		return nil
	}
	return s.items
}

// lowerBound returns the index of the first item of items that is >= key,
// or len(items) if there is none. items must be sorted.
func lowerBound(items []Item, key Item) int {
	i, _ := slices.BinarySearchFunc(items, key, Item.Compare)
	return i
}
