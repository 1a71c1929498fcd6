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
  "pointer-events", "cursor",
] as const;
const OWN = ["opacity", "display"] as const;
const PROPS: readonly string[] = [...INHERITED, ...OWN];
const PROP_SET = new Set(PROPS);

type Decl = Record<string, string>;

/** A record's style, resolved: what drawing and hit testing read. */
interface Style {
  raw: Decl; // inherited values for the children
  fill: string | null;
  stroke: string | null;
  sw: number;
  alpha: number; // opacity, times that of the groups above
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
    return isFinite(x) ? x : 0;
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
  private readonly ctx: CanvasRenderingContext2D;
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

  /** Draws every record, in paint order. */
  draw(): void {
    this.queued = false;
    if (!this.g.isConnected || this.owner.layers.get(this.g) !== this) return;
    this.rewatch();
    if (!this.layout()) return;
    this.draws++;
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const base = this.baseStyle();
    const B: M = [this.k, 0, 0, this.k, -this.x0 * this.k, -this.y0 * this.k];
    this.cur = null;
    this.curStyle = null;
    ctx.globalAlpha = 1;
    this.curAlpha = 1;
    ctx.setTransform(B[0], B[1], B[2], B[3], B[4], B[5]);
    this.curM = ID;
    for (const r of this.kids) this.drawRec(r, ID, base, B);
    ctx.globalAlpha = 1;
    // The moves of this frame, placed in the grid now rather than by the next event.
    if (this.grid) this.flush();
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
  private curM: M = ID;

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
    const size = num(raw["font-size"], 16);
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
    return {
      raw,
      fill: s.color(fill, cur),
      stroke: s.color(stroke, cur),
      sw: num(raw["stroke-width"], 1),
      alpha: palpha * opac(d["opacity"]),
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
    const st = this.resolve(this.declOf(r), ps, ps.raw, r.tag === "g" || r.tag === "a" || r.tag === "svg" ? ps.alpha : ps.alpha);
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

  private drawRec(r: Rec, pm: M, ps: Style, B: M): void {
    const st = this.styleOf(r, ps);
    if (!st.shown) return;
    const own = this.ownOf(r);
    const cm = own === ID ? pm : mul(pm, own);
    r.cm = cm;
    const tag = r.tag;
    if (tag === "g" || tag === "a") {
      for (const k of r.kids) this.drawRec(k, cm, st, B);
      return;
    }
    if (!st.visible) return;
    const ctx = this.ctx;
    if (cm !== this.curM) {
      const t = mul(B, cm);
      ctx.setTransform(t[0], t[1], t[2], t[3], t[4], t[5]);
      this.curM = cm;
    }
    switch (tag) {
      case "circle": {
        const rr = r.n("r");
        if (!(rr > 0)) return;
        ctx.beginPath();
        ctx.arc(r.n("cx"), r.n("cy"), rr, 0, 2 * Math.PI);
        this.paint(st, null);
        return;
      }
      case "text":
        this.drawText(r, st);
        return;
      case "image":
        this.drawImage(r, st);
        return;
    }
    const p = geometry(r);
    if (p) this.paint(st, p);
  }

  // Fills and strokes the current path (p null) or p.
  private paint(st: Style, p: Path2D | null): void {
    const ctx = this.ctx;
    if (st.fill !== null) {
      this.alpha(st.alpha * st.fop);
      if (this.cur !== st.fill) {
        ctx.fillStyle = st.fill;
        this.cur = st.fill;
      }
      if (p) ctx.fill(p, st.rule);
      else ctx.fill(st.rule);
    }
    if (st.stroke !== null && st.sw > 0) {
      this.alpha(st.alpha * st.sop);
      this.strokeStyle(st);
      if (p) ctx.stroke(p);
      else ctx.stroke();
    }
  }

  private strokeStyle(st: Style): void {
    const ctx = this.ctx;
    if (this.curStyle === st) return;
    ctx.strokeStyle = st.stroke!;
    ctx.lineWidth = st.sw;
    ctx.lineCap = st.cap;
    ctx.lineJoin = st.join;
    ctx.miterLimit = st.miter;
    ctx.setLineDash(st.dash);
    ctx.lineDashOffset = st.dashOff;
    this.curStyle = st;
  }

  private drawText(r: Rec, st: Style): void {
    if (r.text === "") return;
    const ctx = this.ctx;
    ctx.font = st.font;
    ctx.textAlign = st.anchor;
    ctx.textBaseline = st.baseline;
    const x = first(r.attr("x")), y = first(r.attr("y"));
    if (st.fill !== null) {
      this.alpha(st.alpha * st.fop);
      ctx.fillStyle = st.fill;
      this.cur = st.fill;
      ctx.fillText(r.text, x, y);
    }
    if (st.stroke !== null && st.sw > 0) {
      this.alpha(st.alpha * st.sop);
      this.strokeStyle(st);
      ctx.strokeText(r.text, x, y);
    }
  }

  private drawImage(r: Rec, st: Style): void {
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
    this.alpha(st.alpha);
    this.ctx.drawImage(img, b[0], b[1], b[2], b[3]);
  }

  /** The grid of the records' boxes: built at the first event, then kept up to date. */
  grid: Grid<Rec> | null = null;
  /** Whether the records' ord are their paint order. */
  ordered = false;
  private cand: Rec[] = [];

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
    let b: number[] | null = null;
    switch (r.tag) {
      case "circle": {
        const cx = r.n("cx"), cy = r.n("cy"), rr = Math.max(0, r.n("r"));
        b = [cx - rr, cy - rr, cx + rr, cy + rr];
        break;
      }
      case "ellipse": {
        const cx = r.n("cx"), cy = r.n("cy");
        const rx = Math.max(0, r.n("rx"), r.n("ry")), ry = rx;
        b = [cx - rx, cy - ry, cx + rx, cy + ry];
        break;
      }
      case "rect":
      case "image":
        if (r.tag === "image") {
          const href = r.attr("href") ?? r.attr("xlink:href");
          const img = href ? sh().images.get(href) : undefined;
          if (img && img.naturalWidth) {
            const q = imageBox(r, img.naturalWidth, img.naturalHeight);
            b = [q[0], q[1], q[0] + q[2], q[1] + q[3]];
            break;
          }
          if (!r.attrs.has("width") || !r.attrs.has("height")) return null;
        }
        b = [r.n("x"), r.n("y"), r.n("x") + Math.max(0, r.n("width")), r.n("y") + Math.max(0, r.n("height"))];
        break;
      case "line":
        b = [Math.min(r.n("x1"), r.n("x2")), Math.min(r.n("y1"), r.n("y2")), Math.max(r.n("x1"), r.n("x2")), Math.max(r.n("y1"), r.n("y2"))];
        break;
      case "polyline":
      case "polygon": {
        const v = nums(r.attr("points"));
        if (v.length < 2) return null;
        b = [Infinity, Infinity, -Infinity, -Infinity];
        for (let i = 0; i + 1 < v.length; i += 2) {
          b[0] = Math.min(b[0]!, v[i]!);
          b[1] = Math.min(b[1]!, v[i + 1]!);
          b[2] = Math.max(b[2]!, v[i]!);
          b[3] = Math.max(b[3]!, v[i + 1]!);
        }
        break;
      }
      case "path":
        b = pathInfo(r.attr("d") ?? "").box;
        if (!b) return null;
        break;
      case "text": {
        if (r.kids.length) return null;
        const t = this.textBox(r, st);
        if (!t) return null;
        b = t;
        break;
      }
      default:
        return null;
    }
    // The stroke reaches past the shape by half its width, more at miter joins and square caps.
    const pad = r.tag === "image" || r.tag === "text" ? 0 : (Math.max(0, st.sw) / 2) * Math.max(Math.SQRT2, st.join === "miter" ? st.miter : 1);
    const m = this.cmOf(r);
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const [px, py] of [[b[0]! - pad, b[1]! - pad], [b[2]! + pad, b[1]! - pad], [b[0]! - pad, b[3]! + pad], [b[2]! + pad, b[3]! + pad]] as const) {
      const x = m[0] * px + m[2] * py + m[4], y = m[1] * px + m[3] * py + m[5];
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
    return isFinite(x0) && isFinite(y0) && isFinite(x1) && isFinite(y1) ? [x0, y0, x1, y1] : null;
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
    for (let a: Rec | null = r; a; a = a.parent) if (!this.styleFor(a).shown) return false;
    const st = this.styleFor(r);
    if (st.events === "none") return false;
    const im = inv(this.cmOf(r));
    if (!im) return false;
    return this.hitsShape(r, st, im[0] * x + im[2] * y + im[4], im[1] * x + im[3] * y + im[5]);
  }

  private hitIn(ks: Rec[], pm: M, ps: Style, x: number, y: number): Rec | null {
    for (let i = ks.length - 1; i >= 0; i--) {
      const r = ks[i]!;
      const st = this.styleOf(r, ps);
      if (!st.shown) continue;
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
  create(h: number, tag: string, mask: number, attrs: string[], text: string, p: Node, before: number, nodes: Map<number, Node>): boolean {
    const at = this.place(p);
    if (!at) return false;
    const r = new Rec(at.l, h, tag, mask);
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
   * A move that involves a layer: a record to another place among
   * records. Returns false when the op is for the DOM alone. A record
   * moved out of its layer, or a DOM element moved into one, is refused
   * (ignored): a canvas layer holds what was created in it.
   */
  move(n: Node, p: Node, before: number, nodes: Map<number, Node>): boolean {
    const at = this.place(p);
    if (!isRec(n)) return at !== null; // into a layer: ignored
    if (!at || at.l !== n.layer) return true;
    for (let a: Rec | null = at.parent; a; a = a.parent) if (a === n) return true; // a cycle
    this.detach(n);
    this.insert(at, n, before, nodes);
    at.l.dirty();
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
  stats(): { layers: number; draws: number; cells: number; hits: (xs: number[], ys: number[], scan: boolean) => number[]; scan: (on: boolean) => void; pathInfo: typeof pathInfo } {
    let draws = 0, cells = 0;
    for (const l of this.layers.values()) {
      draws += l.draws;
      cells += l.grid ? l.grid.cells.size : 0;
    }
    return {
      layers: this.layers.size, draws, cells, pathInfo,
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
        const r = Math.max(Math.abs(a[0]!), Math.abs(a[1]!));
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
