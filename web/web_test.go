package web

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/vizserve/vizserve/assets"
	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestMain(m *testing.M) {
	code := m.Run()
	closeSharedBrowser(&code)
	if code == 0 {
		if leaked := leakcheck.Wait(leakcheck.Timeout); len(leaked) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutine(s) still running after the tests:\n\n%s\n", len(leaked), strings.Join(leaked, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// testMarkup is a scene root as the scene package renders it, with text
// that needs escaping and an xlink attribute.
const testMarkup = `<svg id="scene" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="400" height="300" viewBox="0 0 200 150">` +
	`<title id="n2">Demo &quot;scene&quot; &lt;1&gt; &amp; more</title>` +
	`<rect id="bg" x="0" y="0" width="200" height="150" style="fill:#eef"/>` +
	`<circle id="ball" cx="50" cy="40" r="10" style="fill:crimson"/>` +
	`<use id="u" xlink:href="#ball" x="5"/>` +
	`</svg>`

var testControls = []wire.Control{
	{Kind: wire.Slider, Name: "gravity", Label: "Gravity", Min: 0, Max: 20, Step: 0.1, Value: wire.Number(9.8)},
	{Kind: wire.Slider, Name: "accel", Label: "Acceleration", Min: 0, Max: 10, Step: 0.1, Value: wire.Number(4.1000000000000005),
		Group: "Physics", Unit: "m/s²"},
	{Kind: wire.Slider, Name: "k", Min: 0.01, Max: 100, Value: wire.Number(1), Log: true, Group: "Physics"},
	{Kind: wire.NumberBox, Name: "count", Min: 1, Max: 100, Step: 1, Value: wire.Number(12)},
	{Kind: wire.NumberBox, Name: "free", Value: wire.Number(-2.5)},
	{Kind: wire.Toggle, Name: "trails", Label: "Trails", Value: wire.Bool(true)},
	{Kind: wire.Button, Name: "drop", Label: "Drop <it>", Key: "r"},
	{Kind: wire.Button, Name: "space", Key: " "},
	{Kind: wire.Button, Name: "plain"},
	{Kind: wire.Select, Name: "mode", Label: "Mode", Options: []string{"fast", "slow & steady"}, Value: wire.String("slow & steady")},
	{Kind: wire.TextBox, Name: "title", Label: "Title", Value: wire.String(`say "hi"`)},
	{Kind: wire.NumberBox, Name: "mass", Min: 0, Max: 10, Step: 0.25, Value: wire.Number(2), Unit: "kg", Group: "Physics"},
}

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// normalize replaces the built assets, which change with every edit of the
// client, by placeholders, so that the golden files only change when the
// components do.
func normalize(s string) string {
	for _, name := range []string{"client.js", "style.css"} {
		s = strings.ReplaceAll(s, cdata(string(assets.Bytes(name))), "{{inline "+name+"}}")
		s = strings.ReplaceAll(s, assets.URL(name), "{{url "+name+"}}")
	}
	return s
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./web -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run go test ./web -update if the change is intended):\n got: %s\nwant: %s", name, got, want)
	}
}

