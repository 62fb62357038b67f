package reports

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/strata-lab/strata/reports/result"
)

// Figure geometry and typography.
const (
	plotWidth  = 16 * vg.Centimeter
	plotHeight = 10 * vg.Centimeter

	// legendGap separates the legend from the axes and the figure's edge.
	legendGap = 6 * vg.Millimeter / 2
	// maxLegendRunes bounds a legend entry, so that the legend leaves
	// most of the width to the data.
	maxLegendRunes = 32

	// svgFontFamily replaces the family name gonum writes into the SVG:
	// gonum measures text with the Liberation fonts, which are
	// metric-compatible with Arial and Helvetica, so those are fallbacks
	// that keep the layout right where Liberation is not installed.
	svgFontFamily = "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"
)

// errNoData is returned by drawPlot when no metric of the result matches
// the plot.
var errNoData = errors.New("no data to plot")

// plotFont is the face used for every text of a figure.
func plotFont(size vg.Length) font.Font {
	return font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size)
}

// curve is one series of a figure.
type curve struct {
	name string
	pts  plotter.XYs
}

// isBaseline reports whether a series is the MVDS baseline design, which
// figures draw dashed so that it stands out from the designs compared to it.
func isBaseline(series string) bool {
	return strings.Contains(strings.ToLower(series), "mvds")
}

// drawPlot draws one declared figure of r as SVG. notes explain data that
// were left out (non-numeric abscissae, values a log axis cannot show).
// It returns errNoData when nothing is left to draw.
func drawPlot(r *result.Result, p result.Plot) (svg []byte, notes []string, err error) {
	curves, notes := plotCurves(r, p)
	if len(curves) == 0 {
		return nil, notes, errNoData
	}

	pl := plot.New()
	pl.Title.Text = p.Title
	if pl.Title.Text == "" {
		pl.Title.Text = p.ID
	}
	pl.Title.TextStyle.Font = plotFont(12)
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	switch {
	case pl.X.Label.Text == "" && p.Kind == result.PlotLine:
		pl.X.Label.Text = p.X
	case pl.X.Label.Text == "":
		pl.X.Label.Text = p.Metric
	}
	if pl.Y.Label.Text == "" {
		pl.Y.Label.Text = p.Metric
		if p.Kind == result.PlotCDF {
			pl.Y.Label.Text = "fraction ≤ x"
		}
	}
	for _, a := range []*plot.Axis{&pl.X, &pl.Y} {
		a.Label.TextStyle.Font = plotFont(10)
		a.Tick.Label.Font = plotFont(9)
		if _, isLog := a.Scale.(plot.LogScale); !isLog {
			a.Tick.Marker = linTicker{}
		}
	}
	pl.Add(plotter.NewGrid())

	// The legend sits right of the axes, where it hides no data.
	leg := plot.NewLegend()
	leg.TextStyle.Font = plotFont(9)
	leg.Top, leg.Left = true, true
	leg.ThumbnailWidth = vg.Points(24)

	for i, c := range curves {
		col := plotutil.Color(i)
		var dashes []vg.Length
		if isBaseline(c.name) {
			dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		switch p.Kind {
		case result.PlotCDF:
			l, err := plotter.NewLine(c.pts)
			if err != nil {
				return nil, notes, fmt.Errorf("reports: plot %s: series %q: %w", p.ID, c.name, err)
			}
			l.StepStyle = plotter.PostStep
			l.Color, l.Width, l.Dashes = col, vg.Points(1.5), dashes
			pl.Add(l)
			leg.Add(legendName(c.name), l)
		default:
			l, s, err := plotter.NewLinePoints(c.pts)
			if err != nil {
				return nil, notes, fmt.Errorf("reports: plot %s: series %q: %w", p.ID, c.name, err)
			}
			l.Color, l.Width, l.Dashes = col, vg.Points(1.5), dashes
			s.Shape, s.Color, s.Radius = plotutil.Shape(i), col, vg.Points(2.5)
			pl.Add(l, s)
			leg.Add(legendName(c.name), l, s)
		}
	}

	if p.Kind == result.PlotCDF && !p.LogY {
		pl.Y.Min, pl.Y.Max = math.Min(pl.Y.Min, 0), math.Max(pl.Y.Max, 1)
	}
	if p.LogX {
		logAxis(&pl.X)
	}
	if p.LogY {
		logAxis(&pl.Y)
	}

	svg, err = drawSVG(pl, &leg)
	if err != nil {
		return nil, notes, fmt.Errorf("reports: plot %s: %w", p.ID, err)
	}
	return svg, notes, nil
}

// logAxis turns a to a logarithmic scale. Its range holds only positive
// values (plotCurves dropped the others); a range of a single value is
// widened by a factor of two either way, since the default widening by ±1
// could reach zero.
func logAxis(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicker{}
	if a.Min == a.Max {
		a.Min, a.Max = a.Min/2, a.Max*2
	}
}

// logTicker labels powers of ten, and, when fewer than two of them fall in
// the range (a range under two decades would show no label at all), the
// values 1, 2 and 5 times a power of ten.
type logTicker struct{}

// Ticks implements plot.Ticker.
func (logTicker) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" && t.Value >= min && t.Value <= max {
			labelled++
		}
	}
	if labelled >= 2 {
		return ticks
	}
	var out []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v >= min && v <= max {
				out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	if len(out) < 2 {
		return plot.DefaultTicks{}.Ticks(min, max)
	}
	return out
}

