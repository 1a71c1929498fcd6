// Package web holds the browser side of vizserve: the page that shows a
// live scene (Page), the standalone SVG document that is live on its own
// (SceneSVG), the static SVG export (Snapshot), and, in web/client, the
// TypeScript client that both live documents run.
//
//	page := web.Page(web.PageData{Title: "bounce", Markup: markup, Controls: controls})
//	err := page.Render(r.Context(), w)
//
// The components are templ components (*.templ, compiled to *_templ.go by
// `go generate ./...`). The client is bundled into package assets; the
// page links it, and SceneSVG inlines it. docs/client.md describes what the
// client does and the gestures it offers.
package web

//go:generate go tool templ generate -log-level error

import (
	"encoding/xml"
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"github.com/vizserve/vizserve/assets"
	"github.com/vizserve/vizserve/scene/wire"
)

// DefaultWSPath is the websocket path a page connects to when
// PageData.WSPath is empty.
const DefaultWSPath = "/ws"

// PageData is what a page (or a live SVG document) shows before its
// script connects: the current keyframe's markup and the controls.
type PageData struct {
	// Title is the document's title. Default: "vizserve".
	Title string
	// Markup is the scene's root <svg> element as markup (a keyframe's
	// markup). It is inserted as is: it must come from our own encoder,
	// which checks element and attribute names and escapes values.
	Markup string
	// Controls are the control definitions, with current values, shown in
	// the panel.
	Controls []wire.Control
	// WSPath is the path (or URL relative to the page) of the websocket.
	// Default: DefaultWSPath.
	WSPath string
	// Overlay is error text shown over the scene; "" shows none.
	Overlay string
	// ExtraCSS and ExtraJS are URLs of more stylesheets and scripts (a
	// scene's own), loaded after the client's. Each URL is also the
	// asset's name: an asset op with that name swaps the stylesheet, or
	// reloads the page for a script.
	ExtraCSS, ExtraJS []string
}

func (d PageData) title() string {
	if d.Title == "" {
		return "vizserve"
	}
	return d.Title
}

func (d PageData) wsPath() string {
	if d.WSPath == "" {
		return DefaultWSPath
	}
	return d.WSPath
}

// viewBox is the initial viewBox of the view element that wraps the scene:
// the box the scene's root occupies (see sceneBox), so that the first
// frame is the picture the client shows before any pan or zoom.
func (d PageData) viewBox() string {
	x, y, w, h := sceneBox(d.Markup)
	return num(x) + " " + num(y) + " " + num(w) + " " + num(h)
}

// aspectStyle gives the view the scene's aspect as the custom properties
// --vz-w and --vz-h, from which the stylesheet sizes the view to the
// largest box of that aspect that fits beside the panel. The client sets
// them again when a keyframe changes the scene's box (web/client/view.ts).
func (d PageData) aspectStyle() templ.SafeCSS {
	_, _, w, h := sceneBox(d.Markup)
	return templ.SafeCSS("--vz-w:" + num(w) + ";--vz-h:" + num(h))
}

// sceneBox reads the root element's x, y, width and height (plain numbers,
// optionally in px), falling back to its viewBox's size and then to
// 300×150, the size SVG gives an element without one. It follows the
// client's rule (web/client/view.ts sceneBox).
func sceneBox(markup string) (x, y, w, h float64) {
	w, h = 300, 150
	dec := xml.NewDecoder(strings.NewReader(markup))
	dec.Strict = false
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var vw, vh float64
		var aw, ah string
		for _, a := range se.Attr {
			name := a.Name.Local
			if a.Name.Space != "" {
				continue
			}
			switch name {
			case "x":
				x = leadingFloat(a.Value)
			case "y":
				y = leadingFloat(a.Value)
			case "width":
				aw = a.Value
			case "height":
				ah = a.Value
			case "viewBox":
				f := strings.FieldsFunc(a.Value, func(r rune) bool {
					return r == ' ' || r == ',' || r == '\t' || r == '\n' || r == '\r'
				})
				if len(f) == 4 {
					fw, err1 := strconv.ParseFloat(f[2], 64)
					fh, err2 := strconv.ParseFloat(f[3], 64)
					if err1 == nil && err2 == nil && fw > 0 && fh > 0 && !math.IsInf(fw, 0) && !math.IsInf(fh, 0) {
						vw, vh = fw, fh
					}
				}
			}
		}
		if vw > 0 {
			w, h = vw, vh
		}
		if v, ok := length(aw); ok {
			w = v
		}
		if v, ok := length(ah); ok {
			h = v
		}
		return
	}
}

// lengthRE is a length attribute in plain user units (optionally px),
// as the client accepts it.
var lengthRE = regexp.MustCompile(`^\s*\+?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?([pP][xX])?\s*$`)

