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

/** What the grid keeps on a record. */
export interface Cellular {
  /** The record's box in the layer group's user space [x0, y0, x1, y1]; null: unknown (tested always). */
  bb: number[] | null;
  /** The cell the record is in (NONE, BIG or a key), and its index there. */
  cell: number;
  ci: number;
  /** Whether it waits in the grid's list of records to place again. */
  gd: boolean;
}

export const NONE = -1;
export const BIG = -2;

/** The most records a cell may hold at the size chosen before the grid is rebuilt. */
const CROWD = 64;

/**
 * A uniform grid over the boxes of a layer's records, in the layer
 * group's user space, so that an event tests only the records near the
 * pointer. A record is in the one cell that holds its box's top left
 * corner when the box is at most a cell wide and high (so a point's
 * records are in its cell or the three before it), else in a list of big
 * ones tested always. Moving a record costs a box and, when it leaves its
 * cell, a swap-remove and a push: O(1). Records wait in a list of dirty
 * ones until the next draw (which places moved circles as it draws them)
 * or event places them.
 */
export class Grid<R extends Cellular> {
  readonly cells = new Map<number, R[]>();
  readonly big: R[] = [];
  readonly dirty: R[] = [];
  /** Set when the cell size no longer fits the records: build again. */
  stale = false;
  n = 0;

  /** s: the cell's side. */
  constructor(readonly s: number) {}

  /** A cell size for these boxes: about the size of the larger records, and no fewer than ~1 record a cell. */
  static size(bbs: (number[] | null)[]): number {
    const ext: number[] = [];
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const b of bbs) {
      if (!b) continue;
      ext.push(Math.max(b[2]! - b[0]!, b[3]! - b[1]!));
      x0 = Math.min(x0, b[0]!);
      y0 = Math.min(y0, b[1]!);
      x1 = Math.max(x1, b[2]!);
      y1 = Math.max(y1, b[3]!);
    }
    if (!ext.length) return 64;
    ext.sort((a, b) => a - b);
    const p90 = ext[Math.floor(ext.length * 0.9)]!;
    const area = Math.max(1e-9, (x1 - x0) * (y1 - y0));
    const s = Math.max(p90 * 1.01, Math.sqrt(area / ext.length) * 2);
    return s > 0 && isFinite(s) ? s : 64;
  }

  touch(r: R): void {
    if (r.gd) return;
    r.gd = true;
    this.dirty.push(r);
  }

  private key(b: number[] | null): number {
    if (!b) return BIG;
    const s = this.s;
    if (b[2]! - b[0]! > s || b[3]! - b[1]! > s) return BIG;
    const ix = Math.floor(b[0]! / s), iy = Math.floor(b[1]! / s);
    if (!(ix > -32768 && ix < 32767 && iy > -32768 && iy < 32767)) return BIG;
    return (ix + 32768) * 65536 + (iy + 32768);
  }

  /** Puts r (its bb set) in its cell. */
  place(r: R): void {
    const k = this.key(r.bb);
    if (k === r.cell) return;
    this.unlink(r);
    let a: R[] | undefined;
    if (k === BIG) a = this.big;
    else {
      a = this.cells.get(k);
      if (!a) this.cells.set(k, (a = []));
      else if (a.length >= CROWD) this.stale = true;
    }
    r.cell = k;
    r.ci = a.length;
    a.push(r);
    this.n++;
    if (this.big.length > 64 && this.big.length * 4 > this.n) this.stale = true;
  }

  /** Takes r out of the grid. */
  unlink(r: R): void {
    if (r.cell === NONE) return;
    const a = r.cell === BIG ? this.big : this.cells.get(r.cell);
    if (a) {
      const last = a.pop()!;
      if (last !== r) {
        a[r.ci] = last;
        last.ci = r.ci;
      }
      if (!a.length && r.cell !== BIG) this.cells.delete(r.cell);
    }
    r.cell = NONE;
    this.n--;
  }

  /** The records whose box holds (x, y), in no particular order. */
  near(x: number, y: number, out: R[]): R[] {
    const s = this.s;
    const ix = Math.floor(x / s), iy = Math.floor(y / s);
    const add = (a: R[] | undefined) => {
      if (!a) return;
      for (const r of a) {
        const b = r.bb;
        if (!b || (x >= b[0]! && x <= b[2]! && y >= b[1]! && y <= b[3]!)) out.push(r);
      }
    };
    for (let dx = -1; dx <= 0; dx++) {
      for (let dy = -1; dy <= 0; dy++) {
        const jx = ix + dx, jy = iy + dy;
        if (jx > -32768 && jx < 32767 && jy > -32768 && jy < 32767) add(this.cells.get((jx + 32768) * 65536 + (jy + 32768)));
      }
    }
    add(this.big);
    return out;
  }
}
