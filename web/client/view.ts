// Pan and zoom of the viewer's view: the scene's root <svg> sits inside
// the view element (an outer <svg>), whose viewBox the client changes. The
// scene's own DOM is never touched, so the server's picture of it stays
// exact, and the view survives keyframes and reconnects.

const MIN_ZOOM = 0.05;
const MAX_ZOOM = 50;

interface Saved {
  z: number;
  px: number;
  py: number;
}

// A length attribute as user units: a plain number, optionally in px.
function len(v: string | null): number | undefined {
  if (v === null || !/^\s*[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?(px)?\s*$/i.test(v)) return undefined;
  const n = parseFloat(v);
  return n > 0 && isFinite(n) ? n : undefined;
}

/**
 * sceneBox is the part of the view's user space the scene occupies: its
 * x, y, width and height attributes, else its viewBox's size, else
 * 300×150 (the size SVG gives an element without one). The Go side
 * (web.sceneBox) follows the same rule for the first render.
 */
export function sceneBox(root: Element): [number, number, number, number] {
  const vb = (root.getAttribute("viewBox") || "").trim().split(/[\s,]+/).map(Number);
  const ok = vb.length === 4 && vb[2]! > 0 && vb[3]! > 0 && isFinite(vb[2]!) && isFinite(vb[3]!);
  const vw = ok ? vb[2] : undefined;
  const vh = ok ? vb[3] : undefined;
  const x = parseFloat(root.getAttribute("x") || "0") || 0;
  const y = parseFloat(root.getAttribute("y") || "0") || 0;
  return [x, y, len(root.getAttribute("width")) ?? vw ?? 300, len(root.getAttribute("height")) ?? vh ?? 150];
}

export class View {
  private z = 1;
  private px = 0;
  private py = 0;
  private base: [number, number, number, number] = [0, 0, 300, 150];
  private readonly key: string;

  constructor(readonly el: SVGSVGElement, root: Element | null) {
    this.key = "vizserve.view:" + location.pathname;
    try {
      const s = JSON.parse(sessionStorage.getItem(this.key) || "null") as Saved | null;
      if (s && s.z > 0 && isFinite(s.z) && isFinite(s.px) && isFinite(s.py)) {
        this.z = s.z;
        this.px = s.px;
        this.py = s.py;
      }
    } catch {
      // No storage (a sandboxed or file: document): the view starts reset.
    }
    if (root) this.setRoot(root);
  }

  /** Zoom factor and pan offset (in scene units), for tests and the console. */
  state(): Saved {
    return { z: this.z, px: this.px, py: this.py };
  }

  /** Called for the first root and after every keyframe. */
  setRoot(root: Element): void {
    this.base = sceneBox(root);
    // The stylesheet sizes the view to the largest box of the scene's
    // aspect that fits the stage (style.css, .vz-stage > .vz-view); zoom
    // keeps the aspect, so only a new scene box changes it.
    this.el.style.setProperty("--vz-w", String(this.base[2]));
    this.el.style.setProperty("--vz-h", String(this.base[3]));
    this.apply(false);
  }

  /** Zooms by factor f, keeping the point under (cx, cy) in place. */
  zoomAt(cx: number, cy: number, f: number): void {
    const m = this.el.getScreenCTM();
    if (!m) return;
    const p = new DOMPoint(cx, cy).matrixTransform(m.inverse());
    const z = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.z * f));
    const k = this.z / z;
    const [bx, by] = this.base;
    this.px = p.x - (p.x - (bx + this.px)) * k - bx;
    this.py = p.y - (p.y - (by + this.py)) * k - by;
    this.z = z;
    this.apply(true);
  }

  /** Pans by a distance in CSS pixels. */
  panBy(dx: number, dy: number): void {
    const m = this.el.getScreenCTM();
    if (!m || !m.a || !m.d) return;
    this.px -= dx / m.a;
    this.py -= dy / m.d;
    this.apply(true);
  }

  reset(): void {
    this.z = 1;
    this.px = 0;
    this.py = 0;
    this.apply(true);
  }

  private apply(save: boolean): void {
    const [bx, by, bw, bh] = this.base;
    this.el.setAttribute("viewBox", `${bx + this.px} ${by + this.py} ${bw / this.z} ${bh / this.z}`);
    if (!save) return;
    try {
      sessionStorage.setItem(this.key, JSON.stringify(this.state()));
    } catch {
      // Not kept across reloads then; nothing else depends on it.
    }
  }
}
