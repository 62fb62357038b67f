package fuzz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/strata-lab/strata/internal/gocmd"
	"io"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/strata-lab/strata/layers"
)

// Errors of List and Run.
var (
	// ErrGoTest is returned when go (test or list) exits with an error
	// that is not a fuzzing failure: a build failure, a bad flag. It also
	// wraps the *exec.ExitError, and its message ends with the tail of
	// the output.
	ErrGoTest = errors.New("fuzz: go command failed")
	// ErrNoTarget is returned when the target does not exist.
	ErrNoTarget = errors.New("fuzz: no such fuzz target")
	// ErrTimeout is returned when a run exceeded Options.Timeout.
	ErrTimeout = errors.New("fuzz: timed out")
)

// Target is one fuzz target.
type Target struct {
	// Pkg is the package import path.
	Pkg string
	// Dir is the package directory relative to the module root
	// ("layers/sync/reconcile"), with forward slashes.
	Dir string
	// Sub is Dir relative to the layer's directory: "" for the layer's
	// own package, "reconcile" for layers/sync/reconcile.
	Sub string
	// Name is the fuzz function's name ("FuzzProcess").
	Name string
}

// String returns "<Dir>.<Name>".
func (t Target) String() string { return t.Dir + "." + t.Name }

// fuzzFuncRE matches a fuzz function's name.
var fuzzFuncRE = regexp.MustCompile(`^Fuzz[\p{L}\p{N}_]*$`)

// List returns the fuzz targets of the descriptor's package and of every
// package under it, in package order, then in source order. root is the
// module root. A package that does not build makes List fail with
// ErrGoTest.
func List(ctx context.Context, root string, d layers.Descriptor) ([]Target, error) {
	if d.Dir == "" || !filepath.IsLocal(d.Dir) {
		return nil, fmt.Errorf("%w: descriptor %q has no usable Dir %q", ErrInvalidOptions, d.Name, d.Dir)
	}
	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	layerDir := path.Clean(filepath.ToSlash(d.Dir))
	pattern := "./" + layerDir + "/..."

	out, err := goOutput(ctx, root, "list", "-f", "{{.ImportPath}}\t{{with .Module}}{{.Path}}{{end}}", pattern)
	if err != nil {
		return nil, err
	}
	dirs := map[string]string{} // import path -> module-relative dir
	var pkgs []string           // in go list order
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, mod, ok := strings.Cut(line, "\t")
		if !ok || mod == "" {
			continue
		}
		dir := strings.TrimPrefix(strings.TrimPrefix(pkg, mod), "/")
		if dir == "" {
			dir = "."
		}
		dirs[pkg] = dir
		pkgs = append(pkgs, pkg)
	}

	out, err = goOutput(ctx, root, "test", "-list", "^Fuzz", "-json", pattern)
	if err != nil {
		return nil, err
	}
	// go test runs the packages in parallel; their events interleave.
	byPkg := map[string][]Target{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var ev struct {
			Action  string
			Package string
			Output  string
		}
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%w: go test -list -json: %v", ErrGoTest, err)
		}
		name := strings.TrimSpace(ev.Output)
		if ev.Action != "output" || !fuzzFuncRE.MatchString(name) {
			continue
		}
		dir, ok := dirs[ev.Package]
		if !ok {
			return nil, fmt.Errorf("%w: go test -list reported unknown package %q", ErrGoTest, ev.Package)
		}
		sub := ""
		if dir != layerDir {
			sub = strings.TrimPrefix(dir, layerDir+"/")
		}
		byPkg[ev.Package] = append(byPkg[ev.Package], Target{Pkg: ev.Package, Dir: dir, Sub: sub, Name: name})
	}
	var targets []Target
	for _, pkg := range pkgs {
		targets = append(targets, byPkg[pkg]...)
	}
	return targets, nil
}

// Select returns the targets whose Name or String() matches the regexp
// pattern; every target if pattern is empty.
func Select(targets []Target, pattern string) ([]Target, error) {
	if pattern == "" {
		return targets, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("%w: target pattern: %v", ErrInvalidOptions, err)
	}
	var out []Target
	for _, t := range targets {
		if re.MatchString(t.Name) || re.MatchString(t.String()) {
			out = append(out, t)
		}
	}
	return out, nil
}

// goOutput runs a short go command in root and returns its standard
// output. A non-zero exit gives ErrGoTest with the tail of both outputs.
func goOutput(ctx context.Context, root string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.WaitDelay = waitDelay
	gocmd.KillGroup(cmd)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("fuzz: go %s: %w", strings.Join(args, " "), ctx.Err())
		}
		t := gocmd.Tail{N: tailLines}
		for _, b := range [][]byte{stdout.Bytes(), stderr.Bytes()} {
			for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
				// Show the text of go test -json events.
				var ev struct{ Output *string }
				if json.Unmarshal([]byte(l), &ev) == nil {
					if ev.Output == nil {
						continue
					}
					l = strings.TrimRight(*ev.Output, "\n")
				}
				t.Add(l)
			}
		}
		return nil, fmt.Errorf("%w: go %s: %w\n%s", ErrGoTest, strings.Join(args, " "), err, t.String())
	}
	return stdout.Bytes(), nil
}
