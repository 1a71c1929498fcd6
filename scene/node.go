package scene

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vizserve/vizserve/internal/svgx"
	"github.com/vizserve/vizserve/scene/wire"
)

// Node is one SVG element of a scene. Its id (given, or generated) is its
// DOM id in every viewer. Methods of a removed node do nothing.
//
// Like everything in a scene, nodes belong to the sim goroutine: use them
// in OnTick and event handlers, in functions given to Scene.Do, or before
// Run starts.
type Node struct {
	s      *Scene
	h      wire.Handle
	tag    string
	id     string
	attrs  []attr
	text   string
	parent *Node
	kids   []*Node
	mask   wire.EventMask
	on     *handlers
	draw   *drawer // set by Draw

	fresh     bool // created since the last flush: its create op carries its state
	removed   bool
	dirty     bool // listed in Scene.dirty
	textDirty bool
	maskDirty bool
	managed   *drawer // owned by an immediate-mode drawer
	drawSeen  uint64  // the drawer's frame that last drew it
	pos       int     // scratch: index in the parent's kids
}

type attrKind uint8

const (
	kStr attrKind = iota
	kNum
	kTranslate
	kPose       // transform by SetPose: x, y, angle
	kPoseScaled // transform by SetPoseScaled: x, y, angle, scale
	kDel        // pending removal, to be announced at the next flush
	kPoints     // a point list (AppendPoints...): the text in buf
)

type attr struct {
	name         string
	s            string
	x, y         float32
	angle, scale float32 // kPose, kPoseScaled
	kind         attrKind
	dirty        bool
	pts          *points // kPoints
}

// points is a point list attribute: its text, kept as bytes so that a
// scrolling chart's appends and trims cost what they add and drop, its
// number of items, and the edit since the last flush (when not dirty).
type points struct {
	buf  []byte
	n    int
	edit *wire.PointsEdit
}

func (a *attr) value() string {
	switch a.kind {
	case kNum:
		return wire.FormatNum(a.x)
	case kTranslate:
		return wire.FormatTranslate(a.x, a.y)
	case kPose:
		return wire.FormatPose(a.x, a.y, a.angle)
	case kPoseScaled:
		return wire.FormatPoseScaled(a.x, a.y, a.angle, a.scale)
	case kPoints:
		return string(a.pts.buf)
	}
	return a.s
}

// ID returns the node's DOM id.
func (n *Node) ID() string { return n.id }

// Tag returns the element name ("circle", "g"...).
func (n *Node) Tag() string { return n.tag }

// Handle returns the node's numeric handle on the wire.
func (n *Node) Handle() wire.Handle { return n.h }

// Parent returns the parent node, or nil for the root and removed nodes.
func (n *Node) Parent() *Node { return n.parent }

// Children returns the node's children in document order. The slice is
// the node's own: do not modify it.
func (n *Node) Children() []*Node { return n.kids }

// Removed reports whether the node (or an ancestor) was removed.
func (n *Node) Removed() bool { return n.removed }

// Attr returns the value of an attribute, or "".
func (n *Node) Attr(name string) string {
	if i := n.find(name); i >= 0 && n.attrs[i].kind != kDel {
		return n.attrs[i].value()
	}
	return ""
}

// TextContent returns the node's own text.
func (n *Node) TextContent() string { return n.text }

func (n *Node) find(name string) int {
	for i := range n.attrs {
		if n.attrs[i].name == name {
			return i
		}
	}
	return -1
}

func (n *Node) touch() {
	if !n.dirty && !n.fresh {
		n.dirty = true
		n.s.dirty = append(n.s.dirty, n)
	}
}

func (n *Node) put(a attr) {
	if n.removed {
		return
	}
	a.dirty = !n.fresh
	if i := n.find(a.name); i >= 0 {
		if a.kind == kDel && n.fresh {
			n.attrs = append(n.attrs[:i], n.attrs[i+1:]...)
			return
		}
		old := &n.attrs[i]
		if old.kind == a.kind && old.s == a.s && old.x == a.x && old.y == a.y && old.angle == a.angle && old.scale == a.scale {
			return
		}
		*old = a
	} else {
		if a.kind == kDel {
			return
		}
		n.attrs = append(n.attrs, a)
	}
	n.touch()
}

