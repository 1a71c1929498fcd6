package scene

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	svg "github.com/ajstarks/svgo"

	"github.com/vizserve/vizserve/internal/svgx"
	"github.com/vizserve/vizserve/scene/wire"
)

// Immediate returns a scene of w×h user units drawn by draw, which is
// called with svgo's own canvas on every frame that ticked or handled an
// event. An existing svgo program becomes live by moving its drawing into
// draw (its Start/End calls may stay: a top-level <svg> is unwrapped and
// its attributes apply to the scene's root).
//
//	s := scene.Immediate(400, 300, func(c *svg.SVG) {
//		c.Circle(x, 150, 20, "fill:teal")
//	})
func Immediate(w, h int, draw func(c *svg.SVG)) *Scene {
	s := New(Options{Width: float64(w), Height: float64(h)})
	s.Root().Draw(draw)
	return s
}

// Draw makes the node's children immediate-mode: on every frame that
// ticked or handled an event, fn draws them with svgo, and the scene diffs
// the result against the previous frame by element id, sending only what
// changed. An element without an id gets a stable one from its place in
// the tree ("<parent id>.<tag><n>", n counting same-tag siblings without
// an id). Use ids for elements that come and go, so the others keep theirs.
//
// The drawn children belong to the drawer: do not add retained children to
// the same node. Handlers set on the root (or an ancestor) receive the
// events of drawn elements, with Target the drawn node.
//
// If fn writes markup that does not parse, the previous frame stays and the
// error is shown as an overlay. Draw(nil) stops drawing (the children stay).
func (n *Node) Draw(fn func(c *svg.SVG)) *Node {
	if n.draw == nil {
		if fn == nil {
			return n
		}
		n.draw = &drawer{n: n, managed: map[string]*Node{}}
		n.draw.canvas = svg.New(&n.draw.buf)
		n.s.drawers = append(n.s.drawers, n.draw)
	}
	if fn == nil {
		d := n.draw
		n.s.drawers = deleteDrawer(n.s.drawers, d)
		n.draw = nil
		return n
	}
	n.draw.fn = fn
	n.s.activity = true
	return n
}

func deleteDrawer(ds []*drawer, d *drawer) []*drawer {
	for i, o := range ds {
		if o == d {
			return append(ds[:i], ds[i+1:]...)
		}
	}
	return ds
}

type drawer struct {
	n        *Node
	fn       func(*svg.SVG)
	buf      bytes.Buffer
	canvas   *svg.SVG
	doc      svgx.Doc
	managed  map[string]*Node
	frameNo  uint64
	errShown bool

	// per-frame scratch, reused
	nodes   []*Node
	ids     []string
	first   []int // first child of element i (index len(elems) is the draw node), -1 none
	next    []int // next sibling
	last    []int
	counts  map[countKey]int
	claimed map[string]bool // new explicit ids taken in this frame
	key     []byte
	seq     []int
	seqAt   []int
	order   []int
	keep    []bool
	lisBuf  []int
}

type countKey struct {
	parent int
	tag    string
}

