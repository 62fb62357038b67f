// Package modroot finds the root of the Strata module checkout, where the
// layers' sources, vectors and fuzz corpora live.
package modroot

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Module is the module path of Strata.
const Module = "github.com/strata-lab/strata"

// ErrNotFound: no Strata checkout above the directory.
var ErrNotFound = errors.New("modroot: not inside a Strata checkout")

// Find walks up from dir to the directory whose go.mod declares Module.
func Find(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		if isRoot(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%w: no go.mod for %s above %s; run from the repository or pass --root", ErrNotFound, Module, abs)
		}
	}
}

func isRoot(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == Module
		}
	}
	return false
}
