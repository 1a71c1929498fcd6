// Browser events → protocol events. Listeners sit on the view element (and
// the document, for keys); each event goes to the first element on the
// target's path whose mask asks for it, so nothing is sent that no handler
// in the simulation wants. The view's own gestures (pan, zoom, reset, HUD)
// use buttons and keys that simulations rarely need: see docs/client.md.

import {
  EV_CLICK, EV_DBLCLICK, EV_DOWN, EV_ENTER, EV_KEYDOWN, EV_KEYUP, EV_LEAVE, EV_MOVE, EV_UP,
  M_CAPTURE, M_CLICK, M_DBLCLICK, M_DOWN, M_HOVER, M_KEYDOWN, M_KEYUP, M_MOVE, M_UP, M_WHEEL, fmtNum,
} from "./wire";
import { type Node, type Scene, setAttr } from "./scene";
import { type Rec, eventPath, hitRecord, isRec } from "./hittest";
import type { View } from "./view";

/** What Input needs from the client. */
export interface Sink {
  pointer(kind: number, n: Node, cx: number, cy: number, button: number, buttons: number, mods: number, id: number): void;
  wheel(n: Node, cx: number, cy: number, dx: number, dy: number, mods: number): void;
  key(kind: number, n: Node, key: string, code: string, mods: number, repeat: boolean): void;
  /** Presses the control button bound to key; reports whether there was one. */
  pressKey(key: string): boolean;
  /** Runs the run command bound to key ("." step, "[" "]" speed); reports whether there was one. */
  runKey(key: string): boolean;
  /** Space pressed and released without a pan: play/pause; reports whether it did. */
  spaceTap(): boolean;
  toggleHUD(): void;
  wake(): void;
}

interface Move {
  n: Node;
  x: number;
  y: number;
  buttons: number;
  mods: number;
}

/**
 * A drag the client predicts: the node follows the pointer at once, from
 * where it was when the drag began, and the sim's writes of its position
 * wait while the pointer moves. The sim's answer wins: its latest
 * position is written in the first frame the pointer rests and when the
 * drag ends (if the sim sent none, the position from before the drag, so
 * a drag the sim does not answer with a move leaves the node where it
 * was).
 */
interface Predicted {
  n: Node;
  id: number; // pointer
  ax: string; // the attributes of the position: cx/cy, x/y, or transform for translate
  ay: string;
  x0: number; // the position when the drag began
  y0: number;
  m: DOMMatrix; // client → the position's coordinates
  px: number; // the pointer then, in those coordinates
  py: number;
  moved: boolean; // the pointer moved since the last frame began
  keep: boolean; // it had moved when this frame began: the sim's writes wait
  followed: boolean; // the node was moved by the prediction
  sim: Map<string, string | null>; // the sim's position: its values before the drag, then its writes
  answered: boolean; // the sim wrote the position since the last release
}

const TRANSLATE = /^translate\((-?[\d.]+),(-?[\d.]+)\)$/;

/** Where a drag of el can be predicted: which attributes hold its position, in which coordinates. */
function positionOf(el: Element): { ax: string; ay: string; x: number; y: number; space: Element } | null {
  const num = (a: string) => {
    const v = el.getAttribute(a);
    const f = v === null ? 0 : +v;
    return Number.isFinite(f) ? f : NaN;
  };
  let ax: string, ay: string;
  switch (el.localName) {
    case "circle":
    case "ellipse":
      ax = "cx";
      ay = "cy";
      break;
    case "rect":
    case "image":
    case "use":
    case "text":
    case "foreignObject":
      ax = "x";
      ay = "y";
      break;
    default: {
      // A translate the sim sets (set-xy pair 7), or none yet.
      const t = el.getAttribute("transform");
      const m = t === null ? ["", "0", "0"] : TRANSLATE.exec(t);
      const parent = el.parentElement;
      if (!m || !parent) return null;
      return { ax: "transform", ay: "", x: +m[1]!, y: +m[2]!, space: parent };
    }
  }
  const x = num(ax), y = num(ay);
  if (Number.isNaN(x) || Number.isNaN(y)) return null;
  return { ax, ay, x, y, space: el };
}

/** Modifier bits of the protocol: Shift, Ctrl, Alt, Meta. */
function mods(e: MouseEvent | KeyboardEvent): number {
  return (e.shiftKey ? 1 : 0) | (e.ctrlKey ? 2 : 0) | (e.altKey ? 4 : 0) | (e.metaKey ? 8 : 0);
}

function pid(e: MouseEvent): number {
  return "pointerId" in e ? Math.max(0, (e as PointerEvent).pointerId) : 1;
}

