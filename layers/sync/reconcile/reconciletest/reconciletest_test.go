package reconciletest

import (
	"slices"
	"testing"

	"github.com/strata-lab/strata/layers/sync/reconcile"
)

func TestLacking(t *testing.T) {
	items := Items(1, 1000)
	if !slices.Equal(items, Items(1, 1000)) {
		t.Fatal("Items is not deterministic")
	}
	for _, d := range []int{0, 1, 7, 1000} {
		got := reconcile.NewSet(Lacking(items, d))
		if got.Len() != 1000-d {
			t.Fatalf("d=%d: %d items left", d, got.Len())
		}
		for _, it := range got.Items() {
			if !slices.Contains(items, it) {
				t.Fatalf("d=%d: an item that was not in the set", d)
			}
		}
	}
}