// numberRE is the leading number JavaScript's parseFloat reads.
var numberRE = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`)

// length parses a length attribute that is a positive number of user
// units, optionally with "px".
func length(s string) (float64, bool) {
	m := lengthRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1]+m[2], 64)
	if err != nil || v <= 0 {
		return 0, false
	}
	return v, true
}

// leadingFloat is JavaScript's parseFloat, for the x and y attributes: the
// leading number, 0 if none.
func leadingFloat(s string) float64 {
	m := numberRE.FindString(strings.TrimLeft(s, " \t\n\r\f"))
	v, err := strconv.ParseFloat(m, 64)
	if err != nil {
		return 0
	}
	return v
}

// num formats a number as the client does (JavaScript's String for
// ordinary magnitudes).
func num(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// label is what the panel shows for a control.
func label(c wire.Control) string {
	if c.Label == "" {
		return c.Name
	}
	return c.Label
}

// step is the step attribute of a number input: "any" for no step.
func step(c wire.Control) string {
	if c.Step > 0 {
		return num(c.Step)
	}
	return "any"
}

// panelItem is one entry of the panel: a control outside any group, or a
// group with its controls.
type panelItem struct {
	group    string
	controls []wire.Control
}

// panelItems arranges controls as the panel shows them: each group where
// its first control is, holding its controls in their order.
func panelItems(cs []wire.Control) []panelItem {
	var items []panelItem
	at := map[string]int{}
	for _, c := range cs {
		if c.Group == "" {
			items = append(items, panelItem{controls: []wire.Control{c}})
			continue
		}
		i, ok := at[c.Group]
		if !ok {
			i = len(items)
			at[c.Group] = i
			items = append(items, panelItem{group: c.Group})
		}
		items[i].controls = append(items[i].controls, c)
	}
	return items
}

// numberAttrs are the attributes with which the client shows a number
// control's values as the definition says (web/client/ui.ts reads them).
func numberAttrs(c wire.Control) templ.Attributes {
	a := templ.Attributes{}
	if c.Unit != "" {
		a["data-vz-unit"] = c.Unit
	}
	if c.Format != "" {
		a["data-vz-format"] = c.Format
	}
	if c.Log {
		a["data-vz-log"] = num(c.Min) + " " + num(c.Max) + " " + num(c.Step)
	}
	return a
}

// logSteps is the number of thumb positions of a log slider's track
// (LOG_STEPS in web/client/ui.ts).
const logSteps = 1000

// logPos is the thumb position of a log slider's value.
func logPos(c wire.Control) string {
	v := valueNum(c.Value)
	if !(v > 0) || !(c.Min > 0) || !(c.Max > c.Min) {
		return "0"
	}
	t := math.Log(v/c.Min) / math.Log(c.Max/c.Min)
	return strconv.Itoa(int(math.Round(math.Max(0, math.Min(1, t)) * logSteps)))
}

// keyText is how a button's key is shown.
func keyText(k string) string {
	if k == " " {
		return "Space"
	}
	return k
}

// valueNum is a control value as a number.
func valueNum(v wire.Value) float64 {
	if v.Kind == wire.KindNumber || v.Kind == wire.KindBool {
		return v.Num
	}
	if v.Kind == wire.KindString {
		f, _ := strconv.ParseFloat(v.Str, 64)
		return f
	}
	return 0
}

// valueStr is a control value as text.
func valueStr(v wire.Value) string {
	switch v.Kind {
	case wire.KindString:
		return v.Str
	case wire.KindNumber:
		return num(v.Num)
	case wire.KindBool:
		return strconv.FormatBool(v.Num != 0)
	}
	return ""
}

// kindAttr is a control's kind as the data-vz-kind attribute.
// maxTextLen is a text box's maxlength: the longest value the protocol
// carries in one event.
var maxTextLen = strconv.Itoa(wire.MaxTextLen)

func kindAttr(c wire.Control) string {
	return strconv.Itoa(int(c.Kind))
}

// cdata wraps text in CDATA sections for an XML document. "]]>" cannot
// appear inside one, so it is split across two.
func cdata(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

// inlineScript is the client bundle as an SVG <script> element.
func inlineScript() string {
	return `<script type="text/javascript" data-vz-asset="client.js">` + cdata(string(assets.Bytes("client.js"))) + `</script>`
}

// inlineStyle is the stylesheet as an SVG <style> element.
func inlineStyle() string {
	return `<style type="text/css" data-vz-asset="style.css">` + cdata(string(assets.Bytes("style.css"))) + `</style>`
}

// extraStyle is an SVG <style> element that imports a stylesheet, named
// for asset ops.
func extraStyle(url string) string {
	css := `@import url("` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\a `, "\r", `\d `).Replace(url) + `");`
	return `<style type="text/css" data-vz-asset="` + html.EscapeString(url) + `">` + cdata(css) + `</style>`
}

// extraScript is an SVG <script> element that loads a script, named for
// asset ops.
func extraScript(url string) string {
	u := html.EscapeString(url)
	return `<script type="text/javascript" href="` + u + `" data-vz-asset="` + u + `"></script>`
}

const xmlProlog = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// standalone makes a root <svg> element's markup a document of its own:
// it declares the SVG namespace (and XLink's, if used) when the markup
// does not, and the page's font (wire.FontStack) unless the root sets one.
func standalone(markup string) string {
	m := strings.TrimSpace(markup)
	end := strings.IndexByte(m, '>')
	if !strings.HasPrefix(m, "<svg") || end < 0 {
		return m
	}
	start := m[:end]
	var add string
	if !strings.Contains(start, `xmlns=`) {
		add += ` xmlns="http://www.w3.org/2000/svg"`
	}
	if strings.Contains(m, "xlink:") && !strings.Contains(start, "xmlns:xlink=") {
		add += ` xmlns:xlink="http://www.w3.org/1999/xlink"`
	}
	if !strings.Contains(start, "font") {
		// Without the page around it, text would take the viewer's
		// default font (often a serif): give it the page's.
		add += ` font-family="` + html.EscapeString(wire.FontStack) + `"`
	}
	return "<svg" + add + m[len("<svg"):]
}