// Keys a focused form control uses itself are not scene keys: all of them
// in text fields, arrows and the like on a slider, Space and Enter on a
// button or checkbox.
function taken(t: EventTarget | null, key: string): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.localName) return false;
  if (el.isContentEditable || el.localName === "textarea" || el.localName === "select") return true;
  const type = el.localName === "input" ? (el as HTMLInputElement).type : el.localName;
  switch (type) {
    case "range":
      return /^(Arrow|Page|Home$|End$)/.test(key);
    case "button":
    case "submit":
    case "reset":
    case "checkbox":
    case "radio":
    case "summary":
    case "a":
      return key === " " || key === "Enter";
  }
  return el.localName === "input";
}

export class Input {
  private moves = new Map<number, Move>();
  private drag: Predicted | null = null;
  private hovered = new Map<number, Node[]>();
  private pan: { id: number; x: number; y: number; moved: boolean } | null = null;
  private space = false;
  private spaceTap = false; // Space is down, may be a play/pause tap
  private noClick = false;
  /** Keys whose down was used by the client; their up is not sent either. */
  private used = new Set<string>();
  /** Pointers captured by canvas records (pointer id → record); the view holds the DOM capture. */
  private caps = new Map<number, Rec>();

  constructor(
    private readonly scene: Scene,
    private readonly view: View,
    private readonly out: Sink,
  ) {
    const v = view.el;
    v.addEventListener("pointerdown", (e) => this.down(e));
    v.addEventListener("pointermove", (e) => this.move(e));
    v.addEventListener("pointerup", (e) => this.up(e));
    v.addEventListener("pointercancel", (e) => this.up(e));
    v.addEventListener("lostpointercapture", (e) => this.caps.delete(e.pointerId));
    v.addEventListener("click", (e) => this.click(e, EV_CLICK, M_CLICK));
    v.addEventListener("dblclick", (e) => this.click(e, EV_DBLCLICK, M_DBLCLICK));
    v.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    v.addEventListener("pointerover", (e) => this.over(e));
    v.addEventListener("pointerout", (e) => this.out_(e));
    v.addEventListener("contextmenu", (e) => {
      if (this.find(e, M_DOWN | M_UP | M_CLICK)) e.preventDefault();
    });
    // Middle-button autoscroll would take the drag.
    v.addEventListener("mousedown", (e) => {
      if (e.button === 1) e.preventDefault();
    });
    document.addEventListener("keydown", (e) => this.keydown(e));
    document.addEventListener("keyup", (e) => this.keyup(e));
    window.addEventListener("blur", () => {
      this.space = false;
      this.used.clear();
    });
  }

  /** Forgets what refers to the old scene (after a keyframe). */
  reset(): void {
    this.moves.clear();
    this.hovered.clear();
    this.caps.clear();
    this.drag = null;
    this.scene.hold = null;
  }

  /** Sends the pointer moves coalesced since the last frame. */
  flush(): void {
    for (const id of Array.from(this.moves.keys())) this.flushMove(id);
    const d = this.drag;
    if (d) {
      d.keep = d.moved;
      d.moved = false;
      if (!d.keep) this.release(d); // the pointer rests: the sim's answer wins
    }
  }

  /** Starts predicting a drag of n by pointer id from the client point (cx, cy). */
  private predict(n: Node, id: number, cx: number, cy: number): void {
    this.endDrag();
    const p = positionOf(n.el);
    const ctm = p && (p.space as SVGGraphicsElement).getScreenCTM?.();
    if (!p || !ctm) return;
    const m = ctm.inverse();
    const q = new DOMPoint(cx, cy).matrixTransform(m);
    const was: [string | null, string | null] = [n.el.getAttribute(p.ax), p.ay ? n.el.getAttribute(p.ay) : null];
    const d: Predicted = {
      n, id, ax: p.ax, ay: p.ay, x0: p.x, y0: p.y, m, px: q.x, py: q.y, moved: false, keep: false, followed: false, sim: new Map(), answered: false,
    };
    d.sim.set(p.ax, was[0]);
    if (p.ay) d.sim.set(p.ay, was[1]);
    this.drag = d;
    this.scene.hold = (node, name, v) => {
      if (node !== d.n || (name !== d.ax && name !== d.ay)) return false;
      d.sim.set(name, v);
      d.answered = true;
      return d.keep || d.moved;
    };
  }

  /** Moves the predicted node to follow the pointer. */
  private follow(d: Predicted, cx: number, cy: number): void {
    const q = new DOMPoint(cx, cy).matrixTransform(d.m);
    const x = fmtNum(Math.fround(d.x0 + q.x - d.px));
    const y = fmtNum(Math.fround(d.y0 + q.y - d.py));
    d.moved = d.followed = true;
    if (d.ay) {
      setAttr(d.n.el, d.ax, x);
      setAttr(d.n.el, d.ay, y);
    } else {
      setAttr(d.n.el, d.ax, `translate(${x},${y})`);
    }
  }

