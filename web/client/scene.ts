// The live scene: the root <svg> element, the handle table, and the
// application of scene ops to the DOM through cached element references.

import {
  type Entry, type Op, OP_CREATE, OP_DEL_ATTR, OP_KEYFRAME, OP_LISTEN, OP_MOVE,
  OP_REMOVE, OP_SET_ATTR, OP_SET_NUM, OP_SET_TEXT, OP_SET_XY, PAIRS, PAIR_TRANSLATE, fmtNum,
  OP_SET_POSE, OP_SET_POSE_SCALED, fmtPose, OP_APPEND_POINTS, OP_TRIM_POINTS, appendPoints, trimPoints, countPoints,
} from "./wire";
import { Canvas, isRec } from "./canvas";

export const SVG_NS = "http://www.w3.org/2000/svg";
export const XLINK_NS = "http://www.w3.org/1999/xlink";
export const XHTML_NS = "http://www.w3.org/1999/xhtml";
const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS = "http://www.w3.org/2000/xmlns/";

/** An element with a handle. */
export interface Node {
  readonly el: Element;
  readonly h: number;
  mask: number;
}

/** A batch that cannot be applied: the connection must close (1007). */
export class ApplyError extends Error {}

function nsOf(name: string): string | null {
  const i = name.indexOf(":");
  if (i < 0) return null;
  switch (name.slice(0, i)) {
    case "xlink":
      return XLINK_NS;
    case "xml":
      return XML_NS;
    case "xmlns":
      return XMLNS_NS;
  }
  return null;
}

// A javascript: URL would run code when followed; nothing from the wire
// is ever evaluated. URL parsing drops control characters and spaces, so
// they are dropped here too before looking.
function isScriptURL(v: string): boolean {
  return /^javascript:/i.test(v.replace(/[\u0000-\u0020]/g, ""));
}

export function setAttr(el: Element, name: string, v: string): void {
  if (name.endsWith("href") && isScriptURL(v)) return;
  const ns = nsOf(name);
  if (ns) el.setAttributeNS(ns, name, v);
  else el.setAttribute(name, v);
}

function delAttr(el: Element, name: string): void {
  const ns = nsOf(name);
  if (ns) el.removeAttributeNS(ns, name.slice(name.indexOf(":") + 1));
  else el.removeAttribute(name);
}

/** Sets an element's own text: the text node that is its first child. */
function setText(el: Element, text: string): void {
  const f = el.firstChild;
  if (f && (f.nodeType === 3 || f.nodeType === 4)) (f as Text).data = text;
  else if (text !== "") el.insertBefore(el.ownerDocument.createTextNode(text), f);
}

// Keyframe markup is produced by our own encoder, but a scene may embed
// svgo output; drop what would run code once in the document.
function sanitize(root: Element): void {
  const all = [root, ...Array.from(root.getElementsByTagName("*"))];
  for (const el of all) {
    if (el.localName === "script") {
      el.remove();
      continue;
    }
    for (const a of Array.from(el.attributes)) {
      if (/^on/i.test(a.localName) || (a.localName === "href" && isScriptURL(a.value))) {
        el.removeAttributeNode(a);
      }
    }
  }
}

/** The name under which a held write sets an element's text. */
const TEXT = "\u0000text";

/**
 * A value to write: a string, null (remove the attribute), a number of
 * set-num or set-xy, or the pair of a translate. Numbers are formatted
 * only when they are written, so that merged batches format each value
 * once, not once per batch.
 */
type Held = string | null | number | Translate;

class Translate {
  constructor(readonly x: number, readonly y: number) {}
}

function text(v: Held): string | null {
  if (typeof v === "number") return fmtNum(v);
  if (v instanceof Translate) return `translate(${fmtNum(v.x)},${fmtNum(v.y)})`;
  return v;
}

