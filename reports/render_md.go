package reports

import (
	"fmt"
	"strings"
)

// renderMarkdown renders v as Markdown (CommonMark with GitHub tables),
// mirroring the HTML page. Text from results is escaped so that it shows
// as typed and can neither open markup nor inject HTML; plots are linked
// as plots/<file>.svg.
func renderMarkdown(v *view) []byte {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# %s\n\n", mdText(v.Title))
	p("Generated %s · commit %s\n\n", mdText(v.Generated), mdCode(v.Commit))
	p("**%d** results · goals met **%d/%d** · **%d** runs errored\n\n",
		v.Summary.Results, v.Summary.GoalsMet, v.Summary.GoalsTotal, len(v.Summary.Errored))
	for _, e := range v.Summary.Errored {
		p("- %s: %s\n", mdText(e.Name), mdText(e.Error))
	}
	if len(v.Summary.Errored) > 0 {
		p("\n")
	}

	p("## Goals\n\n")
	if len(v.Goals) == 0 {
		p("*No result declares a goal.*\n\n")
	} else {
		rows := make([][]string, 0, len(v.Goals))
		for _, g := range v.Goals {
			rows = append(rows, []string{mdText(g.Layer), mdText(g.Result), mdCode(g.Metric), mdText(g.Anchor),
				mdText(g.Target), mdText(g.Measured), mark(g.Met, "✔", "✘")})
		}
		mdTable(&b, []string{"layer", "result", "metric", "anchor", "target", "measured", "met"}, rows)
	}

	for _, l := range v.Layers {
		title := "Layer " + l.Name
		if l.Title != "" {
			title += " — " + l.Title
		}
		p("## %s\n\n", mdText(title))
		if l.Described {
			for _, s := range l.Spec {
				p("### %s\n\n", mdText(s.Heading))
				if s.Found && s.Markdown != "" {
					p("%s\n\n", s.Markdown)
				} else {
					p("*(not in SPEC.md)*\n\n")
				}
			}
		} else {
			p("*No layer descriptor is named %s, so there is no SPEC.md to quote.*\n\n", mdText(l.Name))
		}
		if len(l.Vectors) > 0 {
			p("### Vector status\n\n")
			rows := make([][]string, 0, len(l.Vectors))
			for _, r := range l.Vectors {
				rows = append(rows, []string{mdCode(r.File), mark(r.Pass, "✔ pass", "✘ fail"), mdText(r.Detail), mdText(r.Result)})
			}
			mdTable(&b, []string{"file", "status", "detail", "result"}, rows)
		}
		if len(l.Fuzz) > 0 {
			p("### Fuzzing\n\n")
			rows := make([][]string, 0, len(l.Fuzz))
			for _, r := range l.Fuzz {
				crashers := mdText(r.Crashers)
				if r.Crashed {
					crashers = "**" + crashers + "** ✘"
				}
				rows = append(rows, []string{mdCode(r.Target), mdText(r.Time), mdText(r.Execs), mdText(r.ExecsPerSec),
					mdText(r.NewInteresting), crashers, mdText(r.Result)})
			}
			mdTable(&b, []string{"target", "time", "execs", "execs/s", "new interesting", "crashers", "result"}, rows)
		}
		if len(l.Bench) > 0 {
			p("### Benchmarks\n\n")
			rows := make([][]string, 0, len(l.Bench))
			for _, r := range l.Bench {
				rows = append(rows, []string{mdCode(r.Bench), mdText(r.Metric), mdText(r.Value), mdText(r.Unit),
					mdText(r.CI), mdText(r.Delta), mdText(r.Labels), mdText(r.Result)})
			}
			mdTable(&b, []string{"benchmark", "metric", "median", "unit", "CI", "Δ vs baseline", "labels", "result"}, rows)
		}
		p("### Results\n\n")
		if len(l.Runs) == 0 {
			p("*No results for this layer.*\n\n")
		}
		for _, r := range l.Runs {
			p("#### %s (%s, seed %s)\n\n", mdText(r.Name), mdText(r.Kind), mdText(r.Seed))
			if r.Error != "" {
				p("> **Run failed:** %s\n\n", mdText(r.Error))
			}
			if len(r.Params) > 0 {
				parts := make([]string, len(r.Params))
				for i, kv := range r.Params {
					parts[i] = mdCode(kv.Key + "=" + kv.Value)
				}
				p("Parameters: %s\n\n", strings.Join(parts, ", "))
			}
			if len(r.Metrics) > 0 {
				rows := make([][]string, 0, len(r.Metrics))
				for _, m := range r.Metrics {
					rows = append(rows, []string{mdCode(m.Name), mdText(m.Labels), mdText(m.Value), mdText(m.Unit),
						mdText(m.P50), mdText(m.P95), mdText(m.P99)})
				}
				mdTable(&b, []string{"metric", "labels", "value", "unit", "p50", "p95", "p99"}, rows)
			}
			switch {
			case r.Tabled != "" && len(r.Metrics) > 0:
				p("*Other metrics of this run are in the %s table above.*\n\n", r.Tabled)
			case r.Tabled != "":
				p("*The metrics of this run are in the %s table above.*\n\n", r.Tabled)
			case len(r.Metrics) == 0:
				p("*No metrics.*\n\n")
			}
			for _, pl := range r.Plots {
				caption := mdText(pl.Title)
				for _, n := range pl.Notes {
					caption += " — " + mdText(n)
				}
				if pl.File != "" {
					p("![%s](%s/%s)\n\n*%s*\n\n", mdText(pl.Title), plotsDir, pl.File, caption)
				} else {
					p("*Figure %s not drawn: %s*\n\n", mdText(pl.ID), mdText(pl.Err))
				}
			}
		}
	}

	p("## Methodology\n\n")
	if len(v.Method) == 0 {
		p("*No results.*\n\n")
	}
	for _, m := range v.Method {
		p("### %s (%s, layer %s)\n\n", mdText(m.Name), mdText(m.Kind), mdText(m.Layer))
		p("- seed: %s\n", mdText(m.Seed))
		p("- commit: %s\n", mdCode(m.Commit))
		p("- machine: %s\n", mdText(m.Machine))
		p("- started: %s\n", mdText(m.Started))
		p("- finished: %s\n", mdText(m.Finished))
		p("- wall time: %s\n", mdText(m.Wall))
		for _, a := range m.Artifacts {
			p("- artifact: %s\n", mdCode(a))
		}
		p("\n")
		if m.Command != "" {
			fence := mdFence(m.Command)
			p("Reproduce with:\n\n%ssh\n%s\n%s\n\n", fence, m.Command, fence)
		} else {
			p("*The command that reproduces this result was not recorded.*\n\n")
		}
	}
	return []byte(strings.TrimRight(b.String(), "\n") + "\n")
}

// mdTable writes a GitHub table. Cells must already be escaped.
func mdTable(b *strings.Builder, head []string, rows [][]string) {
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString(strings.Repeat("|---", len(head)) + "|\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	b.WriteString("\n")
}

func mark(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// mdReplacer escapes Markdown punctuation with backslashes, and '<', '>'
// and '&' as character references, so that no text can start markup or
// raw HTML. Line breaks become spaces, which keeps table rows whole.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`#`, `\#`, `|`, `\|`, `~`, `\~`,
	`<`, `&lt;`, `>`, `&gt;`, `&`, `&amp;`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdText escapes s for Markdown text. A leading list or block marker
// ("-", "+", "1.") is harmless: escaped text is only placed after other
// text or inside table cells.
func mdText(s string) string { return mdReplacer.Replace(s) }

// mdCode shows s as inline code when it can be, and as escaped text when it
// holds a backtick, a '|' or a line break, which code spans cannot carry
// safely inside a table.
func mdCode(s string) string {
	if s == "" || strings.ContainsAny(s, "`|\r\n") {
		return mdText(s)
	}
	return "`" + s + "`"
}

// mdFence returns a backtick fence longer than any run of backticks in s.
func mdFence(s string) string {
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
