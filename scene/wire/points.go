package wire

import "bytes"

// MaxPointCount bounds the Count of an append-points or trim-points op:
// 2^31 − 1 items, more than any attribute holds.
const MaxPointCount = 1<<31 - 1

// A point list is an attribute's text read as items separated by single
// spaces ("" has none): the points of a polyline or polygon ("x,y x,y"),
// or the commands of a path built from points ("Mx,y Lx,y Lx,y"). The
// append-points and trim-points ops edit it; AppendPointsText and
// TrimPointsText are their effect on the text, which every applier (the
// scene, the mirror, the merger, the client) reproduces exactly.

// AppendPointsText returns the text v after an append-points op on the
// attribute name: its last drop items removed, then one item per point of
// xy appended, "X,Y" (numbers as AppendNum writes them), or "LX,Y" for
// the attribute d, where a point that becomes the first item is "MX,Y".
// v's bytes may be reused.
func AppendPointsText(v []byte, name string, drop int, xy []float32) []byte {
	v = dropLast(v, drop)
	d := name == "d"
	for i := 0; i+1 < len(xy); i += 2 {
		switch {
		case len(v) > 0:
			v = append(v, ' ')
			if d {
				v = append(v, 'L')
			}
		case d:
			v = append(v, 'M')
		}
		v = AppendNum(v, xy[i])
		v = append(v, ',')
		v = AppendNum(v, xy[i+1])
	}
	return v
}

// TrimPointsText returns the text v after a trim-points op on the
// attribute name: only its last keep items (all if it has fewer). In d,
// when items were removed, the new first item's L reads M (a path must
// start with a moveto). The result shares v's bytes.
func TrimPointsText(v []byte, name string, keep int) []byte {
	if keep <= 0 {
		return v[:0]
	}
	i := len(v)
	for range keep {
		i = bytes.LastIndexByte(v[:i], ' ')
		if i < 0 {
			return v
		}
	}
	return moveTo(v[i+1:], name)
}

// CountPoints is the number of items in a point list's text.
func CountPoints(v []byte) int {
	if len(v) == 0 {
		return 0
	}
	return bytes.Count(v, []byte{' '}) + 1
}

func dropLast(v []byte, drop int) []byte {
	for ; drop > 0 && len(v) > 0; drop-- {
		i := bytes.LastIndexByte(v, ' ')
		if i < 0 {
			return v[:0]
		}
		v = v[:i]
	}
	return v
}

// moveTo makes a path's first command a moveto: a trim leaves a lineto
// first, which would draw nothing.
func moveTo(v []byte, name string) []byte {
	if name == "d" && len(v) > 0 && v[0] == 'L' {
		v[0] = 'M'
	}
	return v
}

// PointsEdit is a run of append-points and trim-points ops on one
// attribute folded into one: keep the last Keep items (no trim when
// Keep < 0), then drop the last Drop, then append the points XY. Any
// run folds into this form without knowing the list it applies to, which
// is why the wire's trim keeps the last items rather than dropping the
// first ones: a merger that holds one PointsEdit per attribute stays as
// small as the list, however many frames a slow viewer skips. The zero
// value is not an identity; use NewPointsEdit.
type PointsEdit struct {
	Keep int
	Drop int
	XY   []float32 // owned by the edit: Append copies into it
}

// NewPointsEdit returns the edit that changes nothing.
func NewPointsEdit() PointsEdit { return PointsEdit{Keep: -1} }

// Append folds in an append-points op.
func (e *PointsEdit) Append(drop int, xy []float32) {
	n := len(e.XY) / 2
	if drop <= n {
		e.XY = append(e.XY[:2*(n-drop)], xy[:len(xy)&^1]...)
		return
	}
	e.Drop += drop - n
	e.XY = append(e.XY[:0], xy[:len(xy)&^1]...)
}

// Trim folds in a trim-points op. keepLast(k) after dropLast(r) is
// dropLast(r) after keepLast(k+r), which is what lets it move in front.
func (e *PointsEdit) Trim(keep int) {
	keep = max(keep, 0)
	n := len(e.XY) / 2
	if keep <= n {
		e.Keep, e.Drop = 0, 0
		e.XY = append(e.XY[:0], e.XY[2*(n-keep):]...)
		return
	}
	k := keep - n + e.Drop
	if e.Keep < 0 || k < e.Keep {
		e.Keep = k
	}
}

// Apply returns the text v after the edit.
func (e *PointsEdit) Apply(v []byte, name string) []byte {
	if e.Keep >= 0 {
		v = TrimPointsText(v, name, e.Keep)
	}
	return AppendPointsText(v, name, e.Drop, e.XY)
}

// AppendOps appends the ops that make the edit to node h's attribute
// name: a trim-points when Keep ≥ 0, then an append-points when there is
// something to drop or append, or no trim (an op on an absent attribute
// sets it, so an edit of nothing is still an op). The append-points op
// holds e.XY: do not edit e afterwards.
func (e *PointsEdit) AppendOps(ops []Op, h Handle, name string) []Op {
	if e.Keep >= 0 {
		ops = append(ops, Op{Code: OpTrimPoints, Node: h, Name: name, Count: e.Keep})
	}
	if e.Drop > 0 || len(e.XY) > 0 || e.Keep < 0 {
		ops = append(ops, Op{Code: OpAppendPoints, Node: h, Name: name, Count: e.Drop, XY: e.XY})
	}
	return ops
}