// wellFormed parses an XML document through to its end.
func wellFormed(t *testing.T, doc string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	d := PageData{Title: "Bounce <1>", Markup: testMarkup, Controls: testControls, Overlay: "main.go:3: oops & <b>",
		ExtraCSS: []string{"/_vz/user/style.css"}, ExtraJS: []string{"/_vz/user/app.js?a=1&b=2"}}
	got := render(t, Page(d))
	golden(t, "page.html", normalize(got))

	contains := func(what, s string) {
		t.Helper()
		if !strings.Contains(got, s) {
			t.Errorf("page lacks %s: %q", what, s)
		}
	}
	contains("the scene markup, raw", testMarkup)
	contains("the websocket path", `data-vz-ws="/ws"`)
	contains("the view's box", `viewBox="0 0 400 300"`)
	contains("the title, escaped", "<title>Bounce &lt;1&gt;</title>")
	contains("the stylesheet", `href="`+assets.URL("style.css")+`"`)
	contains("the favicon", `<link rel="icon" href="`+assets.URL("favicon.svg")+`" type="image/svg+xml">`)
	contains("the view's aspect", `style="--vz-w:400;--vz-h:300;"`)
	contains("the drawer button", `<button type="button" id="vz-drawer" class="vz-drawer-toggle" aria-controls="vz-panel" aria-expanded="false">Controls</button>`)
	contains("the script", `src="`+assets.URL("client.js")+`"`)
	contains("the overlay, escaped", ">main.go:3: oops &amp; &lt;b&gt;</pre>")
	contains("a no-script note", "<noscript>")
	contains("the scene's stylesheet", `<link rel="stylesheet" href="/_vz/user/style.css" data-vz-asset="/_vz/user/style.css">`)
	contains("the scene's script, after the client", `data-vz-asset="client.js" defer></script><script src="/_vz/user/app.js?a=1&amp;b=2" data-vz-asset="/_vz/user/app.js?a=1&amp;b=2" defer></script>`)
	for _, c := range testControls {
		contains("control "+c.Name, `data-vz-control="`+templ.EscapeString(c.Name)+`"`)
	}
	contains("the slider's value", `type="range" min="0" max="20" step="0.1" value="9.8"`)
	contains("the bounded number box", `type="number" step="1" min="1" max="100" value="12"`)
	contains("the free number box", `type="number" step="any" value="-2.5"`)
	contains("the toggle, checked", `type="checkbox" checked`)
	contains("the button's key", `data-vz-key="r"`)
	contains("the button's label, escaped", `Drop &lt;it&gt; <kbd>r</kbd>`)
	contains("the space key, named", `<kbd>Space</kbd>`)
	contains("the selected option", `<option value="slow &amp; steady" selected>`)
	contains("the text value, escaped", `value="say &#34;hi&#34;"`)
	contains("the value with the step's decimals and the unit", `value="4.1"> <output class="vz-value">4.1 m/s²</output>`)
	contains("the log slider's thumb in the middle", `data-vz-log="0.01 100 0"><span class="vz-label">k</span> <input type="range" min="0" max="1000" step="1" value="500">`)
	contains("the log slider's value", `<output class="vz-value">1.00</output>`)
	contains("the number box's value and unit", `value="2.00"> <span class="vz-unit">kg</span>`)
	if i, j, k := strings.Index(got, `<fieldset class="vz-group" data-vz-group="Physics"><legend>Physics</legend>`), strings.Index(got, `data-vz-control="mass"`), strings.Index(got, "</fieldset>"); i < 0 || !(i < j && j < k) || strings.Index(got, `data-vz-control="count"`) < k {
		t.Errorf("the group's section does not hold its controls where its first one is:\n%s", got)
	}
}

func TestPageDefaults(t *testing.T) {
	t.Parallel()
	got := render(t, Page(PageData{}))
	for _, s := range []string{
		"<title>vizserve</title>",
		`data-vz-ws="/ws"`,
		`viewBox="0 0 300 150"`,
		`<pre id="vz-overlay" class="vz-overlay" role="alert" hidden></pre>`,
		`<aside id="vz-panel" class="vz-panel" aria-label="Controls" hidden>`,
		`aria-controls="vz-panel" aria-expanded="false" hidden>Controls</button>`,
		`style="--vz-w:300;--vz-h:150;"`,
	} {
		if !strings.Contains(got, s) {
			t.Errorf("page without data lacks %q", s)
		}
	}
	got = render(t, Page(PageData{WSPath: "/scenes/a/ws?x=1&y=2"}))
	if !strings.Contains(got, `data-vz-ws="/scenes/a/ws?x=1&amp;y=2"`) {
		t.Errorf("page lacks the escaped websocket path:\n%s", got)
	}
}