func (d *drawer) frame() {
	s := d.n.s
	if d.n.removed {
		return
	}
	d.buf.Reset()
	d.fn(d.canvas)
	if err := d.doc.Parse(d.buf.String()); err != nil {
		s.SetOverlay("Draw: the drawing is not well-formed SVG: " + err.Error() + "\nThe previous frame stays.")
		d.errShown = true
		return
	}
	if d.errShown {
		s.SetOverlay("")
		d.errShown = false
	}
	d.frameNo++
	elems := d.doc.Elems
	// Unwrap a single top-level <svg> written by svgo's Start...End.
	top := -1
	if len(elems) > 0 && elems[0].Tag == "svg" {
		only := true
		for i := 1; i < len(elems); i++ {
			if elems[i].Parent < 0 {
				only = false
				break
			}
		}
		if only {
			top = 0
			if d.n == s.root {
				for _, a := range elems[0].Attrs {
					if a.Name != "id" && !strings.HasPrefix(a.Name, "xmlns") && a.Name != "version" && wire.CheckAttrName(a.Name) == nil {
						d.setAttr(d.n, a.Name, a.Value)
					}
				}
			}
		}
	}
	n := len(elems)
	d.nodes = resize(d.nodes, n)
	d.ids = resize(d.ids, n)
	d.first = fill(d.first, n+1, -1)
	d.next = fill(d.next, n+1, -1)
	d.last = fill(d.last, n+1, -1)
	if d.counts == nil {
		d.counts = map[countKey]int{}
		d.claimed = map[string]bool{}
	}
	clear(d.counts)
	clear(d.claimed)
	parentOf := func(i int) int {
		p := elems[i].Parent
		if p == top || p < 0 {
			return n // the draw node
		}
		return p
	}
	idOf := func(p int) string {
		if p == n {
			return d.n.id
		}
		return d.ids[p]
	}
	// Pass 1: ids, and matching with the previous frame.
	for i := range elems {
		if i == top {
			continue
		}
		e := &elems[i]
		p := parentOf(i)
		if l := d.last[p]; l < 0 {
			d.first[p] = i
		} else {
			d.next[l] = i
		}
		d.last[p] = i
		id := ""
		for _, a := range e.Attrs {
			if a.Name == "id" {
				id = a.Value
			}
		}
		var node *Node
		if id != "" {
			switch m := d.managed[id]; {
			case m != nil && m.drawSeen != d.frameNo:
				node = m // drawn last frame: the same element
			case m == nil && s.ids[id] == nil && !d.claimed[id]:
				d.claimed[id] = true // a new id
			default:
				id = "" // used by a retained node, or twice in this frame
			}
		}
		if id == "" {
			k := countKey{p, e.Tag}
			c := d.counts[k]
			d.counts[k] = c + 1
			d.key = append(d.key[:0], idOf(p)...)
			d.key = append(d.key, '.')
			d.key = append(d.key, e.Tag...)
			d.key = strconv.AppendInt(d.key, int64(c), 10)
			if m := d.managed[string(d.key)]; m != nil && m.drawSeen != d.frameNo {
				node = m
			} else {
				id = string(d.key) // made unique when created
			}
		}
		if node != nil && (node.tag != e.Tag || node.removed) {
			if !node.removed {
				d.forget(node)
				node.Remove()
			}
			node = nil
		}
		if node != nil {
			node.drawSeen = d.frameNo
			id = node.id
		}
		d.nodes[i], d.ids[i] = node, id
	}
	// Pass 2: structure, parents before children. Within a parent, the
	// children that keep their relative order (a longest increasing
	// subsequence of their current positions) stay; the others move, and
	// new ones are created, each just before its next sibling.
	d.place(n, d.n, elems)
	for i := range elems {
		if i != top {
			d.place(i, d.nodes[i], elems)
		}
	}
	// Pass 3: attributes and text of the elements that existed.
	for i := range elems {
		if i == top {
			continue
		}
		if node := d.nodes[i]; node != nil && !node.fresh {
			d.diffAttrs(node, &elems[i])
		}
	}
	// Pass 4: what was not drawn this frame goes.
	for id, m := range d.managed {
		if m.drawSeen != d.frameNo {
			delete(d.managed, id)
			if !m.removed {
				m.Remove()
			}
		}
	}
}