export class Scene {
  /** Handle → node. */
  nodes = new Map<number, Node>();
  /** Element → node, for events: walk up from the event target. */
  byEl = new WeakMap<Element, Node>();
  /** The number of items of the point lists edited, by attribute name and handle, with the text it counts. */
  private lengths = new Map<string, { v: string; n: number }>();
  /** Whether a keyframe has been applied since the last reset. */
  ready = false;
  /** The groups drawn on canvases, and their records (canvas.ts). */
  readonly canvas = new Canvas();

  /**
   * @param view the element that holds the scene's root <svg>
   * @param root the root shown now (server-rendered), if any
   * @param onRoot called after a keyframe replaced the root
   */
  constructor(
    private readonly view: Element,
    public root: Element | null,
    private readonly onRoot: (root: Element) => void,
  ) {}

  /** Forget the handle table (a new connection waits for its keyframe). */
  reset(): void {
    this.nodes = new Map();
    this.lengths.clear();
    this.byEl = new WeakMap();
    this.ready = false;
  }

  /** The node for an element (null if it has no handle). */
  node(el: Element): Node | undefined {
    return this.byEl.get(el);
  }

  /** The root's node, once a keyframe has arrived. */
  rootNode(): Node | undefined {
    return this.nodes.get(1);
  }

  /**
   * Values held while merging: attribute name (or TEXT) → handle → the
   * latest value the batches gave it (null: remove the attribute). Keyed
   * by name first so that holding a value builds no string.
   */
  private held: Map<string, Map<number, Held>> | null = null;

  /**
   * Starts merging: until endMerge, ops that set values (attributes,
   * coordinate pairs, texts) only record the latest value of each
   * attribute instead of writing it. Ops that change the tree write the
   * held values first, so every op still meets the document the batches
   * describe. A page that takes several batches in one animation frame
   * writes each value once, not once per batch.
   */
  beginMerge(): void {
    this.held = new Map();
  }

  /** Writes the held values and stops merging. */
  endMerge(): void {
    this.flushHeld();
    this.held = null;
  }

  /** Stops merging and forgets the held values (the batch failed). */
  dropMerge(): void {
    this.held = null;
  }

  private flushHeld(): void {
    const held = this.held;
    if (!held) return;
    for (const [name, byHandle] of held) {
      for (const [h, v] of byHandle) this.write(h, name, v);
    }
    held.clear();
  }

  /** Sets an attribute (null: removes it) or, for TEXT, the text. */
  private put(h: number, name: string, v: Held): void {
    const held = this.held;
    const n = held && this.canvas.layers.size ? this.nodes.get(h) : undefined;
    // Records are written at once: there is no DOM work to save by holding.
    if (!held || (n && isRec(n))) {
      this.write(h, name, v);
      return;
    }
    let byHandle = held.get(name);
    if (!byHandle) {
      byHandle = new Map();
      held.set(name, byHandle);
    }
    byHandle.set(h, v);
  }

  /**
   * Set by Input while it predicts a drag: it sees the scene's writes of
   * attributes first and returns true for those it keeps for later (the
   * dragged node's position while the pointer moves).
   */
  hold: ((n: Node, name: string, v: string | null) => boolean) | null = null;

  /**
   * The text an attribute has for the ops so far: the value held while
   * merging, else the record's or the element's ("" when it has none);
   * undefined for an unknown handle. A point-list edit applies to it.
   */
  private current(h: number, name: string): string | undefined {
    const n = this.nodes.get(h);
    if (!n) return undefined;
    const held = this.held?.get(name);
    if (held?.has(h)) return text(held.get(h)!) ?? "";
    if (isRec(n)) {
      const v = n.attrs.get(name);
      return typeof v === "number" ? fmtNum(v) : v ?? "";
    }
    return n.el.getAttribute(name) ?? "";
  }