func TestSceneSVG(t *testing.T) {
	t.Parallel()
	d := PageData{Title: "Bounce & co", Markup: testMarkup, Controls: testControls, Overlay: "panic: <boom> & more",
		ExtraCSS: []string{`/_vz/user/a "b".css`}, ExtraJS: []string{"/_vz/user/app.js?a=1&b=2"}}
	got := render(t, SceneSVG(d))
	golden(t, "scene.svg", normalize(got))
	wellFormed(t, got)
	if !strings.HasPrefix(got, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %.60q", got)
	}

	// The document's structure: the script's text is the bundle, in CDATA.
	var doc struct {
		XMLName xml.Name
		Title   string `xml:"title"`
		Styles  []struct {
			Text  string `xml:",chardata"`
			Asset string `xml:"data-vz-asset,attr"`
		} `xml:"style"`
		View struct {
			ID    string `xml:"id,attr"`
			WS    string `xml:"data-vz-ws,attr"`
			Box   string `xml:"viewBox,attr"`
			Scene struct {
				ID string `xml:"id,attr"`
			} `xml:"svg"`
		} `xml:"svg"`
		UI struct {
			Div struct {
				ID      string `xml:"id,attr"`
				Overlay string `xml:"pre"`
			} `xml:"div"`
		} `xml:"foreignObject"`
		Scripts []struct {
			Text  string `xml:",chardata"`
			Href  string `xml:"href,attr"`
			Asset string `xml:"data-vz-asset,attr"`
		} `xml:"script"`
	}
	if err := xml.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatal(err)
	}
	check := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %.80q, want %.80q", what, got, want)
		}
	}
	check("root", doc.XMLName.Space+" "+doc.XMLName.Local, "http://www.w3.org/2000/svg svg")
	check("title", doc.Title, "Bounce & co")
	check("view id", doc.View.ID, "vz-view")
	check("websocket path", doc.View.WS, "/ws")
	check("view box", doc.View.Box, "0 0 400 300")
	check("scene id", doc.View.Scene.ID, "scene")
	check("ui id", doc.UI.Div.ID, "vz-ui")
	check("overlay", doc.UI.Div.Overlay, "panic: <boom> & more")
	if len(doc.Scripts) != 2 || len(doc.Styles) != 2 {
		t.Fatalf("%d scripts and %d styles, want 2 each", len(doc.Scripts), len(doc.Styles))
	}
	check("script", doc.Scripts[0].Text, string(assets.Bytes("client.js")))
	check("script asset", doc.Scripts[0].Asset, "client.js")
	check("scene script", doc.Scripts[1].Href+" "+doc.Scripts[1].Asset, "/_vz/user/app.js?a=1&b=2 /_vz/user/app.js?a=1&b=2")
	check("style", doc.Styles[0].Text, string(assets.Bytes("style.css")))
	check("scene style", doc.Styles[1].Text+" "+doc.Styles[1].Asset, `@import url("/_vz/user/a \"b\".css"); /_vz/user/a "b".css`)
	if !strings.Contains(got, "<![CDATA["+string(assets.Bytes("client.js")[:64])) {
		t.Error("the script is not in a CDATA section")
	}
	if len(assets.Bytes("client.js")) < 1000 {
		t.Errorf("the client bundle has only %d bytes", len(assets.Bytes("client.js")))
	}
}

func TestSnapshot(t *testing.T) {
	t.Parallel()
	got := render(t, Snapshot(testMarkup))
	golden(t, "snapshot.svg", got)
	wellFormed(t, got)
	if strings.Contains(got, "<script") {
		t.Error("snapshot has a script")
	}
	var root struct {
		XMLName xml.Name
		ID      string `xml:"id,attr"`
	}
	if err := xml.Unmarshal([]byte(got), &root); err != nil {
		t.Fatal(err)
	}
	if root.XMLName.Space != "http://www.w3.org/2000/svg" || root.XMLName.Local != "svg" || root.ID != "scene" {
		t.Errorf("root element %v id %q, want an SVG svg with id scene", root.XMLName, root.ID)
	}
}