func checkName(name string) {
	if err := wire.CheckAttrName(name); err != nil {
		panic("scene: " + err.Error())
	}
}

// Set sets an attribute. A value that is a plain number travels as a
// float32 (see SetNum). Set panics on a name the protocol refuses: "id"
// (ids are fixed at creation), event-handler attributes ("on..."), or a
// name that is not an XML name.
func (n *Node) Set(name, value string) *Node {
	checkName(name)
	n.setString(name, value)
	return n
}

func (n *Node) setString(name, value string) {
	if !utf8.ValidString(value) {
		value = strings.ToValidUTF8(value, "\uFFFD")
	}
	if x, ok := exactNum(value); ok {
		n.put(attr{name: name, kind: kNum, x: x})
		return
	}
	n.put(attr{name: name, kind: kStr, s: value})
}

// exactNum reports whether s is a number whose float32 formats back to s
// exactly, so it can travel as 4 bytes without changing the DOM.
func exactNum(s string) (float32, bool) {
	if s == "" || len(s) > 16 || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 32)
	if err != nil {
		return 0, false
	}
	x := float32(f)
	return x, wire.FormatNum(x) == s
}

// SetNum sets an attribute to a number, sent as a float32 (7 significant
// digits). Non-finite values become 0.
func (n *Node) SetNum(name string, v float64) *Node {
	checkName(name)
	n.put(attr{name: name, kind: kNum, x: f32(v)})
	return n
}

func f32(v float64) float32 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return float32(v)
}

// SetXY moves the node: cx/cy for circle and ellipse; x/y for rect, text,
// image, use, svg and foreignObject; a transform="translate(x,y)" for
// everything else (g, line, path, polygon...). This is the cheapest update
// on the wire: about 11 bytes.
func (n *Node) SetXY(x, y float64) *Node {
	switch n.tag {
	case "circle", "ellipse":
		n.setPair(wire.PairCXY, x, y)
	case "rect", "text", "image", "use", "svg", "foreignObject", "tspan":
		n.setPair(wire.PairXY, x, y)
	default:
		n.put(attr{name: "transform", kind: kTranslate, x: f32(x), y: f32(y)})
	}
	return n
}

// SetPose places and turns the node: its transform becomes
// "translate(x,y) rotate(angle)", angle in degrees, clockwise on screen
// (SVG's rotate). Draw an oriented shape pointing along +x around the
// origin, then SetPose it every tick: the update costs 14–16 bytes on the
// wire, against about 40 for SetTransform with the same text.
//
// A pose is the node's transform attribute, nothing more: a later
// SetTransform, Set("transform", ...), SetXY (for the elements it moves by
// a translate) or Unset("transform") replaces it, and SetPose replaces
// whatever transform was there. Non-finite numbers become 0.
func (n *Node) SetPose(x, y, angle float64) *Node {
	n.put(attr{name: "transform", kind: kPose, x: f32(x), y: f32(y), angle: f32(angle)})
	return n
}

// SetPoseScaled is SetPose with a uniform scale after the rotation:
// "translate(x,y) rotate(angle) scale(s)". A scale of 1 is SetPose.
func (n *Node) SetPoseScaled(x, y, angle, s float64) *Node {
	if f32(s) == 1 {
		return n.SetPose(x, y, angle)
	}
	n.put(attr{name: "transform", kind: kPoseScaled, x: f32(x), y: f32(y), angle: f32(angle), scale: f32(s)})
	return n
}

// Pose returns what SetPose or SetPoseScaled last set: position, angle
// and scale (1 for SetPose); ok is false when the transform is not a pose.
func (n *Node) Pose() (x, y, angle, s float64, ok bool) {
	i := n.find("transform")
	if i < 0 {
		return 0, 0, 0, 0, false
	}
	switch a := &n.attrs[i]; a.kind {
	case kPose:
		return float64(a.x), float64(a.y), float64(a.angle), 1, true
	case kPoseScaled:
		return float64(a.x), float64(a.y), float64(a.angle), float64(a.scale), true
	}
	return 0, 0, 0, 0, false
}