  /** Writes the sim's position, both attributes, once it has answered (or the drag ends). */
  private release(d: Predicted, end = false): void {
    if (!d.answered && !(end && d.followed)) return;
    d.answered = false;
    for (const [name, v] of d.sim) {
      if (v === null) d.n.el.removeAttribute(name);
      else setAttr(d.n.el, name, v);
    }
  }

  private endDrag(): void {
    const d = this.drag;
    if (!d) return;
    this.drag = null;
    this.scene.hold = null;
    // Without an answer for the last moves the sim's position is the one
    // from before, until it answers.
    this.release(d, true);
  }

  private flushMove(id: number): void {
    const m = this.moves.get(id);
    if (!m) return;
    this.moves.delete(id);
    this.out.pointer(EV_MOVE, m.n, m.x, m.y, 0, m.buttons, m.mods, id);
  }

  /** The first node from the event's target up to the root that wants one of the bits. */
  private find(e: MouseEvent, bits: number): Node | undefined {
    for (const n of this.path(e, e.target)) if (n.mask & bits) return n;
    return undefined;
  }

  // The event's path, innermost first: from the record that captured the
  // pointer, or the record drawn topmost under it on a canvas layer
  // (hittest.ts), or else from the DOM target t.
  private path(e: MouseEvent, t: EventTarget | null): Node[] {
    return eventPath(this.scene, t, this.hit(e, t), this.view.el);
  }

  // The record an event is for, if any; the last event's answer is kept,
  // since a move asks for hover, the move itself and the cursor.
  private hitFor: MouseEvent | null = null;
  private hitRec: Rec | null = null;
  private hit(e: MouseEvent, t: EventTarget | null): Rec | null {
    const c = this.caps.get(pid(e));
    if (c) return c;
    if (!this.scene.canvas.layers.size) return null;
    if (this.hitFor === e) return this.hitRec;
    const held = t instanceof Element && "pointerId" in e && t.hasPointerCapture((e as PointerEvent).pointerId);
    this.hitFor = e;
    this.hitRec = held ? null : hitRecord(this.scene, t, e.clientX, e.clientY);
    return this.hitRec;
  }

  private send(kind: number, n: Node, e: MouseEvent): void {
    this.out.pointer(kind, n, e.clientX, e.clientY, Math.max(0, e.button + 1), e.buttons, mods(e), pid(e));
  }

  private down(e: PointerEvent): void {
    this.noClick = false;
    if (e.button === 1 || (e.button === 0 && this.space)) {
      this.spaceTap = false; // Space held for a pan is not a tap
      e.preventDefault();
      this.pan = { id: e.pointerId, x: e.clientX, y: e.clientY, moved: false };
      try {
        this.view.el.setPointerCapture(e.pointerId);
      } catch {
        // The pointer is gone already; the pan ends with it.
      }
      return;
    }
    this.flushMove(e.pointerId);
    const n = this.find(e, M_DOWN);
    if (n) this.send(EV_DOWN, n, e);
    const c = this.find(e, M_CAPTURE);
    if (c) {
      try {
        if (isRec(c)) {
          this.view.el.setPointerCapture(e.pointerId);
          this.caps.set(e.pointerId, c);
        } else c.el.setPointerCapture(e.pointerId);
      } catch {
        // As above.
      }
      // Canvas records are drawn from the sim's values: no prediction.
      if (e.button === 0 && c.mask & M_MOVE && !isRec(c)) this.predict(c, e.pointerId, e.clientX, e.clientY);
    }
  }

  private move(e: PointerEvent): void {
    const p = this.pan;
    if (p && p.id === e.pointerId) {
      this.view.panBy(e.clientX - p.x, e.clientY - p.y);
      p.x = e.clientX;
      p.y = e.clientY;
      p.moved = true;
      return;
    }
    if (this.scene.canvas.layers.size) {
      this.hover(e, e.target); // records have no over and out
      // Nor a cursor of their own: the view shows the one of the record under the pointer.
      const r = this.hit(e, e.target);
      const cur = r && r.st && r.st.cursor !== "auto" ? r.st.cursor : "";
      if (this.view.el.style.cursor !== cur) this.view.el.style.cursor = cur;
    }
    const n = this.find(e, M_MOVE);
    if (!n) return;
    this.moves.set(e.pointerId, { n, x: e.clientX, y: e.clientY, buttons: e.buttons, mods: mods(e) });
    const d = this.drag;
    if (d && d.id === e.pointerId && d.n === n) this.follow(d, e.clientX, e.clientY);
    this.out.wake();
  }

