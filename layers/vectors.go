package layers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// VectorFileResult is the outcome of checking one vector file.
type VectorFileResult struct {
	Layer string
	File  string // base name
	Bytes int
	Err   error // nil when every case has its recorded outcome
}

// ErrVectorMismatch marks a vector file that does not check, or a missing one.
var ErrVectorMismatch = errors.New("layers: vector mismatch")

// CheckVectorDir checks every vector file of d under root (the module root),
// in name order. A generated file that is missing on disk, and a file on disk
// the generator does not produce, are mismatches too.
func CheckVectorDir(d Descriptor, root string) ([]VectorFileResult, error) {
	dir := filepath.Join(root, d.VectorDir())
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	gen, err := d.GenerateVectors()
	if err != nil {
		return nil, fmt.Errorf("%s: generating vectors: %w", d.Name, err)
	}
	var out []VectorFileResult
	var names []string
	for _, p := range paths {
		name := filepath.Base(p)
		names = append(names, name)
		r := VectorFileResult{Layer: d.Name, File: name}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		r.Bytes = len(b)
		if err := d.CheckVector(name, b); err != nil {
			r.Err = fmt.Errorf("%w: %w", ErrVectorMismatch, err)
		} else if _, ok := gen[name]; !ok {
			r.Err = fmt.Errorf("%w: %s is not produced by the generator", ErrVectorMismatch, name)
		}
		out = append(out, r)
	}
	var missing []string
	for name := range gen {
		if !slices.Contains(names, name) {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	for _, name := range missing {
		out = append(out, VectorFileResult{Layer: d.Name, File: name,
			Err: fmt.Errorf("%w: %s is missing in %s (run: strata vectors update)", ErrVectorMismatch, name, dir)})
	}
	return out, nil
}

// WriteVectorDir regenerates every vector file of d under root and returns
// the paths written.
func WriteVectorDir(d Descriptor, root string) ([]string, error) {
	gen, err := d.GenerateVectors()
	if err != nil {
		return nil, fmt.Errorf("%s: generating vectors: %w", d.Name, err)
	}
	dir := filepath.Join(root, d.VectorDir())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	names := make([]string, 0, len(gen))
	for n := range gen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, gen[n], 0o644); err != nil {
			return nil, err
		}
		written = append(written, p)
	}
	return written, nil
}