// XY returns the position SetXY sets (0, 0 if unset or not numeric).
func (n *Node) XY() (x, y float64) {
	var a, b string
	switch n.tag {
	case "circle", "ellipse":
		a, b = "cx", "cy"
	case "rect", "text", "image", "use", "svg", "foreignObject", "tspan":
		a, b = "x", "y"
	default:
		if i := n.find("transform"); i >= 0 && n.attrs[i].kind == kTranslate {
			return float64(n.attrs[i].x), float64(n.attrs[i].y)
		}
		return 0, 0
	}
	return n.num(a), n.num(b)
}

// num returns a numeric attribute's value, or 0.
func (n *Node) num(name string) float64 {
	if i := n.find(name); i >= 0 && n.attrs[i].kind == kNum {
		return float64(n.attrs[i].x)
	}
	return 0
}

// SetSize sets width and height.
func (n *Node) SetSize(w, h float64) *Node {
	n.setPair(wire.PairSize, w, h)
	return n
}

func (n *Node) setPair(p wire.Pair, x, y float64) {
	a, b := p.Names()
	n.put(attr{name: a, kind: kNum, x: f32(x)})
	n.put(attr{name: b, kind: kNum, x: f32(y)})
}

// Unset removes an attribute.
func (n *Node) Unset(name string) *Node {
	checkName(name)
	n.put(attr{name: name, kind: kDel})
	return n
}

// SetStyle sets the style attribute (CSS declarations: "fill:red;opacity:.5").
func (n *Node) SetStyle(css string) *Node { return n.Set("style", css) }

// SetTransform sets the transform attribute ("rotate(30)", "scale(2)"...).
func (n *Node) SetTransform(t string) *Node { return n.Set("transform", t) }

// SetText sets the node's own text (for text, tspan, title...). Child
// elements are kept; the text comes before them.
func (n *Node) SetText(t string) *Node {
	if n.removed || n.text == t {
		return n
	}
	if !utf8.ValidString(t) {
		t = strings.ToValidUTF8(t, "\uFFFD")
	}
	n.text = t
	if !n.fresh {
		n.textDirty = true
		n.touch()
	}
	return n
}

func (n *Node) setMask(bit wire.EventMask, on bool) {
	m := n.mask &^ bit
	if on {
		m |= bit
	}
	if m == n.mask || n.removed {
		return
	}
	n.mask = m
	if !n.fresh {
		n.maskDirty = true
		n.touch()
	}
}

// --- creating elements ---

// El creates a child element with any tag. The optional arguments follow
// svgo's convention: a string containing '=' holds name="value" attributes,
// any other string is the style attribute. An id="..." among them becomes
// the node's id; without one, an id is generated. El panics on a malformed
// attribute string or an id that is already in use.
func (n *Node) El(tag string, s ...string) *Node {
	if !svgx.ValidName(tag) {
		panic(fmt.Sprintf("scene: %q is not an element name", tag))
	}
	attrs, err := svgx.ParseStyleArgs(s, nil)
	if err != nil {
		panic(fmt.Sprintf("scene: <%s> attributes %q: %v", tag, s, err))
	}
	id := ""
	for i, a := range attrs {
		if a.Name == "id" {
			id = a.Value
			attrs = append(attrs[:i], attrs[i+1:]...)
			break
		}
	}
	if n.removed {
		// A child of a removed node is born removed: not in the scene, not sent.
		c := &Node{s: n.s, tag: tag, id: id, removed: true}
		return c
	}
	c := n.s.newNode(n, nil, tag, id)
	for _, a := range attrs {
		checkName(a.Name)
		c.setString(a.Name, a.Value)
	}
	return c
}

