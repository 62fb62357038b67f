// Package layers defines the contract every protocol layer of Strata fulfils
// towards the tooling: a Descriptor that tells the CLI, the benchmark and fuzz
// runners and the report generator where a layer's specification, test
// vectors, benchmarks and fuzz targets are.
//
// This package imports no layer. Each layer exports a Descriptor; the package
// layers/catalog lists them all.
package layers

import (
	"errors"
	"fmt"
	"regexp"
)

// Descriptor describes one layer of the stack.
type Descriptor struct {
	// Name is the stable, lower-case identifier of the layer ("sync").
	// It names the layer in results, reports and on the command line.
	Name string
	// Title is a one-line human description.
	Title string
	// Dir is the layer's directory relative to the module root
	// ("layers/sync"). Benchmarks and fuzz targets are run from its
	// package; vectors live in Dir/testdata/vectors.
	Dir string
	// Spec is the layer's SPEC.md, embedded at build time.
	Spec []byte
	// CheckVector verifies one vector file. name is the file's base name,
	// data its content. It returns nil when every case in the file has the
	// outcome the file records, and an error that names the first case that
	// does not otherwise.
	CheckVector func(name string, data []byte) error
	// GenerateVectors computes every vector file of the layer afresh,
	// deterministically, keyed by base name.
	GenerateVectors func() (map[string][]byte, error)
	// BenchGoals are the figures the layer's benchmarks must reach; the
	// benchmark runner turns them into goals of its result.
	BenchGoals []BenchGoal
}

// BenchGoal is a target for one benchmark figure: the median of Unit in
// benchmark Bench must satisfy Op Target.
type BenchGoal struct {
	// Bench is the benchmark's name without "Benchmark" and the -procs
	// suffix: "Reconcile/n=1000000/d=1".
	Bench string
	// Unit is the benchmark unit: "sec/op", "bytes", "x-of-x25519", ...
	Unit string
	// Op is one of "<=", ">=", "<", ">", "==".
	Op     string
	Target float64
	// Anchor is the published figure or the reason the target holds.
	Anchor string
}

// VectorDir is the directory, relative to the module root, that holds the
// layer's vector files.
func (d Descriptor) VectorDir() string { return d.Dir + "/testdata/vectors" }

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

// ErrInvalidDescriptor is returned by Validate for an incomplete descriptor.
var ErrInvalidDescriptor = errors.New("layers: invalid descriptor")

// Validate reports whether the descriptor is complete.
func (d Descriptor) Validate() error {
	switch {
	case !nameRE.MatchString(d.Name):
		return fmt.Errorf("%w: name %q is not a lower-case identifier", ErrInvalidDescriptor, d.Name)
	case d.Dir == "":
		return fmt.Errorf("%w: %s: Dir is not set", ErrInvalidDescriptor, d.Name)
	case len(d.Spec) == 0:
		return fmt.Errorf("%w: %s: Spec is empty", ErrInvalidDescriptor, d.Name)
	case d.CheckVector == nil || d.GenerateVectors == nil:
		return fmt.Errorf("%w: %s: vector functions are not set", ErrInvalidDescriptor, d.Name)
	}
	for _, g := range d.BenchGoals {
		switch g.Op {
		case "<=", ">=", "<", ">", "==":
		default:
			return fmt.Errorf("%w: %s: bench goal %s has operator %q", ErrInvalidDescriptor, d.Name, g.Bench, g.Op)
		}
		if g.Bench == "" || g.Unit == "" || g.Anchor == "" {
			return fmt.Errorf("%w: %s: bench goal %+v needs a benchmark, a unit and an anchor", ErrInvalidDescriptor, d.Name, g)
		}
	}
	return nil
}
