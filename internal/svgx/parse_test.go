package svgx

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	svg "github.com/ajstarks/svgo"
)

func dump(d *Doc) string {
	var sb strings.Builder
	for _, e := range d.Elems {
		fmt.Fprintf(&sb, "%d<%s", e.Parent, e.Tag)
		for _, a := range e.Attrs {
			fmt.Fprintf(&sb, " %s=%q", a.Name, a.Value)
		}
		fmt.Fprintf(&sb, ">%q", e.Text)
		if e.Synthetic {
			sb.WriteString("*")
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

func TestParseSvgoOutput(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c := svg.New(&buf)
	c.Start(200, 100)
	c.Title("a <title> & more")
	c.Gid("layer")
	c.Circle(10, 20, 5, "fill:red", `id="ball"`)
	c.Rect(1, 2, 3, 4)
	c.Gend()
	c.Textspan(5, 6, "a", "font-size:3")
	c.Span("b", "fill:blue")
	c.Span("c")
	c.TextEnd()
	c.Style("text/css", ".x { fill: red }")
	c.Polyline([]int{1, 2}, []int{3, 4})
	c.End()
	var d Doc
	if err := d.Parse(buf.String()); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	want := `-1<svg width="200" height="100" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">""
0<title>"a <title> & more"
0<g id="layer">""
2<circle cx="10" cy="20" r="5" style="fill:red" id="ball">""
2<rect x="1" y="2" width="3" height="4">""
0<text x="5" y="6" style="font-size:3">"a"
5<tspan style="fill:blue">"b"
5<tspan>"c"*
0<style type="text/css">"\n\n.x { fill: red }\n\n"
0<polyline points="1,3 2,4">""
`
	if got := dump(&d); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestParseReuseDoesNotAllocPerAttr(t *testing.T) {
	var buf bytes.Buffer
	c := svg.New(&buf)
	c.Start(100, 100)
	for i := range 100 {
		c.Circle(i, i, 3, "fill:red")
	}
	c.End()
	src := buf.String()
	var d Doc
	if err := d.Parse(src); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := d.Parse(src); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("re-parse allocated %v times, want 0", allocs)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ src, want string }{
		{`<svg>`, "line 1 col 6: unexpected end of input: <svg> is not closed"},
		{"<svg>\n</g>", "line 2 col 1: </g> does not close <svg>"},
		{`</g>`, "no open element"},
		{`<svg a=1/>`, "value must be quoted"},
		{`<svg a="1"b="2"/>`, "expected space before attribute"},
		{`<svg a="1" a="2"/>`, "duplicate attribute a"},
		{`<svg a="x<y"/>`, "'<' in value"},
		{`<svg>&nbsp;</svg>`, "unknown entity &nbsp;"},
		{`<svg>&#0;</svg>`, "unknown entity &#0;"},
		{`<svg>&amp</svg>`, "unterminated entity"},
		{`<svg a="1`, "unterminated value"},
		{`<!-- x`, "unterminated comment"},
		{`<svg><![CDATA[x</svg>`, "unterminated CDATA"},
		{`<1/>`, "expected element name"},
		{"<svg>\xff</svg>", "invalid UTF-8"},
		{`<!DOCTYPE x [<!ENTITY a "b">]><x/>`, "internal subsets are not supported"},
		{`<svg a/>`, "has no value"},
		{strings.Repeat("<g>", MaxDepth+1), "nested deeper than"},
		{`<svg>]]></svg>`, "]]> in character data"},
	}
	for _, tt := range tests {
		var d Doc
		err := d.Parse(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%.40q) = %v, want error containing %q", tt.src, err, tt.want)
		}
	}
}

func TestEntities(t *testing.T) {
	t.Parallel()
	var d Doc
	if err := d.Parse(`<t a="&quot;&apos;&#65;&#x42;&lt;">&amp;&gt;&#x1F600;</t>`); err != nil {
		t.Fatal(err)
	}
	if a, txt := d.Elems[0].Attrs[0].Value, d.Elems[0].Text; a != `"'AB<` || txt != "&>😀" {
		t.Fatalf("attr %q text %q", a, txt)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	attrs := []Attr{{"a", "x\"<>&\n\t\r"}, {"b", "é"}}
	text := "1 < 2 & 3 > 2\r\n"
	b := AppendStart(nil, "t", attrs, false)
	b = AppendText(b, text)
	b = AppendEnd(b, "t")
	var d Doc
	if err := d.Parse(string(b)); err != nil {
		t.Fatal(err)
	}
	e := d.Elems[0]
	if e.Attrs[0] != attrs[0] || e.Attrs[1] != attrs[1] || e.Text != text {
		t.Fatalf("round trip of %s gave %+v", b, e)
	}
}

func TestParseStyleArgs(t *testing.T) {
	t.Parallel()
	got, err := ParseStyleArgs([]string{"fill:red", `id="ball" class="x"`, ""}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Attr{{"style", "fill:red"}, {"id", "ball"}, {"class", "x"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v want %v", got, want)
	}
	if _, err := ParseStyleArgs([]string{`id="unterminated`}, nil); err == nil {
		t.Fatal("no error for a broken attribute")
	}
}

// FuzzParse: the parser never panics, and every document it accepts
// survives a write → parse round trip unchanged.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, src string) {
		var d Doc
		if err := d.Parse(src); err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		var b []byte
		var write func(i int) int
		write = func(i int) int {
			e := d.Elems[i]
			b = AppendStart(b, e.Tag, e.Attrs, false)
			b = AppendText(b, e.Text)
			j := i + 1
			for j < len(d.Elems) && d.Elems[j].Parent == i {
				j = write(j)
			}
			b = AppendEnd(b, e.Tag)
			return j
		}
		for i := 0; i < len(d.Elems); {
			i = write(i)
		}
		first := dump(&d)
		var d2 Doc
		if err := d2.Parse(string(b)); err != nil {
			t.Fatalf("re-parse of %q: %v", b, err)
		}
		// Synthetic tspans become real ones on the way back.
		for i := range d.Elems {
			d.Elems[i].Synthetic = false
		}
		if got := dump(&d2); got != strings.ReplaceAll(first, "*\n", "\n") {
			t.Fatalf("round trip changed the document:\n%s\nvs\n%s", first, got)
		}
	})
}
