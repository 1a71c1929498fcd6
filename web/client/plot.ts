// Reading values in plots, in the page only (no round trip): a readout
// under the pointer, zoom and pan on x, and the data as CSV. Plots are the
// groups of the plot DOM contract (class vz-plot, docs/client.md "Plots"):
// marks in data coordinates inside .vz-plot-data, whose transform maps them
// into the plotting area .vz-plot-area.
//
// Zoom is per viewer: it rewrites the x part of the .vz-plot-data
// transform in this page (the y part stays the server's), keeps it while
// the server moves the transform (a scrolling chart holds still while
// zoomed), dims the server's x axis and grid and draws its own x ticks for
// the zoomed domain. The client's elements (.vz-readout, .vz-plot-tools,
// .vz-plot-zoom-axis) never go to the server and take no pointer events
// but the buttons'.

import type { Scene } from "./scene";
import { SVG_NS } from "./scene";
import { M_CAPTURE, M_CLICK, M_DBLCLICK, M_DOWN, M_MOVE, M_WHEEL } from "./wire";

/** A series' points, parsed from its points attribute (kept while the text is the same). */
interface Parsed {
  text: string;
  xs: Float64Array;
  ys: Float64Array;
  bars?: BarBox[];
}

/** A matrix(a 0 0 d e f): data → plotting area. */
interface Mat {
  a: number;
  d: number;
  e: number;
  f: number;
}

/** A plot's zoomed domain, in data coordinates. */
interface Zoom {
  x0: number;
  x1: number;
}

/** What the zoom replaced in one .vz-plot-data group: the server's transform, and ours. */
interface Swap {
  base: string;
  ours: string;
}

const MATRIX = /^\s*matrix\(\s*([^\s,()]+)[\s,]+([^\s,()]+)[\s,]+([^\s,()]+)[\s,]+([^\s,()]+)[\s,]+([^\s,()]+)[\s,]+([^\s,()]+)\s*\)\s*$/;

/** parseMatrix reads the contract's matrix(a 0 0 d e f) (or a translate/scale-free identity). */
export function parseMatrix(t: string | null): Mat | null {
  if (t === null || t.trim() === "") return { a: 1, d: 1, e: 0, f: 0 };
  const m = MATRIX.exec(t);
  if (!m) return null;
  const v = m.slice(1).map(Number);
  if (v.some((x) => !isFinite(x)) || v[1] !== 0 || v[2] !== 0 || v[0] === 0 || v[3] === 0) return null;
  return { a: v[0]!, d: v[3]!, e: v[4]!, f: v[5]! };
}

/** parsePoints reads "x,y x,y …" (also "M x,y L x,y …" of a path made of points). */
export function parsePoints(s: string): { xs: Float64Array; ys: Float64Array } {
  const nums = s.replace(/[MLml]/g, " ").split(/[\s,]+/).filter((t) => t !== "").map(Number);
  const n = nums.length >> 1;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = nums[2 * i]!;
    ys[i] = nums[2 * i + 1]!;
  }
  return { xs, ys };
}

/** parseDots reads a scatter's d, "Mx,yh0Mx,yh0…": one point per moveto. */
export function parseDots(s: string): { xs: Float64Array; ys: Float64Array } {
  const xs: number[] = [], ys: number[] = [];
  const re = /M\s*([-+0-9.eE]+)[\s,]+([-+0-9.eE]+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    xs.push(Number(m[1]));
    ys.push(Number(m[2]));
  }
  return { xs: Float64Array.from(xs), ys: Float64Array.from(ys) };
}

/** A bar of a bar mark or a histogram: from x0 to x1, from base to y, in data coordinates. */
export interface BarBox {
  x0: number;
  x1: number;
  base: number;
  y: number;
}

/** parseBars reads the d of bars, "Mx0,baseVyHx1VbaseZ…", one box per subpath. */
export function parseBars(s: string): BarBox[] {
  const out: BarBox[] = [];
  const n = "([-+0-9.eE]+)";
  const re = new RegExp(`M\\s*${n}[\\s,]+${n}\\s*V\\s*${n}\\s*H\\s*${n}\\s*V\\s*${n}\\s*Z`, "g");
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const x0 = Number(m[1]), x1 = Number(m[4]);
    out.push({ x0: Math.min(x0, x1), x1: Math.max(x0, x1), base: Number(m[2]), y: Number(m[3]) });
  }
  return out;
}

