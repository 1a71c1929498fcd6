package stream

import (
	"slices"

	"github.com/vizserve/vizserve/scene/wire"
)

// DefaultMergeLimit is the number of pending structural ops (create,
// remove, move) a Merger holds before it gives up and asks for a keyframe.
const DefaultMergeLimit = 1 << 14

// Merger holds one viewer's pending changes and merges every batch added
// to it with what is already pending, so a viewer that falls behind skips
// intermediate frames and its memory stays bounded by the size of the
// scene rather than by time:
//
//   - attribute values, text and event masks: the latest value per node and
//     attribute wins;
//   - structural ops (create, remove, move) are kept in order; a node both
//     created and removed while pending is dropped entirely when that is
//     safe (nothing else pending refers to it);
//   - overlay, stats, control definitions: latest wins; control values:
//     latest per control; asset changes: latest per asset name;
//   - a keyframe discards every pending scene op before it.
//
// When more than Limit structural ops are pending, the merger drops
// everything and reports overflow: its owner must then Add a keyframe.
//
// The merged batch applied to a client equals, as a DOM, applying every
// added batch in order (attribute order within an element may differ),
// provided no batch moves a node into its own subtree: package scene never
// does, and Relay drops such moves. The merger sees only pending ops, not
// the tree, so it notices such a move only among nodes created or moved
// while pending; it then keeps the op (every reader ignores it) without
// tracking it, and never loops.
//
// A Merger is not safe for concurrent use; a viewer's hub guards it with
// the viewer's lock.
type Merger struct {
	// Limit bounds the pending structural ops; 0 means DefaultMergeLimit.
	Limit int

	seq     uint64
	pending bool
	// raw holds the ops of exactly one batch, verbatim: the common case of a
	// viewer that keeps up costs one copy and no merging.
	raw      []wire.Op
	merged   bool
	overflow bool

	structural []wire.Op
	created    map[wire.Handle]int           // created while pending → index in structural
	parent     map[wire.Handle]wire.Handle   // created or moved while pending → current parent
	kids       map[wire.Handle][]wire.Handle // reverse of parent
	refs       map[wire.Handle][]int         // structural ops naming this handle as Parent or Before
	byNode     map[wire.Handle][]int         // structural ops about this handle
	nodes      map[wire.Handle]*pendNode
	order      []wire.Handle

	overlay  *string
	stats    *wire.Stats
	controls []wire.Control
	ctlDefs  bool
	values   []wire.Op
	assets   []wire.Op
	notices  []wire.Op // the last MaxNotices, in order
}

// MaxNotices bounds the notices a merged batch keeps: the latest ones.
const MaxNotices = 4

type attrKind uint8

const (
	akStr attrKind = iota
	akNum
	akTranslate
	akPose       // transform by set-pose
	akPoseScaled // transform by set-pose-scaled
	akDel
	akPoints // append-points and trim-points on a value not known here: edit
	akDone   // already emitted as half of a pair
)

type pendAttr struct {
	name         string
	kind         attrKind
	s            string
	x, y         float32
	angle, scale float32         // akPose, akPoseScaled
	edit         wire.PointsEdit // akPoints
}

// text is the attribute's value for a kind whose value is known.
func (a *pendAttr) text() string {
	switch a.kind {
	case akStr:
		return a.s
	case akNum:
		return wire.FormatNum(a.x)
	case akTranslate:
		return wire.FormatTranslate(a.x, a.y)
	case akPose:
		return wire.FormatPose(a.x, a.y, a.angle)
	case akPoseScaled:
		return wire.FormatPoseScaled(a.x, a.y, a.angle, a.scale)
	}
	return "" // akDel: the op sets the attribute from nothing
}

// points folds an append-points or trim-points op into the pending value
// of its attribute: it edits a value set while pending, which then goes
// whole, and otherwise joins the attribute's PointsEdit.
func (n *pendNode) points(op *wire.Op) {
	i := n.find(op.Name)
	if i < 0 {
		n.attrs = append(n.attrs, pendAttr{name: op.Name, kind: akPoints, edit: wire.NewPointsEdit()})
		i = len(n.attrs) - 1
	}
	a := &n.attrs[i]
	if a.kind == akPoints {
		if op.Code == wire.OpAppendPoints {
			a.edit.Append(op.Count, op.XY)
		} else {
			a.edit.Trim(op.Count)
		}
		return
	}
	v := []byte(a.text())
	if op.Code == wire.OpAppendPoints {
		v = wire.AppendPointsText(v, op.Name, op.Count, op.XY)
	} else {
		v = wire.TrimPointsText(v, op.Name, op.Count)
	}
	*a = pendAttr{name: op.Name, kind: akStr, s: string(v)}
}