  private up(e: PointerEvent): void {
    const p = this.pan;
    if (p && p.id === e.pointerId) {
      this.pan = null;
      this.noClick = p.moved;
      return;
    }
    this.flushMove(e.pointerId);
    const n = this.find(e, M_UP);
    if (n) this.send(EV_UP, n, e);
    this.caps.delete(e.pointerId);
    if (this.drag && this.drag.id === e.pointerId) this.endDrag();
  }

  private click(e: MouseEvent, kind: number, bit: number): void {
    if (this.noClick) {
      this.noClick = false;
      return;
    }
    this.flushMove(pid(e));
    const n = this.find(e, bit);
    if (n) this.send(kind, n, e);
    else if (kind === EV_DBLCLICK) this.view.reset(); // on background nobody handles
  }

  private wheel(e: WheelEvent): void {
    const k = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? window.innerHeight : 1;
    if (e.ctrlKey || e.metaKey) {
      // Zoom (also what a trackpad pinch sends).
      e.preventDefault();
      this.view.zoomAt(e.clientX, e.clientY, Math.exp(-e.deltaY * k * 0.002));
      return;
    }
    const n = this.find(e, M_WHEEL);
    if (!n) return;
    e.preventDefault();
    this.out.wheel(n, e.clientX, e.clientY, e.deltaX * k, e.deltaY * k, mods(e));
  }

  // Hover does not bubble: an element is entered when the pointer comes
  // into its subtree, and left when it goes out of it.
  private hover(e: PointerEvent, t: EventTarget | null): void {
    const id = e.pointerId;
    const next: Node[] = [];
    const root = this.scene.root;
    if (root && t instanceof Element && root.contains(t)) {
      for (const n of this.path(e, t)) if (n.mask & M_HOVER) next.push(n);
    }
    const prev = this.hovered.get(id) || [];
    if (next.length) this.hovered.set(id, next);
    else this.hovered.delete(id);
    const left = prev.filter((n) => !next.includes(n));
    const entered = next.filter((n) => !prev.includes(n)).reverse();
    if (!left.length && !entered.length) return;
    this.flushMove(id);
    for (const n of left) this.send(EV_LEAVE, n, e);
    for (const n of entered) this.send(EV_ENTER, n, e);
  }

  private over(e: PointerEvent): void {
    this.hover(e, e.target);
  }

  private out_(e: PointerEvent): void {
    const to = e.relatedTarget as Element | null;
    const root = this.scene.root;
    if (!to || !root || !root.contains(to)) this.hover(e, null);
  }

  // The key's target: the focused element if it wants the key, else the
  // root if it does.
  private keyTarget(bit: number): Node | undefined {
    const a = document.activeElement;
    const n = a ? this.scene.node(a) : undefined;
    if (n && n.mask & bit) return n;
    const r = this.scene.rootNode();
    return r && r.mask & bit ? r : undefined;
  }

  private keydown(e: KeyboardEvent): void {
    if (taken(e.target, e.key) || e.isComposing) return;
    if (e.key === " ") this.space = true;
    const plain = !e.ctrlKey && !e.metaKey && !e.altKey;
    if (plain && (e.code === "Backquote" || e.key === "`" || e.key === "~")) {
      // ` toggles the HUD, Shift+` (~) resets the view.
      if (e.shiftKey) this.view.reset();
      else if (!e.repeat) this.out.toggleHUD();
      this.used.add(e.code || e.key);
      e.preventDefault();
      return;
    }
    if (plain && !e.repeat && this.out.pressKey(e.key)) {
      this.used.add(e.code || e.key);
      e.preventDefault();
      return;
    }
    const n = this.keyTarget(M_KEYDOWN);
    // Run keys, when the scene does not take keys itself: its own bindings win.
    if (!n && plain && !e.shiftKey && e.key === " ") {
      if (!e.repeat) this.spaceTap = true;
      e.preventDefault(); // no page scroll
      return;
    }
    if (!n && plain && this.out.runKey(e.key)) {
      this.used.add(e.code || e.key);
      e.preventDefault();
      return;
    }
    if (!n) return;
    this.out.key(EV_KEYDOWN, n, e.key, e.code, mods(e), e.repeat);
    if (!e.ctrlKey && !e.metaKey && e.key !== "Tab" && !/^F\d+$/.test(e.key)) e.preventDefault();
  }

  private keyup(e: KeyboardEvent): void {
    if (e.key === " ") {
      this.space = false;
      const tap = this.spaceTap;
      this.spaceTap = false;
      if (tap && this.out.spaceTap()) return;
    }
    if (this.used.delete(e.code || e.key)) return;
    if (taken(e.target, e.key)) return;
    const n = this.keyTarget(M_KEYUP);
    if (n) this.out.key(EV_KEYUP, n, e.key, e.code, mods(e), false);
  }
}