  private write(h: number, name: string, v: Held): void {
    const n = this.nodes.get(h);
    if (!n) return;
    if (isRec(n)) {
      if (name === TEXT) n.setText(text(v) ?? "");
      else n.set(name, v instanceof Translate ? text(v) : v);
      return;
    }
    const s = text(v);
    if (this.hold && name !== TEXT && this.hold(n, name, s)) return;
    if (name === TEXT) setText(n.el, s ?? "");
    else if (s === null) delAttr(n.el, name);
    else setAttr(n.el, name, s);
  }

  /** Applies one scene op; throws ApplyError for an invalid keyframe or create. */
  apply(op: Op): void {
    if (this.held) {
      // A keyframe replaces every element the held values belong to.
      if (op.c === OP_KEYFRAME) this.held.clear();
      else if (op.c === OP_CREATE || op.c === OP_REMOVE || op.c === OP_MOVE) this.flushHeld();
    }
    switch (op.c) {
      case OP_KEYFRAME:
        this.keyframe(op.markup, op.table);
        return;
      case OP_CREATE: {
        if (this.nodes.has(op.h)) throw new ApplyError(`create: handle ${op.h} is already live`);
        const p = this.nodes.get(op.parent);
        if (!p) return;
        // A script element would run its text; nothing from the wire runs.
        if (op.tag.slice(op.tag.indexOf(":") + 1).toLowerCase() === "script") return;
        if (this.canvas.create(op.h, op.tag, op.mask, op.attrs, op.text, p, op.before, this.nodes, op.id)) return;
        const el = document.createElementNS(SVG_NS, op.tag);
        el.setAttribute("id", op.id);
        const a = op.attrs;
        for (let i = 0; i < a.length; i += 2) setAttr(el, a[i]!, a[i + 1]!);
        if (op.text !== "") setText(el, op.text);
        this.insert(p.el, el, op.before);
        const n: Node = { el, h: op.h, mask: op.mask };
        this.nodes.set(op.h, n);
        this.byEl.set(el, n);
        if (Canvas.marked(el)) this.canvas.layer(el, this.nodes, this.byEl);
        return;
      }
      case OP_REMOVE: {
        const n = this.nodes.get(op.h);
        if (!n || n.el === this.root) return;
        if (isRec(n)) {
          this.canvas.remove(n, this.nodes);
          return;
        }
        n.el.remove();
        this.forget(n);
        this.canvas.removed(n.el, this.nodes);
        return;
      }
      case OP_MOVE: {
        const n = this.nodes.get(op.h);
        const p = this.nodes.get(op.parent);
        if (!n || !p || n.el === this.root || op.before === op.h) return;
        if (this.canvas.move(n, p, op.before, this.nodes, this.byEl)) return;
        if (n.el === p.el || n.el.contains(p.el)) return; // would make a cycle
        this.insert(p.el, n.el, op.before);
        return;
      }
      case OP_SET_ATTR:
        this.put(op.h, op.name, op.value);
        return;
      case OP_DEL_ATTR:
        this.put(op.h, op.name, null);
        return;
      case OP_SET_NUM: {
        this.put(op.h, op.name, op.v); // formatted when written, and not at all for a canvas record
        return;
      }
      case OP_SET_XY: {
        const n = this.nodes.get(op.h);
        if (n && isRec(n) && op.pair !== PAIR_TRANSLATE) {
          const [a, b] = PAIRS[op.pair]!;
          n.set(a, op.x);
          n.set(b, op.y);
          return;
        }
        if (op.pair === PAIR_TRANSLATE) {
          this.put(op.h, "transform", new Translate(op.x, op.y));
          return;
        }
        const [a, b] = PAIRS[op.pair]!;
        this.put(op.h, a, op.x);
        this.put(op.h, b, op.y);
        return;
      }
      case OP_SET_POSE:
      case OP_SET_POSE_SCALED:
        this.put(op.h, "transform", fmtPose(op.x, op.y, op.a, op.s, op.c === OP_SET_POSE_SCALED));
        return;
      case OP_APPEND_POINTS:
      case OP_TRIM_POINTS: {
        const n = this.nodes.get(op.h);
        const v = this.current(op.h, op.name);
        if (!n || v === undefined) return;
        // The list's length, kept from the last edit while its text is
        // the same, spares a trim the scan of the items it keeps.
        const key = op.name + "\u0000" + op.h;
        const k = this.lengths.get(key);
        const count = k && k.v === v ? k.n : countPoints(v);
        let r: string, rn: number;
        if (op.c === OP_APPEND_POINTS) {
          r = appendPoints(v, op.name, op.drop, op.xy);
          rn = count - Math.min(op.drop, count) + (op.xy.length >> 1);
        } else {
          r = trimPoints(v, op.name, op.keep, count);
          rn = Math.min(op.keep, count);
        }
        this.lengths.set(key, { v: r, n: rn });
        this.put(op.h, op.name, r);
        return;
      }
      case OP_SET_TEXT:
        this.put(op.h, TEXT, op.text);
        return;
      case OP_LISTEN: {
        const n = this.nodes.get(op.h);
        if (n) n.mask = op.mask;
        return;
      }
    }
  }