// linTicker is gonum's default linear ticks, with every label printed at
// the precision the spacing of the labelled ticks needs (the default can
// print two neighbouring ticks of a narrow range alike, as 6.4 and 6.4).
type linTicker struct{}

// Ticks implements plot.Ticker.
func (linTicker) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	step := math.Inf(1)
	prev := math.NaN()
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		if !math.IsNaN(prev) {
			step = math.Min(step, t.Value-prev)
		}
		prev = t.Value
	}
	if math.IsInf(step, 1) || step <= 0 {
		return ticks
	}
	decimals := 0
	for decimals < 12 {
		scaled := step * math.Pow(10, float64(decimals))
		if math.Abs(scaled-math.Round(scaled)) < 1e-6*scaled && scaled >= 1 {
			break
		}
		decimals++
	}
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', decimals, 64)
		}
	}
	return ticks
}

// legendName shortens a series name that would make the legend wider than
// maxLegendRunes characters.
func legendName(name string) string {
	if r := []rune(name); len(r) > maxLegendRunes {
		return string(r[:maxLegendRunes-1]) + "…"
	}
	return name
}

// drawSVG draws pl with the legend leg to its right on a canvas of the
// report's figure size and returns the SVG document, with the font family
// made portable. gonum panics on some degenerate inputs; the panic is
// returned as an error.
func drawSVG(pl *plot.Plot, leg *plot.Legend) (svg []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			svg, err = nil, fmt.Errorf("drawing failed: %v", v)
		}
	}()
	c := vgsvg.NewWith(vgsvg.UseWH(plotWidth, plotHeight), vgsvg.EmbedFonts(false))
	dc := draw.New(c)
	// The legend's width is measured with Liberation Sans; an eighth more
	// leaves room for a wider fallback font.
	w := leg.Rectangle(dc).Size().X
	gutter := w + w/8 + 2*legendGap
	plotArea := draw.Crop(dc, 0, -gutter, 0, 0)
	pl.Draw(plotArea)
	data := pl.DataCanvas(plotArea)
	leg.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: plotArea.Max.X + legendGap, Y: data.Min.Y},
		Max: vg.Point{X: dc.Max.X, Y: data.Max.Y},
	}})
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	out := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"), []byte(svgFontFamily))
	return out, nil
}

// inlineSVG strips the XML declaration and leading comments of an SVG
// document, so that it can sit inside an HTML page.
func inlineSVG(svg []byte) []byte {
	if i := bytes.Index(svg, []byte("<svg")); i >= 0 {
		return svg[i:]
	}
	return svg
}

// plotCurves selects the metrics of r that p draws and groups them into
// curves sorted by name. A curve is named by the value of the Series label;
// when one series' metrics would collide (two points at one X, or two
// distributions), the labels that vary among them are appended to the name
// so that distinct measurements never share a curve.
func plotCurves(r *result.Result, p result.Plot) ([]curve, []string) {
	var (
		byName   = map[string]plotter.XYs{}
		nonNum   int
		noPoints int
		nonPos   int
		nonFin   int
	)
	add := func(name string, x, y float64) {
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0):
			nonFin++
		case (p.LogX && x <= 0) || (p.LogY && y <= 0):
			nonPos++
		default:
			byName[name] = append(byName[name], plotter.XY{X: x, Y: y})
		}
	}
	var selected []result.Metric
	for _, m := range r.Metrics {
		if m.Name == p.Metric && hasLabels(m.Labels, p.Filter) {
			selected = append(selected, m)
		}
	}
	split := splitLabels(selected, p)
	for _, m := range selected {
		name := curveName(m.Labels, p, split)
		switch p.Kind {
		case result.PlotCDF:
			if m.Dist == nil || len(m.Dist.Points) == 0 {
				noPoints++
				continue
			}
			for _, pt := range m.Dist.Points {
				add(name, pt[0], pt[1])
			}
		default:
			x, err := strconv.ParseFloat(strings.TrimSpace(m.Labels[p.X]), 64)
			if err != nil {
				nonNum++
				continue
			}
			add(name, x, m.Value)
		}
	}

	var notes []string
	if nonNum > 0 {
		notes = append(notes, fmt.Sprintf("%d metric(s) without a numeric %q label left out", nonNum, p.X))
	}
	if noPoints > 0 {
		notes = append(notes, fmt.Sprintf("%d metric(s) without distribution points left out", noPoints))
	}
	if nonPos > 0 {
		notes = append(notes, fmt.Sprintf("%d point(s) ≤ 0 left out of the logarithmic axis", nonPos))
	}
	if nonFin > 0 {
		notes = append(notes, fmt.Sprintf("%d non-finite point(s) left out", nonFin))
	}

	names := make([]string, 0, len(byName))
	for n, pts := range byName {
		if len(pts) > 0 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	curves := make([]curve, 0, len(names))
	for _, n := range names {
		pts := byName[n]
		if p.Kind != result.PlotCDF {
			sort.SliceStable(pts, func(i, j int) bool { return pts[i].X < pts[j].X })
		}
		curves = append(curves, curve{name: n, pts: pts})
	}
	return curves, notes
}

