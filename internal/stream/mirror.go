package stream

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vizserve/vizserve/internal/svgx"

	"github.com/vizserve/vizserve/scene/wire"
)

// Mirror is a model of the browser's DOM that applies batches exactly as
// docs/protocol.md tells a client to. It is the reference applier: relays
// use it to produce keyframes for late joiners (see Relay), and tests use it
// to check that a patch stream and a keyframe describe the same scene.
//
// A Mirror is not safe for concurrent use.
type Mirror struct {
	root     *mnode
	nodes    map[wire.Handle]*mnode
	seq      uint64
	controls []wire.Control
	overlay  string
	// cycles lists the ops of the last Apply that were ignored because
	// they would have moved a node into its own subtree.
	cycles []int
}

type mnode struct {
	h      wire.Handle
	tag    string
	id     string
	attrs  []wire.Attr
	text   string
	mask   wire.EventMask
	parent *mnode
	kids   []*mnode
}

// NewMirror returns an empty Mirror; it holds a scene after its first
// keyframe.
func NewMirror() *Mirror { return &Mirror{nodes: map[wire.Handle]*mnode{}} }

// Ready reports whether the mirror has received a keyframe.
func (m *Mirror) Ready() bool { return m.root != nil }

// Seq is the sequence number of the last batch applied.
func (m *Mirror) Seq() uint64 { return m.seq }

// Len is the number of elements that have handles.
func (m *Mirror) Len() int { return len(m.nodes) }

// Apply applies b. Ops that name a handle the mirror does not know are
// ignored, as the protocol requires. Apply fails on a keyframe whose markup
// does not parse or whose table names an id the markup lacks, and on a
// create that reuses a live handle; the ops before the failing one stay
// applied.
func (m *Mirror) Apply(b *wire.Batch) error {
	m.cycles = m.cycles[:0]
	for i := range b.Ops {
		if err := m.apply(&b.Ops[i]); errors.Is(err, errCycle) {
			m.cycles = append(m.cycles, i)
		} else if err != nil {
			return fmt.Errorf("wire: apply op %d (%v): %w", i, b.Ops[i].Code, err)
		}
	}
	if b.Seq > m.seq {
		m.seq = b.Seq
	}
	return nil
}

// errCycle marks a move into the node's own subtree: ignored, as the
// browser client ignores it, and reported to Relay, which drops it.
var errCycle = errors.New("move into its own subtree")

func (m *Mirror) apply(op *wire.Op) error {
	switch op.Code {
	case wire.OpKeyframe:
		return m.keyframe(op)
	case wire.OpCreate:
		if _, dup := m.nodes[op.Node]; dup {
			return fmt.Errorf("create: handle %d is already live", op.Node)
		}
		p := m.nodes[op.Parent]
		if p == nil || op.Node == 0 {
			return nil
		}
		n := &mnode{h: op.Node, tag: op.Tag, id: op.Name, text: op.Text, mask: op.Mask}
		for _, a := range op.Attrs {
			n.set(a.Name, a.Value)
		}
		m.nodes[n.h] = n
		p.insert(n, m.nodes[op.Before])
	case wire.OpRemove:
		n := m.nodes[op.Node]
		if n == nil || n == m.root {
			return nil
		}
		n.parent.detach(n)
		m.forget(n)
	case wire.OpMove:
		n, p := m.nodes[op.Node], m.nodes[op.Parent]
		if n == nil || p == nil || n == m.root || op.Before == op.Node {
			return nil
		}
		for a := p; a != nil; a = a.parent {
			if a == n {
				return errCycle
			}
		}
		n.parent.detach(n)
		p.insert(n, m.nodes[op.Before])
	case wire.OpSetAttr:
		if n := m.nodes[op.Node]; n != nil {
			n.set(op.Name, op.Text)
		}
	case wire.OpDelAttr:
		if n := m.nodes[op.Node]; n != nil {
			n.del(op.Name)
		}
	case wire.OpSetNum:
		if n := m.nodes[op.Node]; n != nil {
			n.set(op.Name, wire.FormatNum(op.X))
		}
	case wire.OpSetXY:
		if n := m.nodes[op.Node]; n != nil {
			if op.Pair == wire.PairTranslate {
				n.set("transform", wire.FormatTranslate(op.X, op.Y))
				return nil
			}
			a, b := op.Pair.Names()
			n.set(a, wire.FormatNum(op.X))
			n.set(b, wire.FormatNum(op.Y))
		}
	case wire.OpSetPose:
		if n := m.nodes[op.Node]; n != nil {
			n.set("transform", wire.FormatPose(op.X, op.Y, op.Angle))
		}
	case wire.OpSetPoseScaled:
		if n := m.nodes[op.Node]; n != nil {
			n.set("transform", wire.FormatPoseScaled(op.X, op.Y, op.Angle, op.Scale))
		}
	case wire.OpAppendPoints, wire.OpTrimPoints:
		if n := m.nodes[op.Node]; n != nil {
			v := []byte(n.get(op.Name))
			if op.Code == wire.OpAppendPoints {
				v = wire.AppendPointsText(v, op.Name, op.Count, op.XY)
			} else {
				v = wire.TrimPointsText(v, op.Name, op.Count)
			}
			n.set(op.Name, string(v))
		}
	case wire.OpSetText:
		if n := m.nodes[op.Node]; n != nil {
			n.text = op.Text
		}
	case wire.OpListen:
		if n := m.nodes[op.Node]; n != nil {
			n.mask = op.Mask
		}
	case wire.OpOverlay:
		m.overlay = op.Text
	case wire.OpNotice:
		// A notice is of its moment: a keyframe does not repeat it.
	case wire.OpControls:
		m.controls = slices.Clone(op.Controls)
	case wire.OpControlValue:
		for i := range m.controls {
			if m.controls[i].Name == op.Name {
				m.controls[i].Value = op.Value
			}
		}
	}
	return nil
}

