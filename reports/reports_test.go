package reports

import (
	"bytes"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/strata-lab/strata/layers"
	"github.com/strata-lab/strata/reports/result"
)

var sampleOut = flag.String("sample", "", "also write the sample report of the tests into this folder, to look at")

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const syncSpec = "# Data sync\n\n" +
	"## Requires\n\nAn authenticated channel from `session`; **no** ordering.\n\n### Assumptions\n\n- nodes churn\n- links drop\n\n" +
	"## Provides\n\nReliable, causally ordered delivery.\n\n" +
	"## Threat model\n\nPeers may lie about what they hold.\n\n" +
	"## Trade-offs\n\nBatch mode trades latency for bandwidth.\n\n" +
	"## Wire format\n\nNot quoted.\n"

func newResult(kind result.Kind, layer, name string, seed int64) *result.Result {
	return &result.Result{
		Schema:  result.Schema,
		Kind:    kind,
		Layer:   layer,
		Name:    name,
		Seed:    seed,
		Commit:  "abc1234",
		Machine: result.Machine{OS: "linux", Arch: "amd64", CPUs: 8, GoVersion: "go1.26.8", CPUModel: "Test CPU @ 3GHz"},
		Started: t0, Finished: t0.Add(90 * time.Second),
		Params:  map[string]any{},
		Command: "strata " + string(kind) + " --seed 1 " + name,
	}
}

