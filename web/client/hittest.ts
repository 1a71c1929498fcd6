// Which nodes a pointer event goes through, when canvas layers may be
// drawn over its DOM target. A layer's foreignObject takes no pointer
// events, so the browser's target is the topmost DOM element under the
// pointer; a record drawn at that point in a layer that paints above that
// element (later in document order) is the real target. From there the
// path goes up the records to the layer's group and on up the DOM, as a
// DOM event's path goes from its target: input.ts walks it for the
// first node that wants the event.

import { type Rec, isRec } from "./canvas";
import type { Node, Scene } from "./scene";

const FOLLOWING = 4; // Node.DOCUMENT_POSITION_FOLLOWING

/** The topmost record at client (cx, cy) drawn above the DOM target t, if any. */
export function hitRecord(scene: Scene, t: EventTarget | null, cx: number, cy: number): Rec | null {
  const c = scene.canvas;
  if (!c.layers.size) return null;
  const te = t instanceof Element ? t : null;
  for (const l of c.topmost()) {
    if (te && te !== l.g && !(te.compareDocumentPosition(l.g) & FOLLOWING)) continue;
    const m = l.screen();
    if (!m) continue;
    const det = m[0] * m[3] - m[1] * m[2];
    if (!det) continue;
    const dx = cx - m[4], dy = cy - m[5];
    const x = (m[3] * dx - m[2] * dy) / det;
    const y = (m[0] * dy - m[1] * dx) / det;
    const r = l.hit(x, y);
    if (r) return r;
  }
  return null;
}

/**
 * The nodes from the event's target up to the scene's root, innermost
 * first: from rec (a hit or captured record) if given, else from the DOM
 * element t. stop ends the walk (the view element).
 */
export function eventPath(scene: Scene, t: EventTarget | null, rec: Rec | null, stop: Element): Node[] {
  const out: Node[] = [];
  let el: Element | null = t as Element | null;
  if (rec) {
    for (let r: Rec | null = rec; r; r = r.parent) if (r.h && scene.nodes.get(r.h) === r) out.push(r);
    el = rec.layer.g;
  }
  const root = scene.root;
  for (; el; el = el.parentElement) {
    const n = scene.node(el);
    if (n) out.push(n);
    if (el === root || el === stop) break;
  }
  return out;
}

export { isRec, type Rec };