func (n *Node) elNums(tag string, names []string, vals []float64, s []string) *Node {
	c := n.El(tag, s...)
	for i, name := range names {
		c.put(attr{name: name, kind: kNum, x: f32(vals[i])})
	}
	// Geometry first, as svgo writes it: move the numbers to the front.
	k := len(names)
	if len(c.attrs) > k {
		c.attrs = append(c.attrs[len(c.attrs)-k:], c.attrs[:len(c.attrs)-k]...)
	}
	return c
}

// Circle creates a circle centred at (cx, cy) with radius r.
func (n *Node) Circle(cx, cy, r float64, s ...string) *Node {
	return n.elNums("circle", []string{"cx", "cy", "r"}, []float64{cx, cy, r}, s)
}

// Ellipse creates an ellipse centred at (cx, cy) with radii rx, ry.
func (n *Node) Ellipse(cx, cy, rx, ry float64, s ...string) *Node {
	return n.elNums("ellipse", []string{"cx", "cy", "rx", "ry"}, []float64{cx, cy, rx, ry}, s)
}

// Rect creates a rectangle with its top-left corner at (x, y).
func (n *Node) Rect(x, y, w, h float64, s ...string) *Node {
	return n.elNums("rect", []string{"x", "y", "width", "height"}, []float64{x, y, w, h}, s)
}

// Line creates a line from (x1, y1) to (x2, y2).
func (n *Node) Line(x1, y1, x2, y2 float64, s ...string) *Node {
	return n.elNums("line", []string{"x1", "y1", "x2", "y2"}, []float64{x1, y1, x2, y2}, s)
}

// Points formats coordinate pairs for polyline and polygon: "x,y x,y...".
func Points(x, y []float64) string {
	var b []byte
	for i := range min(len(x), len(y)) {
		if i > 0 {
			b = append(b, ' ')
		}
		b = wire.AppendNum(b, f32(x[i]))
		b = append(b, ',')
		b = wire.AppendNum(b, f32(y[i]))
	}
	return string(b)
}

// Polyline creates a polyline through the points (x[i], y[i]).
func (n *Node) Polyline(x, y []float64, s ...string) *Node {
	return n.El("polyline", s...).setFirst("points", Points(x, y))
}

// Polygon creates a closed polygon through the points (x[i], y[i]).
func (n *Node) Polygon(x, y []float64, s ...string) *Node {
	return n.El("polygon", s...).setFirst("points", Points(x, y))
}

// Path creates a path with path data d ("M0,0 L10,10 Z").
func (n *Node) Path(d string, s ...string) *Node {
	return n.El("path", s...).setFirst("d", d)
}

// pointsAttr is the attribute AppendPoints edits: d for a path, points
// for anything else (polyline, polygon).
func (n *Node) pointsAttr() string {
	if n.tag == "path" {
		return "d"
	}
	return "points"
}

// AppendPoints appends points, given as x0, y0, x1, y1..., to the node's
// point list: the points of a polyline or polygon, or the d of a path
// (each point a lineto, the first a moveto). Numbers travel as float32
// and read as FormatNum writes them. Unlike Set, this sends only the new
// points: 13–15 bytes for one, where setting the whole list again costs
// about 10 bytes for every point it holds. A live line chart appends each
// new sample, and trims the oldest with TrimPoints to scroll.
func (n *Node) AppendPoints(xy ...float32) *Node {
	return n.ReplaceLastPoints(0, xy...)
}

// ReplaceLastPoints removes the last k points of the point list (all of
// them if it has fewer) and appends xy, as one op: the way to redraw the
// end of a line that is still changing (see SeriesBuffer).
func (n *Node) ReplaceLastPoints(k int, xy ...float32) *Node {
	if len(xy)%2 != 0 {
		panic(fmt.Sprintf("scene: AppendPoints of %d numbers: they go in x, y pairs", len(xy)))
	}
	a := n.pointList()
	if a == nil {
		return n
	}
	k = min(max(k, 0), a.pts.n)
	a.pts.buf = wire.AppendPointsText(a.pts.buf, n.pointsAttr(), k, xy)
	a.pts.n += len(xy)/2 - k
	if a.pts.edit != nil {
		a.pts.edit.Append(k, xy)
	}
	return n
}

