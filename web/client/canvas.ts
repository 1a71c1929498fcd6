// Canvas layers: the children of a group marked data-vz-draw="canvas" are
// kept as records (tag, attributes, text, handle, mask) instead of DOM
// elements, and drawn on a 2D canvas that sits in the group's place, in a
// <foreignObject> that is the group's only child. The ops that patch DOM
// elements patch records the same way (scene.ts hands them over), events
// reach them through hittest.ts, and the markup on the server stays plain
// SVG. See docs/client.md, "Canvas layers", for what is drawn and why the
// canvas lives in a foreignObject.

import type { Node } from "./scene";
import { type Cellular, Grid, NONE } from "./hittest";
import { fmtNum } from "./wire";

const SVG_NS = "http://www.w3.org/2000/svg";
const XHTML_NS = "http://www.w3.org/1999/xhtml";

/** The attribute (and its value) that makes a group a canvas layer. */
export const CANVAS_ATTR = "data-vz-draw";
export const CANVAS_VALUE = "canvas";

/** The largest canvas side, in device pixels. */
const MAX_SIDE = 8192;

/** An affine matrix [a, b, c, d, e, f], as SVG's matrix(). */
export type M = readonly [number, number, number, number, number, number];

const ID: M = [1, 0, 0, 1, 0, 0];

export function mul(m: M, n: M): M {
  return [
    m[0] * n[0] + m[2] * n[1], m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3], m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4], m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

export function inv(m: M): M | null {
  const det = m[0] * m[3] - m[1] * m[2];
  if (!det || !isFinite(det)) return null;
  return [m[3] / det, -m[1] / det, -m[2] / det, m[0] / det, (m[2] * m[5] - m[3] * m[4]) / det, (m[1] * m[4] - m[0] * m[5]) / det];
}