  private insert(parent: Element, el: Element, before: number): void {
    const b = before ? this.nodes.get(before) : undefined;
    parent.insertBefore(el, b && b.el.parentNode === parent ? b.el : null);
  }

  // Forgets a removed element's handle and those of its subtree.
  private forget(n: Node): void {
    this.nodes.delete(n.h);
    this.byEl.delete(n.el);
    this.forgetBelow(n.el);
  }

  private forgetBelow(el: Element): void {
    for (let k = el.firstElementChild; k; k = k.nextElementSibling) {
      const m = this.byEl.get(k);
      if (m) {
        this.nodes.delete(m.h);
        this.byEl.delete(k);
      }
      this.forgetBelow(k);
    }
  }

  private keyframe(markup: string, table: Entry[]): void {
    // The wrapper declares the namespaces, so that markup without them
    // still parses as SVG; it must hold exactly one <svg> element.
    const doc = new DOMParser().parseFromString(
      `<vz-keyframe xmlns="${SVG_NS}" xmlns:xlink="${XLINK_NS}">${markup}</vz-keyframe>`,
      "image/svg+xml",
    );
    const err = doc.getElementsByTagNameNS(XHTML_NS, "parsererror")[0];
    if (err) {
      throw new ApplyError(`keyframe markup does not parse: ${(err.textContent || "").replace(/\s+/g, " ").trim()}`);
    }
    const tops = doc.documentElement.children;
    const root = tops[0];
    if (tops.length !== 1 || !root || root.localName !== "svg" || root.namespaceURI !== SVG_NS) {
      throw new ApplyError("keyframe markup must be one <svg> element");
    }
    sanitize(root);
    const nodes = new Map<number, Node>();
    const byEl = new WeakMap<Element, Node>();
    for (const e of table) {
      const el = doc.getElementById(e.id);
      if (!el || !root.contains(el)) {
        throw new ApplyError(`keyframe table: no element has id ${JSON.stringify(e.id)} (handle ${e.h})`);
      }
      if (nodes.has(e.h) || byEl.has(el)) {
        throw new ApplyError(`keyframe table: handle ${e.h} for id ${JSON.stringify(e.id)} is 0 or not unique`);
      }
      const n: Node = { el, h: e.h, mask: e.mask };
      nodes.set(e.h, n);
      byEl.set(el, n);
    }
    if (byEl.get(root)?.h !== 1) throw new ApplyError("keyframe table: the <svg> root must have handle 1");
    document.adoptNode(root);
    this.view.replaceChildren(root);
    this.root = root;
    this.nodes = nodes;
    this.lengths.clear();
    this.byEl = byEl;
    this.ready = true;
    this.canvas.adopt(root, nodes, byEl);
    this.onRoot(root);
  }
}