// TrimPoints removes the first k points of the point list (all of them if
// it has fewer): a scrolling chart trims as many as it appended. On the
// wire it says which to keep, a few bytes.
func (n *Node) TrimPoints(k int) *Node {
	a := n.pointList()
	if a == nil || k <= 0 || a.pts.n == 0 {
		return n
	}
	k = min(k, a.pts.n)
	buf := a.pts.buf
	for range k {
		i := bytes.IndexByte(buf, ' ')
		if i < 0 {
			buf = buf[:0]
			break
		}
		buf = buf[i+1:]
	}
	if len(buf) > 0 && buf[0] == 'L' && n.tag == "path" {
		buf[0] = 'M'
	}
	a.pts.buf = buf
	a.pts.n -= k
	if a.pts.edit != nil {
		a.pts.edit.Trim(a.pts.n)
	}
	return n
}

// NumPoints is the number of points in the node's point list.
func (n *Node) NumPoints() int {
	if i := n.find(n.pointsAttr()); i >= 0 && n.attrs[i].kind != kDel {
		if a := &n.attrs[i]; a.kind == kPoints {
			return a.pts.n
		}
		return wire.CountPoints([]byte(n.attrs[i].value()))
	}
	return 0
}

// pointList returns the point list attribute, made one if it holds
// another value, with an edit started if the change must be sent as one;
// nil for a removed node.
func (n *Node) pointList() *attr {
	if n.removed {
		return nil
	}
	name := n.pointsAttr()
	i := n.find(name)
	if i < 0 {
		// Absent, also in the viewers' DOM: the edit sets it.
		n.attrs = append(n.attrs, attr{name: name, kind: kPoints, pts: &points{}})
		i = len(n.attrs) - 1
	}
	a := &n.attrs[i]
	if a.kind != kPoints {
		v := ""
		if a.kind != kDel {
			v = a.value()
		}
		*a = attr{name: name, kind: kPoints, dirty: a.dirty, pts: &points{buf: []byte(v), n: wire.CountPoints([]byte(v))}}
	}
	if !a.dirty && !n.fresh && a.pts.edit == nil {
		a.pts.edit = newEdit()
		n.touch()
	}
	return a
}

func newEdit() *wire.PointsEdit {
	e := wire.NewPointsEdit()
	return &e
}

// Text creates a text element at (x, y).
func (n *Node) Text(x, y float64, t string, s ...string) *Node {
	c := n.elNums("text", []string{"x", "y"}, []float64{x, y}, s)
	c.text = t
	return c
}

// Image creates an image at (x, y) of size w×h showing href.
func (n *Node) Image(x, y, w, h float64, href string, s ...string) *Node {
	return n.elNums("image", []string{"x", "y", "width", "height"}, []float64{x, y, w, h}, s).Set("href", href)
}

// Use creates a use element showing the element with id ref at (x, y).
func (n *Node) Use(x, y float64, ref string, s ...string) *Node {
	return n.elNums("use", []string{"x", "y"}, []float64{x, y}, s).Set("href", "#"+ref)
}

// Group creates a g element, a container for other nodes.
func (n *Node) Group(s ...string) *Node { return n.El("g", s...) }

// CanvasAttr is the attribute Canvas sets, and its value: a live page
// draws the children of an element that has it on a 2D canvas instead of
// keeping them as DOM elements.
const (
	CanvasAttr  = "data-vz-draw"
	CanvasValue = "canvas"
)

// Canvas marks a group whose children live pages draw on a 2D canvas, in
// the group's place, rather than as SVG elements: for groups of thousands
// of nodes that move at every tick, which the SVG DOM cannot keep up
// with. Nothing else changes: the children are nodes as before, patched
// by the same ops, and their event handlers get the same events with the
// same coordinates. The mark is one attribute, data-vz-draw="canvas", so
// keyframes, snapshots and exports stay plain SVG that any viewer draws
// the same with or without it. Mark a group when it is created, before
// its first frame: the page decides when it first sees the group.
// docs/client.md says what the canvas draws and what it does not.
func (n *Node) Canvas() *Node { return n.Set(CanvasAttr, CanvasValue) }

