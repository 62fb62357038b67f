package reports

import (
	"html"
	"strings"
	"unicode"
)

// specHeadings are the SPEC.md sections that the report quotes for each
// layer, in the order it quotes them.
func specHeadings() []string {
	return []string{"Requires", "Provides", "Threat model", "Trade-offs"}
}

// SpecSection returns the body of the level-2 section of a SPEC.md whose
// heading is name, without the heading line, with surrounding blank lines
// trimmed. ok is false when the spec has no such section.
//
// Headings are ATX headings ("## Requires"). The comparison ignores case,
// punctuation, spaces and a leading section number, so "## 3. Threat Model"
// and "## Tradeoffs" match "Threat model" and "Trade-offs". A section ends at
// the next heading of level 1 or 2; deeper headings ("### ...") stay inside
// it. Lines inside fenced code blocks are never taken for headings.
func SpecSection(spec []byte, name string) (body string, ok bool) {
	want := headingKey(name)
	lines := strings.Split(strings.ReplaceAll(string(spec), "\r\n", "\n"), "\n")
	var (
		out   []string
		in    bool
		fence string
	)
	for _, line := range lines {
		if fence == "" {
			if level, text, isHeading := atxHeading(line); isHeading && level <= 2 {
				if in {
					break
				}
				if level == 2 && headingKey(text) == want {
					in, ok = true, true
				}
				continue
			}
		}
		switch {
		case fence == "":
			fence = fenceMarker(line)
		case closesFence(line, fence):
			fence = ""
		}
		if in {
			out = append(out, line)
		}
	}
	if !ok {
		return "", false
	}
	return strings.Trim(strings.Join(out, "\n"), "\n \t"), true
}

// atxHeading parses an ATX heading line: up to three spaces of indentation,
// one to six '#', then a space or the end of the line. Closing '#'s are
// dropped.
func atxHeading(line string) (level int, text string, ok bool) {
	trimmed := strings.TrimLeft(line, " ")
	if len(line)-len(trimmed) > 3 {
		return 0, "", false
	}
	for level < len(trimmed) && trimmed[level] == '#' {
		level++
	}
	if level == 0 || level > 6 {
		return 0, "", false
	}
	rest := trimmed[level:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return 0, "", false
	}
	text = strings.TrimSpace(rest)
	if t := strings.TrimRight(text, "#"); t != text && (t == "" || strings.HasSuffix(t, " ")) {
		text = strings.TrimSpace(t)
	}
	return level, text, true
}

// fenceMarker returns the run of backticks or tildes (at least three) that
// opens or closes a fenced code block on line, or "".
func fenceMarker(line string) string {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 || len(t) < 3 || (t[0] != '`' && t[0] != '~') {
		return ""
	}
	n := 0
	for n < len(t) && t[n] == t[0] {
		n++
	}
	if n < 3 {
		return ""
	}
	return t[:n]
}

// closesFence reports whether line closes the code block opened by fence: a
// run of the same character at least as long, and nothing else.
func closesFence(line, fence string) bool {
	f := fenceMarker(line)
	return f != "" && f[0] == fence[0] && len(f) >= len(fence) &&
		strings.TrimSpace(strings.TrimLeft(line, " ")[len(f):]) == ""
}