const NUM = /[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?/y;
const FN = /\s*(matrix|translate|scale|rotate|skewX|skewY)\s*\(([^()]*)\)\s*,?/y;

// The numbers of a transform function's argument list, as SVG reads them:
// separated by white space and at most one comma, or by nothing where a
// sign or a second dot starts the next number ("1-2", ".5.5"); null when
// the list is malformed.
function args(s: string): number[] | null {
  const out: number[] = [];
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  ws();
  while (i < s.length) {
    NUM.lastIndex = i;
    const m = NUM.exec(s);
    if (!m) return null;
    out.push(parseFloat(m[0]));
    i = NUM.lastIndex;
    ws();
    if (s[i] === ",") {
      i++;
      ws();
      if (i >= s.length) return null;
    }
  }
  return out;
}

/**
 * parseTransform reads an SVG transform attribute ("translate(10,20)
 * rotate(30) scale(2)", matrix, skewX, skewY, rotate about a point) into
 * one matrix. A list SVG would refuse (a bad name, number or count) is
 * the identity, as it is for SVG: the attribute is then ignored.
 */
export function parseTransform(s: string): M {
  let m: M = ID;
  let i = 0;
  const n = s.length;
  while (i < n && /\s/.test(s[i]!)) i++;
  FN.lastIndex = i;
  while (FN.lastIndex < n) {
    const at = FN.lastIndex;
    const g = FN.exec(s);
    if (!g || g.index !== at) {
      if (/^\s*$/.test(s.slice(at))) break;
      return ID;
    }
    const a = args(g[2]!);
    if (!a) return ID;
    const k = a.length;
    let t: M;
    switch (g[1]) {
      case "matrix":
        if (k !== 6) return ID;
        t = [a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!];
        break;
      case "translate":
        if (k !== 1 && k !== 2) return ID;
        t = [1, 0, 0, 1, a[0]!, k === 2 ? a[1]! : 0];
        break;
      case "scale":
        if (k !== 1 && k !== 2) return ID;
        t = [a[0]!, 0, 0, k === 2 ? a[1]! : a[0]!, 0, 0];
        break;
      case "rotate": {
        if (k !== 1 && k !== 3) return ID;
        const r = (a[0]! * Math.PI) / 180;
        const c = Math.cos(r), sn = Math.sin(r);
        t = [c, sn, -sn, c, 0, 0];
        if (k === 3) t = mul(mul([1, 0, 0, 1, a[1]!, a[2]!], t), [1, 0, 0, 1, -a[1]!, -a[2]!]);
        break;
      }
      case "skewX":
        if (k !== 1) return ID;
        t = [1, 0, Math.tan((a[0]! * Math.PI) / 180), 1, 0, 0];
        break;
      default:
        if (k !== 1) return ID;
        t = [1, Math.tan((a[0]! * Math.PI) / 180), 0, 1, 0, 0];
    }
    m = mul(m, t);
  }
  return m;
}

// The properties a record's style is made of: presentation attributes,
// the same names in style attributes and in the page's CSS rules.
const INHERITED = [
  "fill", "stroke", "stroke-width", "fill-opacity", "stroke-opacity", "font-size", "font-family",
  "font-weight", "font-style", "text-anchor", "dominant-baseline", "visibility", "stroke-dasharray",
  "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "fill-rule",
  "pointer-events", "cursor", "marker-start", "marker-mid", "marker-end", "clip-rule",
] as const;
const OWN = ["opacity", "display", "clip-path", "filter", "stop-color", "stop-opacity"] as const;
const PROPS: readonly string[] = [...INHERITED, ...OWN];
const PROP_SET = new Set(PROPS);

type Decl = Record<string, string>;

/** A record's style, resolved: what drawing and hit testing read. */
interface Style {
  raw: Decl; // inherited values for the children
  fill: string | null;
  stroke: string | null;
  sw: number;
  op: number; // the record's own opacity
  size: number; // font size, px
  fillRef: string | null; // the id of a paint server (url(#id)); fill is then its fallback
  strokeRef: string | null;
  clip: string | null; // clip-path's id
  filter: string | null; // filter's id, or a CSS filter function list
  mStart: string | null; // markers' ids
  mMid: string | null;
  mEnd: string | null;
  fop: number;
  sop: number;
  font: string;
  anchor: CanvasTextAlign;
  baseline: CanvasTextBaseline;
  shown: boolean; // display is not none
  visible: boolean;
  dash: number[];
  dashOff: number;
  cap: CanvasLineCap;
  join: CanvasLineJoin;
  miter: number;
  rule: CanvasFillRule;
  events: string;
  cursor: string;
}

function num(v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = parseFloat(v);
  return isFinite(n) ? n : def;
}

/** A paint or reference url(#id) [fallback], its id and fallback; null for other values. */
function urlOf(v: string): { id: string; fallback: string } | null {
  const m = /^\s*url\(\s*(['"]?)([^'")]*)\1\s*\)\s*(.*)$/.exec(v);
  if (!m) return null;
  const h = m[2]!.indexOf("#");
  return { id: h >= 0 ? m[2]!.slice(h + 1) : m[2]!, fallback: m[3]!.trim() };
}

/** A font-size value in pixels, relative to the parent's (em, %) where it says so. */
function fontSize(v: string | undefined, parent: number): number {
  if (v === undefined) return parent;
  v = v.trim();
  const x = parseFloat(v);
  if (!isFinite(x)) {
    const k: Record<string, number> = { smaller: 1 / 1.2, larger: 1.2, "xx-small": 9 / 16, "x-small": 10 / 16, small: 13 / 16, medium: 1, large: 18 / 16, "x-large": 1.5, "xx-large": 2 };
    const f = k[v];
    return f === undefined ? parent : v === "smaller" || v === "larger" ? parent * f : 16 * f;
  }
  if (v.endsWith("em")) return x * parent;
  if (v.endsWith("rem")) return x * 16;
  if (v.endsWith("%")) return (x * parent) / 100;
  if (v.endsWith("ex")) return (x * parent) / 2;
  return x * (UNITS[v.replace(/^[+-]?[\d.eE+-]+/, "")] ?? 1);
}

/** Absolute units in pixels. */
const UNITS: Record<string, number> = { px: 1, "": 1, pt: 4 / 3, pc: 16, in: 96, cm: 96 / 2.54, mm: 96 / 25.4, q: 96 / 101.6 };

function opac(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = v.trim().endsWith("%") ? parseFloat(v) / 100 : parseFloat(v);
  return isFinite(n) ? Math.min(1, Math.max(0, n)) : 1;
}

/** A record: one element of a canvas layer, addressed by its handle like a DOM node. */
export class Rec implements Node, Cellular {
  parent: Rec | null = null;
  /** Paint order in the layer (hit testing), valid while the layer's ordered is set. */
  ord = 0;
  /** In the layer (not removed). */
  live = true;
  bb: number[] | null = null;
  cell = NONE;
  ci = 0;
  gd = false;
  kids: Rec[] = [];
  /** Attributes: text, or the number a set-num or set-xy op gave (no formatting and parsing back). */
  attrs = new Map<string, string | number>();
  text = "";
  /** Declared style (from attributes, classes and the style attribute), null when stale. */
  decl: Decl | null = null;
  st: Style | null = null;
  /** The record's own transform, null when stale. */
  own: M | null = null;
  /** The transform from the record's user space to the layer group's, set when drawn. */
  cm: M = ID;
  /** Geometry, null when stale. */
  path: Path2D | null = null;
  /** The element's id, for url(#id) and href="#id" references in the layer. */
  id = "";
  nums: number[] | null = null;

  constructor(
    readonly layer: Layer,
    readonly h: number,
    readonly tag: string,
    public mask: number,
  ) {}

  /** The nearest DOM element: the layer's group. */
  get el(): Element {
    return this.layer.g;
  }

  set(name: string, v: string | number | null): void {
    if (v === null) this.attrs.delete(name);
    else this.attrs.set(name, v);
    if (name === "transform") this.own = null;
    else if (name === "style" || name === "class" || PROP_SET.has(name)) this.stale();
    else {
      this.path = null;
      this.nums = null;
    }
    if (this.layer.grid) this.layer.touch(this);
    this.layer.dirty();
  }

  setText(t: string): void {
    this.text = t;
    if (this.layer.grid) this.layer.touch(this);
    this.layer.dirty();
  }

  /** Marks the style of the record and its subtree for resolving again. */
  stale(): void {
    this.decl = null;
    this.st = null;
    for (const k of this.kids) k.stale();
  }

  attr(name: string): string | undefined {
    const v = this.attrs.get(name);
    return v === undefined ? v : String(v);
  }

  n(name: string): number {
    const v = this.attrs.get(name);
    if (v === undefined) return 0;
    if (typeof v === "number") return v;
    const x = parseFloat(v);
    if (!isFinite(x)) return 0;
    const c = v.charCodeAt(v.length - 1);
    return (c >= 48 && c <= 57) || c === 46 ? x : this.layer.units(this, name, v.trim(), x);
  }
}

export function isRec(n: Node): n is Rec {
  return n instanceof Rec;
}

/** Everything a layer keeps per page: caches shared by the layers. */
class Shared {
  styles = new Map<string, Decl>();
  probe: CSSStyleDeclaration;
  colors = new Map<string, string | null>();
  images = new Map<string, HTMLImageElement>();
  scratch: CanvasRenderingContext2D;

  constructor() {
    this.probe = (document.createElementNS(SVG_NS, "g") as SVGElement).style;
    const c = document.createElementNS(XHTML_NS, "canvas") as HTMLCanvasElement;
    c.width = c.height = 1;
    this.scratch = c.getContext("2d")!;
  }

  /** The declarations of a style attribute, parsed by the browser (so shorthands like font work), cached. */
  styleDecl(css: string): Decl {
    let d = this.styles.get(css);
    if (d) return d;
    d = {};
    const p = this.probe;
    p.cssText = css;
    for (const name of PROPS) {
      const v = p.getPropertyValue(name);
      if (v !== "") d[name] = v;
    }
    if (this.styles.size > 4096) this.styles.clear();
    this.styles.set(css, d);
    return d;
  }

  /** A paint as a canvas colour; null for none and what canvas cannot draw (gradients, patterns). */
  color(v: string, current: string): string | null {
    v = v.trim();
    if (v === "none" || v === "transparent" || v.startsWith("url(")) return null;
    if (v === "currentColor" || v === "currentcolor") v = current;
    let c = this.colors.get(v);
    if (c !== undefined) return c;
    const x = this.scratch;
    x.fillStyle = "#010203";
    x.fillStyle = v;
    const got = x.fillStyle as string;
    c = got === "#010203" && !/^#010203$/i.test(v) ? "#000000" : got;
    if (this.colors.size > 4096) this.colors.clear();
    this.colors.set(v, c);
    return c;
  }
}

let shared: Shared | null = null;
function sh(): Shared {
  return (shared ??= new Shared());
}

/** Sentinels on the probe's container: a class that sets a property shows a value that differs. */
const SENTINEL: Decl = {
  fill: "rgb(1, 2, 3)", stroke: "rgb(4, 5, 6)", "stroke-width": "1234.5px", "fill-opacity": "0.123",
  "stroke-opacity": "0.456", "font-size": "1234px", "font-family": "vz-sentinel", "font-weight": "123",
  "stroke-dashoffset": "1234.5px", "stroke-miterlimit": "1234.5", cursor: "crosshair",
};

/** One canvas layer: the group's element, its records and its canvas. */
export class Layer {
  readonly kids: Rec[] = [];
  readonly fo: SVGForeignObjectElement;
  readonly canvas: HTMLCanvasElement;
  private ctx: CanvasRenderingContext2D;
  readonly probes: SVGGElement;
  private classes = new Map<string, Decl>();
  private base: Style | null = null;
  private queued = false;
  private watch: MutationObserver;
  private watched: Element[] = [];
  private sized: ResizeObserver | null = null;
  private readonly onResize = () => this.dirty();
  /** The layout the canvas was last drawn for. */
  private key = "";
  /** Device pixels per unit of the group's user space, and the canvas's origin in it. */
  private k = 1;
  private x0 = 0;
  private y0 = 0;
  draws = 0;
  /** Milliseconds spent drawing, for the benchmarks. */
  drawMs = 0;

  constructor(readonly g: Element, private readonly owner: Canvas) {
    this.fo = document.createElementNS(SVG_NS, "foreignObject") as SVGForeignObjectElement;
    this.fo.setAttribute("data-vz-canvas", "");
    this.fo.style.pointerEvents = "none";
    this.fo.style.overflow = "visible";
    this.canvas = document.createElementNS(XHTML_NS, "canvas") as HTMLCanvasElement;
    this.canvas.style.display = "block";
    this.canvas.style.pointerEvents = "none";
    this.fo.appendChild(this.canvas);
    this.ctx = this.canvas.getContext("2d")!;
    this.probes = document.createElementNS(SVG_NS, "g") as SVGGElement;
    this.probes.setAttribute("data-vz-canvas", "probe");
    this.probes.setAttribute("display", "none");
    for (const [k, v] of Object.entries(SENTINEL)) this.probes.style.setProperty(k, v);
    this.watch = new MutationObserver((l) => {
      if (l.some((r) => r.target === this.g)) {
        this.base = null;
        this.grid = null;
        for (const k of this.kids) k.stale();
      }
      this.dirty();
    });
    // The stage's layout moves the scene without changing an attribute.
    window.addEventListener("resize", this.onResize);
    if (typeof ResizeObserver !== "undefined") this.sized = new ResizeObserver(this.onResize);
    this.dirty();
  }

  /** Schedules a draw: once, after the current task or animation frame callback. */
  dirty(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => this.draw());
  }

  /** Stops watching the page (the layer's group left the scene). */
  close(): void {
    this.watch.disconnect();
    this.refWatch.disconnect();
    this.sized?.disconnect();
    window.removeEventListener("resize", this.onResize);
    this.queued = true; // never draws again
  }

  private rewatch(): void {
    const chain: Element[] = [];
    for (let e: Element | null = this.g; e; e = e.parentElement) chain.push(e);
    if (chain.length === this.watched.length && chain.every((e, i) => e === this.watched[i])) return;
    this.watch.disconnect();
    this.sized?.disconnect();
    for (const e of chain) if (e.namespaceURI === SVG_NS && e.localName === "svg") this.sized?.observe(e);
    for (const e of chain) this.watch.observe(e, { attributes: true, attributeFilter: ["transform", "style", "class", "viewBox", "x", "y", "width", "height", "preserveAspectRatio", ...PROPS] });
    this.watched = chain;
  }

  /** The group's screen transform, as a matrix. */
  screen(): M | null {
    const m = (this.g as SVGGraphicsElement).getScreenCTM?.();
    return m ? [m.a, m.b, m.c, m.d, m.e, m.f] : null;
  }

  // Places the foreignObject over the window's area of the group's user
  // space, at the resolution it has on screen; false when there is
  // nothing to draw on.
  private layout(): boolean {
    const m = this.screen();
    if (!m) return false;
    // The area to cover: the window, or the stage that clips the scene
    // (a foreignObject reaching past the stage's clip is drawn off by a
    // fraction of a pixel in Chromium).
    let L = 0, T = 0;
    let R = document.documentElement.clientWidth || window.innerWidth;
    let Bm = document.documentElement.clientHeight || window.innerHeight;
    const stage = this.g.closest(".vz-stage");
    if (stage) {
      const b = stage.getBoundingClientRect();
      L = Math.max(L, b.left);
      T = Math.max(T, b.top);
      R = Math.min(R, b.right);
      Bm = Math.min(Bm, b.bottom);
    }
    if (!(R > L && Bm > T)) return false;
    const dpr = window.devicePixelRatio || 1;
    const key = `${m.join(",")} ${L} ${T} ${R} ${Bm} ${dpr}`;
    if (key === this.key) return true;
    const im = inv(m);
    if (!im) return false;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const [px, py] of [[L, T], [R, T], [L, Bm], [R, Bm]] as const) {
      const x = im[0] * px + im[2] * py + im[4];
      const y = im[1] * px + im[3] * py + im[5];
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
    let k = Math.sqrt(Math.abs(m[0] * m[3] - m[1] * m[2])) * dpr;
    if (!(k > 0) || !isFinite(x1 - x0)) return false;
    k = Math.min(k, MAX_SIDE / (x1 - x0), MAX_SIDE / (y1 - y0));
    // Whole device pixels from the covered area's corner, so that the canvas's
    // pixels fall on the screen's when the group is not rotated.
    const pw = Math.max(1, Math.ceil((x1 - x0) * k));
    const ph = Math.max(1, Math.ceil((y1 - y0) * k));
    const w = pw / k, h = ph / k;
    this.fo.setAttribute("x", String(x0));
    this.fo.setAttribute("y", String(y0));
    this.fo.setAttribute("width", String(w));
    this.fo.setAttribute("height", String(h));
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    if (this.canvas.width !== pw) this.canvas.width = pw;
    if (this.canvas.height !== ph) this.canvas.height = ph;
    this.k = k;
    this.x0 = x0;
    this.y0 = y0;
    this.key = key;
    return true;
  }

  // The target being drawn on: the layer's canvas, an offscreen one
  // (a group composited as one layer) or a pattern's tile; B maps the
  // group's user space to its pixels.
  private B: M = ID;
  private tw = 0;
  private th = 0;
  private pool: HTMLCanvasElement[] = [];
  private depth = 0;
  /** The opacity the current record is painted with: its own, times its groups' that are not composited. */
  private ga = 1;
  /** Ids from the page's DOM (defs outside the layer): records made of their elements, watched for changes. */
  private refs = new Map<string, Rec>();
  private refWatch = new MutationObserver(() => {
    this.refs.clear();
    this.dirty();
  });

  // What is known of the target's state is forgotten (after a restore or a change of target).
  private forget(): void {
    this.cur = null;
    this.curStyle = null;
    this.curAlpha = NaN;
    this.curM = null;
  }

  /** Lengths in em, ex, % and absolute units, as SVG reads an attribute's. */
  units(r: Rec, name: string, v: string, x: number): number {
    if (v.endsWith("%")) {
      const [w, h] = this.viewport();
      const hor = /^(x|x1|x2|cx|width|rx|dx|fx|refX|markerWidth)$/.test(name);
      const ver = /^(y|y1|y2|cy|height|ry|dy|fy|refY|markerHeight)$/.test(name);
      return (x / 100) * (hor ? w : ver ? h : Math.sqrt((w * w + h * h) / 2));
    }
    if (v.endsWith("rem")) return x * 16;
    if (v.endsWith("em")) return x * this.styleFor(r).size;
    if (v.endsWith("ex")) return (x * this.styleFor(r).size) / 2;
    return x * (UNITS[v.replace(/^[+-]?[\d.eE+-]+/, "").toLowerCase()] ?? 1);
  }

  /** A length property (stroke-width) in pixels. */
  length(v: string | undefined, size: number, def: number): number {
    if (v === undefined) return def;
    v = v.trim();
    const x = parseFloat(v);
    if (!isFinite(x)) return def;
    if (v.endsWith("%")) {
      const [w, h] = this.viewport();
      return (x / 100) * Math.sqrt((w * w + h * h) / 2);
    }
    if (v.endsWith("rem")) return x * 16;
    if (v.endsWith("em")) return x * size;
    if (v.endsWith("ex")) return (x * size) / 2;
    return x * (UNITS[v.replace(/^[+-]?[\d.eE+-]+/, "").toLowerCase()] ?? 1);
  }

  /** The size of the viewport % lengths refer to: the nearest svg's viewBox, else its size. */
  viewport(): [number, number] {
    const svg = (this.g as SVGGraphicsElement).ownerSVGElement;
    if (!svg) return [100, 100];
    const vb = svg.viewBox?.baseVal;
    if (vb && vb.width > 0 && vb.height > 0) return [vb.width, vb.height];
    return [svg.width.baseVal.value || 100, svg.height.baseVal.value || 100];
  }

  /** The element an id names: a record of the layer, or one made of a DOM element (defs outside the layer). */
  ref(id: string): Rec | null {
    if (!id) return null;
    const mine = this.byId(id);
    if (mine) return mine;
    const had = this.refs.get(id);
    if (had) return had;
    const el = document.getElementById(id);
    if (!el || el.namespaceURI !== SVG_NS) return null; // not kept: it may be created later
    const r = tempRec(this, el, null);
    this.refs.set(id, r);
    this.refWatch.observe(el, { attributes: true, childList: true, subtree: true, characterData: true });
    return r;
  }

  private ids: Map<string, Rec> | null = null;
  private byId(id: string): Rec | null {
    if (!this.ids) {
      const m = new Map<string, Rec>();
      const walk = (ks: Rec[]) => {
        for (const r of ks) {
          if (r.id) m.set(r.id, r);
          walk(r.kids);
        }
      };
      walk(this.kids);
      this.ids = m;
    }
    return this.ids.get(id) ?? null;
  }

  /** Draws every record, in paint order. */
  draw(): void {
    this.queued = false;
    if (!this.g.isConnected || this.owner.layers.get(this.g) !== this) return;
    this.rewatch();
    if (!this.layout()) return;
    this.draws++;
    const t0 = performance.now();
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const base = this.baseStyle();
    this.B = [this.k, 0, 0, this.k, -this.x0 * this.k, -this.y0 * this.k];
    this.tw = this.canvas.width;
    this.th = this.canvas.height;
    this.forget();
    for (const r of this.kids) this.drawRec(r, ID, base, 1);
    ctx.globalAlpha = 1;
    // While events come, the moves are placed in the grid after each
    // draw, so that an event finds it ready; while the pointer rests,
    // only marked, and the next event places them.
    if (this.grid && this.pointed && this.grid.dirty.length) this.flush();
    this.pointed = false;
    this.drawMs += performance.now() - t0;
  }

  private curAlpha = 1;
  // Canvas state is slow to set through the bindings: only when it changes.
  private alpha(a: number): void {
    if (a !== this.curAlpha) {
      this.ctx.globalAlpha = a;
      this.curAlpha = a;
    }
  }

  private cur: string | null = null;
  private curStyle: Style | null = null;
  private curM: M | null = ID;

  private setM(cm: M): void {
    if (cm === this.curM) return;
    const t = mul(this.B, cm);
    this.ctx.setTransform(t[0], t[1], t[2], t[3], t[4], t[5]);
    this.curM = cm;
  }

  // Draws fn on a cleared offscreen canvas the size of the target, then
  // that onto the target with alpha and a CSS filter: the group
  // composited as one layer, as SVG does for opacity and filters.
  private layered(alpha: number, filter: string, fn: () => void): void {
    const main = this.ctx;
    let c = this.pool[this.depth];
    if (!c) {
      c = document.createElementNS(XHTML_NS, "canvas") as HTMLCanvasElement;
      this.pool[this.depth] = c;
    }
    if (c.width !== this.tw) c.width = this.tw;
    if (c.height !== this.th) c.height = this.th;
    const x = c.getContext("2d")!;
    x.setTransform(1, 0, 0, 1, 0, 0);
    x.globalAlpha = 1;
    x.globalCompositeOperation = "source-over";
    x.clearRect(0, 0, c.width, c.height);
    this.depth++;
    this.ctx = x;
    this.forget();
    try {
      fn();
    } finally {
      this.depth--;
      this.ctx = main;
    }
    main.setTransform(1, 0, 0, 1, 0, 0);
    main.globalAlpha = alpha;
    if (filter) main.filter = filter;
    main.drawImage(c, 0, 0);
    if (filter) main.filter = "none";
    this.forget();
  }

  // Whether r's paints overlap, so that its opacity must composite it
  // as one layer rather than multiply into each paint.
  private overlaps(r: Rec, st: Style): boolean {
    if (r.tag === "g" || r.tag === "a") {
      if (r.kids.length !== 1) return r.kids.length > 1;
      const k = r.kids[0]!;
      return k.tag === "g" || k.tag === "a" || k.tag === "use" || k.kids.length > 0 || this.overlaps(k, this.styleOf(k, st));
    }
    return r.tag === "use" || r.kids.length > 0 || ((st.fill !== null || st.fillRef !== null) && st.stroke !== null && st.sw > 0) || !!(st.mStart || st.mMid || st.mEnd);
  }

  private drawRec(r: Rec, pm: M, ps: Style, a: number): void {
    const st = this.styleOf(r, ps);
    if (!st.shown) return;
    const own = this.ownOf(r);
    const cm = own === ID ? pm : mul(pm, own);
    r.cm = cm;
    const group = r.tag === "g" || r.tag === "a";
    if (!group && !DRAWN.has(r.tag)) return;
    if (st.op === 1 && st.clip === null && st.filter === null) {
      // The common case, at every record of every frame.
      if (group) for (const k of r.kids) this.drawRec(k, cm, st, a);
      else this.drawLeaf(r, st, cm, a);
      return;
    }
    const op = a * st.op;
    if (op <= 0) return;
    const body = (alpha: number) => {
      if (group) for (const k of r.kids) this.drawRec(k, cm, st, alpha);
      else this.drawLeaf(r, st, cm, alpha);
    };
    const clip = st.clip ? this.clipOf(st.clip, r, cm) : null;
    if (st.clip && !clip) return; // a reference to nothing: SVG draws nothing
    const ctx = this.ctx;
    if (clip) {
      ctx.save();
      this.forget();
      this.setM(clip.m);
      ctx.clip(clip.p, clip.rule);
    }
    const filter = st.filter ? this.filterOf(st.filter, cm) : "";
    if (filter || (op < 1 && this.overlaps(r, st))) this.layered(op, filter, () => body(1));
    else body(op);
    if (clip) {
      this.ctx.restore();
      this.forget();
    }
  }

  private drawLeaf(r: Rec, st: Style, cm: M, a: number): void {
    if (!st.visible && r.tag !== "use" && r.tag !== "text") return;
    this.setM(cm);
    this.ga = a;
    const ctx = this.ctx;
    switch (r.tag) {
      case "circle": {
        const rr = r.n("r");
        if (!(rr > 0)) return;
        if (st.fillRef || st.strokeRef) break;
        const cx = r.n("cx"), cy = r.n("cy");
        ctx.beginPath();
        ctx.arc(cx, cy, rr, 0, 2 * Math.PI);
        this.paint(st, null, r);
        return;
      }
      case "text":
        this.drawText(r, st);
        return;
      case "image":
        this.drawImage(r, st);
        return;
      case "use":
        this.drawUse(r, st, cm, a);
        return;
    }
    const p = geometry(r);
    if (p) this.paint(st, p, r);
    if (st.mStart || st.mMid || st.mEnd) this.drawMarkers(r, st, cm, a);
  }

  // Fills and strokes the current path (p null) or p.
  private paint(st: Style, p: Path2D | null, r: Rec): void {
    const ctx = this.ctx;
    if (st.fillRef !== null && p) {
      this.alpha(this.ga * st.fop);
      if (!this.refPaint(st.fillRef, r, st, (x) => x.fill(p, st.rule), false) && st.fill !== null) {
        ctx.fillStyle = st.fill;
        this.cur = st.fill;
        ctx.fill(p, st.rule);
      }
    } else if (st.fill !== null) {
      this.alpha(this.ga * st.fop);
      if (this.cur !== st.fill) {
        ctx.fillStyle = st.fill;
        this.cur = st.fill;
      }
      if (p) ctx.fill(p, st.rule);
      else ctx.fill(st.rule);
    }
    if ((st.stroke !== null || (st.strokeRef !== null && p)) && st.sw > 0) {
      this.alpha(this.ga * st.sop);
      this.strokeStyle(st);
      if (st.strokeRef !== null && p && this.refPaint(st.strokeRef, r, st, (x) => x.stroke(p), true)) return;
      if (st.stroke === null) return;
      if (p) ctx.stroke(p);
      else ctx.stroke();
    }
  }

  private strokeStyle(st: Style): void {
    const ctx = this.ctx;
    if (this.curStyle === st) return;
    ctx.strokeStyle = st.stroke ?? "#000";
    ctx.lineWidth = st.sw;
    ctx.lineCap = st.cap;
    ctx.lineJoin = st.join;
    ctx.miterLimit = st.miter;
    ctx.setLineDash(st.dash);
    ctx.lineDashOffset = st.dashOff;
    this.curStyle = st;
  }

  // Paints shape with the paint server id (a gradient or a pattern):
  // false when id names none, for the fallback colour.
  private refPaint(id: string, r: Rec, st: Style, shape: (x: CanvasRenderingContext2D) => void, stroke: boolean): boolean {
    const ref = this.ref(id);
    if (!ref) return false;
    const ctx = this.ctx;
    let paint: { style: CanvasGradient | CanvasPattern; m: M | null } | null = null;
    if (ref.tag === "linearGradient" || ref.tag === "radialGradient") paint = this.gradient(ref, r);
    else if (ref.tag === "pattern") paint = this.pattern(ref, r, st);
    else return false;
    if (!paint) return true; // a paint of nothing (an empty box in bounding box units)
    if (stroke) this.curStyle = null;
    else this.cur = null;
    if (!paint.m) {
      if (stroke) ctx.strokeStyle = paint.style;
      else ctx.fillStyle = paint.style;
      shape(ctx);
      return true;
    }
    // A gradient in another space (the box's): the shape in black on an
    // offscreen canvas, the gradient over it where it is (source-in),
    // that onto the target.
    const alpha = this.curAlpha;
    const cm = r.cm;
    const m = paint.m;
    const style = paint.style;
    const { font, textAlign, textBaseline } = ctx;
    this.layered(alpha, "", () => {
      const x = this.ctx;
      Object.assign(x, { font, textAlign, textBaseline });
      this.setM(cm);
      if (stroke) {
        this.strokeStyle(st);
        x.strokeStyle = "#000";
      } else x.fillStyle = "#000";
      shape(x);
      x.globalCompositeOperation = "source-in";
      const t = mul(mul(this.B, cm), m);
      x.setTransform(t[0], t[1], t[2], t[3], t[4], t[5]);
      this.curM = null;
      const it = inv(t);
      if (it) {
        let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        for (const [px, py] of [[0, 0], [this.tw, 0], [0, this.th], [this.tw, this.th]] as const) {
          const qx = it[0] * px + it[2] * py + it[4], qy = it[1] * px + it[3] * py + it[5];
          x0 = Math.min(x0, qx);
          y0 = Math.min(y0, qy);
          x1 = Math.max(x1, qx);
          y1 = Math.max(y1, qy);
        }
        x.fillStyle = style;
        x.fillRect(x0, y0, x1 - x0, y1 - y0);
      }
      x.globalCompositeOperation = "source-over";
    });
    return true;
  }

  // A record's box in its own user space, unpadded (what objectBoundingBox units refer to).
  private localBox(r: Rec): number[] | null {
    switch (r.tag) {
      case "circle": {
        const cx = r.n("cx"), cy = r.n("cy"), rr = Math.max(0, r.n("r"));
        return [cx - rr, cy - rr, cx + rr, cy + rr];
      }
      case "ellipse": {
        const cx = r.n("cx"), cy = r.n("cy"), rx = Math.max(0, r.n("rx")), ry = Math.max(0, r.n("ry"));
        return [cx - rx, cy - ry, cx + rx, cy + ry];
      }
      case "rect":
      case "image":
        return [r.n("x"), r.n("y"), r.n("x") + r.n("width"), r.n("y") + r.n("height")];
      case "line":
        return [Math.min(r.n("x1"), r.n("x2")), Math.min(r.n("y1"), r.n("y2")), Math.max(r.n("x1"), r.n("x2")), Math.max(r.n("y1"), r.n("y2"))];
      case "text":
        return this.textBox(r, this.styleFor(r));
      case "polyline":
      case "polygon":
      case "path":
        return pathInfo(r.tag === "path" ? (r.attr("d") ?? "") : pointsPath(r)).box;
      case "g":
      case "a": {
        let b: number[] | null = null;
        for (const k of r.kids) {
          const kb = this.localBox(k);
          if (!kb) continue;
          const m = this.ownOf(k);
          for (const [px, py] of [[kb[0]!, kb[1]!], [kb[2]!, kb[1]!], [kb[0]!, kb[3]!], [kb[2]!, kb[3]!]] as const) {
            const x = m[0] * px + m[2] * py + m[4], y = m[1] * px + m[3] * py + m[5];
            b = b ? [Math.min(b[0]!, x), Math.min(b[1]!, y), Math.max(b[2]!, x), Math.max(b[3]!, y)] : [x, y, x, y];
          }
        }
        return b;
      }
    }
    return null;
  }

  // The attributes of a gradient or pattern, following its href to those it inherits from.
  private inherited(ref: Rec, name: string): string | undefined {
    let x: Rec | null = ref;
    for (let i = 0; x && i < 8; i++) {
      const v = x.attr(name);
      if (v !== undefined) return v;
      const h: string | undefined = x.attr("href") ?? x.attr("xlink:href");
      x = h && h.startsWith("#") ? this.ref(h.slice(1)) : null;
    }
    return undefined;
  }

  // A gradient as a canvas gradient, and the transform from its space
  // to the record's user space (null: the same).
  private gradient(ref: Rec, r: Rec): { style: CanvasGradient; m: M | null } | null {
    const bbox = (this.inherited(ref, "gradientUnits") ?? "objectBoundingBox").trim() !== "userSpaceOnUse";
    let bb: number[] | null = null;
    if (bbox) {
      bb = this.localBox(r);
      if (!bb || !(bb[2]! > bb[0]!) || !(bb[3]! > bb[1]!)) return null;
    }
    const [vw, vh] = this.viewport();
    const len = (name: string, def: string, axis: number) => {
      const v = (this.inherited(ref, name) ?? def).trim();
      const x = parseFloat(v);
      if (!isFinite(x)) return parseFloat(def) / (def.endsWith("%") ? 100 : 1) * (bbox ? 1 : axis);
      if (v.endsWith("%")) return (x / 100) * (bbox ? 1 : axis);
      return x;
    };
    const diag = Math.sqrt((vw * vw + vh * vh) / 2);
    const ctx = this.ctx;
    let g: CanvasGradient;
    if (ref.tag === "linearGradient") {
      g = ctx.createLinearGradient(len("x1", "0%", vw), len("y1", "0%", vh), len("x2", "100%", vw), len("y2", "0%", vh));
    } else {
      const cx = len("cx", "50%", vw), cy = len("cy", "50%", vh), rr = len("r", "50%", diag);
      const fx = this.inherited(ref, "fx") !== undefined ? len("fx", "50%", vw) : cx;
      const fy = this.inherited(ref, "fy") !== undefined ? len("fy", "50%", vh) : cy;
      if (!(rr > 0)) return null;
      g = ctx.createRadialGradient(fx, fy, Math.max(0, len("fr", "0%", diag)), cx, cy, rr);
    }
    // The stops: those of the first gradient in the href chain that has any.
    let holder: Rec | null = ref;
    for (let i = 0; holder && i < 8 && !holder.kids.some((k) => k.tag === "stop"); i++) {
      const h: string | undefined = holder.attr("href") ?? holder.attr("xlink:href");
      holder = h && h.startsWith("#") ? this.ref(h.slice(1)) : null;
    }
    let last = 0;
    let none = true;
    for (const k of holder ? holder.kids : []) {
      if (k.tag !== "stop") continue;
      const d = this.declOf(k);
      const ov = (k.attr("offset") ?? "0").trim();
      let off = parseFloat(ov);
      if (!isFinite(off)) off = 0;
      if (ov.endsWith("%")) off /= 100;
      off = Math.max(last, Math.min(1, Math.max(0, off)));
      last = off;
      const c = sh().color(d["stop-color"] ?? "black", "black") ?? "rgba(0,0,0,0)";
      g.addColorStop(off, withAlpha(c, opac(d["stop-opacity"])));
      none = false;
    }
    if (none) return null; // no stops: a paint of none
    let m: M = parseTransform(this.inherited(ref, "gradientTransform") ?? "");
    if (bb) m = mul([bb[2]! - bb[0]!, 0, 0, bb[3]! - bb[1]!, bb[0]!, bb[1]!], m);
    return { style: g, m: m === ID ? null : m };
  }

  // A pattern as a canvas pattern: its tile drawn at the resolution it
  // has on the target, repeated with the transform of its place.
  private pattern(ref: Rec, r: Rec, st: Style): { style: CanvasPattern; m: null } | null {
    void st;
    const get = (n: string) => this.inherited(ref, n);
    const bbox = (get("patternUnits") ?? "objectBoundingBox").trim() !== "userSpaceOnUse";
    const cbox = (get("patternContentUnits") ?? "userSpaceOnUse").trim() === "objectBoundingBox";
    const bb = bbox || cbox ? this.localBox(r) : null;
    if ((bbox || cbox) && (!bb || !(bb[2]! > bb[0]!) || !(bb[3]! > bb[1]!))) return null;
    const [vw, vh] = this.viewport();
    const bw = bb ? bb[2]! - bb[0]! : 0, bh = bb ? bb[3]! - bb[1]! : 0;
    const len = (n: string, axis: number, bo: number, bs: number) => {
      const v = (get(n) ?? "0").trim();
      let x = parseFloat(v);
      if (!isFinite(x)) x = 0;
      if (v.endsWith("%")) x /= 100;
      else if (!bbox) return x;
      return bbox ? bo + x * bs : x * axis;
    };
    const x = len("x", vw, bb ? bb[0]! : 0, bw), y = len("y", vh, bb ? bb[1]! : 0, bh);
    const w = len("width", vw, 0, bw), h = len("height", vh, 0, bh);
    if (!(w > 0) || !(h > 0)) return null;
    const pt = parseTransform(get("patternTransform") ?? "");
    const full = mul(mul(this.B, r.cm), pt);
    let scale = Math.sqrt(Math.abs(full[0] * full[3] - full[1] * full[2]));
    if (!(scale > 0) || !isFinite(scale)) return null;
    scale = Math.min(scale, 2048 / w, 2048 / h);
    const tw = Math.max(1, Math.ceil(w * scale)), th = Math.max(1, Math.ceil(h * scale));
    const sx = tw / w, sy = th / h;
    // The content's transform in the tile: viewBox, or the box for objectBoundingBox content.
    let C: M = ID;
    const vb = nums(get("viewBox"));
    if (vb.length === 4 && vb[2]! > 0 && vb[3]! > 0) C = viewBoxM(vb, w, h, get("preserveAspectRatio") ?? "");
    else if (cbox) C = [bw, 0, 0, bh, 0, 0];
    // The content: the kids of the first pattern in the href chain that has any.
    let holder: Rec | null = ref;
    for (let i = 0; holder && i < 8 && !holder.kids.length; i++) {
      const hr: string | undefined = holder.attr("href") ?? holder.attr("xlink:href");
      holder = hr && hr.startsWith("#") ? this.ref(hr.slice(1)) : null;
    }
    const tile = document.createElementNS(XHTML_NS, "canvas") as HTMLCanvasElement;
    tile.width = tw;
    tile.height = th;
    const save = { ctx: this.ctx, B: this.B, tw: this.tw, th: this.th, ga: this.ga, depth: this.depth, curAlpha: this.curAlpha, curM: this.curM };
    this.ctx = tile.getContext("2d")!;
    this.B = mul([sx, 0, 0, sy, 0, 0], C);
    this.tw = tw;
    this.th = th;
    this.forget();
    try {
      const ps = this.styleFor(ref);
      for (const k of holder ? holder.kids : []) {
        k.stale();
        this.drawRec(k, ID, ps, 1);
      }
    } finally {
      Object.assign(this, { ctx: save.ctx, B: save.B, tw: save.tw, th: save.th, ga: save.ga, depth: save.depth });
      this.forget();
      this.alpha(save.curAlpha);
      if (save.curM) this.setM(save.curM);
    }
    const pat = this.ctx.createPattern(tile, "repeat");
    if (!pat) return null;
    const m = mul(mul(pt, [1, 0, 0, 1, x, y]), [1 / sx, 0, 0, 1 / sy, 0, 0]);
    pat.setTransform(new DOMMatrix([m[0], m[1], m[2], m[3], m[4], m[5]]));
    return { style: pat, m: null };
  }

  // The clip of clip-path id on r, as a path and the transform it is in.
  clipOf(id: string, r: Rec, cm: M): { p: Path2D; m: M; rule: CanvasFillRule } | null {
    const ref = this.ref(id);
    if (!ref || ref.tag !== "clipPath") return null;
    let m = mul(cm, this.ownOf(ref));
    if ((ref.attr("clipPathUnits") ?? "").trim() === "objectBoundingBox") {
      const bb = this.localBox(r);
      if (!bb) return null;
      m = mul(m, [bb[2]! - bb[0]!, 0, 0, bb[3]! - bb[1]!, bb[0]!, bb[1]!]);
    }
    const p = new Path2D();
    let rule: CanvasFillRule = "nonzero";
    const ps = this.styleFor(ref);
    for (const k of ref.kids) {
      const ks = this.styleOf(k, ps);
      if (!ks.shown) continue;
      const gk = geometry(k);
      if (!gk) continue;
      const t = this.ownOf(k);
      p.addPath(gk, new DOMMatrix([t[0], t[1], t[2], t[3], t[4], t[5]]));
      if (ks.raw["clip-rule"] === "evenodd") rule = "evenodd";
    }
    return { p, m, rule };
  }

  // A filter as a canvas (CSS) filter: a lone feGaussianBlur or
  // feDropShadow as blur() or drop-shadow() at the target's scale, other
  // filters of the page by url() (whose lengths are then pixels of the
  // layer's canvas), CSS filter functions as they are.
  private filterOf(f: string, cm: M): string {
    const t = mul(this.B, cm);
    const k = Math.sqrt(Math.abs(t[0] * t[3] - t[1] * t[2]));
    if (/\(/.test(f) && !/^url/.test(f)) return f;
    const ref = this.ref(f);
    if (!ref || ref.tag !== "filter") return "";
    const prims = ref.kids.filter((x) => x.tag.startsWith("fe"));
    if (prims.length === 1) {
      const p = prims[0]!;
      const sd = nums(p.attr("stdDeviation"));
      const s = (sd[0] ?? 0) * k;
      if (p.tag === "feGaussianBlur" && (sd.length < 2 || sd[1] === sd[0])) return `blur(${s}px)`;
      if (p.tag === "feDropShadow") {
        const d = this.declOf(p);
        const c = withAlpha(sh().color(p.attr("flood-color") ?? d["flood-color"] ?? "black", "black") ?? "black", opac(p.attr("flood-opacity")));
        return `drop-shadow(${(p.attrs.has("dx") ? p.n("dx") : 2) * k}px ${(p.attrs.has("dy") ? p.n("dy") : 2) * k}px ${p.attrs.has("stdDeviation") ? s : 2 * k}px ${c})`;
      }
    }
    return document.getElementById(f) ? `url(#${f})` : "";
  }

  private drawUse(r: Rec, st: Style, cm: M, a: number): void {
    const h = r.attr("href") ?? r.attr("xlink:href");
    if (!h || !h.startsWith("#") || this.useDepth > 8) return;
    const ref = this.ref(h.slice(1));
    if (!ref) return;
    for (let x: Rec | null = r; x; x = x.parent) if (x === ref) return; // a use inside what it uses
    let m = mul(cm, [1, 0, 0, 1, r.n("x"), r.n("y")]);
    this.useDepth++;
    ref.stale(); // it inherits from the use
    try {
      if (ref.tag === "symbol") {
        const vb = nums(ref.attr("viewBox"));
        if (vb.length === 4 && vb[2]! > 0 && vb[3]! > 0) {
          const w = r.attrs.has("width") ? r.n("width") : vb[2]!, h2 = r.attrs.has("height") ? r.n("height") : vb[3]!;
          m = mul(m, viewBoxM(vb, w, h2, ref.attr("preserveAspectRatio") ?? ""));
        }
        const ss = this.styleOf(ref, st);
        for (const k of ref.kids) this.drawRec(k, m, ss, a);
      } else {
        this.drawRec(ref, m, st, a);
      }
    } finally {
      this.useDepth--;
      ref.stale(); // and, when it is a record drawn on its own too, from its parent
    }
  }
  private useDepth = 0;

  // The markers of a line, polyline, polygon or path at its vertices.
  private drawMarkers(r: Rec, st: Style, cm: M, a: number): void {
    const d = r.tag === "path" ? (r.attr("d") ?? "") : r.tag === "line" ? `M${r.n("x1")},${r.n("y1")}L${r.n("x2")},${r.n("y2")}` : r.tag === "polyline" || r.tag === "polygon" ? pointsPath(r) : "";
    if (!d) return;
    const vs = pathInfo(d).verts;
    const n = vs.length;
    const ctx = this.ctx;
    for (let i = 0; i < n; i++) {
      const id = i === 0 ? st.mStart : i === n - 1 ? st.mEnd : st.mMid;
      if (!id) continue;
      const mk = this.ref(id);
      if (!mk || mk.tag !== "marker") continue;
      const v = vs[i]!;
      const orient = (mk.attr("orient") ?? "0").trim();
      let ang: number;
      if (orient === "auto" || orient === "auto-start-reverse") {
        ang = i === 0 ? v.out : i === n - 1 ? v.in : isNaN(v.in) ? v.out : isNaN(v.out) ? v.in : Math.atan2(Math.sin(v.in) + Math.sin(v.out), Math.cos(v.in) + Math.cos(v.out));
        if (isNaN(ang)) ang = isNaN(v.in) ? 0 : v.in;
        if (i === 0 && orient === "auto-start-reverse") ang += Math.PI;
      } else ang = ((parseFloat(orient) || 0) * Math.PI) / 180;
      const mw = mk.attrs.has("markerWidth") ? mk.n("markerWidth") : 3, mh = mk.attrs.has("markerHeight") ? mk.n("markerHeight") : 3;
      if (!(mw > 0) || !(mh > 0)) continue;
      const s = (mk.attr("markerUnits") ?? "strokeWidth").trim() === "userSpaceOnUse" ? 1 : st.sw;
      const vb = nums(mk.attr("viewBox"));
      const VB: M = vb.length === 4 && vb[2]! > 0 && vb[3]! > 0 ? viewBoxM(vb, mw, mh, mk.attr("preserveAspectRatio") ?? "") : ID;
      const rx = mk.n("refX"), ry = mk.n("refY");
      const qx = VB[0] * rx + VB[2] * ry + VB[4], qy = VB[1] * rx + VB[3] * ry + VB[5];
      const c = Math.cos(ang), sn = Math.sin(ang);
      const port = mul(mul(mul(cm, [1, 0, 0, 1, v.x, v.y]), [c * s, sn * s, -sn * s, c * s, 0, 0]), [1, 0, 0, 1, -qx, -qy]);
      ctx.save();
      this.forget();
      const ov = (mk.attr("overflow") ?? this.declOf(mk)["overflow"] ?? "hidden").trim();
      if (ov !== "visible" && ov !== "auto") {
        this.setM(port);
        ctx.beginPath();
        ctx.rect(0, 0, mw, mh);
        ctx.clip();
      }
      const ms = this.styleFor(mk);
      for (const k of mk.kids) this.drawRec(k, mul(port, VB), ms, a);
      this.ctx.restore();
      this.forget();
    }
  }

  // The runs of a text and its tspans: each with its style and place.
  private textRuns(r: Rec, st: Style): { t: string; st: Style; x: number; y: number }[] {
    const runs: { t: string; st: Style; x: number; y: number }[] = [];
    const c = sh().scratch;
    let x = first(r.attr("x")) + first(r.attr("dx")), y = first(r.attr("y")) + first(r.attr("dy"));
    const push = (t: string, s: Style) => {
      if (!t) return;
      c.font = s.font;
      runs.push({ t, st: s, x, y });
      x += c.measureText(t).width;
    };
    push(r.text, st);
    for (const k of r.kids) {
      if (k.tag !== "tspan") continue;
      const ks = this.styleOf(k, st);
      if (!ks.shown) continue;
      if (k.attrs.has("x")) x = first(k.attr("x"));
      if (k.attrs.has("y")) y = first(k.attr("y"));
      x += first(k.attr("dx"));
      y += first(k.attr("dy"));
      push(k.text, ks);
    }
    if (runs.length && st.anchor !== "left") {
      const w = x - runs[0]!.x;
      const shift = st.anchor === "center" ? w / 2 : w;
      for (const u of runs) u.x -= shift;
    }
    return runs;
  }

  private drawText(r: Rec, st: Style): void {
    const ctx = this.ctx;
    if (!r.kids.length) {
      if (r.text === "" || !st.visible) return;
      ctx.textAlign = st.anchor;
      this.drawRun(r, r.text, st, first(r.attr("x")) + first(r.attr("dx")), first(r.attr("y")) + first(r.attr("dy")));
      return;
    }
    ctx.textAlign = "left";
    for (const u of this.textRuns(r, st)) if (u.st.visible) this.drawRun(r, u.t, u.st, u.x, u.y);
  }

  private drawRun(r: Rec, t: string, st: Style, x: number, y: number): void {
    const ctx = this.ctx;
    ctx.font = st.font;
    ctx.textBaseline = st.baseline;
    if (st.fillRef !== null || st.fill !== null) {
      this.alpha(this.ga * st.fop);
      if (!(st.fillRef !== null && this.refPaint(st.fillRef, r, st, (c) => c.fillText(t, x, y), false)) && st.fill !== null) {
        ctx.fillStyle = st.fill;
        this.cur = st.fill;
        ctx.fillText(t, x, y);
      }
    }
    if ((st.stroke !== null || st.strokeRef !== null) && st.sw > 0) {
      this.alpha(this.ga * st.sop);
      this.strokeStyle(st);
      if (!(st.strokeRef !== null && this.refPaint(st.strokeRef, r, st, (c) => c.strokeText(t, x, y), true)) && st.stroke !== null) ctx.strokeText(t, x, y);
    }
  }

  private drawImage(r: Rec, st: Style): void {
    if (!st.visible) return;
    const href = r.attr("href") ?? r.attr("xlink:href");
    if (!href || /^\s*javascript:/i.test(href)) return;
    const s = sh();
    let img = s.images.get(href);
    if (!img) {
      img = new Image();
      img.src = href;
      s.images.set(href, img);
    }
    if (!img.complete) {
      img.addEventListener("load", () => {
        this.touch(r);
        this.dirty();
      }, { once: true });
      return;
    }
    if (!img.naturalWidth) return;
    const b = imageBox(r, img.naturalWidth, img.naturalHeight);
    this.alpha(this.ga);
    this.ctx.drawImage(img, b[0], b[1], b[2], b[3]);
  }

  /** The style the group's children inherit. */
  private baseStyle(): Style {
    if (this.base) return this.base;
    const cs = getComputedStyle(this.g);
    const raw: Decl = {};
    for (const p of INHERITED) raw[p] = cs.getPropertyValue(p);
    raw["color"] = cs.getPropertyValue("color");
    const st = this.resolve({}, null, raw, 1);
    this.base = st;
    return st;
  }

  // The declarations a class list (with the tag) gets from the page's
  // CSS: a hidden probe element of the same tag and class, inside the
  // group, under a container whose sentinel values show which properties
  // a rule set.
  private classDecl(tag: string, cls: string): Decl {
    const key = tag + " " + cls;
    let d = this.classes.get(key);
    if (d) return d;
    const p = document.createElementNS(SVG_NS, tag);
    p.setAttribute("class", cls);
    this.probes.appendChild(p);
    const cs = getComputedStyle(p);
    const pc = getComputedStyle(this.probes);
    d = {};
    for (const name of PROPS) {
      const v = cs.getPropertyValue(name);
      const base = name === "opacity" ? "1" : name === "display" ? "inline" : pc.getPropertyValue(name);
      if (v !== base) d[name] = v;
    }
    p.remove();
    this.classes.set(key, d);
    return d;
  }

  /** Forgets what the page's CSS said (a stylesheet changed). */
  restyle(): void {
    this.classes.clear();
    this.base = null;
    this.grid = null;
    for (const k of this.kids) k.stale();
    this.dirty();
  }

  private declOf(r: Rec): Decl {
    if (r.decl) return r.decl;
    const d: Decl = {};
    for (const p of PROPS) {
      const v = r.attrs.get(p);
      if (v !== undefined) d[p] = String(v);
    }
    const cls = r.attr("class");
    if (cls && cls.trim()) Object.assign(d, this.classDecl(r.tag, cls.trim()));
    const css = r.attr("style");
    if (css) Object.assign(d, sh().styleDecl(css));
    r.decl = d;
    return d;
  }

  private resolve(d: Decl, parent: Style | null, praw: Decl, palpha: number): Style {
    const raw: Decl = { ...praw };
    for (const p of INHERITED) {
      const v = d[p];
      if (v !== undefined && v !== "inherit" && v !== "") raw[p] = v;
    }
    if (d["color"]) raw["color"] = d["color"];
    const s = sh();
    const cur = raw["color"] || "black";
    const fill = raw["fill"] ?? "black";
    const stroke = raw["stroke"] ?? "none";
    // Lengths relative to the font or the viewport are inherited as pixels, as CSS inherits computed values.
    const psize = num(praw["font-size"], 16);
    const size = fontSize(raw["font-size"], psize);
    raw["font-size"] = `${size}px`;
    const sw = this.length(raw["stroke-width"], size, 1);
    raw["stroke-width"] = `${sw}px`;
    const anchor = raw["text-anchor"];
    const db = raw["dominant-baseline"];
    const dash = (raw["stroke-dasharray"] ?? "none").trim();
    let dashes: number[] = [];
    if (dash !== "none" && dash !== "") {
      dashes = dash.split(/[\s,]+/).map((x) => parseFloat(x));
      if (dashes.some((x) => !(x >= 0))) dashes = [];
      else if (dashes.every((x) => x === 0)) dashes = [];
    }
    const cap = raw["stroke-linecap"];
    const join = raw["stroke-linejoin"];
    void parent;
    void palpha;
    const fr = urlOf(fill), sr = urlOf(stroke);
    const filter = (d["filter"] ?? "none").trim();
    return {
      raw,
      fill: fr ? (fr.fallback ? s.color(fr.fallback, cur) : null) : s.color(fill, cur),
      stroke: sr ? (sr.fallback ? s.color(sr.fallback, cur) : null) : s.color(stroke, cur),
      fillRef: fr ? fr.id : null,
      strokeRef: sr ? sr.id : null,
      clip: urlOf(d["clip-path"] ?? "")?.id ?? null,
      filter: filter === "none" || filter === "" ? null : (urlOf(filter)?.id ?? filter),
      mStart: urlOf(raw["marker-start"] ?? "")?.id ?? null,
      mMid: urlOf(raw["marker-mid"] ?? "")?.id ?? null,
      mEnd: urlOf(raw["marker-end"] ?? "")?.id ?? null,
      sw,
      size,
      op: opac(d["opacity"]),
      fop: opac(raw["fill-opacity"]),
      sop: opac(raw["stroke-opacity"]),
      font: `${raw["font-style"] || "normal"} ${raw["font-weight"] || "normal"} ${size}px ${raw["font-family"] || "sans-serif"}`,
      anchor: anchor === "middle" ? "center" : anchor === "end" ? "right" : "left",
      baseline: db === "middle" || db === "central" ? "middle" : db === "hanging" ? "hanging" : db === "text-before-edge" ? "top" : db === "text-after-edge" ? "bottom" : "alphabetic",
      shown: (d["display"] ?? "inline") !== "none",
      visible: (raw["visibility"] ?? "visible") === "visible",
      dash: dashes,
      dashOff: num(raw["stroke-dashoffset"], 0),
      cap: cap === "round" || cap === "square" ? cap : "butt",
      join: join === "round" || join === "bevel" ? join : "miter",
      miter: num(raw["stroke-miterlimit"], 4),
      rule: raw["fill-rule"] === "evenodd" ? "evenodd" : "nonzero",
      events: raw["pointer-events"] || "visiblePainted",
      cursor: raw["cursor"] || "auto",
    };
  }

  /** The record's style, resolving it (and marking its children's stale) when needed. */
  styleOf(r: Rec, ps: Style): Style {
    if (r.st) return r.st;
    const st = this.resolve(this.declOf(r), ps, ps.raw, 1);
    r.st = st;
    for (const k of r.kids) k.st = null;
    return st;
  }

  /** The record's own transform. */
  ownOf(r: Rec): M {
    if (r.own) return r.own;
    const t = r.attr("transform");
    r.own = t ? parseTransform(t) : ID;
    return r.own;
  }

  /** The grid of the records' boxes: built at the first event, then kept up to date. */
  grid: Grid<Rec> | null = null;
  /** Whether the records' ord are their paint order. */
  ordered = false;
  private cand: Rec[] = [];
  /** Whether an event hit-tested the layer since the last draw. */
  private pointed = false;

  /** Notes that r's box may have changed (r or a record in it or around it). */
  touch(r: Rec): void {
    const g = this.grid;
    if (!g) return;
    if (r.tag === "g" || r.tag === "a") {
      for (const k of r.kids) this.touch(k);
      return;
    }
    const x = this.leafOf(r);
    if (x) g.touch(x);
  }

  /** A record's structure changed: the order is to be counted again, the subtree placed again. */
  restructured(r: Rec | null): void {
    this.ordered = false;
    this.ids = null;
    if (r) this.touch(r);
  }

  /** Takes r's subtree out of the grid (r was removed or moved). */
  unlink(r: Rec): void {
    r.live = false;
    if (this.grid) this.grid.unlink(r);
    for (const k of r.kids) this.unlink(k);
  }

  // The record the grid holds for r: r's outermost ancestor (or r) that
  // is not a group and is below groups only; null for records not drawn
  // (in defs, a clipPath...).
  private leafOf(r: Rec): Rec | null {
    let x = r;
    while (x.parent && x.parent.tag !== "g" && x.parent.tag !== "a") x = x.parent;
    for (let a = x.parent; a; a = a.parent) if (a.tag !== "g" && a.tag !== "a") return null;
    return x.tag === "g" || x.tag === "a" ? null : x;
  }

  /** The transform from r's user space to the group's. */
  cmOf(r: Rec): M {
    const own = this.ownOf(r);
    if (!r.parent) return own;
    const pm = this.cmOf(r.parent);
    return own === ID ? pm : mul(pm, own);
  }

  /** r's style, resolving its ancestors' as needed. */
  styleFor(r: Rec): Style {
    if (r.st) return r.st;
    return this.styleOf(r, r.parent ? this.styleFor(r.parent) : this.baseStyle());
  }

  // A box that holds what r covers (fill, stroke) in the group's user
  // space; null when not known (r is tested for every event).
  private bounds(r: Rec): number[] | null {
    const st = this.styleFor(r);
    let b: number[] | null;
    if (r.tag === "circle") {
      // The hot path (moving circles): no arrays made.
      const cx = r.n("cx"), cy = r.n("cy"), rr = Math.max(0, r.n("r"));
      return this.boxOut(r, st, cx - rr, cy - rr, cx + rr, cy + rr);
    }
    if (r.tag === "text") {
      if (r.kids.length) return null;
      b = this.textBox(r, st);
    } else if (r.tag === "image") {
      const href = r.attr("href") ?? r.attr("xlink:href");
      const img = href ? sh().images.get(href) : undefined;
      if (img && img.naturalWidth) {
        const q = imageBox(r, img.naturalWidth, img.naturalHeight);
        b = [q[0], q[1], q[0] + q[2], q[1] + q[3]];
      } else if (!r.attrs.has("width") || !r.attrs.has("height")) return null;
      else b = this.localBox(r);
    } else if (r.tag === "ellipse") {
      // rx or ry alone stands for both.
      const cx = r.n("cx"), cy = r.n("cy"), rx = Math.max(0, r.n("rx"), r.n("ry"));
      b = [cx - rx, cy - rx, cx + rx, cy + rx];
    } else if (r.tag === "g" || r.tag === "a" || r.tag === "use") return null;
    else b = this.localBox(r);
    if (!b) return null;
    return this.boxOut(r, st, b[0]!, b[1]!, b[2]!, b[3]!);
  }

  // The box (x0, y0, x1, y1) of r's user space, padded by the stroke,
  // in the group's user space, written into r.bb's array.
  private boxOut(r: Rec, st: Style, x0: number, y0: number, x1: number, y1: number): number[] | null {
    // The stroke reaches past the shape by half its width, more at miter joins and square caps.
    const pad = r.tag === "image" || r.tag === "text" ? 0 : (Math.max(0, st.sw) / 2) * Math.max(Math.SQRT2, st.join === "miter" ? st.miter : 1);
    x0 -= pad;
    y0 -= pad;
    x1 += pad;
    y1 += pad;
    const m = r.parent ? this.cmOf(r) : this.ownOf(r);
    let a0: number, b0: number, a1: number, b1: number;
    if (m[1] === 0 && m[2] === 0) {
      const p = m[0] * x0 + m[4], q = m[0] * x1 + m[4], u = m[3] * y0 + m[5], v = m[3] * y1 + m[5];
      a0 = Math.min(p, q);
      a1 = Math.max(p, q);
      b0 = Math.min(u, v);
      b1 = Math.max(u, v);
    } else {
      // The extent of the transformed box: per axis, the sums of the terms' smaller and larger ends.
      const ax = m[0] * x0, bx = m[0] * x1, cx = m[2] * y0, dx = m[2] * y1;
      const ay = m[1] * x0, by = m[1] * x1, cy = m[3] * y0, dy = m[3] * y1;
      a0 = Math.min(ax, bx) + Math.min(cx, dx) + m[4];
      a1 = Math.max(ax, bx) + Math.max(cx, dx) + m[4];
      b0 = Math.min(ay, by) + Math.min(cy, dy) + m[5];
      b1 = Math.max(ay, by) + Math.max(cy, dy) + m[5];
    }
    if (!(isFinite(a0) && isFinite(b0) && isFinite(a1) && isFinite(b1))) return null;
    const o = r.bb ?? [0, 0, 0, 0];
    o[0] = a0;
    o[1] = b0;
    o[2] = a1;
    o[3] = b1;
    return o;
  }

  /** A text record's box, as hit testing sees it (the first x and y, the font's ascent and descent). */
  private textBox(r: Rec, st: Style): number[] | null {
    if (r.text === "") return null;
    const c = sh().scratch;
    c.font = st.font;
    const m = c.measureText(r.text);
    const x0 = first(r.attr("x")), y0 = first(r.attr("y"));
    const w = m.width;
    const left = st.anchor === "center" ? x0 - w / 2 : st.anchor === "right" ? x0 - w : x0;
    const asc = m.fontBoundingBoxAscent ?? m.actualBoundingBoxAscent;
    const desc = m.fontBoundingBoxDescent ?? m.actualBoundingBoxDescent;
    return [left, y0 - asc, left + w, y0 + desc];
  }

  /** Builds the grid from every record drawn. */
  private build(): void {
    const leaves: Rec[] = [];
    const walk = (ks: Rec[]) => {
      for (const r of ks) {
        r.cell = NONE;
        r.gd = false;
        if (r.tag === "g" || r.tag === "a") walk(r.kids);
        else leaves.push(r);
      }
    };
    walk(this.kids);
    for (const r of leaves) r.bb = this.bounds(r);
    const g = new Grid<Rec>(Grid.size(leaves.map((r) => r.bb)));
    for (const r of leaves) g.place(r);
    g.stale = false;
    this.grid = g;
  }

  /** Places the records that changed since the last flush. */
  flush(): void {
    const g = this.grid;
    if (!g) return;
    const d = g.dirty;
    for (let i = 0; i < d.length; i++) {
      const r = d[i]!;
      if (!r.gd) continue; // placed by the draw
      r.gd = false;
      if (!r.live) continue;
      r.bb = this.bounds(r);
      g.place(r);
    }
    d.length = 0;
    if (g.stale) this.build();
  }

  private renumber(): void {
    let i = 0;
    const walk = (ks: Rec[]) => {
      for (const r of ks) {
        r.ord = i++;
        if (r.kids.length) walk(r.kids);
      }
    };
    walk(this.kids);
    this.ordered = true;
  }

  /** The topmost record at (x, y) in the group's user space that takes pointer events. */
  hit(x: number, y: number): Rec | null {
    this.pointed = true;
    if (this.owner.scan) return this.hitIn(this.kids, ID, this.baseStyle(), x, y);
    if (!this.grid) this.build();
    else this.flush();
    if (!this.ordered) this.renumber();
    const c = this.grid!.near(x, y, this.cand);
    if (c.length > 1) c.sort((a, b) => b.ord - a.ord);
    let found: Rec | null = null;
    for (const r of c) {
      if (this.hitsRec(r, x, y)) {
        found = r;
        break;
      }
    }
    c.length = 0;
    return found;
  }

  // Whether the point (x, y) of the group's user space is on r, drawn.
  private hitsRec(r: Rec, x: number, y: number): boolean {
    for (let a: Rec | null = r; a; a = a.parent) {
      const as = this.styleFor(a);
      if (!as.shown) return false;
      if (as.clip && !this.inClip(as.clip, a, x, y)) return false;
    }
    const st = this.styleFor(r);
    if (st.events === "none") return false;
    const im = inv(this.cmOf(r));
    if (!im) return false;
    return this.hitsShape(r, st, im[0] * x + im[2] * y + im[4], im[1] * x + im[3] * y + im[5]);
  }

  // Whether (x, y) of the group's user space is inside a's clip-path id.
  private inClip(id: string, a: Rec, x: number, y: number): boolean {
    const c = this.clipOf(id, a, this.cmOf(a));
    if (!c) return false;
    const im = inv(c.m);
    if (!im) return false;
    const s = sh().scratch;
    s.setTransform(1, 0, 0, 1, 0, 0);
    return s.isPointInPath(c.p, im[0] * x + im[2] * y + im[4], im[1] * x + im[3] * y + im[5], c.rule);
  }

  private hitIn(ks: Rec[], pm: M, ps: Style, x: number, y: number): Rec | null {
    for (let i = ks.length - 1; i >= 0; i--) {
      const r = ks[i]!;
      const st = this.styleOf(r, ps);
      if (!st.shown) continue;
      if (st.clip && !this.inClip(st.clip, r, x, y)) continue;
      const own = this.ownOf(r);
      const cm = own === ID ? pm : mul(pm, own);
      if (r.tag === "g" || r.tag === "a") {
        const h = this.hitIn(r.kids, cm, st, x, y);
        if (h) return h;
        continue;
      }
      if (st.events === "none") continue;
      const im = inv(cm);
      if (!im) continue;
      const lx = im[0] * x + im[2] * y + im[4];
      const ly = im[1] * x + im[3] * y + im[5];
      if (this.hitsShape(r, st, lx, ly)) return r;
    }
    return null;
  }

  private hitsShape(r: Rec, st: Style, x: number, y: number): boolean {
    const ev = st.events;
    const any = ev === "all" || ev === "visible" || ev === "painted" || ev === "fill" || ev === "stroke" || ev === "visibleFill" || ev === "visibleStroke";
    if (!st.visible && (ev.startsWith("visible") || !any)) return false;
    const fillOK = ev === "fill" || ev === "visibleFill" || ev === "all" || ev === "visible" || ((ev === "visiblePainted" || ev === "painted" || ev === "auto") && st.fill !== null);
    const strokeOK = ev === "stroke" || ev === "visibleStroke" || ev === "all" || ev === "visible" || ((ev === "visiblePainted" || ev === "painted" || ev === "auto") && st.stroke !== null);
    const sw = st.sw;
    switch (r.tag) {
      case "circle": {
        const rr = r.n("r");
        if (!(rr > 0)) return false;
        const d = Math.hypot(x - r.n("cx"), y - r.n("cy"));
        return (fillOK && d <= rr) || (strokeOK && Math.abs(d - rr) <= sw / 2);
      }
      case "text": {
        const b = this.textBox(r, st);
        return !!b && x >= b[0]! && x <= b[2]! && y >= b[1]! && y <= b[3]!;
      }
      case "use": {
        // What it uses, under its x and y, inheriting from it.
        const h = r.attr("href") ?? r.attr("xlink:href");
        const ref = h && h.startsWith("#") && this.useDepth < 8 ? this.ref(h.slice(1)) : null;
        if (!ref) return false;
        for (let a: Rec | null = r; a; a = a.parent) if (a === ref) return false;
        this.useDepth++;
        ref.stale();
        try {
          const kids = ref.tag === "symbol" ? ref.kids : [ref];
          return this.hitIn(kids, [1, 0, 0, 1, r.n("x"), r.n("y")], ref.tag === "symbol" ? this.styleOf(ref, st) : st, x, y) !== null;
        } finally {
          this.useDepth--;
          ref.stale();
        }
      }
      case "image": {
        const href = r.attr("href") ?? r.attr("xlink:href");
        const img = href ? sh().images.get(href) : undefined;
        const b = img && img.naturalWidth ? imageBox(r, img.naturalWidth, img.naturalHeight) : [r.n("x"), r.n("y"), r.n("width"), r.n("height")];
        return x >= b[0]! && x <= b[0]! + b[2]! && y >= b[1]! && y <= b[1]! + b[3]!;
      }
    }
    const p = geometry(r);
    if (!p) return false;
    const c = sh().scratch;
    c.setTransform(1, 0, 0, 1, 0, 0);
    if (fillOK && r.tag !== "line" && c.isPointInPath(p, x, y, st.rule)) return true;
    if (!strokeOK || !(sw > 0)) return false;
    c.lineWidth = sw;
    c.lineCap = st.cap;
    c.lineJoin = st.join;
    c.miterLimit = st.miter;
    return c.isPointInStroke(p, x, y);
  }
}

/** The tags a layer draws (groups aside); defs, clipPath, marker, pattern and the like only when referenced. */
const DRAWN = new Set(["circle", "ellipse", "rect", "line", "polyline", "polygon", "path", "text", "image", "use"]);

/** A colour (as the canvas writes one) with its alpha times a. */
function withAlpha(c: string, a: number): string {
  if (a >= 1) return c;
  const x = sh().scratch;
  x.fillStyle = c;
  const v = x.fillStyle as string;
  if (v.startsWith("#")) {
    const n = parseInt(v.slice(1), 16);
    return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
  }
  const m = /rgba?\(([^,]+),([^,]+),([^,)]+)(?:,([^)]+))?\)/.exec(v.replace(/\s/g, ""));
  if (!m) return c;
  return `rgba(${m[1]},${m[2]},${m[3]},${(m[4] === undefined ? 1 : parseFloat(m[4])) * a})`;
}

/** The transform of a viewBox [x, y, w, h] into a viewport w×h, by preserveAspectRatio. */
function viewBoxM(vb: number[], w: number, h: number, par: string): M {
  const sx = w / vb[2]!, sy = h / vb[3]!;
  const p = par.trim().split(/\s+/);
  if (p[0] === "none") return [sx, 0, 0, sy, -vb[0]! * sx, -vb[1]! * sy];
  const s = p[1] === "slice" ? Math.max(sx, sy) : Math.min(sx, sy);
  const al = p[0] || "xMidYMid";
  const fx = al.startsWith("xMin") ? 0 : al.startsWith("xMax") ? 1 : 0.5;
  const fy = al.endsWith("YMin") ? 0 : al.endsWith("YMax") ? 1 : 0.5;
  return [s, 0, 0, s, -vb[0]! * s + (w - vb[2]! * s) * fx, -vb[1]! * s + (h - vb[3]! * s) * fy];
}

/** A polyline's or polygon's points as a path's d. */
function pointsPath(r: Rec): string {
  const v = nums(r.attr("points"));
  let d = "";
  for (let i = 0; i + 1 < v.length; i += 2) d += (i ? "L" : "M") + v[i] + "," + v[i + 1];
  return r.tag === "polygon" && d ? d + "Z" : d;
}

/** A record made of a DOM element outside the layers (a gradient, clip path, marker... in the page's defs), without a handle. */
function tempRec(l: Layer, el: Element, parent: Rec | null): Rec {
  const r = new Rec(l, 0, el.localName, 0);
  r.parent = parent;
  r.id = el.id;
  for (const a of Array.from(el.attributes)) if (a.name !== "id") r.attrs.set(a.name, a.value);
  const f = el.firstChild;
  if (f && (f.nodeType === 3 || f.nodeType === 4)) r.text = (f as Text).data;
  for (const k of Array.from(el.children)) if (k.namespaceURI === SVG_NS) r.kids.push(tempRec(l, k, r));
  return r;
}

/** The first number of a coordinate list attribute (text's x and y). */
function first(v: string | undefined): number {
  if (!v) return 0;
  const x = parseFloat(v.trim().split(/[\s,]+/)[0]!);
  return isFinite(x) ? x : 0;
}

function nums(v: string | undefined): number[] {
  if (!v) return [];
  const out: number[] = [];
  for (const p of v.trim().split(/[\s,]+/)) {
    const x = parseFloat(p);
    if (!isFinite(x)) break;
    out.push(x);
  }
  return out;
}

// The box an image is drawn in: preserveAspectRatio "none", or the
// default (xMidYMid meet) for every other value.
function imageBox(r: Rec, iw: number, ih: number): [number, number, number, number] {
  const x = r.n("x"), y = r.n("y");
  let w = r.n("width"), h = r.n("height");
  if (!r.attrs.has("width") && !r.attrs.has("height")) return [x, y, iw, ih];
  if (!r.attrs.has("width")) w = (h * iw) / ih;
  if (!r.attrs.has("height")) h = (w * ih) / iw;
  const par = (r.attr("preserveAspectRatio") || "").trim();
  if (par.startsWith("none")) return [x, y, w, h];
  const s = Math.min(w / iw, h / ih);
  const dw = iw * s, dh = ih * s;
  return [x + (w - dw) / 2, y + (h - dh) / 2, dw, dh];
}

/** A record's shape as a Path2D (rect, ellipse, line, polyline, polygon, path), cached. */
export function geometry(r: Rec): Path2D | null {
  if (r.path) return r.path;
  const p = new Path2D();
  switch (r.tag) {
    case "rect": {
      const x = r.n("x"), y = r.n("y"), w = r.n("width"), h = r.n("height");
      if (!(w > 0) || !(h > 0)) return null;
      const hasX = r.attrs.has("rx") && r.n("rx") >= 0, hasY = r.attrs.has("ry") && r.n("ry") >= 0;
      let rx = hasX ? r.n("rx") : hasY ? r.n("ry") : 0;
      let ry = hasY ? r.n("ry") : rx;
      rx = Math.min(rx, w / 2);
      ry = Math.min(ry, h / 2);
      if (rx > 0 && ry > 0) {
        const H = Math.PI / 2;
        p.moveTo(x + rx, y);
        p.lineTo(x + w - rx, y);
        p.ellipse(x + w - rx, y + ry, rx, ry, 0, -H, 0);
        p.lineTo(x + w, y + h - ry);
        p.ellipse(x + w - rx, y + h - ry, rx, ry, 0, 0, H);
        p.lineTo(x + rx, y + h);
        p.ellipse(x + rx, y + h - ry, rx, ry, 0, H, 2 * H);
        p.lineTo(x, y + ry);
        p.ellipse(x + rx, y + ry, rx, ry, 0, 2 * H, 3 * H);
        p.closePath();
      } else {
        p.rect(x, y, w, h);
      }
      break;
    }
    case "circle": {
      const rr = r.n("r");
      if (!(rr > 0)) return null;
      p.arc(r.n("cx"), r.n("cy"), rr, 0, 2 * Math.PI);
      break;
    }
    case "ellipse": {
      let rx = r.n("rx"), ry = r.n("ry");
      if (!r.attrs.has("rx") || r.attr("rx") === "auto") rx = ry;
      if (!r.attrs.has("ry") || r.attr("ry") === "auto") ry = rx;
      if (!(rx > 0) || !(ry > 0)) return null;
      p.ellipse(r.n("cx"), r.n("cy"), rx, ry, 0, 0, 2 * Math.PI);
      break;
    }
    case "line":
      p.moveTo(r.n("x1"), r.n("y1"));
      p.lineTo(r.n("x2"), r.n("y2"));
      break;
    case "polyline":
    case "polygon": {
      const v = nums(r.attr("points"));
      if (v.length < 4) return null;
      p.moveTo(v[0]!, v[1]!);
      for (let i = 2; i + 1 < v.length; i += 2) p.lineTo(v[i]!, v[i + 1]!);
      if (r.tag === "polygon") p.closePath();
      break;
    }
    case "path": {
      const d = r.attr("d");
      if (!d) return null;
      try {
        r.path = new Path2D(d);
      } catch {
        return null;
      }
      return r.path;
    }
    default:
      return null; // not drawn: use, foreignObject, defs...
  }
  r.path = p;
  return p;
}

/** The canvas layers of a scene, by their group's element. */
export class Canvas {
  layers = new Map<Element, Layer>();
  /** Hit testing by a scan of every record, as before the grid: for comparisons. */
  scan = false;

  /** Forgets every layer (a keyframe replaced the scene). */
  reset(): void {
    for (const l of this.layers.values()) l.close();
    this.layers = new Map();
  }

  /** Whether el is a group that should become a layer. */
  static marked(el: Element): boolean {
    return el.getAttribute(CANVAS_ATTR) === CANVAS_VALUE && el.namespaceURI === SVG_NS;
  }

  /** Makes a layer of the group el, turning its DOM children into records. */
  layer(el: Element, nodes: Map<number, Node>, byEl: WeakMap<Element, Node>): Layer {
    const l = new Layer(el, this);
    this.layers.set(el, l);
    for (const k of Array.from(el.children)) {
      const r = this.fromDOM(l, k, nodes, byEl);
      if (r) l.kids.push(r);
    }
    // The group's own text is not drawn by SVG either; its elements are now records.
    el.replaceChildren(l.fo, l.probes);
    return l;
  }

  /** The records of a DOM subtree, taking over the handles of its elements. */
  fromDOM(l: Layer, el: Element, nodes: Map<number, Node>, byEl: WeakMap<Element, Node>): Rec | null {
    if (el.namespaceURI !== SVG_NS || el.getAttribute("data-vz-canvas") !== null) return null;
    const n = byEl.get(el);
    const r = new Rec(l, n ? n.h : 0, el.localName, n ? n.mask : 0);
    r.id = el.id;
    for (const a of Array.from(el.attributes)) if (a.name !== "id") r.attrs.set(a.name, a.value);
    const f = el.firstChild;
    if (f && (f.nodeType === 3 || f.nodeType === 4)) r.text = (f as Text).data;
    if (n) {
      nodes.set(n.h, r);
      byEl.delete(el);
    }
    for (const k of Array.from(el.children)) {
      const c = this.fromDOM(l, k, nodes, byEl);
      if (c) {
        c.parent = r;
        r.kids.push(c);
      }
    }
    return r;
  }

  /** After a keyframe: a layer for every marked group (not nested in another). */
  adopt(root: Element, nodes: Map<number, Node>, byEl: WeakMap<Element, Node>): void {
    this.reset();
    for (const el of Array.from(root.querySelectorAll(`[${CANVAS_ATTR}="${CANVAS_VALUE}"]`))) {
      if (!Canvas.marked(el)) continue;
      let nested = false;
      for (let a = el.parentElement; a && a !== root; a = a.parentElement) if (this.layers.has(a)) nested = true;
      if (!nested && el.isConnected) this.layer(el, nodes, byEl);
    }
  }

  /** The parent an op names, as a place for records: a layer or a record; null for the DOM. */
  private place(p: Node): { l: Layer; kids: Rec[]; parent: Rec | null } | null {
    if (isRec(p)) return { l: p.layer, kids: p.kids, parent: p };
    const l = this.layers.get(p.el);
    return l ? { l, kids: l.kids, parent: null } : null;
  }

  /** A create into a layer: a new record. Returns false for a DOM parent. */
  create(h: number, tag: string, mask: number, attrs: string[], text: string, p: Node, before: number, nodes: Map<number, Node>, id = ""): boolean {
    const at = this.place(p);
    if (!at) return false;
    const r = new Rec(at.l, h, tag, mask);
    r.id = id;
    for (let i = 0; i < attrs.length; i += 2) {
      const name = attrs[i]!, v = attrs[i + 1]!;
      if (name !== "id" && !(name.endsWith("href") && /^javascript:/i.test(v.replace(/[\u0000-\u0020]/g, "")))) r.attrs.set(name, v);
    }
    r.text = text;
    this.insert(at, r, before, nodes);
    nodes.set(h, r);
    at.l.dirty();
    return true;
  }

  private insert(at: { l: Layer; kids: Rec[]; parent: Rec | null }, r: Rec, before: number, nodes: Map<number, Node>): void {
    r.parent = at.parent;
    const b = before ? nodes.get(before) : undefined;
    const i = b && isRec(b) ? at.kids.indexOf(b) : -1;
    if (i >= 0) at.kids.splice(i, 0, r);
    else at.kids.push(r);
    r.stale();
    revive(r);
    at.l.restructured(r);
  }

  private detach(r: Rec): void {
    const ks = r.parent ? r.parent.kids : r.layer.kids;
    const i = ks.indexOf(r);
    if (i >= 0) ks.splice(i, 1);
    r.parent = null;
    r.layer.unlink(r);
    r.layer.restructured(null);
    r.layer.dirty();
  }

  /** Removes a record and forgets its subtree's handles. */
  remove(r: Rec, nodes: Map<number, Node>): void {
    this.detach(r);
    forgetRecs(r, nodes);
  }

  /**
   * A move that involves a layer. Returns false when the op is for the
   * DOM alone. A record moved to another place in its layer stays a
   * record; moved out of its layer (a reparent), its subtree becomes DOM
   * elements again, with the same handles, and a DOM element moved into
   * a layer becomes records.
   */
  move(n: Node, p: Node, before: number, nodes: Map<number, Node>, byEl?: WeakMap<Element, Node>): boolean {
    const at = this.place(p);
    if (!isRec(n)) {
      if (!at) return false;
      if (!byEl || n.el.querySelector(`[${CANVAS_ATTR}]`) || this.layers.has(n.el)) return true; // a layer into a layer: refused
      const r = this.fromDOM(at.l, n.el, nodes, byEl);
      n.el.remove();
      if (r) this.insert(at, r, before, nodes);
      at.l.dirty();
      return true;
    }
    for (let a: Rec | null = at ? at.parent : null; a; a = a.parent) if (a === n) return true; // a cycle
    if (at && at.l === n.layer) {
      this.detach(n);
      this.insert(at, n, before, nodes);
      at.l.dirty();
      return true;
    }
    if (!byEl) return true;
    this.detach(n);
    const el = toDOM(n, nodes, byEl);
    if (at) {
      // To another layer: through the DOM, for its records.
      const r = this.fromDOM(at.l, el, nodes, byEl);
      if (r) this.insert(at, r, before, nodes);
      at.l.dirty();
      return true;
    }
    const b = before ? nodes.get(before) : undefined;
    p.el.insertBefore(el, b && !isRec(b) && b.el.parentNode === p.el ? b.el : null);
    if (Canvas.marked(el)) this.layer(el, nodes, byEl);
    return true;
  }

  /** After a DOM subtree left the scene: drops the layers in it and their records' handles. */
  removed(el: Element, nodes: Map<number, Node>): void {
    for (const [g, l] of this.layers) {
      if (g !== el && !el.contains(g)) continue;
      for (const r of l.kids) forgetRecs(r, nodes);
      l.close();
      this.layers.delete(g);
    }
  }

  /** The layers in reverse paint order: the topmost first. */
  topmost(): Layer[] {
    const ls = Array.from(this.layers.values()).filter((l) => l.g.isConnected);
    ls.sort((a, b) => (a.g.compareDocumentPosition(b.g) & 4 ? 1 : -1));
    return ls;
  }

  /**
   * Counters for the console and the tests, and two hooks for the tests:
   * hits(xs, ys, scan) hit-tests points of the first layer's user space
   * (the handles hit, 0 for none) with the grid or with a scan of every
   * record; scan(on) makes events hit-test by the scan (dropping the
   * grids, which are no longer kept up to date) or by the grid; and
   * pathInfo is the path reader of hit testing and markers.
   */
  stats(): { layers: number; draws: number; drawMs: number; cells: number; hits: (xs: number[], ys: number[], scan: boolean) => number[]; scan: (on: boolean) => void; pathInfo: typeof pathInfo } {
    let draws = 0, cells = 0, drawMs = 0;
    for (const l of this.layers.values()) {
      draws += l.draws;
      drawMs += l.drawMs;
      cells += l.grid ? l.grid.cells.size : 0;
    }
    return {
      layers: this.layers.size, draws, drawMs, cells, pathInfo,
      scan: (on) => {
        this.scan = on;
        if (on) for (const l of this.layers.values()) l.grid = null;
      },
      hits: (xs, ys, scan) => {
        const l = this.layers.values().next().value;
        if (!l) return [];
        const was = this.scan;
        this.scan = scan;
        try {
          return xs.map((x, i) => l.hit(x, ys[i]!)?.h ?? 0);
        } finally {
          this.scan = was;
        }
      },
    };
  }

  /** Forgets what the page's CSS said, in every layer. */
  restyle(): void {
    for (const l of this.layers.values()) l.restyle();
  }
}

/** The DOM elements of a record's subtree, taking over its handles. */
function toDOM(r: Rec, nodes: Map<number, Node>, byEl: WeakMap<Element, Node>): Element {
  const el = document.createElementNS(SVG_NS, r.tag);
  if (r.id) el.setAttribute("id", r.id);
  // Numbers as the DOM path writes them (Go's formatting), so the DOM still equals a keyframe.
  for (const [k, v] of r.attrs) el.setAttribute(k, typeof v === "number" ? fmtNum(v) : v);
  if (r.text !== "") el.textContent = r.text;
  for (const k of r.kids) el.appendChild(toDOM(k, nodes, byEl));
  if (r.h && nodes.get(r.h) === r) {
    const n: Node = { el, h: r.h, mask: r.mask };
    nodes.set(r.h, n);
    byEl.set(el, n);
  }
  return el;
}

function revive(r: Rec): void {
  r.live = true;
  for (const k of r.kids) revive(k);
}

function forgetRecs(r: Rec, nodes: Map<number, Node>): void {
  if (r.h && nodes.get(r.h) === r) nodes.delete(r.h);
  for (const k of r.kids) forgetRecs(k, nodes);
}

/** A vertex of a path, with the directions (radians, NaN: none) of the segments into and out of it. */
export interface Vertex {
  x: number;
  y: number;
  in: number;
  out: number;
}

/** What a path's d says to hit testing and markers: a box that holds it, and its vertices. */
export interface PathInfo {
  /** [x0, y0, x1, y1]: the end and control points' box (and arcs' radii); null for no segment. */
  box: number[] | null;
  verts: Vertex[];
}

const PATH_ARGS: Record<string, number> = { m: 2, l: 2, h: 1, v: 1, c: 6, s: 4, q: 4, t: 2, a: 7, z: 0 };
const PNUM = /\s*,?\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/y;
const FLAG = /\s*,?\s*([01])/y;

/**
 * pathInfo reads a path's d as SVG does, up to its first error (what
 * comes before an error is drawn): the box of its points and its
 * vertices with the directions markers are oriented by.
 */
export function pathInfo(d: string): PathInfo {
  const verts: Vertex[] = [];
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const pt = (x: number, y: number) => {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  };
  let i = 0;
  const n = d.length;
  let cx = 0, cy = 0, sx = 0, sy = 0; // current point, subpath start
  let px = 0, py = 0; // last control point, for S and T
  let prev = "";
  let start = -1; // index of the subpath's first vertex
  const dir = (ax: number, ay: number, bx: number, by: number) => (ax === bx && ay === by ? NaN : Math.atan2(by - ay, bx - ax));
  // A segment from the current point to (x, y), leaving along a0 and arriving along a1.
  const seg = (x: number, y: number, a0: number, a1: number) => {
    const v = verts[verts.length - 1]!;
    if (isNaN(v.out)) v.out = a0;
    verts.push({ x, y, in: a1, out: NaN });
    cx = x;
    cy = y;
    pt(x, y);
  };
  const nums: number[] = [];
  const read = (k: number, flags: boolean): boolean => {
    nums.length = 0;
    for (let j = 0; j < k; j++) {
      const re = flags && (j === 3 || j === 4) ? FLAG : PNUM;
      re.lastIndex = i;
      const m = re.exec(d);
      if (!m) return false;
      nums.push(parseFloat(m[1]!));
      i = re.lastIndex;
    }
    return true;
  };
  while (i < n && /[\s]/.test(d[i]!)) i++;
  let cmd = "";
  for (;;) {
    while (i < n && /\s/.test(d[i]!)) i++;
    if (i >= n) break;
    const ch = d[i]!;
    if (/[a-zA-Z]/.test(ch)) {
      if (PATH_ARGS[ch.toLowerCase()] === undefined) break;
      cmd = ch;
      i++;
      while (i < n && /\s/.test(d[i]!)) i++;
      if (d[i] === ",") break; // no comma after a command's letter
    } else if (!cmd || cmd === "z" || cmd === "Z") break;
    if (!verts.length && cmd !== "m" && cmd !== "M") break;
    const lc = cmd.toLowerCase();
    const rel = cmd !== cmd.toUpperCase();
    const k = PATH_ARGS[lc]!;
    if (k && !read(k, lc === "a")) break;
    const a = nums;
    const ox = rel ? cx : 0, oy = rel ? cy : 0;
    switch (lc) {
      case "m": {
        const x = a[0]! + ox, y = a[1]! + oy;
        verts.push({ x, y, in: NaN, out: NaN });
        start = verts.length - 1;
        cx = sx = px = x;
        cy = sy = py = y;
        pt(x, y);
        cmd = rel ? "l" : "L"; // the numbers after a moveto are linetos
        break;
      }
      case "l":
      case "h":
      case "v": {
        const x = lc === "v" ? cx : a[0]! + ox, y = lc === "h" ? cy : lc === "v" ? a[0]! + oy : a[1]! + oy;
        const t = dir(cx, cy, x, y);
        seg(x, y, t, t);
        px = x;
        py = y;
        break;
      }
      case "c":
      case "s":
      case "q":
      case "t": {
        let c1x: number, c1y: number, c2x: number, c2y: number, x: number, y: number;
        const smooth = lc === "s" || lc === "t";
        const reflect = smooth && (lc === "s" ? /[cs]/i.test(prev) : /[qt]/i.test(prev));
        const rx = reflect ? 2 * cx - px : cx, ry = reflect ? 2 * cy - py : cy;
        if (lc === "c") [c1x, c1y, c2x, c2y, x, y] = [a[0]! + ox, a[1]! + oy, a[2]! + ox, a[3]! + oy, a[4]! + ox, a[5]! + oy];
        else if (lc === "s") [c1x, c1y, c2x, c2y, x, y] = [rx, ry, a[0]! + ox, a[1]! + oy, a[2]! + ox, a[3]! + oy];
        else if (lc === "q") [c1x, c1y, x, y] = [a[0]! + ox, a[1]! + oy, a[2]! + ox, a[3]! + oy], [c2x, c2y] = [c1x, c1y];
        else [c1x, c1y, x, y] = [rx, ry, a[0]! + ox, a[1]! + oy], [c2x, c2y] = [c1x, c1y];
        pt(c1x, c1y);
        pt(c2x, c2y);
        let t0 = dir(cx, cy, c1x, c1y);
        if (isNaN(t0)) t0 = dir(cx, cy, c2x, c2y);
        if (isNaN(t0)) t0 = dir(cx, cy, x, y);
        let t1 = dir(c2x, c2y, x, y);
        if (isNaN(t1)) t1 = dir(c1x, c1y, x, y);
        if (isNaN(t1)) t1 = dir(cx, cy, x, y);
        px = c2x;
        py = c2y;
        seg(x, y, t0, t1);
        break;
      }
      case "a": {
        const x = a[5]! + ox, y = a[6]! + oy;
        // Radii too small for the ends grow, as SVG's arcs do (F.6.6).
        let arx = Math.abs(a[0]!), ary = Math.abs(a[1]!);
        const phi = (a[2]! * Math.PI) / 180;
        const hx = (cx - x) / 2, hy = (cy - y) / 2;
        const x1 = Math.cos(phi) * hx + Math.sin(phi) * hy, y1 = -Math.sin(phi) * hx + Math.cos(phi) * hy;
        const lam = arx > 0 && ary > 0 ? (x1 * x1) / (arx * arx) + (y1 * y1) / (ary * ary) : 0;
        if (lam > 1) {
          arx *= Math.sqrt(lam);
          ary *= Math.sqrt(lam);
        }
        const r = Math.max(arx, ary);
        // The arc lies within its ellipse, whose centre is at most a radius from either end.
        if (r > 0 && (x !== cx || y !== cy)) {
          pt(cx - 2 * r, cy - 2 * r);
          pt(cx + 2 * r, cy + 2 * r);
        }
        const t = dir(cx, cy, x, y);
        seg(x, y, t, t); // the chord's direction: close enough for markers on gentle arcs
        px = x;
        py = y;
        break;
      }
      case "z": {
        const t = dir(cx, cy, sx, sy);
        seg(sx, sy, t, t);
        const s0 = verts[start];
        if (s0 && isNaN(s0.in)) s0.in = t;
        px = sx;
        py = sy;
        break;
      }
    }
    prev = lc;
  }
  return { box: verts.length > 1 || (verts.length === 1 && isFinite(x0)) ? [x0, y0, x1, y1] : null, verts };
}