func (n *Node) setFirst(name, v string) *Node {
	n.setString(name, v)
	if i := n.find(name); i > 0 {
		a := n.attrs[i]
		copy(n.attrs[1:i+1], n.attrs[:i])
		n.attrs[0] = a
	}
	return n
}

// --- structure ---

// Remove removes the node and its subtree from the scene.
func (n *Node) Remove() {
	if n.removed || n.parent == nil {
		return
	}
	p := n.parent
	p.kids = deleteNode(p.kids, n)
	n.s.log = append(n.s.log, logEntry{code: wire.OpRemove, n: n})
	n.s.forget(n)
}

func deleteNode(ks []*Node, n *Node) []*Node {
	for i, k := range ks {
		if k == n {
			copy(ks[i:], ks[i+1:])
			ks[len(ks)-1] = nil
			return ks[:len(ks)-1]
		}
	}
	return ks
}

// Raise moves the node to the end of its parent's children, drawing it
// above its siblings.
func (n *Node) Raise() *Node {
	if n.parent != nil && len(n.parent.kids) > 0 && n.parent.kids[len(n.parent.kids)-1] != n {
		n.move(n.parent, nil)
	}
	return n
}

// Lower moves the node to the start of its parent's children, drawing it
// below its siblings.
func (n *Node) Lower() *Node {
	if n.parent != nil && n.parent.kids[0] != n {
		n.move(n.parent, n.parent.kids[0])
	}
	return n
}

// InsertBefore moves the node just before sibling, in sibling's parent.
// Moving a node into its own subtree, or next to the root, panics.
func (n *Node) InsertBefore(sibling *Node) *Node {
	if sibling == n || sibling.removed || n.removed {
		return n
	}
	if sibling.parent == nil {
		panic("scene: InsertBefore the root")
	}
	n.move(sibling.parent, sibling)
	return n
}

// AppendTo moves the node to the end of parent's children.
func (n *Node) AppendTo(parent *Node) *Node {
	if parent.removed || n.removed {
		return n
	}
	n.move(parent, nil)
	return n
}

func (n *Node) move(p, before *Node) {
	if n.parent == nil {
		panic("scene: the root cannot move")
	}
	for a := p; a != nil; a = a.parent {
		if a == n {
			panic(fmt.Sprintf("scene: cannot move %q into its own subtree", n.id))
		}
	}
	n.parent.kids = deleteNode(n.parent.kids, n)
	insertNode(p, n, before)
	n.s.log = append(n.s.log, logEntry{code: wire.OpMove, n: n, parent: p, before: before})
}

func insertNode(p, n, before *Node) {
	n.parent = p
	if before != nil {
		for i, k := range p.kids {
			if k == before {
				p.kids = append(p.kids, nil)
				copy(p.kids[i+1:], p.kids[i:])
				p.kids[i] = n
				return
			}
		}
	}
	p.kids = append(p.kids, n)
}

// --- markup ---

func (n *Node) appendMarkup(b []byte, scratch []svgx.Attr) ([]byte, []svgx.Attr) {
	scratch = append(scratch[:0], svgx.Attr{Name: "id", Value: n.id})
	for i := range n.attrs {
		if a := &n.attrs[i]; a.kind != kDel {
			scratch = append(scratch, svgx.Attr{Name: a.name, Value: a.value()})
		}
	}
	leaf := n.text == "" && len(n.kids) == 0
	b = svgx.AppendStart(b, n.tag, scratch, leaf)
	if leaf {
		return b, scratch
	}
	b = svgx.AppendText(b, n.text)
	for _, k := range n.kids {
		b, scratch = k.appendMarkup(b, scratch)
	}
	return svgx.AppendEnd(b, n.tag), scratch
}

func (n *Node) wireAttrs() []wire.Attr {
	if len(n.attrs) == 0 {
		return nil
	}
	out := make([]wire.Attr, 0, len(n.attrs))
	for i := range n.attrs {
		if a := &n.attrs[i]; a.kind != kDel {
			out = append(out, wire.Attr{Name: a.name, Value: a.value()})
		}
	}
	return out
}