// headingKey normalises a heading for comparison: a leading section number
// ("3.", "2.1") is dropped, then only lower-cased letters and digits remain.
func headingKey(s string) string {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	if i > 0 && i < len(s) && s[i] == ' ' {
		s = s[i:]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// markdownToHTML converts the small subset of Markdown that SPEC.md sections
// use into HTML: paragraphs, bullet and numbered lists (nested by
// indentation), headings (demoted by shift levels), fenced code blocks,
// inline code and bold. Everything else is escaped and shown as text, so the
// output is safe to embed whatever the input.
func markdownToHTML(md string, shift int) string {
	var (
		b     strings.Builder
		para  []string
		lists []listFrame // open lists, outermost first
		code  []string
		fence string
	)
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inlineHTML(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	closeLists := func(toDepth int) {
		for len(lists) > toDepth {
			top := lists[len(lists)-1]
			b.WriteString("</li></" + top.tag + ">\n")
			lists = lists[:len(lists)-1]
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n") {
		if fence != "" {
			if closesFence(line, fence) {
				b.WriteString("<pre><code>" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
				fence, code = "", nil
				continue
			}
			code = append(code, line)
			continue
		}
		if f := fenceMarker(line); f != "" {
			flushPara()
			closeLists(0)
			fence = f
			continue
		}
		if strings.TrimSpace(line) == "" {
			flushPara()
			continue
		}
		if level, text, ok := atxHeading(line); ok {
			flushPara()
			closeLists(0)
			h := min(level+shift, 6)
			tag := "h" + string(rune('0'+h))
			b.WriteString("<" + tag + ">" + inlineHTML(text) + "</" + tag + ">\n")
			continue
		}
		if indent, tag, item, ok := listItem(line); ok {
			flushPara()
			// Close lists nested deeper than this item.
			for len(lists) > 0 && lists[len(lists)-1].indent > indent {
				closeLists(len(lists) - 1)
			}
			switch {
			case len(lists) > 0 && lists[len(lists)-1].indent == indent && lists[len(lists)-1].tag == tag:
				b.WriteString("</li>\n<li>")
			case len(lists) > 0 && lists[len(lists)-1].indent == indent:
				closeLists(len(lists) - 1)
				b.WriteString("<" + tag + ">\n<li>")
				lists = append(lists, listFrame{indent: indent, tag: tag})
			default:
				b.WriteString("<" + tag + ">\n<li>")
				lists = append(lists, listFrame{indent: indent, tag: tag})
			}
			b.WriteString(inlineHTML(item))
			continue
		}
		if len(lists) > 0 && len(para) == 0 && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) {
			// A continuation line of the current list item.
			b.WriteString(" " + inlineHTML(strings.TrimSpace(line)))
			continue
		}
		closeLists(0)
		para = append(para, strings.TrimSpace(line))
	}
	if fence != "" {
		b.WriteString("<pre><code>" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
	}
	flushPara()
	closeLists(0)
	return b.String()
}

type listFrame struct {
	indent int
	tag    string // "ul" or "ol"
}

// listItem recognises "- item", "* item", "+ item" and "1. item" / "1) item".
func listItem(line string) (indent int, tag, item string, ok bool) {
	t := strings.TrimLeft(line, " \t")
	indent = len(line) - len(t)
	if len(t) >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && t[1] == ' ' {
		return indent, "ul", strings.TrimSpace(t[2:]), true
	}
	n := 0
	for n < len(t) && t[n] >= '0' && t[n] <= '9' {
		n++
	}
	if n > 0 && n < 10 && n+1 < len(t) && (t[n] == '.' || t[n] == ')') && t[n+1] == ' ' {
		return indent, "ol", strings.TrimSpace(t[n+2:]), true
	}
	return 0, "", "", false
}

// inlineHTML renders inline code (`x`) and bold (**x**) and escapes
// everything else.
func inlineHTML(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case s[i] == '`':
			n := 0
			for i+n < len(s) && s[i+n] == '`' {
				n++
			}
			ticks := s[i : i+n]
			if j := strings.Index(s[i+n:], ticks); j >= 0 {
				b.WriteString("<code>" + html.EscapeString(strings.TrimSpace(s[i+n:i+n+j])) + "</code>")
				i += n + j + n
				continue
			}
			b.WriteString(ticks)
			i += n
		case strings.HasPrefix(s[i:], "**"):
			if j := strings.Index(s[i+2:], "**"); j > 0 {
				b.WriteString("<strong>" + inlineHTML(s[i+2:i+2+j]) + "</strong>")
				i += 2 + j + 2
				continue
			}
			b.WriteString("**")
			i += 2
		default:
			j := i + 1
			for j < len(s) && s[j] != '`' && s[j] != '*' {
				j++
			}
			if s[i] == '*' {
				j = i + 1
			}
			b.WriteString(html.EscapeString(s[i:j]))
			i = j
		}
	}
	return b.String()
}

// demoteHeadings adds shift levels to every ATX heading outside code fences,
// so that a quoted spec section nests under the report's own headings.
func demoteHeadings(md string, shift int) string {
	lines := strings.Split(md, "\n")
	fence := ""
	for i, line := range lines {
		if fence != "" {
			if closesFence(line, fence) {
				fence = ""
			}
			continue
		}
		if fence = fenceMarker(line); fence != "" {
			continue
		}
		if level, text, ok := atxHeading(line); ok {
			lines[i] = strings.Repeat("#", min(level+shift, 6)) + " " + text
		}
	}
	return strings.Join(lines, "\n")
}
