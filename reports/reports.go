package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/strata-lab/strata/layers"
	"github.com/strata-lab/strata/reports/result"
)

// Input is everything a report is made of. Render reads nothing else: no
// clock, no files, no environment.
type Input struct {
	// Results are the documents to report on, in any order; the report
	// sorts them by kind, layer, name and seed.
	Results []*result.Result
	// Layers are the layer descriptors, in stack order. Each gets a section
	// that quotes its SPEC.md; results of layers not listed here get a
	// section of their own after them.
	Layers []layers.Descriptor
	// Generated is the time the report states it was generated at.
	Generated time.Time
	// Commit is the source revision the report was generated from.
	Commit string
}

// Directory and file names under the output folder.
const (
	reportDir = "report"
	htmlName  = "index.html"
	mdName    = "report.md"
	plotsDir  = "plots" // under reportDir; report.md links plots/<file>
)

// Render renders the report as one self-contained HTML page (plots inline
// as SVG, no external resources) and as Markdown. The Markdown refers to
// its plots as plots/<file>.svg beside it; WriteFiles writes them. The same
// Input always renders to the same bytes.
func Render(in Input) (html []byte, md []byte, err error) {
	out, err := render(in)
	if err != nil {
		return nil, nil, err
	}
	return out.html, out.md, nil
}

// WriteFiles renders the report and writes <outDir>/report/index.html,
// <outDir>/report/report.md and the plots that report.md links,
// <outDir>/report/plots/<file>.svg, removing any other SVG file there. It
// returns the paths of the two reports.
func WriteFiles(outDir string, in Input) (htmlPath, mdPath string, err error) {
	out, err := render(in)
	if err != nil {
		return "", "", err
	}
	dir := filepath.Join(outDir, reportDir)
	if err := os.MkdirAll(filepath.Join(dir, plotsDir), 0o755); err != nil {
		return "", "", fmt.Errorf("reports: %w", err)
	}
	written := map[string]bool{}
	for _, p := range out.plots {
		if err := writeFile(filepath.Join(dir, plotsDir, p.name), p.svg); err != nil {
			return "", "", err
		}
		written[p.name] = true
	}
	// Figures of an earlier report that this one no longer has would
	// otherwise linger beside it.
	old, err := filepath.Glob(filepath.Join(dir, plotsDir, "*.svg"))
	if err != nil {
		return "", "", fmt.Errorf("reports: %w", err)
	}
	for _, path := range old {
		if !written[filepath.Base(path)] {
			if err := os.Remove(path); err != nil {
				return "", "", fmt.Errorf("reports: remove stale plot: %w", err)
			}
		}
	}
	htmlPath = filepath.Join(dir, htmlName)
	mdPath = filepath.Join(dir, mdName)
	if err := writeFile(htmlPath, out.html); err != nil {
		return "", "", err
	}
	if err := writeFile(mdPath, out.md); err != nil {
		return "", "", err
	}
	return htmlPath, mdPath, nil
}

// writeFile writes data to path atomically (temporary file, then rename).
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("reports: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("reports: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("reports: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

// output is a rendered report.
type output struct {
	html, md []byte
	plots    []plotFile
}

type plotFile struct {
	name string // base name under plots/
	svg  []byte
}

func render(in Input) (*output, error) {
	v := buildView(in)
	h, err := renderHTML(v)
	if err != nil {
		return nil, err
	}
	out := &output{html: h, md: renderMarkdown(v)}
	for _, l := range v.Layers {
		for _, r := range l.Runs {
			for _, p := range r.Plots {
				if p.SVG != nil {
					out.plots = append(out.plots, plotFile{name: p.File, svg: p.SVG})
				}
			}
		}
	}
	return out, nil
}
