package reports

import (
	"strings"
	"testing"
)

const testSpec = "# Sync layer\n\n" +
	"Intro text.\n\n" +
	"## Requires\n\n" +
	"An authenticated, **unreliable** datagram channel from `session`.\n\n" +
	"### Details\n\n" +
	"- peers may be offline\n" +
	"  for days\n" +
	"- links lose packets\n" +
	"  - nested item\n\n" +
	"```\n## Not a heading\n<raw>\n```\n\n" +
	"## 2. Provides\n" +
	"Causally ordered delivery.\n" +
	"## threat MODEL ##\n\n" +
	"A global passive adversary <script>alert(1)</script> & friends.\n\n" +
	"# Appendix\n\n" +
	"## Wire format\n\nbytes\n"

func TestSpecSection(t *testing.T) {
	tests := []struct {
		name     string
		want     string // substring of the body, or "" for a missing section
		notWant  string
		found    bool
		exactish string // the body must equal this when set
	}{
		{name: "Requires", want: "### Details", found: true, notWant: "Causally"},
		{name: "requires", want: "## Not a heading", found: true},
		{name: "Provides", found: true, exactish: "Causally ordered delivery."},
		{name: "Threat model", want: "global passive", found: true, notWant: "Appendix"},
		{name: "Trade-offs", found: false},
		{name: "Wire format", found: true, exactish: "bytes"},
		{name: "Sync layer", found: false}, // a level-1 heading is not a section
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ok := SpecSection([]byte(testSpec), tt.name)
			if ok != tt.found {
				t.Fatalf("found = %v, want %v (body %q)", ok, tt.found, body)
			}
			if !ok && body != "" {
				t.Errorf("missing section has body %q", body)
			}
			if tt.want != "" && !strings.Contains(body, tt.want) {
				t.Errorf("body %q lacks %q", body, tt.want)
			}
			if tt.notWant != "" && strings.Contains(body, tt.notWant) {
				t.Errorf("body %q runs past its section: has %q", body, tt.notWant)
			}
			if tt.exactish != "" && body != tt.exactish {
				t.Errorf("body = %q, want %q", body, tt.exactish)
			}
		})
	}
}

func TestSpecSectionEmptySpec(t *testing.T) {
	if body, ok := SpecSection(nil, "Requires"); ok || body != "" {
		t.Errorf("SpecSection(nil) = %q, %v", body, ok)
	}
}

func TestMarkdownToHTML(t *testing.T) {
	body, _ := SpecSection([]byte(testSpec), "Requires")
	got := markdownToHTML(body, 2)
	for _, want := range []string{
		"<p>An authenticated, <strong>unreliable</strong> datagram channel from <code>session</code>.</p>",
		"<h5>Details</h5>",
		"<ul>\n<li>peers may be offline for days</li>\n<li>links lose packets<ul>\n<li>nested item</li></ul>\n</li></ul>",
		"<pre><code>## Not a heading\n&lt;raw&gt;</code></pre>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdownToHTML lacks %q; got:\n%s", want, got)
		}
	}

	threat, _ := SpecSection([]byte(testSpec), "Threat model")
	got = markdownToHTML(threat, 2)
	if strings.Contains(got, "<script>") || !strings.Contains(got, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends") {
		t.Errorf("markdownToHTML does not escape raw HTML: %s", got)
	}
}

func TestInlineHTML(t *testing.T) {
	tests := map[string]string{
		"plain <b>":             "plain &lt;b&gt;",
		"`a<b`":                 "<code>a&lt;b</code>",
		"**bold `x`**":          "<strong>bold <code>x</code></strong>",
		"unclosed **bold":       "unclosed **bold",
		"unclosed `code":        "unclosed `code",
		"a * b * c":             "a * b * c",
		"``has ` tick``":        "<code>has ` tick</code>",
		"**<i>**":               "<strong>&lt;i&gt;</strong>",
		"\"quoted\" & 'single'": "&#34;quoted&#34; &amp; &#39;single&#39;",
	}
	for in, want := range tests {
		if got := inlineHTML(in); got != want {
			t.Errorf("inlineHTML(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDemoteHeadings(t *testing.T) {
	in := "### Sub\n```\n# code\n```\ntext #1"
	want := "##### Sub\n```\n# code\n```\ntext #1"
	if got := demoteHeadings(in, 2); got != want {
		t.Errorf("demoteHeadings = %q, want %q", got, want)
	}
}
