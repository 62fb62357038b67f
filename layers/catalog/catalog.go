// Package catalog lists every layer of the stack. It is the only package
// that imports the layers; the CLI, the runners and the report generator
// find layers through it.
package catalog

import (
	"fmt"
	"slices"

	"github.com/strata-lab/strata/layers"
	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/layers/mixnet/sphinx"
	"github.com/strata-lab/strata/layers/overlay"
	"github.com/strata-lab/strata/layers/overlay/spam"
	"github.com/strata-lab/strata/layers/session"
	"github.com/strata-lab/strata/layers/sync"
	"github.com/strata-lab/strata/layers/trust"
)

// All returns the descriptors of every layer, bottom of the stack first.
func All() []layers.Descriptor {
	return []layers.Descriptor{
		trust.Descriptor,
		overlay.Descriptor,
		spam.Descriptor,
		sphinx.Descriptor,
		loopix.Descriptor,
		session.Descriptor,
		sync.Descriptor,
	}
}

// Names returns the names of every layer.
func Names() []string {
	var out []string
	for _, d := range All() {
		out = append(out, d.Name)
	}
	return out
}

// Lookup returns the layer called name.
func Lookup(name string) (layers.Descriptor, error) {
	for _, d := range All() {
		if d.Name == name {
			return d, nil
		}
	}
	return layers.Descriptor{}, fmt.Errorf("%w: no layer %q (layers: %v)", layers.ErrInvalidDescriptor, name, Names())
}

// Select returns the layers named, or all when names is empty.
func Select(names []string) ([]layers.Descriptor, error) {
	if len(names) == 0 {
		return All(), nil
	}
	var out []layers.Descriptor
	for _, n := range names {
		d, err := Lookup(n)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(out, func(o layers.Descriptor) bool { return o.Name == n }) {
			out = append(out, d)
		}
	}
	return out, nil
}
