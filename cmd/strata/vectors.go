package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/strata-lab/strata/internal/modroot"
	"github.com/strata-lab/strata/layers"
	"github.com/strata-lab/strata/layers/catalog"
	"github.com/strata-lab/strata/reports/result"
)

func (g *globals) moduleRoot() (string, error) {
	if g.root != "" {
		return g.root, nil
	}
	return modroot.Find(".")
}

func newVectorsCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "vectors",
		Short: "Check or regenerate the layers' test vectors",
		Long: `Each layer keeps JSON test vectors in layers/<name>/testdata/vectors/, every
case with its expected outcome. 'check' verifies every file of every layer (or
of the layers named) and writes a vectors result; 'update' regenerates them.`,
	}
	c.AddCommand(&cobra.Command{
		Use:     "check [LAYER...]",
		Short:   "Verify every vector file; exit non-zero on any mismatch",
		Example: "  strata vectors check\n  strata vectors check sync",
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := runVectorsCheck(cmd, g, args)
			return err
		},
	})
	c.AddCommand(&cobra.Command{
		Use:     "update [LAYER...]",
		Short:   "Regenerate the vector files from the reference implementation",
		Example: "  strata vectors update sync",
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := g.moduleRoot()
			if err != nil {
				return err
			}
			ds, err := catalog.Select(args)
			if err != nil {
				return err
			}
			for _, d := range ds {
				paths, err := layers.WriteVectorDir(d, root)
				if err != nil {
					return err
				}
				for _, p := range paths {
					fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", p)
				}
			}
			return nil
		},
	})
	return c
}

// runVectorsCheck checks the vectors of the selected layers, prints a line
// per file, and writes one vectors result per layer.
func runVectorsCheck(cmd *cobra.Command, g *globals, names []string) (paths []string, err error) {
	root, err := g.moduleRoot()
	if err != nil {
		return nil, err
	}
	ds, err := catalog.Select(names)
	if err != nil {
		return nil, err
	}
	failed := 0
	for _, d := range ds {
		started := time.Now()
		files, err := layers.CheckVectorDir(d, root)
		if err != nil {
			return nil, err
		}
		r := result.New(result.KindVectors, d.Name, d.Name+"/vectors", 0, started)
		r.Command = "strata vectors check " + d.Name
		for _, f := range files {
			v, status := 1.0, "ok  "
			if f.Err != nil {
				v, status = 0, "FAIL"
				failed++
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s/%s\n", status, d.Name, f.File)
			if f.Err != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "     %v\n", f.Err)
			}
			r.Add("vector_file_ok", "bool", v, map[string]string{"file": f.File})
		}
		r.Goals = []result.Goal{{Metric: "vector_files_failed", Op: result.OpLE, Target: 0,
			Anchor: "every vector file has the outcome it records"}}
		r.Add("vector_files_failed", "files", float64(countFailed(files)), nil)
		r.Finished = time.Now()
		if err := r.Evaluate(); err != nil {
			return nil, err
		}
		p, err := r.Write(g.out)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	if failed > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "%d vector file(s) failed\n", failed)
		return paths, fmt.Errorf("vectors: %w", errFailed)
	}
	return paths, nil
}

func countFailed(files []layers.VectorFileResult) int {
	n := 0
	for _, f := range files {
		if f.Err != nil {
			n++
		}
	}
	return n
}