// splitLabels returns, per value of the Series label, the other labels
// (not X, not filtered) that must name curves apart: none when the
// series' metrics fit on one curve (a line plot whose points have
// distinct X; a CDF of one metric), otherwise every such label whose value
// varies within the series.
func splitLabels(ms []result.Metric, p result.Plot) map[string][]string {
	type group struct {
		ms    []result.Metric
		xs    map[string]bool
		clash bool
	}
	groups := map[string]*group{}
	for _, m := range ms {
		s := m.Labels[p.Series]
		g := groups[s]
		if g == nil {
			g = &group{xs: map[string]bool{}}
			groups[s] = g
		}
		g.ms = append(g.ms, m)
		if p.Kind == result.PlotCDF {
			g.clash = len(g.ms) > 1
		} else {
			x := m.Labels[p.X]
			g.clash = g.clash || g.xs[x]
			g.xs[x] = true
		}
	}
	out := map[string][]string{}
	for s, g := range groups {
		if !g.clash {
			continue
		}
		seen := map[string]map[string]bool{}
		for _, m := range g.ms {
			for k, v := range m.Labels {
				if _, filtered := p.Filter[k]; filtered || k == p.Series || (p.Kind == result.PlotLine && k == p.X) {
					continue
				}
				if seen[k] == nil {
					seen[k] = map[string]bool{}
				}
				seen[k][v] = true
			}
		}
		var varying []string
		for _, k := range sortedKeys(seen) {
			if len(seen[k]) > 1 || len(seen[k]) == 1 && hasMissing(g.ms, k) {
				varying = append(varying, k)
			}
		}
		// One label that separates every colliding pair, the one with
		// the fewest values; otherwise all of them.
		best := -1
		for _, k := range varying {
			if !collides(g.ms, p, []string{k}) && (best < 0 || len(seen[k]) < len(seen[varying[best]])) {
				best = slices.Index(varying, k)
			}
		}
		if best >= 0 {
			out[s] = []string{varying[best]}
		} else {
			out[s] = varying
		}
	}
	return out
}

// collides reports whether, grouped by the values of keys, two metrics of
// ms would share a curve point (the same X in a line plot; any two in a
// CDF).
func collides(ms []result.Metric, p result.Plot, keys []string) bool {
	seen := map[string]bool{}
	for _, m := range ms {
		var id strings.Builder
		for _, k := range keys {
			id.WriteString(k + "=" + m.Labels[k] + "\x00")
		}
		if p.Kind != result.PlotCDF {
			id.WriteString(m.Labels[p.X])
		}
		if seen[id.String()] {
			return true
		}
		seen[id.String()] = true
	}
	return false
}

// hasMissing reports whether some metric lacks label k.
func hasMissing(ms []result.Metric, k string) bool {
	for _, m := range ms {
		if _, ok := m.Labels[k]; !ok {
			return true
		}
	}
	return false
}

// curveName names the curve a metric with labels belongs to in plot p:
// the value of the Series label, followed by the split labels of that
// series.
func curveName(labels map[string]string, p result.Plot, split map[string][]string) string {
	name, ok := labels[p.Series]
	if !ok {
		name = "(no " + p.Series + ")"
	}
	var rest []string
	for _, k := range split[labels[p.Series]] {
		v, ok := labels[k]
		if !ok {
			v = "–"
		}
		rest = append(rest, k+"="+v)
	}
	if len(rest) > 0 {
		name += " (" + strings.Join(rest, ", ") + ")"
	}
	return name
}

// hasLabels reports whether labels include every label of want.
func hasLabels(labels, want map[string]string) bool {
	for k, v := range want {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