func (m *Mirror) forget(n *mnode) {
	if n.h != 0 {
		delete(m.nodes, n.h)
	}
	for _, k := range n.kids {
		m.forget(k)
	}
}

func (n *mnode) set(name, v string) {
	for i := range n.attrs {
		if n.attrs[i].Name == name {
			n.attrs[i].Value = v
			return
		}
	}
	n.attrs = append(n.attrs, wire.Attr{Name: name, Value: v})
}

// get returns the attribute's value, "" when it has none.
func (n *mnode) get(name string) string {
	for i := range n.attrs {
		if n.attrs[i].Name == name {
			return n.attrs[i].Value
		}
	}
	return ""
}

func (n *mnode) del(name string) {
	n.attrs = slices.DeleteFunc(n.attrs, func(a wire.Attr) bool { return a.Name == name })
}

func (n *mnode) detach(k *mnode) {
	if i := slices.Index(n.kids, k); i >= 0 {
		n.kids = slices.Delete(n.kids, i, i+1)
	}
	k.parent = nil
}

func (n *mnode) insert(k, before *mnode) {
	k.parent = n
	if before != nil && before.parent == n {
		if i := slices.Index(n.kids, before); i >= 0 {
			n.kids = slices.Insert(n.kids, i, k)
			return
		}
	}
	n.kids = append(n.kids, k)
}

func (m *Mirror) keyframe(op *wire.Op) error {
	var d svgx.Doc
	if err := d.Parse(op.Text); err != nil {
		return fmt.Errorf("keyframe markup: %w", err)
	}
	if len(d.Elems) == 0 || d.Elems[0].Tag != "svg" {
		return fmt.Errorf("keyframe markup must be one <svg> element")
	}
	byID := map[string]*mnode{}
	all := make([]*mnode, len(d.Elems))
	for i, e := range d.Elems {
		if e.Parent < 0 && i > 0 {
			return fmt.Errorf("keyframe markup must be one <svg> element, found a second top-level <%s>", e.Tag)
		}
		n := &mnode{tag: e.Tag, text: e.Text}
		for _, a := range e.Attrs {
			if a.Name == "id" {
				n.id = a.Value
				byID[a.Value] = n
				continue
			}
			n.attrs = append(n.attrs, wire.Attr{Name: a.Name, Value: a.Value})
		}
		all[i] = n
		if e.Parent >= 0 {
			p := all[e.Parent]
			n.parent = p
			p.kids = append(p.kids, n)
		}
	}
	nodes := make(map[wire.Handle]*mnode, len(op.Table))
	for _, e := range op.Table {
		n := byID[e.ID]
		if n == nil {
			return fmt.Errorf("keyframe table: no element has id %q (handle %d)", e.ID, e.Node)
		}
		if e.Node == 0 || nodes[e.Node] != nil || n.h != 0 {
			return fmt.Errorf("keyframe table: handle %d for id %q is 0 or not unique", e.Node, e.ID)
		}
		n.h, n.mask = e.Node, e.Mask
		nodes[e.Node] = n
	}
	if all[0].h != wire.RootHandle {
		return fmt.Errorf("keyframe table: the <svg> root must have handle %d", wire.RootHandle)
	}
	m.root, m.nodes = all[0], nodes
	return nil
}

// Markup renders the scene as canonical markup: the id first, then the
// other attributes sorted by name, each element's own text before its
// children. Two mirrors holding the same DOM render the same bytes.
func (m *Mirror) Markup() string {
	if m.root == nil {
		return ""
	}
	return string(m.root.appendMarkup(nil, true))
}