type pendNode struct {
	attrs   []pendAttr
	text    string
	hasText bool
	mask    wire.EventMask
	hasMask bool
}

// Pending reports whether Take would return a batch.
func (m *Merger) Pending() bool { return m.pending }

// Overflowed reports whether the merger dropped its state and waits for a
// keyframe.
func (m *Merger) Overflowed() bool { return m.overflow }

func (m *Merger) limit() int {
	if m.Limit > 0 {
		return m.Limit
	}
	return DefaultMergeLimit
}

// Add merges b into the pending state. b is not retained, but the strings
// and slices inside its ops may be. Add reports false when the merger has
// overflowed (now or before) and needs a keyframe; batches added while it
// waits for one are dropped.
func (m *Merger) Add(b *wire.Batch) bool {
	if m.overflow && !b.IsKeyframe() {
		return false
	}
	m.overflow = false
	if b.Seq > m.seq {
		m.seq = b.Seq
	}
	if !m.pending {
		m.raw = append(m.raw[:0], b.Ops...)
		m.pending = true
		return true
	}
	m.pending = true
	if !m.merged {
		m.merged = true
		m.init()
		raw := m.raw
		m.raw = m.raw[:0]
		for i := range raw {
			m.op(&raw[i])
		}
		clear(raw)
	}
	for i := range b.Ops {
		m.op(&b.Ops[i])
	}
	if len(m.structural) > m.limit() {
		m.reset()
		m.overflow = true
		return false
	}
	return true
}

func (m *Merger) init() {
	if m.created == nil {
		m.created = map[wire.Handle]int{}
		m.parent = map[wire.Handle]wire.Handle{}
		m.kids = map[wire.Handle][]wire.Handle{}
		m.refs = map[wire.Handle][]int{}
		m.byNode = map[wire.Handle][]int{}
		m.nodes = map[wire.Handle]*pendNode{}
	}
}

func (m *Merger) resetScene() {
	clear(m.structural)
	m.structural = m.structural[:0]
	clear(m.created)
	clear(m.parent)
	clear(m.kids)
	clear(m.refs)
	clear(m.byNode)
	clear(m.nodes)
	m.order = m.order[:0]
}

func (m *Merger) reset() {
	m.resetScene()
	clear(m.raw)
	m.raw = m.raw[:0]
	m.merged = false
	m.pending = false
	m.overlay, m.stats, m.controls, m.ctlDefs = nil, nil, nil, false
	clear(m.values)
	m.values = m.values[:0]
	clear(m.assets)
	m.assets = m.assets[:0]
	clear(m.notices)
	m.notices = m.notices[:0]
}

func (m *Merger) node(h wire.Handle) *pendNode {
	n := m.nodes[h]
	if n == nil {
		n = &pendNode{}
		m.nodes[h] = n
		m.order = append(m.order, h)
	}
	return n
}

func (n *pendNode) set(a pendAttr) {
	for i := range n.attrs {
		if n.attrs[i].name == a.name {
			n.attrs[i] = a
			return
		}
	}
	n.attrs = append(n.attrs, a)
}

func (m *Merger) setParent(h, p wire.Handle) {
	if old, ok := m.parent[h]; ok {
		ks := m.kids[old]
		if i := slices.Index(ks, h); i >= 0 {
			m.kids[old] = slices.Delete(ks, i, i+1)
		}
	}
	m.parent[h] = p
	m.kids[p] = append(m.kids[p], h)
}

// within reports whether p is h or, as far as the tracked parents tell,
// below h.
func (m *Merger) within(p, h wire.Handle) bool {
	for range len(m.parent) + 1 {
		if p == h {
			return true
		}
		up, ok := m.parent[p]
		if !ok {
			return false
		}
		p = up
	}
	return false // unreachable while the tracked parents form a tree
}