// testInput builds the synthetic input the tests render: a described layer
// with a scenario (line and CDF plots, goals met and unmet), a fuzz, a
// bench and a vectors result, and an undescribed layer whose result failed
// and carries markup in a label.
func testInput() Input {
	sc := newResult(result.KindScenario, "sync", "sync/churn", 1)
	sc.Params = map[string]any{"nodes": 100, "modes": []string{"batch", "interactive"}, "topology": "random"}
	modes := []string{"mvds-batch", "mvds-interactive", "rbsr"}
	rng := rand.New(rand.NewPCG(1, 2))
	for mi, mode := range modes {
		for _, up := range []string{"0.1", "0.25", "0.5", "1"} {
			u := 0.0
			switch up {
			case "0.1":
				u = 0.1
			case "0.25":
				u = 0.25
			case "0.5":
				u = 0.5
			default:
				u = 1
			}
			sc.Add("overhead_ratio", "x", (1+float64(mi)*3)/u, map[string]string{"mode": mode, "uptime": up, "n": "100"})
		}
		samples := make([]float64, 400)
		for i := range samples {
			samples[i] = rng.ExpFloat64() * float64(mi+1)
		}
		m := sc.Add("delivery_latency", "s", 0, map[string]string{"mode": mode})
		m.Dist = result.Summarize(samples, 50)
		m.Value = m.Dist.P50
	}
	sc.Add("overhead_ratio", "x", 0, map[string]string{"mode": "broken", "uptime": "0", "n": "100"}) // ≤ 0 on a log axis
	sc.Plots = []result.Plot{
		{ID: "sync-overhead", Title: "Overhead vs uptime", Kind: result.PlotLine, Metric: "overhead_ratio",
			X: "uptime", Series: "mode", Filter: map[string]string{"n": "100"}, XLabel: "uptime", YLabel: "overhead (x)", LogY: true},
		{ID: "sync-latency-cdf", Title: "Delivery latency", Kind: result.PlotCDF, Metric: "delivery_latency",
			Series: "mode", XLabel: "latency (s)", YLabel: "fraction delivered"},
		{ID: "sync-empty", Title: "Nothing", Kind: result.PlotLine, Metric: "absent", X: "uptime", Series: "mode"},
	}
	sc.Goals = []result.Goal{
		{Metric: "overhead_ratio", Labels: map[string]string{"mode": "rbsr", "uptime": "0.1"}, Op: result.OpLE, Target: 100,
			Anchor: "MVDS interactive 100-1000x at 10% uptime"},
		{Metric: "delivery_latency", Labels: map[string]string{"mode": "rbsr"}, Op: result.OpLE, Target: 0.5,
			Anchor: "RBSR delivers within 0.5 s at p50"},
	}
	_ = sc.Evaluate()

	fz := newResult(result.KindFuzz, "sync", "sync/fuzz", 1)
	fz.Add("execs", "count", 1234567, map[string]string{"target": "FuzzDecodeMessage"})
	fz.Add("execs_per_sec", "1/s", 13717.4, map[string]string{"target": "FuzzDecodeMessage"})
	fz.Add("new_interesting", "count", 42, map[string]string{"target": "FuzzDecodeMessage"})
	fz.Add("crashers", "count", 0, map[string]string{"target": "FuzzDecodeMessage"})
	fz.Add("duration", "s", 90, map[string]string{"target": "FuzzDecodeMessage"})
	fz.Add("execs", "count", 5000, map[string]string{"target": "FuzzReconcile"})
	fz.Add("crashers", "count", 1, map[string]string{"target": "FuzzReconcile"})
	fz.Add("corpus_size", "count", 311, nil)

	bn := newResult(result.KindBench, "sync", "sync/bench", 0)
	bn.Add("BenchmarkEncode/size=1k", "sec/op", 1.25e-6, map[string]string{"bench": "BenchmarkEncode/size=1k", "ci": "±2%"})
	bn.Add("BenchmarkEncode/size=1k", "B/op", 1024, map[string]string{"bench": "BenchmarkEncode/size=1k"})
	bn.Add("delta_pct", "%", 3.2, map[string]string{"bench": "BenchmarkEncode/size=1k", "unit": "sec/op", "p": "0.002", "significant": "true"})
	bn.Add("BenchmarkDecode", "msgs/s", 81234, nil)
	bn.Add("delta_pct", "%", -0.4, map[string]string{"bench": "BenchmarkDecode", "significant": "false"})

	vc := newResult(result.KindVectors, "sync", "sync/vectors", 0)
	vc.Add("vector_pass", "bool", 1, map[string]string{"file": "message.json"})
	vc.Add("vector_pass", "bool", 0, map[string]string{"file": "reconcile.json", "error": "case 3: want ErrTooLong"})
	vc.Goals = []result.Goal{{Metric: "vector_pass", Labels: map[string]string{"file": "reconcile.json"}, Op: result.OpEQ, Target: 1,
		Anchor: "every vector file passes"}}
	_ = vc.Evaluate()

	evil := newResult(result.KindScenario, "sim", "sim/smoke", 7)
	evil.Add("delivered", "msgs", 10, map[string]string{"note": "<script>alert(1)</script>", "x": "1"})
	evil.Plots = []result.Plot{{ID: "evil", Title: "<script>t</script>", Kind: result.PlotLine, Metric: "delivered",
		X: "x", Series: "note", XLabel: "<b>x</b>"}}
	evil.Error = "node 3 crashed: <b>boom</b>"
	evil.Command = "strata sim --seed 7 `smoke` ```"

	return Input{
		Results: []*result.Result{evil, sc, vc, bn, fz},
		Layers: []layers.Descriptor{
			{Name: "sync", Title: "Data sync", Dir: "layers/sync", Spec: []byte(syncSpec)},
			{Name: "chat", Title: "Chat", Dir: "layers/chat", Spec: []byte("# Chat\n\n## Provides\n\nChats.\n")},
		},
		Generated: t0.Add(time.Hour),
		Commit:    "deadbeef",
	}
}