func (n *mnode) appendMarkup(b []byte, sorted bool) []byte {
	attrs := make([]svgx.Attr, 0, len(n.attrs)+1)
	if n.id != "" {
		attrs = append(attrs, svgx.Attr{Name: "id", Value: n.id})
	}
	rest := len(attrs)
	for _, a := range n.attrs {
		attrs = append(attrs, svgx.Attr(a))
	}
	if sorted {
		slices.SortFunc(attrs[rest:], func(a, b svgx.Attr) int { return strings.Compare(a.Name, b.Name) })
	}
	leaf := n.text == "" && len(n.kids) == 0
	b = svgx.AppendStart(b, n.tag, attrs, leaf)
	if leaf {
		return b
	}
	b = svgx.AppendText(b, n.text)
	for _, k := range n.kids {
		b = k.appendMarkup(b, sorted)
	}
	return svgx.AppendEnd(b, n.tag)
}

// Dump is a test aid: the canonical markup followed by one line per handle
// with its id and mask, then the controls and the overlay. Two mirrors with
// equal Dumps hold the same state.
func (m *Mirror) Dump() string {
	var sb strings.Builder
	sb.WriteString(m.Markup())
	sb.WriteByte('\n')
	m.walk(func(n *mnode) {
		fmt.Fprintf(&sb, "%d %q mask=%d\n", n.h, n.id, n.mask)
	})
	for _, c := range m.controls {
		fmt.Fprintf(&sb, "control %q=%v\n", c.Name, c.Value)
	}
	if m.overlay != "" {
		fmt.Fprintf(&sb, "overlay %q\n", m.overlay)
	}
	return sb.String()
}

func (m *Mirror) walk(fn func(*mnode)) {
	var rec func(*mnode)
	rec = func(n *mnode) {
		if n.h != 0 {
			fn(n)
		}
		for _, k := range n.kids {
			rec(k)
		}
	}
	if m.root != nil {
		rec(m.root)
	}
}

// Keyframe returns a batch that brings a fresh client to the mirror's
// state: a keyframe, then the controls and the overlay if any. It returns
// nil before the first keyframe.
func (m *Mirror) Keyframe() *wire.Batch {
	if m.root == nil {
		return nil
	}
	kf := wire.Op{Code: wire.OpKeyframe, Text: string(m.root.appendMarkup(nil, false))}
	kf.Table = make([]wire.Entry, 0, len(m.nodes))
	m.walk(func(n *mnode) {
		kf.Table = append(kf.Table, wire.Entry{Node: n.h, ID: n.id, Mask: n.mask})
	})
	b := &wire.Batch{Seq: m.seq, Ops: []wire.Op{kf}}
	if m.controls != nil {
		b.Ops = append(b.Ops, wire.Op{Code: wire.OpControls, Controls: slices.Clone(m.controls)})
	}
	if m.overlay != "" {
		b.Ops = append(b.Ops, wire.Op{Code: wire.OpOverlay, Text: m.overlay})
	}
	return b
}

// Element is a copy of one element of a Mirror's DOM.
type Element struct {
	Tag    string
	ID     string      // "" if it has none
	Handle wire.Handle // 0 if it has none
	Attrs  []wire.Attr // in the order they were set; the id is not among them
	Text   string      // its own text, before its children
	Mask   wire.EventMask
}

// Attr returns the value of the attribute name, or "" and false.
func (e *Element) Attr(name string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n *mnode) element() Element {
	return Element{Tag: n.tag, ID: n.id, Handle: n.h, Attrs: slices.Clone(n.attrs), Text: n.text, Mask: n.mask}
}

// ByID returns the element with the given id, in document order the
// first if the markup has several.
func (m *Mirror) ByID(id string) (Element, bool) {
	var found *mnode
	m.walkAll(func(n *mnode) bool {
		if n.id == id {
			found = n
			return false
		}
		return true
	})
	if found == nil {
		return Element{}, false
	}
	return found.element(), true
}

// Elements calls fn for each element in document order, with or without
// a handle, until fn returns false.
func (m *Mirror) Elements(fn func(Element) bool) {
	m.walkAll(func(n *mnode) bool { return fn(n.element()) })
}

// walkAll calls fn for every element in document order until it returns
// false.
func (m *Mirror) walkAll(fn func(*mnode) bool) {
	var rec func(*mnode) bool
	rec = func(n *mnode) bool {
		if !fn(n) {
			return false
		}
		for _, k := range n.kids {
			if !rec(k) {
				return false
			}
		}
		return true
	}
	if m.root != nil {
		rec(m.root)
	}
}
