package reports

import (
	"bytes"
	"fmt"
	"html/template"
)

// renderHTML renders v as one self-contained page. html/template escapes
// every string of v; only the spec sections (markdownToHTML output) and the
// plots (gonum SVG, whose texts gonum escapes) are inserted as HTML.
func renderHTML(v *view) ([]byte, error) {
	t, err := template.New("report").Parse(htmlTemplate)
	if err != nil {
		return nil, fmt.Errorf("reports: html template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("reports: render html: %w", err)
	}
	return buf.Bytes(), nil
}

const htmlTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 2rem 4rem;color:#1b1f24;line-height:1.45}
h1{margin-bottom:.2rem}
h2{border-bottom:2px solid #d0d7de;padding-bottom:.2rem;margin-top:2.5rem}
h3{margin-top:1.6rem}
h4{margin:1.4rem 0 .4rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
code{background:#f3f4f6;padding:0 .2em;border-radius:3px}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:.6rem .8rem;overflow-x:auto;white-space:pre-wrap}
pre code{background:none;padding:0}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.92em}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.meta{color:#57606a;margin-top:0}
.summary{font-size:1.1em}
.ok{color:#1a7f37;font-weight:600}
.bad{color:#cf222e;font-weight:600}
tr.fail td{background:#fff1f0}
.missing{color:#57606a;font-style:italic}
.error{border-left:4px solid #cf222e;background:#fff1f0;padding:.4rem .8rem;white-space:pre-wrap}
.run{border:1px solid #d0d7de;border-radius:6px;padding:0 1rem .6rem;margin:1rem 0}
.kind{font-size:.75em;font-weight:600;text-transform:uppercase;color:#57606a;border:1px solid #d0d7de;border-radius:3px;padding:0 .3em;margin-left:.4em}
.spec{border-left:3px solid #d0d7de;padding-left:.9rem}
figure{margin:1rem 0}
figure svg{max-width:100%;height:auto;display:block}
figcaption{color:#57606a;font-size:.9em}
nav ul{columns:2;margin:.3rem 0}
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<p class="meta">Generated {{.Generated}} · commit <code>{{.Commit}}</code></p>
<p class="summary"><strong>{{.Summary.Results}}</strong> results · goals met <strong>{{.Summary.GoalsMet}}/{{.Summary.GoalsTotal}}</strong> · <strong{{if .Summary.Errored}} class="bad"{{end}}>{{len .Summary.Errored}}</strong> runs errored</p>
{{- if .Summary.Errored}}
<ul>
{{- range .Summary.Errored}}
<li><a href="#{{.ID}}">{{.Name}}</a>: <span class="bad">{{.Error}}</span></li>
{{- end}}
</ul>
{{- end}}
<nav><ul>
<li><a href="#goals">Goals</a></li>
{{- range .Layers}}
<li><a href="#{{.ID}}">Layer {{.Name}}</a></li>
{{- end}}
<li><a href="#methodology">Methodology</a></li>
</ul></nav>
</header>

<section id="goals">
<h2>Goals</h2>
{{- if .Goals}}
<table>
<thead><tr><th>layer</th><th>result</th><th>metric</th><th>anchor</th><th>target</th><th>measured</th><th>met</th></tr></thead>
<tbody>
{{- range .Goals}}
<tr{{if not .Met}} class="fail"{{end}}><td>{{.Layer}}</td><td><a href="#{{.RunID}}">{{.Result}}</a></td><td><code>{{.Metric}}</code></td><td>{{.Anchor}}</td><td class="num">{{.Target}}</td><td class="num">{{.Measured}}</td><td>{{if .Met}}<span class="ok">✔</span>{{else}}<span class="bad">✘</span>{{end}}</td></tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p class="missing">No result declares a goal.</p>
{{- end}}
</section>
{{range .Layers}}
<section id="{{.ID}}">
<h2>Layer {{.Name}}{{if .Title}} — {{.Title}}{{end}}</h2>
{{- if .Described}}
{{- range .Spec}}
<h3>{{.Heading}}</h3>
{{- if .Found}}
<div class="spec">
{{.HTML}}</div>
{{- else}}
<p class="missing">(not in SPEC.md)</p>
{{- end}}
{{- end}}
{{- else}}
<p class="missing">No layer descriptor is named {{.Name}}, so there is no SPEC.md to quote.</p>
{{- end}}
{{- if .Vectors}}
<h3>Vector status</h3>
<table>
<thead><tr><th>file</th><th>status</th><th>detail</th><th>result</th></tr></thead>
<tbody>
{{- range .Vectors}}
<tr{{if not .Pass}} class="fail"{{end}}><td><code>{{.File}}</code></td><td>{{if .Pass}}<span class="ok">✔ pass</span>{{else}}<span class="bad">✘ fail</span>{{end}}</td><td>{{.Detail}}</td><td><a href="#{{.RunID}}">{{.Result}}</a></td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .Fuzz}}
<h3>Fuzzing</h3>
<table>
<thead><tr><th>target</th><th>time</th><th>execs</th><th>execs/s</th><th>new interesting</th><th>crashers</th><th>result</th></tr></thead>
<tbody>
{{- range .Fuzz}}
<tr{{if .Crashed}} class="fail"{{end}}><td><code>{{.Target}}</code></td><td class="num">{{.Time}}</td><td class="num">{{.Execs}}</td><td class="num">{{.ExecsPerSec}}</td><td class="num">{{.NewInteresting}}</td><td class="num">{{if .Crashed}}<span class="bad">{{.Crashers}}</span>{{else}}{{.Crashers}}{{end}}</td><td><a href="#{{.RunID}}">{{.Result}}</a></td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .Bench}}
<h3>Benchmarks</h3>
<table>
<thead><tr><th>benchmark</th><th>metric</th><th>median</th><th>unit</th><th>CI</th><th>Δ vs baseline</th><th>labels</th><th>result</th></tr></thead>
<tbody>
{{- range .Bench}}
<tr><td><code>{{.Bench}}</code></td><td>{{.Metric}}</td><td class="num">{{.Value}}</td><td>{{.Unit}}</td><td class="num">{{.CI}}</td><td class="num">{{.Delta}}</td><td>{{.Labels}}</td><td><a href="#{{.RunID}}">{{.Result}}</a></td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
<h3>Results</h3>
{{- if not .Runs}}
<p class="missing">No results for this layer.</p>
{{- end}}
{{- range .Runs}}
{{- $run := .}}
<div class="run" id="{{.ID}}">
<h4>{{.Name}}<span class="kind">{{.Kind}}</span> <small>seed {{.Seed}} · <a href="#method-{{.ID}}">methodology</a></small></h4>
{{- if .Error}}
<p class="error">Run failed: {{.Error}}</p>
{{- end}}
{{- if .Params}}
<p>Parameters: {{range $i, $p := .Params}}{{if $i}}, {{end}}<code>{{$p.Key}}={{$p.Value}}</code>{{end}}</p>
{{- end}}
{{- if .Metrics}}
<table>
<thead><tr><th>metric</th><th>labels</th><th>value</th><th>unit</th><th>p50</th><th>p95</th><th>p99</th></tr></thead>
<tbody>
{{- range .Metrics}}
<tr><td><code>{{.Name}}</code></td><td>{{.Labels}}</td><td class="num">{{.Value}}</td><td>{{.Unit}}</td><td class="num">{{.P50}}</td><td class="num">{{.P95}}</td><td class="num">{{.P99}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- if .Tabled}}
<p class="missing">{{if .Metrics}}Other metrics{{else}}The metrics{{end}} of this run are in the {{.Tabled}} table above.</p>
{{- else if not .Metrics}}
<p class="missing">No metrics.</p>
{{- end}}
{{- range .Plots}}
<figure id="plot-{{$run.ID}}-{{.ID}}">
{{- if .Inline}}
{{.Inline}}
{{- else}}
<p class="missing">Figure {{.ID}} not drawn: {{.Err}}</p>
{{- end}}
<figcaption>{{.Title}}{{range .Notes}} — {{.}}{{end}}</figcaption>
</figure>
{{- end}}
</div>
{{- end}}
</section>
{{end}}
<section id="methodology">
<h2>Methodology</h2>
{{- range .Method}}
<h3 id="method-{{.RunID}}">{{.Name}} <small>({{.Kind}}, layer {{.Layer}})</small></h3>
<table>
<tbody>
<tr><th>seed</th><td>{{.Seed}}</td></tr>
<tr><th>commit</th><td><code>{{.Commit}}</code></td></tr>
<tr><th>machine</th><td>{{.Machine}}</td></tr>
<tr><th>started</th><td>{{.Started}}</td></tr>
<tr><th>finished</th><td>{{.Finished}}</td></tr>
<tr><th>wall time</th><td>{{.Wall}}</td></tr>
{{- if .Artifacts}}
<tr><th>artifacts</th><td>{{range $i, $a := .Artifacts}}{{if $i}}<br>{{end}}<code>{{$a}}</code>{{end}}</td></tr>
{{- end}}
</tbody>
</table>
{{- if .Command}}
<p>Reproduce with:</p>
<pre><code>{{.Command}}</code></pre>
{{- else}}
<p class="missing">The command that reproduces this result was not recorded.</p>
{{- end}}
{{- else}}
<p class="missing">No results.</p>
{{- end}}
</section>
</body>
</html>
`