func TestRenderHTML(t *testing.T) {
	html, _, err := Render(testInput())
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	for _, want := range []string{
		"<title>Strata audit report</title>",
		"Generated 2026-03-01T13:00:00Z",
		"<code>deadbeef</code>",
		"<strong>5</strong> results · goals met <strong>1/3</strong>",
		">1</strong> runs errored",
		// goals table
		"<td>MVDS interactive 100-1000x at 10% uptime</td><td class=\"num\">&lt;= 100 x</td><td class=\"num\">70 x</td><td><span class=\"ok\">✔</span>",
		"<td>RBSR delivers within 0.5 s at p50</td>",
		"<span class=\"bad\">✘</span>",
		"<code>overhead_ratio {mode=rbsr, uptime=0.1}</code>",
		// spec sections
		"<h2>Layer sync — Data sync</h2>",
		"<p>An authenticated channel from <code>session</code>; <strong>no</strong> ordering.</p>",
		"<h4>Assumptions</h4>",
		"Batch mode trades latency for bandwidth.",
		"<h3>Requires</h3>\n<p class=\"missing\">(not in SPEC.md)</p>", // chat has only Provides
		"<h2>Layer sim</h2>",
		// vectors
		"<code>message.json</code></td><td><span class=\"ok\">✔ pass</span>",
		"<code>reconcile.json</code></td><td><span class=\"bad\">✘ fail</span></td><td>case 3: want ErrTooLong</td>",
		// fuzz
		"<code>FuzzDecodeMessage</code></td><td class=\"num\">90 s</td><td class=\"num\">1234567</td><td class=\"num\">13717.4</td><td class=\"num\">42</td><td class=\"num\">0</td>",
		"<code>FuzzReconcile</code></td><td class=\"num\">–</td><td class=\"num\">5000</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\"><span class=\"bad\">1</span></td>",
		"<code>corpus_size</code>",
		// bench
		"<code>BenchmarkEncode/size=1k</code></td><td></td><td class=\"num\">1.25e-06</td><td>sec/op</td><td class=\"num\">±2%</td><td class=\"num\">&#43;3.20% (p=0.002)</td>",
		"<td class=\"num\">1024</td><td>B/op</td><td class=\"num\"></td><td class=\"num\"></td>",
		"<td class=\"num\">-0.40% ~</td>",
		// scenario card
		"<code>modes=[&#34;batch&#34;,&#34;interactive&#34;]</code>",
		"<code>delivery_latency</code></td><td>mode=rbsr</td>",
		"Figure sync-empty not drawn: no absent metric of this result matches the figure",
		"1 point(s) ≤ 0 left out of the logarithmic axis",
		// escaping of result text
		"note=&lt;script&gt;alert(1)&lt;/script&gt;",
		"Run failed: node 3 crashed: &lt;b&gt;boom&lt;/b&gt;",
		// methodology
		"<tr><th>machine</th><td>Test CPU @ 3GHz, 8 cores, linux/amd64, go1.26.8</td></tr>",
		"<tr><th>wall time</th><td>1m30s</td></tr>",
		"<pre><code>strata scenario --seed 1 sync/churn</code></pre>",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(s, "<script>") || strings.Contains(s, "<b>boom") {
		t.Error("HTML contains unescaped markup from a result")
	}
	if n := strings.Count(s, "<svg"); n != 3 {
		t.Errorf("HTML has %d inline SVGs, want 3", n)
	}
	if strings.Contains(s, "<?xml") {
		t.Error("HTML contains an XML declaration from an inline SVG")
	}
	for _, ext := range []string{"<link", "<script", "src=\"http", "@import", "url("} {
		if strings.Contains(s, ext) {
			t.Errorf("HTML refers to an external resource: %q", ext)
		}
	}
	// Sections come in descriptor order, then the other layers.
	if i, j, k := strings.Index(s, "Layer sync"), strings.Index(s, "Layer chat"), strings.Index(s, "Layer sim"); !(i < j && j < k) {
		t.Errorf("layer sections out of order: sync %d, chat %d, sim %d", i, j, k)
	}
}

func TestRenderMarkdown(t *testing.T) {
	_, md, err := Render(testInput())
	if err != nil {
		t.Fatal(err)
	}
	s := string(md)
	for _, want := range []string{
		"# Strata audit report\n",
		"**5** results · goals met **1/3** · **1** runs errored",
		"| layer | result | metric | anchor | target | measured | met |",
		"| sync | sync/churn | `overhead_ratio {mode=rbsr, uptime=0.1}` | MVDS interactive 100-1000x at 10% uptime | &lt;= 100 x | 70 x | ✔ |",
		"| RBSR delivers within 0.5 s at p50 |",
		"## Layer sync — Data sync",
		"### Requires\n\nAn authenticated channel from `session`; **no** ordering.\n\n#### Assumptions",
		"### Requires\n\n*(not in SPEC.md)*",
		"| `reconcile.json` | ✘ fail | case 3: want ErrTooLong | sync/vectors |",
		"| `FuzzDecodeMessage` | 90 s | 1234567 | 13717.4 | 42 | 0 | sync/fuzz |",
		"**1** ✘",
		"| `BenchmarkEncode/size=1k` |  | 1.25e-06 | sec/op | ±2% | +3.20% (p=0.002) |",
		"![Overhead vs uptime](plots/sync-overhead.svg)",
		"![Delivery latency](plots/sync-latency-cdf.svg)",
		"note=&lt;script&gt;alert(1)&lt;/script&gt;",
		"> **Run failed:** node 3 crashed: &lt;b&gt;boom&lt;/b&gt;",
		"- machine: Test CPU @ 3GHz, 8 cores, linux/amd64, go1.26.8",
		"```sh\nstrata scenario --seed 1 sync/churn\n```",
		"````sh\nstrata sim --seed 7 `smoke` ```\n````",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	if strings.Contains(s, "<script>") || strings.Contains(s, "<b>") {
		t.Error("Markdown contains unescaped markup from a result")
	}
	if !strings.Contains(s, "![&lt;script&gt;t&lt;/script&gt;](plots/evil.svg)") {
		t.Error("Markdown does not escape a plot title")
	}
}

func TestRenderDeterministic(t *testing.T) {
	in := testInput()
	h1, m1, err := Render(in)
	if err != nil {
		t.Fatal(err)
	}
	in2 := testInput()
	in2.Results[0], in2.Results[3] = in2.Results[3], in2.Results[0] // order does not matter
	h2, m2, err := Render(in2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h1, h2) {
		t.Error("HTML differs between two renderings of the same input")
	}
	if !bytes.Equal(m1, m2) {
		t.Error("Markdown differs between two renderings of the same input")
	}
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	if *sampleOut != "" {
		dir = *sampleOut
	}
	htmlPath, mdPath, err := WriteFiles(dir, testInput())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "report", "index.html"); htmlPath != want {
		t.Errorf("html path = %s, want %s", htmlPath, want)
	}
	if want := filepath.Join(dir, "report", "report.md"); mdPath != want {
		t.Errorf("md path = %s, want %s", mdPath, want)
	}
	md, err := os.ReadFile(mdPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(htmlPath); err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`\]\((plots/[^)]+\.svg)\)`).FindAllStringSubmatch(string(md), -1)
	if len(links) != 3 {
		t.Fatalf("report.md links %d plots, want 3", len(links))
	}
	for _, l := range links {
		svg, err := os.ReadFile(filepath.Join(dir, "report", l[1]))
		if err != nil {
			t.Fatalf("plot linked from report.md: %v", err)
		}
		if !bytes.HasPrefix(svg, []byte("<?xml")) || !bytes.Contains(svg, []byte("<svg")) {
			t.Errorf("%s is not an SVG document", l[1])
		}
		if len(svg) > 200<<10 {
			t.Errorf("%s is %d bytes, want < 200 KiB", l[1], len(svg))
		}
		if bytes.Contains(svg, []byte("@font-face")) {
			t.Errorf("%s embeds a font", l[1])
		}
	}
}

func TestWriteFilesRemovesStalePlots(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "report", "plots", "gone.svg")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("<svg/>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := WriteFiles(dir, testInput()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale plot still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report", "plots", "sync-overhead.svg")); err != nil {
		t.Error(err)
	}
}