func (d *drawer) forget(node *Node) {
	delete(d.managed, node.id)
	for _, k := range node.kids {
		d.forget(k)
	}
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func fill(s []int, n, v int) []int {
	if cap(s) < n {
		s = make([]int, n)
	}
	s = s[:n]
	for i := range s {
		s[i] = v
	}
	return s
}

// place puts the drawn children of element p (n for the draw node) into
// node P, in order.
func (d *drawer) place(p int, P *Node, elems []svgx.Elem) {
	if d.first[p] < 0 && len(P.kids) == 0 {
		return
	}
	for i, k := range P.kids {
		k.pos = i
	}
	// The drawn children, and the current positions of those already in P.
	d.order = d.order[:0]
	d.seq = d.seq[:0]
	d.seqAt = d.seqAt[:0]
	for c := d.first[p]; c >= 0; c = d.next[c] {
		d.order = append(d.order, c)
		if node := d.nodes[c]; node != nil && !node.removed && node.parent == P {
			d.seqAt = append(d.seqAt, len(d.seq))
			d.seq = append(d.seq, node.pos)
		} else {
			d.seqAt = append(d.seqAt, -1)
		}
	}
	d.keep = lis(d.seq, d.keep[:0], &d.lisBuf)
	// Walk the drawn children backwards, so that "before" is always in place.
	var before *Node
	for j := len(d.order) - 1; j >= 0; j-- {
		c := d.order[j]
		node := d.nodes[c]
		if node != nil && node.removed {
			node = nil // removed with an ancestor whose tag changed
		}
		switch {
		case node == nil:
			e := &elems[c]
			id := d.ids[c]
			for d.n.s.ids[id] != nil {
				id += "_"
			}
			d.ids[c] = id
			node = d.n.s.newNode(P, before, e.Tag, id)
			node.managed = d
			node.drawSeen = d.frameNo
			for _, a := range e.Attrs {
				if a.Name != "id" && wire.CheckAttrName(a.Name) == nil {
					node.setString(a.Name, strings.Clone(a.Value))
				}
			}
			node.text = strings.Clone(e.Text)
			d.managed[node.id] = node
			d.nodes[c] = node
		case d.seqAt[j] >= 0 && d.keep[d.seqAt[j]]:
			// stays where it is
		default:
			node.move(P, before)
		}
		before = node
	}
}

// lis marks the elements of seq that form a longest strictly increasing
// subsequence.
func lis(seq []int, keep []bool, buf *[]int) []bool {
	n := len(seq)
	keep = append(keep, make([]bool, n)...)
	if n == 0 {
		return keep
	}
	b := *buf
	if cap(b) < 2*n {
		b = make([]int, 2*n)
	}
	b = b[:2*n]
	*buf = b
	tails, prev := b[:0], b[n:2*n] // tails holds indices into seq
	for i, v := range seq {
		j := sort.Search(len(tails), func(k int) bool { return seq[tails[k]] >= v })
		if j > 0 {
			prev[i] = tails[j-1]
		} else {
			prev[i] = -1
		}
		if j == len(tails) {
			tails = append(tails, i)
		} else {
			tails[j] = i
		}
	}
	for i := tails[len(tails)-1]; i >= 0; i = prev[i] {
		keep[i] = true
	}
	return keep
}

func (d *drawer) setAttr(node *Node, name, v string) {
	i := node.find(name)
	if i >= 0 {
		a := &node.attrs[i]
		switch a.kind {
		case kStr:
			if a.s == v {
				return
			}
		case kNum:
			// Numerically equal is unchanged; no formatting needed.
			if f, err := strconv.ParseFloat(v, 32); err == nil && float32(f) == a.x {
				return
			}
		}
	}
	node.setString(name, strings.Clone(v))
}

func (d *drawer) diffAttrs(node *Node, e *svgx.Elem) {
	for _, a := range e.Attrs {
		if a.Name != "id" && wire.CheckAttrName(a.Name) == nil {
			d.setAttr(node, a.Name, a.Value)
		}
	}
	for i := 0; i < len(node.attrs); i++ {
		a := &node.attrs[i]
		if a.kind == kDel {
			continue
		}
		found := false
		for _, b := range e.Attrs {
			if b.Name == a.name {
				found = true
				break
			}
		}
		if !found {
			node.Unset(a.name)
		}
	}
	if node.text != e.Text {
		node.SetText(strings.Clone(e.Text))
	}
}