/** barAt is the index of the box whose x span holds x, or -1. Boxes are in x order. */
export function barAt(bars: BarBox[], x: number): number {
  let lo = 0, hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid]!.x1 < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < bars.length && bars[lo]!.x0 <= x ? lo : -1;
}

/** nearest is the index of the x in sorted xs closest to x, or -1. */
export function nearest(xs: Float64Array, x: number): number {
  const n = xs.length;
  if (n === 0) return -1;
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo === n) return n - 1;
  if (lo > 0 && x - xs[lo - 1]! <= xs[lo]! - x) return lo - 1;
  return lo;
}

/** niceStep is a 1, 2 or 5 × 10^k step that cuts span into about n parts. */
export function niceStep(span: number, n: number): number {
  const raw = span / Math.max(1, n);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/** decimals is the number of decimals a step's multiples need. */
function decimals(step: number): number {
  return Math.max(0, Math.min(12, -Math.floor(Math.log10(step) + 1e-9)));
}

/** A number as an axis of this kind writes it: decimals for linear, significant digits for log. */
export function fmtValue(v: number, kind: string, dec: number): string {
  if (!isFinite(v)) return String(v);
  if (kind === "log") {
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2).replace("e+", "e");
    return String(+v.toPrecision(3));
  }
  const s = v.toFixed(dec);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** The decimals an axis' tick labels use (the most of any numeric label). */
function axisDecimals(axis: Element | null): number | null {
  if (!axis) return null;
  let best: number | null = null;
  for (const t of Array.from(axis.getElementsByTagNameNS(SVG_NS, "text"))) {
    if (t.classList.contains("vz-plot-zoom-title")) continue;
    const s = (t.textContent || "").trim().replace("\u2212", "-");
    if (!/^-?\d[\d,]*(\.\d+)?$/.test(s)) continue;
    const dot = s.indexOf(".");
    const d = dot < 0 ? 0 : s.length - dot - 1;
    best = best === null ? d : Math.max(best, d);
  }
  return best;
}

/** Whether the event is for the plot's own buttons. */
function onTools(e: Event): boolean {
  const t = e.target as Element | null;
  return !!t?.closest?.(".vz-plot-tools");
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function el(tag: string, attrs: Record<string, string | number>, parent?: Element): SVGElement {
  const e = document.createElementNS(SVG_NS, tag) as SVGElement;
  for (const k in attrs) e.setAttribute(k, String(attrs[k]));
  if (parent) parent.appendChild(e);
  return e;
}

/** What a plot's elements are, found again for each event (the server may replace any of them). */
interface Parts {
  g: SVGGElement; // .vz-plot
  area: SVGGElement;
  data: SVGGElement; // the first .vz-plot-data: its x is the plot's x
  all: SVGGElement[]; // every .vz-plot-data (a second y axis has its own)
  rect: [number, number, number, number]; // the plotting area in the area's user space
}

export class Plots {
  private parsed = new WeakMap<Element, Parsed>();
  private zooms = new Map<string, Zoom>();
  private swaps = new WeakMap<Element, Swap>();
  private pan: { id: number; plot: string; x: number; moved: boolean } | null = null;
  private space = false;
  private hoverPlot: Element | null = null;
  private observer = new MutationObserver((rs) => this.mutated(rs));
  /** Set for tests: the CSV of the last download button pressed. */
  lastCSV = "";

  /**
   * @param roots the elements that hold plots and get their events: the
   *   view, and the panel (where plots placed in the side panel live)
   */
  constructor(
    private readonly scene: Scene,
    roots: (Element | null)[],
  ) {
    for (const r of roots) {
      if (!r) continue;
      const on = <K extends keyof HTMLElementEventMap>(k: K, fn: (e: HTMLElementEventMap[K]) => void, opt: AddEventListenerOptions | boolean) =>
        (r as HTMLElement).addEventListener(k, fn, opt);
      // Capture: before Input's listeners, which a plot gesture stops.
      on("pointermove", (e) => this.move(e), true);
      on("pointerleave", () => {
        this.pointer = null;
        this.hide();
      }, false);
      on("wheel", (e) => this.wheel(e), { capture: true, passive: false });
      on("pointerdown", (e) => this.down(e, r), true);
      on("pointerup", (e) => this.up(e), true);
      on("pointercancel", (e) => this.up(e), true);
      on("dblclick", (e) => this.dblclick(e), true);
      on("click", (e) => {
        if (this.noClick) {
          this.noClick = false;
          e.stopPropagation();
        }
      }, true);
    }
    document.addEventListener("keydown", (e) => { if (e.key === " ") this.space = true; });
    document.addEventListener("keyup", (e) => { if (e.key === " ") this.space = false; });
  }

  private noClick = false;

  /** After a keyframe: the plots are new elements; zoomed ones are zoomed again. */
  adopt(): void {
    this.observer.disconnect();
    this.hoverPlot = null;
    for (const [id, z] of this.zooms) {
      const p = this.byID(id);
      if (!p) {
        this.zooms.delete(id);
        continue;
      }
      this.apply(p, z);
    }
  }

  /** The plots of the document: in the scene, and any the page moved into its panel. */
  private plots(): Element[] {
    return Array.from(document.getElementsByClassName("vz-plot"));
  }

  private byID(id: string): Parts | null {
    for (const g of this.plots()) if (g.getAttribute("data-vz-plot") === id) return this.parts(g);
    return null;
  }

  private parts(g: Element): Parts | null {
    const area = g.querySelector(".vz-plot-area") as SVGGElement | null;
    const all = area ? Array.from(area.querySelectorAll(".vz-plot-data")) as SVGGElement[] : [];
    if (!area || !all.length) return null;
    return { g: g as SVGGElement, area, data: all[0]!, all, rect: this.areaRect(area) };
  }

  /** The plotting area's rect: its clip path's rect, else its box. */
  private areaRect(area: SVGGElement): [number, number, number, number] {
    const m = /url\(\s*["']?#([^"')]+)["']?\s*\)/.exec(area.getAttribute("clip-path") || "");
    const clip = m ? area.ownerDocument.getElementById(m[1]!) : null;
    const r = clip?.querySelector("rect");
    if (r) {
      const n = (a: string) => parseFloat(r.getAttribute(a) || "0") || 0;
      return [n("x"), n("y"), n("width"), n("height")];
    }
    const b = area.getBBox();
    return [b.x, b.y, b.width, b.height];
  }

  /** The plot whose area is under the client point, with the point in the area's user space. */
  private at(cx: number, cy: number): { p: Parts; ax: number; ay: number } | null {
    const plots = this.plots();
    for (let i = plots.length - 1; i >= 0; i--) {
      const p = this.parts(plots[i]!);
      const m = p?.area.getScreenCTM();
      if (!p || !m) continue;
      const q = new DOMPoint(cx, cy).matrixTransform(m.inverse());
      const [x, y, w, h] = p.rect;
      if (q.x >= x && q.x <= x + w && q.y >= y && q.y <= y + h) return { p, ax: q.x, ay: q.y };
    }
    return null;
  }

  /** Whether some element on the event's path up to the root wants one of the bits: then the scene has the event. */
  private wanted(e: Event, bits: number): boolean {
    for (let t = e.target as Element | null; t; t = t.parentElement) {
      const n = this.scene.node(t);
      if (n && n.mask & bits) return true;
    }
    return false;
  }

  private mat(p: Parts): Mat | null {
    return parseMatrix(p.data.getAttribute("transform"));
  }

  // --- the readout ---

  private move(e: PointerEvent): void {
    const pan = this.pan;
    if (pan && pan.id === e.pointerId) {
      const p = this.byID(pan.plot);
      const m = p && p.area.getScreenCTM();
      const z = this.zooms.get(pan.plot) ?? (p ? this.startZoom(pan.plot) : undefined);
      if (p && m && z && this.mat(p)) {
        const dx = (e.clientX - pan.x) / m.a; // area units
        const a = p.rect[2] / (z.x1 - z.x0);
        z.x0 -= dx / a;
        z.x1 -= dx / a;
        pan.x = e.clientX;
        pan.moved = true;
        this.apply(p, z);
      }
      e.stopPropagation();
      return;
    }
    if (e.buttons !== 0) return;
    this.pointer = [e.clientX, e.clientY];
    const hit = this.at(e.clientX, e.clientY);
    if (!hit) {
      this.hide();
      return;
    }
    this.draw(hit.p, hit.ax, hit.ay);
  }

  /** The pointer's last client position while over the view, for refresh. */
  private pointer: [number, number] | null = null;

  /** After a frame applied batches: the readout shown is drawn again, for the new data. */
  refresh(): void {
    if (!this.hoverPlot || !this.pointer || this.pan) return;
    const hit = this.at(this.pointer[0], this.pointer[1]);
    if (hit && hit.p.g === this.hoverPlot) this.draw(hit.p, hit.ax, hit.ay);
    else this.hide();
  }

  hide(): void {
    const g = this.hoverPlot;
    if (!g) return;
    g.querySelector(":scope > .vz-readout")?.remove();
    const tools = g.querySelector(":scope > .vz-plot-tools");
    if (tools) (tools as SVGElement).style.display = "none";
    this.hoverPlot = null;
  }

  /**
   * Draws the readout of plot p for the area's point (ax, ay): the value
   * of each line at the nearest x, the scatter point nearest the pointer,
   * the bar or histogram bin under it, and the heatmap cell under it.
   */
  private draw(p: Parts, ax: number, ay: number): void {
    if (this.hoverPlot && this.hoverPlot !== p.g) this.hide();
    this.hoverPlot = p.g;
    const mat = this.mat(p);
    const toPlot = p.g.getScreenCTM()?.inverse().multiply(p.area.getScreenCTM()!);
    if (!mat || !toPlot) return;
    this.tools(p);
    const xd = (ax - mat.e) / mat.a;
    const xKind = p.data.getAttribute("data-vz-x") || "linear";
    const un = (v: number, kind: string) => (kind === "log" ? Math.pow(10, v) : v);
    const xlabel = p.data.getAttribute("data-vz-xlabel") || "x";
    const xdec = this.decimals(p, "x", xKind, mat);
    const fx = (v: number) => fmtValue(un(v, xKind), xKind, xdec + 1);
    // A hit is one mark's value; dist is how far it is from the pointer,
    // in area units (0 for a bar or a cell under it), to pick the x shown.
    type Hit = {
      name: string; color: string; x: number; y: number; m: Mat; kind: string; axis: string;
      dist: number; dot: boolean; xText?: string | undefined; text?: string | undefined; extra?: string;
    };
    const hits: Hit[] = [];
    let best: Hit | null = null;
    const add = (h: Hit) => {
      hits.push(h);
      if (!best || h.dist < best.dist) best = h;
    };
    for (const data of p.all) {
      const m = parseMatrix(data.getAttribute("transform"));
      if (!m) continue;
      const kind = data.getAttribute("data-vz-y") || "linear";
      const axis = data.getAttribute("data-vz-axis") === "y2" ? "y2" : "y";
      const yd = (ay - m.f) / m.d;
      const ydec = this.decimals(p, axis, kind, m);
      const fy = (v: number) => fmtValue(un(v, kind), kind, ydec + 1);
      for (const s of Array.from(data.querySelectorAll("[data-vz-series]"))) {
        const name = s.getAttribute("data-vz-series") || "";
        const mk = s.getAttribute("data-vz-kind") || "line";
        if (s.classList.contains("vz-heatmap")) {
          const c = this.cell(s, xd, yd);
          if (!c) continue;
          const ylabel = data.getAttribute("data-vz-ylabel") || "y";
          add({
            name, color: c.color, x: c.x + c.w / 2, y: c.y + c.h / 2, m, kind, axis, dist: 0, dot: false,
            xText: `${xlabel} ${fx(c.x)}\u2013${fx(c.x + c.w)}`, extra: `${ylabel} ${fy(c.y)}\u2013${fy(c.y + c.h)}`,
            text: `${name} ${this.fmtCell(p, c.v)}`,
          });
          continue;
        }
        if (s.localName !== "polyline" && s.localName !== "path" && s.localName !== "polygon") continue;
        if (mk === "area-fill") continue; // the area's line is read
        const st = getComputedStyle(s);
        // Bars are their fill (a histogram's stroke is the white between bins).
        const filled = mk === "bar" || mk === "hist";
        const color = !filled && st.stroke && st.stroke !== "none" ? st.stroke : st.fill;
        if (filled) {
          const bars = this.bars(s);
          const i = barAt(bars, xd);
          if (i < 0) continue;
          const b = bars[i]!;
          const hist = mk === "hist";
          add({
            name, color, x: (b.x0 + b.x1) / 2, y: b.y, m, kind, axis, dist: 0, dot: true,
            xText: hist ? `${xlabel} ${fx(b.x0)}\u2013${fx(b.x1)}` : undefined,
            text: hist ? `${name} ${Math.round(un(b.y, kind))}` : undefined,
          });
          continue;
        }
        if (mk === "scatter") {
          const d = this.dots(s);
          let j = -1, dj = Infinity;
          for (let i = 0; i < d.xs.length; i++) {
            const dd = Math.hypot(m.a * (d.xs[i]! - xd), m.d * (d.ys[i]! - yd));
            if (dd < dj) [j, dj] = [i, dd];
          }
          // The point's x and y, by their axes' titles, and the series it is of.
          const ylabel = data.getAttribute("data-vz-ylabel") || "y";
          if (j >= 0) add({ name, color, x: d.xs[j]!, y: d.ys[j]!, m, kind, axis, dist: dj, dot: true, extra: `${ylabel} ${fy(d.ys[j]!)}`, text: name });
          continue;
        }
        const d = this.points(s);
        const i = nearest(d.xs, xd);
        if (i < 0) continue;
        add({ name, color, x: d.xs[i]!, y: d.ys[i]!, m, kind, axis, dist: Math.abs(m.a * (d.xs[i]! - xd)), dot: true });
      }
    }
    let ro = p.g.querySelector(":scope > .vz-readout");
    if (!ro) ro = el("g", { class: "vz-readout", "pointer-events": "none" }, p.g);
    ro.replaceChildren();
    if (!best) return;
    const b0: Hit = best;
    const pt = (x: number, y: number, m = mat) => new DOMPoint(m.a * x + m.e, m.d * y + m.f).matrixTransform(toPlot);
    const [rx, ry, rw, rh] = p.rect;
    const top = new DOMPoint(rx, ry).matrixTransform(toPlot);
    const bottom = new DOMPoint(rx + rw, ry + rh).matrixTransform(toPlot);
    const rule = pt(b0.x, 0).x;
    el("line", { class: "vz-readout-rule", x1: rule, x2: rule, y1: top.y, y2: bottom.y }, ro);
    for (const h of hits) {
      if (!h.dot) continue;
      const q = pt(h.x, h.y, h.m);
      if (q.y < top.y - 1 || q.y > bottom.y + 1) continue;
      el("circle", { class: "vz-readout-dot", cx: q.x, cy: q.y, r: 3.5, fill: h.color }, ro);
    }
    // The box: x, then each mark's value, formatted as the axes are.
    const lines: { text: string; color?: string }[] = [{ text: b0.xText ?? `${xlabel} ${fx(b0.x)}` }];
    if (b0.extra) lines.push({ text: b0.extra });
    for (const h of hits) {
      const dec = this.decimals(p, h.axis, h.kind, h.m);
      lines.push({ text: h.text ?? `${h.name} ${fmtValue(un(h.y, h.kind), h.kind, dec + 1)}`, color: h.color });
    }
    const box = el("g", { class: "vz-readout-box" }, ro);
    const bg = el("rect", { rx: 3 }, box);
    const lh = 14;
    let w = 0;
    lines.forEach((l, i) => {
      const t = el("text", { x: l.color ? 16 : 6, y: 14 + i * lh }, box);
      t.textContent = l.text;
      w = Math.max(w, (l.color ? 16 : 6) + (t as SVGTextElement).getComputedTextLength());
      if (l.color) el("circle", { cx: 9, cy: 10 + i * lh, r: 3.5, fill: l.color }, box);
    });
    const bw = w + 6, bh = lines.length * lh + 6;
    bg.setAttribute("width", String(bw));
    bg.setAttribute("height", String(bh));
    const bx = rule + 10 + bw > bottom.x ? rule - 10 - bw : rule + 10;
    box.setAttribute("transform", `translate(${bx},${top.y + 4})`);
  }

  private decimals(p: Parts, axis: string, kind: string, mat: Mat): number {
    const d = axis === "x" && this.zooms.has(p.g.getAttribute("data-vz-plot") || "")
      ? axisDecimals(p.g.querySelector(":scope > .vz-plot-zoom-axis"))
      : axisDecimals(p.g.querySelector(`:scope > .vz-axis-${axis}`));
    if (d !== null || kind === "log") return d ?? 0;
    // No numeric labels: from the data's span.
    const span = axis === "x" ? p.rect[2] / Math.abs(mat.a) : p.rect[3] / Math.abs(mat.d);
    return decimals(niceStep(span, 5));
  }

  private points(s: Element): Parsed {
    let text = s.getAttribute(s.localName === "path" ? "d" : "points") || "";
    // A path is read as a line only when it is made of points (M and L):
    // scatter marks, areas and bars drawn with other commands are not.
    if (s.localName === "path" && !/^[\sML0-9.,eE+-]*$/.test(text)) text = "";
    let c = this.parsed.get(s);
    if (!c || c.text !== text) {
      c = { text, ...parsePoints(text) };
      this.parsed.set(s, c);
    }
    return c;
  }

  /** A heatmap cell's value, with a decimal more than its colour bar's labels. */
  private fmtCell(p: Parts, v: string): string {
    const n = Number(v);
    if (v === "" || !isFinite(n)) return v;
    const d = axisDecimals(p.g.querySelector(":scope > .vz-colorbar"));
    return fmtValue(n, "linear", (d ?? 2) + 1);
  }

  private dots(s: Element): Parsed {
    const text = s.getAttribute("d") || "";
    let c = this.parsed.get(s);
    if (!c || c.text !== text) {
      c = { text, ...parseDots(text) };
      this.parsed.set(s, c);
    }
    return c;
  }

  private bars(s: Element): BarBox[] {
    const text = s.getAttribute("d") || "";
    let c = this.parsed.get(s);
    if (!c || c.text !== text || !c.bars) {
      c = { text, xs: new Float64Array(0), ys: new Float64Array(0), bars: parseBars(text) };
      this.parsed.set(s, c);
    }
    return c.bars!;
  }

  /** The heatmap cell (a rect with data-vz-v) under the data point (x, y), in data coordinates. */
  private cell(g: Element, x: number, y: number): { x: number; y: number; w: number; h: number; v: string; color: string } | null {
    for (const r of Array.from(g.querySelectorAll("rect[data-vz-v]"))) {
      const n = (a: string) => parseFloat(r.getAttribute(a) || "0") || 0;
      const rx = n("x"), ry = n("y"), w = n("width"), h = n("height");
      if (x >= Math.min(rx, rx + w) && x < Math.max(rx, rx + w) && y >= Math.min(ry, ry + h) && y < Math.max(ry, ry + h)) {
        return { x: rx, y: ry, w, h, v: r.getAttribute("data-vz-v") || "", color: getComputedStyle(r).fill };
      }
    }
    return null;
  }

  // --- the buttons: reset zoom, download CSV ---

  private tools(p: Parts): void {
    const id = p.g.getAttribute("data-vz-plot") || "";
    let t = p.g.querySelector(":scope > .vz-plot-tools") as SVGGElement | null;
    if (!t) {
      t = el("g", { class: "vz-plot-tools" }, p.g) as SVGGElement;
      this.button(t, "vz-plot-csv", "CSV", 0, () => this.download(id));
      this.button(t, "vz-plot-reset", "reset", 1, () => this.reset(id));
    }
    t.style.display = "";
    const toPlot = p.g.getScreenCTM()?.inverse().multiply(p.area.getScreenCTM()!);
    if (!toPlot) return;
    // At the bottom right of the area, away from the readout's box at the top.
    const [rx, ry, rw, rh] = p.rect;
    const br = new DOMPoint(rx + rw, ry + rh).matrixTransform(toPlot);
    t.setAttribute("transform", `translate(${br.x - 4},${br.y - 22})`);
    const reset = t.querySelector(".vz-plot-reset") as SVGElement | null;
    if (reset) reset.style.display = this.zooms.has(id) ? "" : "none";
    if (p.g.lastElementChild !== t) p.g.appendChild(t); // above the readout
  }

  private button(parent: Element, cls: string, label: string, i: number, fn: () => void): void {
    const b = el("g", { class: `vz-plot-button ${cls}`, role: "button", transform: `translate(${-44 - i * 48},0)` }, parent);
    const title = el("title", {}, b);
    title.textContent = cls === "vz-plot-csv" ? "download the data as CSV" : "reset the zoom (or double-click)";
    el("rect", { width: 40, height: 18, rx: 3 }, b);
    const t = el("text", { x: 20, y: 13 }, b);
    t.textContent = label;
    // The scene never sees a press of the page's own buttons.
    for (const k of ["pointerdown", "pointerup", "click", "dblclick"]) {
      b.addEventListener(k, (e) => {
        e.stopPropagation();
        if (k === "click") fn();
      });
    }
  }

  /** csv is the plot's data: one row per point of each series, in data units (log scales undone). */
  csv(id: string): string {
    const p = this.byID(id);
    if (!p) return "";
    const xKind = p.data.getAttribute("data-vz-x") || "linear";
    const un = (v: number, kind: string) => (kind === "log" ? Math.pow(10, v) : v);
    // One y column: a second y axis' series have their own unit, named by the series.
    const rows = [["series", p.data.getAttribute("data-vz-xlabel") || "x", p.data.getAttribute("data-vz-ylabel") || "y"].map(csvField).join(",")];
    for (const data of p.all) {
      const yKind = data.getAttribute("data-vz-y") || "linear";
      for (const s of Array.from(data.querySelectorAll("[data-vz-series]"))) {
        if (s.localName !== "polyline" && s.localName !== "path" && s.localName !== "polygon") continue;
        if (s.getAttribute("data-vz-kind") === "area-fill") continue;
        const name = csvField(s.getAttribute("data-vz-series") || "");
        const d = this.points(s);
        for (let i = 0; i < d.xs.length; i++) {
          rows.push(`${name},${+un(d.xs[i]!, xKind).toPrecision(9)},${+un(d.ys[i]!, yKind).toPrecision(9)}`);
        }
      }
    }
    return rows.join("\n") + "\n";
  }

  private download(id: string): void {
    const text = this.csv(id);
    this.lastCSV = text;
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${id || "plot"}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // --- zoom and pan on x ---

  /** The x domain shown, for tests and the console: [x0, x1] in data units, and whether it is the viewer's own. */
  domain(id: string): { x0: number; x1: number; zoomed: boolean } | null {
    const p = this.byID(id);
    const m = p && this.mat(p);
    if (!p || !m) return null;
    const [rx, , rw] = p.rect;
    return { x0: (rx - m.e) / m.a, x1: (rx + rw - m.e) / m.a, zoomed: this.zooms.has(id) };
  }

  private startZoom(id: string): Zoom | undefined {
    const d = this.domain(id);
    if (!d) return undefined;
    const z = { x0: d.x0, x1: d.x1 };
    this.zooms.set(id, z);
    return z;
  }

  private wheel(e: WheelEvent): void {
    if (onTools(e)) return;
    if (e.ctrlKey || e.metaKey || this.wanted(e, M_WHEEL)) return; // the view's zoom, or the scene's wheel
    const hit = this.at(e.clientX, e.clientY);
    if (!hit) return;
    const id = hit.p.g.getAttribute("data-vz-plot") || "";
    const z = this.zooms.get(id) ?? this.startZoom(id);
    const m = this.mat(hit.p);
    if (!z || !m) return;
    e.preventDefault();
    e.stopPropagation();
    const k = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? window.innerHeight : 1;
    const f = Math.exp(-e.deltaY * k * 0.002); // > 1 zooms in
    const xc = (hit.ax - m.e) / m.a;
    const span = (z.x1 - z.x0) / f;
    z.x0 = xc - (xc - z.x0) / f;
    z.x1 = z.x0 + span;
    this.apply(hit.p, z);
    this.draw(hit.p, hit.ax, hit.ay);
  }

  private down(e: PointerEvent, root: Element): void {
    this.noClick = false;
    if (onTools(e)) return;
    if (e.button !== 0 || this.space || this.wanted(e, M_DOWN | M_CAPTURE | M_MOVE | M_CLICK)) return;
    const hit = this.at(e.clientX, e.clientY);
    if (!hit) return;
    this.pan = { id: e.pointerId, plot: hit.p.g.getAttribute("data-vz-plot") || "", x: e.clientX, moved: false };
    this.hide();
    try {
      root.setPointerCapture(e.pointerId);
    } catch {
      // The pointer is gone; the pan ends with it.
    }
    e.stopPropagation();
  }

  private up(e: PointerEvent): void {
    const pan = this.pan;
    if (!pan || pan.id !== e.pointerId) return;
    this.pan = null;
    this.noClick = pan.moved;
    e.stopPropagation();
  }

  private dblclick(e: MouseEvent): void {
    if (onTools(e)) return;
    if (this.wanted(e, M_DBLCLICK)) return;
    const hit = this.at(e.clientX, e.clientY);
    if (!hit) return;
    const id = hit.p.g.getAttribute("data-vz-plot") || "";
    if (!this.zooms.has(id)) return; // the view's reset, as anywhere
    e.stopPropagation();
    this.reset(id);
    this.draw(hit.p, hit.ax, hit.ay);
  }

  /** Back to the server's domain. */
  reset(id: string): void {
    const z = this.zooms.get(id);
    this.zooms.delete(id);
    const p = this.byID(id);
    if (!p || !z) return;
    for (const data of p.all) {
      const sw = this.swaps.get(data);
      if (sw && data.getAttribute("transform") === sw.ours) data.setAttribute("transform", sw.base);
      this.swaps.delete(data);
    }
    p.g.removeAttribute("data-vz-zoomed");
    p.g.querySelector(":scope > .vz-plot-zoom-axis")?.remove();
    const reset = p.g.querySelector(":scope > .vz-plot-tools .vz-plot-reset") as SVGElement | null;
    if (reset) reset.style.display = "none";
    this.watch();
  }

  /** Writes the zoomed transform and the x ticks of its domain. */
  private apply(p: Parts, z: Zoom): void {
    const [rx, ry, rw, rh] = p.rect;
    const a = rw / (z.x1 - z.x0);
    const e = rx - a * z.x0;
    for (const data of p.all) {
      let sw = this.swaps.get(data);
      const t = data.getAttribute("transform") || "";
      if (!sw) {
        sw = { base: t, ours: "" };
        this.swaps.set(data, sw);
      } else if (t !== sw.ours) sw.base = t; // the server's since
      const base = parseMatrix(sw.base);
      if (!base) continue;
      sw.ours = `matrix(${a} 0 0 ${base.d} ${e} ${base.f})`;
      data.setAttribute("transform", sw.ours);
    }
    p.g.setAttribute("data-vz-zoomed", "");
    this.watch();
    // The x axis of the zoomed domain, in the area's place in the plot group.
    const toPlot = p.g.getScreenCTM()?.inverse().multiply(p.area.getScreenCTM()!);
    if (!toPlot) return;
    let ax = p.g.querySelector(":scope > .vz-plot-zoom-axis");
    if (!ax) ax = el("g", { class: "vz-plot-zoom-axis", "pointer-events": "none" }, p.g);
    ax.replaceChildren();
    const kind = p.data.getAttribute("data-vz-x") || "linear";
    const px = Math.abs(new DOMPoint(rw, 0).matrixTransform(toPlot).x - new DOMPoint(0, 0).matrixTransform(toPlot).x);
    const step = niceStep(z.x1 - z.x0, Math.max(2, Math.floor(px / 80)));
    const dec = decimals(step);
    const bottom = new DOMPoint(rx, ry + rh).matrixTransform(toPlot).y;
    const topY = new DOMPoint(rx, ry).matrixTransform(toPlot).y;
    const left = new DOMPoint(rx, 0).matrixTransform(toPlot).x;
    const right = new DOMPoint(rx + rw, 0).matrixTransform(toPlot).x;
    el("line", { x1: left, x2: right, y1: bottom, y2: bottom }, ax);
    const title = el("text", { class: "vz-plot-zoom-title", x: (left + right) / 2, y: bottom + 36 }, ax);
    title.textContent = `${p.data.getAttribute("data-vz-xlabel") || ""} (zoomed)`.trim();
    for (let v = Math.ceil(z.x0 / step) * step; v <= z.x1 + step * 1e-9; v += step) {
      const x = new DOMPoint(a * v + e, 0).matrixTransform(toPlot).x;
      el("line", { class: "vz-plot-zoom-grid", x1: x, x2: x, y1: topY, y2: bottom }, ax);
      el("line", { x1: x, x2: x, y1: bottom, y2: bottom + 5 }, ax);
      const t = el("text", { x, y: bottom + 17 }, ax);
      t.textContent = fmtValue(kind === "log" ? Math.pow(10, v) : v, kind, dec);
    }
  }

  /** Watches the zoomed plots' transforms: a write from the server becomes the new base, and the zoom stays. */
  private watch(): void {
    this.observer.disconnect();
    for (const id of this.zooms.keys()) {
      const p = this.byID(id);
      for (const data of p?.all ?? []) this.observer.observe(data, { attributes: true, attributeFilter: ["transform"] });
    }
  }

  private mutated(rs: MutationRecord[]): void {
    for (const r of rs) {
      const data = r.target as Element;
      const g = data.closest(".vz-plot");
      const id = g?.getAttribute("data-vz-plot") || "";
      const z = this.zooms.get(id);
      const t = data.getAttribute("transform") || "";
      if (!z || t === this.swaps.get(data)?.ours) continue;
      const p = this.byID(id);
      if (p) this.apply(p, z); // takes t as the server's new base
    }
  }
}
