package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/strata-lab/strata/reports/result"
)

// ErrBaseline is returned by LoadBaseline for a file that is neither
// benchfmt text nor a bench result pointing at some.
var ErrBaseline = errors.New("bench: unusable baseline")

// LoadBaseline reads a baseline: either benchfmt text (the raw output that
// WriteRaw saves, or any go test -bench output), or a bench result JSON
// document, in which case the raw output it lists in its Artifacts (the
// first *.txt) is read. A relative artifact path is tried as written (it
// is relative to the working directory of the run that wrote it), then as
// <out>/bench/<base name> next to the <out>/results/ folder holding the
// document.
//
// Load the baseline before running: a result document of the same layer
// and seed is overwritten when the new result is written (its raw output
// file, named by start time, is not).
func LoadBaseline(path string) (*Suite, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBaseline, err)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		s, err := Parse(bytes.NewReader(b), path)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBaseline, path, err)
		}
		s.RawPath = path
		return s, nil
	}
	r, err := result.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrBaseline, path, err)
	}
	if r.Kind != result.KindBench {
		return nil, fmt.Errorf("%w: %s is a %s result, not a bench result", ErrBaseline, path, r.Kind)
	}
	for _, a := range r.Artifacts {
		if !strings.HasSuffix(a, ".txt") {
			continue
		}
		candidates := []string{a}
		if !filepath.IsAbs(a) {
			out := filepath.Dir(filepath.Dir(path))
			candidates = append(candidates, filepath.Join(out, "bench", filepath.Base(a)))
		}
		for _, c := range candidates {
			if _, err := os.Stat(c); err != nil {
				continue
			}
			s, err := ParseFile(c)
			if err != nil {
				return nil, fmt.Errorf("%w: %s (from %s): %w", ErrBaseline, c, path, err)
			}
			if s.Layer == "" {
				s.Layer = r.Layer
			}
			return s, nil
		}
		return nil, fmt.Errorf("%w: %s lists raw output %s, which is not found", ErrBaseline, path, a)
	}
	return nil, fmt.Errorf("%w: %s lists no raw benchmark output (*.txt) in its artifacts", ErrBaseline, path)
}