func TestSnapshotDeclaresNamespaces(t *testing.T) {
	t.Parallel()
	// The page's font, which a document without the page around it
	// declares unless the scene sets its own.
	const font = ` font-family="system-ui, -apple-system, &#39;Segoe UI&#39;, sans-serif"`
	for _, tc := range []struct{ name, markup, want string }{
		{"none", `<svg id="s" width="1"><use xlink:href="#a"/></svg>`,
			`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"` + font + ` id="s" width="1"><use xlink:href="#a"/></svg>`},
		{"svg only", `<svg xmlns="http://www.w3.org/2000/svg" id="s"><use xlink:href="#a"/></svg>`,
			`<svg xmlns:xlink="http://www.w3.org/1999/xlink"` + font + ` xmlns="http://www.w3.org/2000/svg" id="s"><use xlink:href="#a"/></svg>`},
		{"both", testMarkup, "<svg" + font + testMarkup[len("<svg"):]},
		{"no xlink needed", `<svg id="s"/>`, `<svg xmlns="http://www.w3.org/2000/svg"` + font + ` id="s"/>`},
		{"its own font", `<svg xmlns="http://www.w3.org/2000/svg" font-family="serif" id="s"/>`, `<svg xmlns="http://www.w3.org/2000/svg" font-family="serif" id="s"/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, Snapshot(tc.markup))
			want := xmlProlog + tc.want + "\n"
			if got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
			wellFormed(t, got)
		})
	}
}

func TestSceneBox(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		markup string
		want   string
	}{
		{testMarkup, "0 0 400 300"},
		{`<svg width="640px" height="480"/>`, "0 0 640 480"},
		{`<svg width="100%" height="100%" viewBox="0,0,30,20"/>`, "0 0 30 20"},
		{`<svg viewBox="-5 -5 10 10"/>`, "0 0 10 10"},
		{`<svg x="10" y="-2.5" width="3e2" height=".5"/>`, "10 -2.5 300 0.5"},
		{`<svg width="0" height="-1"/>`, "0 0 300 150"},
		{`<svg width="2em" viewBox="0 0 Inf 5"/>`, "0 0 300 150"},
		{`<svg x="7abc" width=" 12 "/>`, "7 0 12 150"},
		{``, "0 0 300 150"},
		{`not markup`, "0 0 300 150"},
	} {
		if got := (PageData{Markup: tc.markup}).viewBox(); got != tc.want {
			t.Errorf("viewBox of %q = %q, want %q", tc.markup, got, tc.want)
		}
	}
}

func TestCDATA(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a]]>b", "]]>", "x]]]>y]]>>", "if(a[b[c]]>d)"} {
		var v struct {
			Text string `xml:",chardata"`
		}
		doc := "<s>" + cdata(s) + "</s>"
		if err := xml.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		if v.Text != s {
			t.Errorf("cdata(%q) reads back as %q", s, v.Text)
		}
	}
}

// The page's controls must look like the ones the client renders: both
// sides produce the markup documented in web/client/ui.ts. This pins the
// attribute set each kind carries.
func TestControlMarkup(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    wire.Control
		want string
	}{
		{wire.Control{Kind: wire.Slider, Name: "s", Min: -1, Max: 1, Step: 0.25, Value: wire.Number(0.5)},
			`<label class="vz-control vz-slider" data-vz-control="s" data-vz-kind="1"><span class="vz-label">s</span><input type="range" min="-1" max="1" step="0.25" value="0.50"><output class="vz-value">0.50</output></label>`},
		{wire.Control{Kind: wire.Slider, Name: "l", Min: 0.1, Max: 10, Value: wire.Number(1), Log: true, Unit: "Hz", Format: "%.1f", Group: "G"},
			`<label class="vz-control vz-slider" data-vz-control="l" data-vz-kind="1" data-vz-format="%.1f" data-vz-log="0.1 10 0" data-vz-unit="Hz"><span class="vz-label">l</span><input type="range" min="0" max="1000" step="1" value="500"><output class="vz-value">1.0 Hz</output></label>`},
		{wire.Control{Kind: wire.Toggle, Name: "t", Value: wire.Bool(false)},
			`<label class="vz-control vz-toggle" data-vz-control="t" data-vz-kind="3"><span class="vz-label">t</span><input type="checkbox"></label>`},
		{wire.Control{Kind: wire.Button, Name: "b", Label: "Go"},
			`<div class="vz-control vz-button" data-vz-control="b" data-vz-kind="4"><button type="button">Go</button></div>`},
		{wire.Control{Kind: wire.TextBox, Name: "x"},
			`<label class="vz-control vz-text" data-vz-control="x" data-vz-kind="6"><span class="vz-label">x</span><input type="text" maxlength="4000" value=""></label>`},
	} {
		var b bytes.Buffer
		if err := control(tc.c).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		// Whitespace between elements is not structure (the panel is a grid).
		got := regexp.MustCompile(`>\s+<`).ReplaceAllString(b.String(), "><")
		if got != tc.want {
			t.Errorf("control %v:\n got  %s\nwant %s", tc.c.Kind, got, tc.want)
		}
	}
}

// The client's copy of the text limit is the protocol's: a client that
// allowed more would send events the server refuses.
func TestClientTextLimit(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("client", "wire.ts"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`export const MAX_TEXT_LEN = (\d+);`).FindSubmatch(src)
	if m == nil {
		t.Fatal("client/wire.ts does not declare MAX_TEXT_LEN")
	}
	if got, want := string(m[1]), fmt.Sprint(wire.MaxTextLen); got != want {
		t.Errorf("client/wire.ts has MAX_TEXT_LEN = %s, wire.MaxTextLen is %s", got, want)
	}
}