// subtree lists h and the nodes tracked (created or moved while pending)
// below it.
func (m *Merger) subtree(h wire.Handle, dst []wire.Handle) []wire.Handle {
	dst = append(dst, h)
	for _, k := range m.kids[h] {
		dst = m.subtree(k, dst)
	}
	return dst
}

func (m *Merger) op(op *wire.Op) {
	switch op.Code {
	case wire.OpKeyframe:
		m.resetScene()
		m.structural = append(m.structural, *op)
	case wire.OpCreate, wire.OpMove:
		i := len(m.structural)
		if op.Code == wire.OpCreate {
			m.created[op.Node] = i
		}
		m.structural = append(m.structural, *op)
		// An op that would put a node inside itself is kept (the client
		// ignores it, as Mirror does) but not tracked: the tracked tree
		// stays a tree, so walking it ends.
		if !m.within(op.Parent, op.Node) {
			m.setParent(op.Node, op.Parent)
		}
		m.byNode[op.Node] = append(m.byNode[op.Node], i)
		m.refs[op.Parent] = append(m.refs[op.Parent], i)
		if op.Before != 0 {
			m.refs[op.Before] = append(m.refs[op.Before], i)
		}
	case wire.OpRemove:
		m.remove(op)
	case wire.OpSetAttr:
		m.node(op.Node).set(pendAttr{name: op.Name, kind: akStr, s: op.Text})
	case wire.OpDelAttr:
		m.node(op.Node).set(pendAttr{name: op.Name, kind: akDel})
	case wire.OpSetNum:
		m.node(op.Node).set(pendAttr{name: op.Name, kind: akNum, x: op.X})
	case wire.OpSetXY:
		n := m.node(op.Node)
		if op.Pair == wire.PairTranslate {
			n.set(pendAttr{name: "transform", kind: akTranslate, x: op.X, y: op.Y})
			return
		}
		a, b := op.Pair.Names()
		n.set(pendAttr{name: a, kind: akNum, x: op.X})
		n.set(pendAttr{name: b, kind: akNum, x: op.Y})
	case wire.OpSetPose:
		// A pose is the transform attribute's value: it replaces, and is
		// replaced by, any other op on transform.
		m.node(op.Node).set(pendAttr{name: "transform", kind: akPose, x: op.X, y: op.Y, angle: op.Angle})
	case wire.OpSetPoseScaled:
		m.node(op.Node).set(pendAttr{name: "transform", kind: akPoseScaled, x: op.X, y: op.Y, angle: op.Angle, scale: op.Scale})
	case wire.OpAppendPoints, wire.OpTrimPoints:
		m.node(op.Node).points(op)
	case wire.OpSetText:
		n := m.node(op.Node)
		n.text, n.hasText = op.Text, true
	case wire.OpListen:
		n := m.node(op.Node)
		n.mask, n.hasMask = op.Mask, true
	case wire.OpOverlay:
		s := op.Text
		m.overlay = &s
	case wire.OpStats:
		m.stats = op.Stats
	case wire.OpControls:
		m.controls, m.ctlDefs = op.Controls, true
		clear(m.values)
		m.values = m.values[:0]
	case wire.OpControlValue:
		m.values = latest(m.values, op)
	case wire.OpAsset:
		m.assets = latest(m.assets, op)
	case wire.OpNotice:
		if len(m.notices) == MaxNotices {
			m.notices = append(m.notices[:0], m.notices[1:]...)
		}
		m.notices = append(m.notices, *op)
	}
}

// latest replaces the op with op's Name in ops, or appends op.
func latest(ops []wire.Op, op *wire.Op) []wire.Op {
	for i := range ops {
		if ops[i].Name == op.Name {
			ops[i] = *op
			return ops
		}
	}
	return append(ops, *op)
}