func TestPlotFileNamesUnique(t *testing.T) {
	a := newResult(result.KindScenario, "sync", "sync/a", 1)
	b := newResult(result.KindScenario, "sync", "sync/a", 2) // same plot id, another seed
	for _, r := range []*result.Result{a, b} {
		r.Add("m", "x", 1, map[string]string{"k": "1", "s": "one"})
		r.Add("m", "x", 2, map[string]string{"k": "2", "s": "one"})
		r.Plots = []result.Plot{{ID: "fig/one", Kind: result.PlotLine, Metric: "m", X: "k", Series: "s"}}
	}
	out, err := render(Input{Results: []*result.Result{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range out.plots {
		names = append(names, p.name)
	}
	want := []string{"scenario-sync_a-seed1--fig_one.svg", "scenario-sync_a-seed2--fig_one.svg"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("plot files = %v, want %v", names, want)
	}
}

func TestDrawPlot(t *testing.T) {
	r := newResult(result.KindScenario, "sync", "sync/p", 1)
	r.Add("lat", "s", 0.5, map[string]string{"mode": "mvds", "x": "10"})
	r.Add("lat", "s", 0.7, map[string]string{"mode": "rbsr", "x": "10"})
	r.Add("lat", "s", 0.9, map[string]string{"mode": "rbsr", "x": "ten"})

	t.Run("single point per series on log axes", func(t *testing.T) {
		svg, notes, err := drawPlot(r, result.Plot{ID: "p", Kind: result.PlotLine, Metric: "lat", X: "x", Series: "mode", LogX: true, LogY: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 1 || !strings.Contains(notes[0], `numeric "x"`) {
			t.Errorf("notes = %q, want one about the non-numeric x", notes)
		}
		// The baseline series is dashed, and only it.
		if n := bytes.Count(svg, []byte("stroke-dasharray:")); n == 0 {
			t.Error("the mvds series is not dashed")
		}
		if !bytes.Contains(svg, []byte(svgFontFamily)) {
			t.Error("the SVG does not name the portable font family")
		}
	})
	t.Run("all points non-positive on a log axis", func(t *testing.T) {
		r := newResult(result.KindScenario, "sync", "sync/p", 1)
		r.Add("m", "x", 0, map[string]string{"s": "a", "x": "1"})
		_, notes, err := drawPlot(r, result.Plot{ID: "p", Kind: result.PlotLine, Metric: "m", X: "x", Series: "s", LogY: true})
		if err != errNoData || len(notes) != 1 {
			t.Errorf("err = %v, notes = %q; want errNoData and a note", err, notes)
		}
	})
	t.Run("cdf without points", func(t *testing.T) {
		r := newResult(result.KindScenario, "sync", "sync/p", 1)
		r.Add("m", "x", 1, map[string]string{"s": "a"}).Dist = &result.Dist{N: 1, P50: 1}
		_, _, err := drawPlot(r, result.Plot{ID: "p", Kind: result.PlotCDF, Metric: "m", Series: "s"})
		if err != errNoData {
			t.Errorf("err = %v, want errNoData", err)
		}
	})
}

func TestDashedOnlyBaseline(t *testing.T) {
	r := newResult(result.KindScenario, "sync", "sync/p", 1)
	r.Add("m", "x", 1, map[string]string{"s": "rbsr", "x": "1"})
	r.Add("m", "x", 2, map[string]string{"s": "rbsr", "x": "2"})
	svg, _, err := drawPlot(r, result.Plot{ID: "p", Kind: result.PlotLine, Metric: "m", X: "x", Series: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(svg, []byte("stroke-dasharray:")) {
		t.Error("a series that is not the baseline is dashed")
	}
}

func TestFormatNumber(t *testing.T) {
	tests := map[float64]string{
		0: "0", 7: "7", -3: "-3", 1234567: "1234567", 13717.4: "13717.4", 2.5: "2.5",
		0.123456: "0.1235", 1.25e-6: "1.25e-06", math.NaN(): "NaN",
	}
	for in, want := range tests {
		if got := formatNumber(in); got != want {
			t.Errorf("formatNumber(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	in := "a|b *c* _d_ [e](f) <g> & `h`\nnext"
	want := `a\|b \*c\* \_d\_ \[e\](f) &lt;g&gt; &amp; \` + "`h\\`" + ` next`
	if got := mdText(in); got != want {
		t.Errorf("mdText = %q, want %q", got, want)
	}
	if got := mdCode("x|y"); got != `x\|y` {
		t.Errorf("mdCode with a pipe = %q", got)
	}
}

func TestPlotCurvesSplitOnlyWhatCollides(t *testing.T) {
	r := &result.Result{}
	// one series swept over a coordinate that co-varies with X: one curve
	for i, lat := range []string{"150", "230", "360"} {
		r.Add("entropy", "bits", float64(i), map[string]string{"mode": "loopix", "latency_ms": lat, "mean_delay_ms": []string{"20", "50", "100"}[i]})
	}
	r.Add("entropy", "bits", 0, map[string]string{"mode": "none", "latency_ms": "100", "mean_delay_ms": "0"})
	p := result.Plot{Metric: "entropy", Kind: result.PlotLine, X: "latency_ms", Series: "mode"}
	curves, _ := plotCurves(r, p)
	if len(curves) != 2 || curves[0].name != "loopix" || len(curves[0].pts) != 3 || curves[1].name != "none" {
		t.Fatalf("curves %+v, want loopix (3 points) and none", curves)
	}
	// two points of one series at one X: split by the label that differs
	r.Add("entropy", "bits", 9, map[string]string{"mode": "loopix", "latency_ms": "150", "mean_delay_ms": "20", "clients": "1000"})
	curves, _ = plotCurves(r, p)
	names := []string{}
	for _, c := range curves {
		names = append(names, c.name)
	}
	if len(curves) != 3 || !strings.HasPrefix(names[0], "loopix (clients=") {
		t.Fatalf("curves %v, want loopix split by clients", names)
	}
}