func (m *Merger) remove(op *wire.Op) {
	h := op.Node
	sub := m.subtree(h, nil)
	// Cancelling is safe when every node of the subtree was created while
	// pending and no pending op outside the subtree names one of them (as
	// parent or insertion point): then dropping them all leaves every other
	// op meaning what it meant.
	_, safe := m.created[h]
	if safe {
		in := make(map[wire.Handle]bool, len(sub))
		for _, n := range sub {
			in[n] = true
		}
	check:
		for _, n := range sub {
			if _, ok := m.created[n]; !ok {
				safe = false
				break
			}
			for _, i := range m.refs[n] {
				if o := &m.structural[i]; o.Code != 0 && !in[o.Node] {
					safe = false
					break check
				}
			}
		}
	}
	if safe {
		for _, n := range sub {
			for _, i := range m.byNode[n] {
				m.structural[i].Code = 0 // cancelled
			}
		}
	} else {
		m.structural = append(m.structural, *op)
	}
	if p, ok := m.parent[h]; ok {
		ks := m.kids[p]
		if i := slices.Index(ks, h); i >= 0 {
			m.kids[p] = slices.Delete(ks, i, i+1)
		}
	}
	for _, n := range sub {
		delete(m.nodes, n)
		delete(m.created, n)
		delete(m.parent, n)
		delete(m.kids, n)
		delete(m.byNode, n)
		delete(m.refs, n)
	}
}

// Take moves the pending changes into dst as one batch (reusing dst.Ops)
// and reports whether there were any. The merger is then empty.
func (m *Merger) Take(dst *wire.Batch) bool {
	clear(dst.Ops)
	dst.Ops = dst.Ops[:0]
	if !m.pending {
		return false
	}
	dst.Seq = m.seq
	if !m.merged {
		dst.Ops = append(dst.Ops, m.raw...)
		m.reset()
		return true
	}
	for i := range m.structural {
		if m.structural[i].Code != 0 {
			dst.Ops = append(dst.Ops, m.structural[i])
		}
	}
	if m.ctlDefs {
		dst.Ops = append(dst.Ops, wire.Op{Code: wire.OpControls, Controls: m.controls})
	}
	dst.Ops = append(dst.Ops, m.values...)
	if m.overlay != nil {
		dst.Ops = append(dst.Ops, wire.Op{Code: wire.OpOverlay, Text: *m.overlay})
	}
	dst.Ops = append(dst.Ops, m.assets...)
	dst.Ops = append(dst.Ops, m.notices...)
	if m.stats != nil {
		dst.Ops = append(dst.Ops, wire.Op{Code: wire.OpStats, Stats: m.stats})
	}
	for _, h := range m.order {
		n := m.nodes[h]
		if n == nil {
			continue
		}
		dst.Ops = n.appendOps(dst.Ops, h)
		delete(m.nodes, h) // h may be listed twice in order
	}
	m.reset()
	return true
}

func (n *pendNode) appendOps(ops []wire.Op, h wire.Handle) []wire.Op {
	for i := range n.attrs {
		a := &n.attrs[i]
		switch a.kind {
		case akStr:
			ops = append(ops, wire.Op{Code: wire.OpSetAttr, Node: h, Name: a.name, Text: a.s})
		case akDel:
			ops = append(ops, wire.Op{Code: wire.OpDelAttr, Node: h, Name: a.name})
		case akTranslate:
			ops = append(ops, wire.Op{Code: wire.OpSetXY, Node: h, Pair: wire.PairTranslate, X: a.x, Y: a.y})
		case akPose:
			ops = append(ops, wire.Op{Code: wire.OpSetPose, Node: h, X: a.x, Y: a.y, Angle: a.angle})
		case akPoseScaled:
			ops = append(ops, wire.Op{Code: wire.OpSetPoseScaled, Node: h, X: a.x, Y: a.y, Angle: a.angle, Scale: a.scale})
		case akPoints:
			ops = a.edit.AppendOps(ops, h, a.name)
		case akNum:
			// Pair up x with y, cx with cy... into one compact SetXY.
			if p := wire.PairStartingWith(a.name); p != 0 {
				_, second := p.Names()
				if j := n.find(second); j > i && n.attrs[j].kind == akNum {
					ops = append(ops, wire.Op{Code: wire.OpSetXY, Node: h, Pair: p, X: a.x, Y: n.attrs[j].x})
					n.attrs[j].kind = akDone
					continue
				}
			}
			ops = append(ops, wire.Op{Code: wire.OpSetNum, Node: h, Name: a.name, X: a.x})
		}
	}
	if n.hasText {
		ops = append(ops, wire.Op{Code: wire.OpSetText, Node: h, Text: n.text})
	}
	if n.hasMask {
		ops = append(ops, wire.Op{Code: wire.OpListen, Node: h, Mask: n.mask})
	}
	return ops
}

func (n *pendNode) find(name string) int {
	for i := range n.attrs {
		if n.attrs[i].name == name {
			return i
		}
	}
	return -1
}
