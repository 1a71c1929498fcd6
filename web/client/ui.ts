// The viewer's interface around the scene: the connection indicator, the
// HUD, the error overlay and the controls panel. The page (web.Page) and
// the standalone SVG document (web.SceneSVG, where these live in a
// foreignObject) render the same elements with the same ids; the panel's
// markup here must match web/page.templ.

import {
  C_BUTTON, C_NUMBER, C_SELECT, C_SLIDER, C_TEXT, C_TOGGLE, MAX_TEXT_LEN, type Control, type Stats, type Value,
} from "./wire";
import { SVG_NS, XHTML_NS } from "./scene";

type Attrs = Record<string, string>;

/** h creates an XHTML element (an HTML element in either kind of document). */
export function h(tag: string, attrs: Attrs = {}, ...kids: (Node | string)[]): HTMLElement {
  const el = document.createElementNS(XHTML_NS, tag) as HTMLElement;
  for (const k in attrs) el.setAttribute(k, attrs[k]!);
  el.append(...kids);
  return el;
}

/** The text shown for a number: the shortest form, as Go's 'f', -1. */
export function numText(v: number): string {
  return String(v);
}

/** How a number control shows its values (the rules of Go's wire.ValueText). */
export interface NumSpec {
  min: number;
  max: number;
  step: number;
  unit: string;
  format: string;
  log: boolean;
}

/** The number of thumb positions of a log slider's track (logSteps in web/web.go). */
export const LOG_STEPS = 1000;

function decimals(v: number): number {
  const s = numText(v);
  const i = s.indexOf(".");
  if (s.includes("e")) {
    // 1e-7 and the like: the exponent's digits, plus the mantissa's.
    const [m, e] = s.split("e");
    const md = m!.includes(".") ? m!.length - m!.indexOf(".") - 1 : 0;
    return Math.max(0, md - Number(e));
  }
  return i < 0 ? 0 : s.length - i - 1;
}

/** The decimals values min + k·step show; -1 without a step (wire.StepDecimals). */
export function stepDecimals(min: number, step: number): number {
  if (!(step > 0) || !isFinite(step)) return -1;
  let d = decimals(step);
  if (isFinite(min)) d = Math.max(d, decimals(min));
  return d;
}

/** A number input's text for v (wire.InputText). */
export function inputText(v: number, min: number, step: number): string {
  const d = stepDecimals(min, step);
  return d >= 0 && isFinite(v) && Math.abs(v) < 1e21 ? v.toFixed(Math.min(d, 100)) : numText(v);
}

type Verb = { pre: string; plus: boolean; prec: number; verb: string; post: string };

/** parseFormat reads a control format (wire.CheckFormat's subset); null if it is not one. */
export function parseFormat(f: string): Verb | null {
  const m = /^((?:[^%]|%%)*)%(\+?)(?:\.(\d+))?([fed])((?:[^%]|%%)*)$/.exec(f);
  if (!m) return null;
  const prec = m[3] === undefined ? -1 : Number(m[3]);
  if (prec > 20 || (m[4] === "d" && prec >= 0)) return null;
  const un = (t: string) => t.split("%%").join("%");
  return { pre: un(m[1]!), plus: m[2] === "+", prec, verb: m[4]!, post: un(m[5]!) };
}

function formatVerb(fv: Verb, v: number): string {
  let s: string;
  if (fv.verb === "d") s = Math.round(v).toFixed(0);
  else if (fv.verb === "e") {
    // Go writes at least two exponent digits: 1.2e+04.
    s = v.toExponential(fv.prec < 0 ? 6 : fv.prec).replace(/e([+-])(\d)$/, (_, sign: string, d: string) => `e${sign}0${d}`);
  } else s = v.toFixed(fv.prec < 0 ? 6 : fv.prec);
  if (fv.plus && !s.startsWith("-")) s = "+" + s;
  return fv.pre + s + fv.post;
}

/** The text a panel shows for number v of a control (wire.ValueText). */
export function valueText(c: NumSpec, v: number): string {
  let s: string | undefined;
  const fv = c.format ? parseFormat(c.format) : null;
  if (fv) s = formatVerb(fv, v);
  else if (c.log && !(c.step > 0) && v !== 0 && isFinite(v)) {
    s = v.toFixed(Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v)))));
  } else s = inputText(v, c.min, c.step);
  return c.unit ? s + " " + c.unit : s;
}

/** The real value of a log slider's thumb position (0 to LOG_STEPS). */
export function logValue(c: NumSpec, pos: number): number {
  const t = Math.max(0, Math.min(1, pos / LOG_STEPS));
  let v = c.min * Math.pow(c.max / c.min, t);
  if (c.step > 0) v = c.min + Math.round((v - c.min) / c.step) * c.step;
  else v = Number(v.toPrecision(3));
  v = Math.max(c.min, Math.min(c.max, v));
  const d = stepDecimals(c.min, c.step);
  return d >= 0 ? Number(v.toFixed(d)) : v;
}

/** The thumb position of a log slider's value (logPos in web/web.go). */
export function logPos(c: NumSpec, v: number): number {
  if (!(v > 0) || !(c.min > 0) || !(c.max > c.min)) return 0;
  const t = Math.log(v / c.min) / Math.log(c.max / c.min);
  return Math.round(Math.max(0, Math.min(1, t)) * LOG_STEPS);
}

export type State = "connecting" | "live" | "reconnecting" | "incompatible" | "offline" | "refused";

export class Status {
  constructor(private readonly el: HTMLElement | null) {
    if (el) el.hidden = false;
  }

  set(state: State, text: string, title = ""): void {
    if (!this.el) return;
    this.el.setAttribute("data-state", state);
    this.el.textContent = text;
    this.el.title = title || text;
  }
}

export class Overlay {
  constructor(private readonly el: HTMLElement | null) {}

  set(text: string): void {
    if (!this.el) return;
    this.el.textContent = text;
    this.el.hidden = text === "";
  }
}

/** How long a notice stays, in milliseconds. */
export const NOTICE_MS = 8000;

/**
 * Notices: short messages from the scene or vizserve (a state that could
 * not be carried over, for one), each shown for NOTICE_MS in a stack at
 * the top of the stage that screen readers announce (role=status).
 */
export class Notices {
  private readonly box: HTMLElement | null;

  constructor(ui: HTMLElement | null) {
    this.box = ui ? h("div", { class: "vz-notices", role: "status", "aria-live": "polite" }) : null;
    if (ui && this.box) ui.append(this.box);
  }

  show(text: string): void {
    if (!this.box || text === "") return;
    const n = h("div", { class: "vz-notice" }, text);
    this.box.append(n);
    while (this.box.childElementCount > 4) this.box.firstElementChild!.remove();
    window.setTimeout(() => n.remove(), NOTICE_MS);
  }
}

/** Figures the HUD shows; Client fills them in. */
export interface HUDData {
  fps: number;
  batches: number; // per second
  bytes: number; // per second
  stats: Stats | null;
}

function rate(n: number, unit: string): string {
  if (n >= 1e6) return (n / 1e6).toFixed(1) + " M" + unit;
  if (n >= 1e3) return (n / 1e3).toFixed(1) + " k" + unit;
  return Math.round(n) + " " + unit;
}

export class HUD {
  constructor(private readonly el: HTMLElement | null) {}

  get visible(): boolean {
    return !!this.el && !this.el.hidden;
  }

  toggle(): void {
    if (this.el) this.el.hidden = !this.el.hidden;
  }

  show(d: HUDData): void {
    if (!this.el) return;
    const s = d.stats;
    const lines = [
      `fps ${Math.round(d.fps)}` + (s ? `  lag ${s.lag}` : ""),
      `patches ${Math.round(d.batches)}/s  ${rate(d.bytes, "B/s")}`,
    ];
    if (s) {
      lines.push(`viewers ${s.viewers}  tick ${s.tickHz.toFixed(1)} Hz`);
      lines.push(`sim t ${s.simTime.toFixed(2)} s  ×${+s.speed.toFixed(3)}${s.paused ? "  paused" : ""}`);
    }
    this.el.textContent = lines.join("\n");
  }
}

// Display text of a button key.
function keyText(k: string): string {
  return k === " " ? "Space" : k;
}

/** One control in the panel. */
interface ControlView {
  name: string;
  kind: number;
  key: string;
  input: HTMLInputElement | HTMLSelectElement | HTMLButtonElement;
  out: HTMLElement | null;
  num: NumSpec; // for sliders and number boxes
  /** A value that arrived while the viewer was editing, shown afterwards. */
  held?: Value;
  active: boolean; // the viewer is dragging the slider
}

/**
 * PanelPlots gives the scene's panel plots (scene.PanelPlot: a top-level
 * g.vz-plot[data-vz-slot=panel]) their place in the side panel: each moves
 * into an <svg> of its own under the controls, whose viewBox frames the
 * plot and which the panel's width scales. The elements stay the scene's
 * (its ops reach them where they are); a keyframe brings new ones.
 */
export class PanelPlots {
  private box: HTMLElement | null = null;

  constructor(
    private readonly panel: HTMLElement | null,
    private readonly onCount: (n: number) => void,
  ) {}

  /** Forgets the plots of a root a keyframe replaced. */
  reset(): void {
    this.box?.replaceChildren();
    this.onCount(0);
  }

  /** Moves the root's panel plots into the panel; drops the removed ones. */
  sync(root: Element): void {
    if (!this.panel) return;
    let changed = false;
    for (const g of Array.from(root.children)) {
      if (g.getAttribute("data-vz-slot") !== "panel") continue;
      if (!this.box) {
        this.box = h("div", { class: "vz-panel-plots" });
        this.panel.append(this.box);
      }
      const svg = document.createElementNS(SVG_NS, "svg");
      svg.setAttribute("class", "vz-panel-plot");
      const m = /translate\(([^,)]+),([^)]+)\)/.exec(g.getAttribute("transform") || "");
      const w = Number(g.getAttribute("data-vz-w")) || 244;
      const ht = Number(g.getAttribute("data-vz-h")) || 150;
      svg.setAttribute("viewBox", `${m ? Number(m[1]) : 0} ${m ? Number(m[2]) : 0} ${w} ${ht}`);
      svg.append(g);
      this.box.append(svg);
      changed = true;
    }
    if (!this.box) return;
    for (const s of Array.from(this.box.children)) {
      if (!s.firstElementChild) {
        s.remove();
        changed = true;
      }
    }
    if (changed) this.onCount(this.box.childElementCount);
  }
}

export type Sender = (name: string, v: Value) => void;

/**
 * Panel is the controls panel: it renders the control definitions, shows
 * values as they change, and reports the viewer's changes.
 */
export class Panel {
  private views = new Map<string, ControlView>();
  private sig = "";
  /** Button keys: DOM KeyboardEvent.key → control name. */
  readonly keys = new Map<string, string>();
  /** Slider values waiting for the next frame (at most one send each per frame). */
  private queued = new Map<string, Value>();
  private controls = 0;
  private plots = 0;

  constructor(
    private readonly form: HTMLElement | null,
    private readonly box: HTMLElement | null,
    private readonly toggle: HTMLElement | null,
    private readonly send: Sender,
    private readonly wake: () => void,
  ) {
    if (!form) return;
    // Bind the controls the server rendered, so that they work before the
    // definitions arrive over the websocket.
    this.bindAll();
    form.addEventListener("submit", (e) => e.preventDefault());
    form.addEventListener("input", (e) => this.onInput(e));
    form.addEventListener("change", (e) => this.onChange(e));
    form.addEventListener("click", (e) => this.onClick(e));
    form.addEventListener("pointerdown", (e) => this.active(e, true));
    form.addEventListener("pointerup", (e) => this.active(e, false));
    form.addEventListener("focusout", (e) => this.release(this.viewOf(e.target)));
  }

  /** Replaces the definitions; unchanged definitions only update values. */
  setControls(cs: Control[]): void {
    if (!this.form) return;
    const sig = JSON.stringify(cs.map((c) => [
      c.kind, c.name, c.label, c.min, c.max, c.step, c.key, c.options, c.group, c.unit, c.format, c.log,
    ]));
    if (sig !== this.sig) {
      this.sig = sig;
      this.views.clear();
      this.keys.clear();
      this.form.replaceChildren(...renderPanel(cs));
      this.bindAll();
    }
    for (const c of cs) this.setValue(c.name, c.value);
    this.controls = cs.length;
    this.showBox();
  }

  /** Tells the panel how many plots it holds (PanelPlots): it shows while it has any. */
  setPlots(n: number): void {
    this.plots = n;
    this.showBox();
  }

  private showBox(): void {
    const empty = this.controls === 0 && this.plots === 0;
    if (this.box) this.box.hidden = empty;
    if (this.toggle) this.toggle.hidden = empty;
  }

  /** Shows a control's new value (unless the viewer is editing it). */
  setValue(name: string, v: Value): void {
    const cv = this.views.get(name);
    if (!cv) return;
    const editing = cv.active || ((cv.kind === C_TEXT || cv.kind === C_NUMBER) && cv.input === document.activeElement);
    if (editing) {
      cv.held = v;
      return;
    }
    delete cv.held;
    show(cv, v);
  }

  /** Sends the slider values that changed since the last frame. */
  flush(): void {
    for (const [name, v] of this.queued) this.send(name, v);
    this.queued.clear();
  }

  /** Presses the button bound to key, if any; reports whether it did. */
  press(key: string): boolean {
    const name = this.keys.get(key);
    if (name === undefined) return false;
    this.send(name, null);
    return true;
  }

  private bindAll(): void {
    for (const el of Array.from(this.form!.querySelectorAll("[data-vz-control]"))) this.bind(el as HTMLElement);
  }

  // bind reads a control's markup (the server's or render's): all a view
  // needs is in its attributes.
  private bind(el: HTMLElement): void {
    const name = el.getAttribute("data-vz-control");
    const input = el.querySelector("input,select,button") as ControlView["input"] | null;
    if (name === null || !input) return;
    const kind = Number(el.getAttribute("data-vz-kind"));
    const key = el.getAttribute("data-vz-key") || "";
    const attr = (a: string) => input.getAttribute(a);
    const num: NumSpec = {
      min: Number(attr("min") || 0), max: Number(attr("max") || 0), step: Number(attr("step")) || 0,
      unit: el.getAttribute("data-vz-unit") || "", format: el.getAttribute("data-vz-format") || "", log: false,
    };
    const log = el.getAttribute("data-vz-log");
    if (log !== null) {
      const [min, max, step] = log.split(" ").map(Number);
      Object.assign(num, { min, max, step, log: true });
    }
    this.views.set(name, { name, kind, key, input, out: el.querySelector("output"), num, active: false });
    if (kind === C_BUTTON && key) this.keys.set(key, name);
  }

  private viewOf(t: EventTarget | null): ControlView | undefined {
    const el = (t as Element | null)?.closest?.("[data-vz-control]");
    const name = el?.getAttribute("data-vz-control");
    return name == null ? undefined : this.views.get(name);
  }

  private active(e: Event, on: boolean): void {
    const cv = this.viewOf(e.target);
    if (!cv || cv.kind !== C_SLIDER) return;
    cv.active = on;
    if (!on) this.release(cv);
  }

  // The viewer stopped editing: show what arrived meanwhile.
  private release(cv: ControlView | undefined): void {
    if (!cv || !("held" in cv)) return;
    const v = cv.held!;
    delete cv.held;
    if (!cv.active) show(cv, v);
  }

  private onInput(e: Event): void {
    const cv = this.viewOf(e.target);
    if (!cv || cv.kind !== C_SLIDER) return;
    const v = sliderValue(cv);
    if (cv.out) cv.out.textContent = valueText(cv.num, v);
    this.queued.set(cv.name, v);
    this.wake();
  }

  private onChange(e: Event): void {
    const cv = this.viewOf(e.target);
    if (!cv) return;
    const input = cv.input as HTMLInputElement;
    switch (cv.kind) {
      case C_SLIDER:
        this.queued.set(cv.name, sliderValue(cv));
        this.wake();
        return;
      case C_NUMBER: {
        const v = input.valueAsNumber;
        if (!isNaN(v)) this.send(cv.name, v);
        return;
      }
      case C_TOGGLE:
        this.send(cv.name, input.checked);
        return;
      case C_SELECT:
        this.send(cv.name, input.value);
        return;
      case C_TEXT:
        this.send(cv.name, input.value.slice(0, MAX_TEXT_LEN));
        return;
    }
  }

  private onClick(e: Event): void {
    const cv = this.viewOf(e.target);
    if (cv && cv.kind === C_BUTTON) this.send(cv.name, null);
  }
}

/** The value a slider's thumb stands for: a log slider's is not its position. */
function sliderValue(cv: ControlView): number {
  const pos = Number((cv.input as HTMLInputElement).value);
  return cv.num.log ? logValue(cv.num, pos) : pos;
}

function show(cv: ControlView, v: Value): void {
  const input = cv.input as HTMLInputElement;
  switch (cv.kind) {
    case C_SLIDER:
    case C_NUMBER: {
      const n = Number(v);
      input.value = cv.num.log ? String(logPos(cv.num, n)) : inputText(n, cv.num.min, cv.num.step);
      if (cv.out) cv.out.textContent = valueText(cv.num, n);
      return;
    }
    case C_TOGGLE:
      input.checked = v === true || v === 1;
      return;
    case C_SELECT:
    case C_TEXT:
      input.value = v === null ? "" : String(v);
      return;
  }
}

/**
 * renderPanel builds the panel's markup, as web/page.templ does: each
 * group a titled section where its first control is, holding its controls
 * in their order.
 */
function renderPanel(cs: Control[]): HTMLElement[] {
  const out: HTMLElement[] = [];
  const groups = new Map<string, HTMLElement>();
  for (const c of cs) {
    if (!c.group) {
      out.push(render(c));
      continue;
    }
    let g = groups.get(c.group);
    if (!g) {
      g = h("fieldset", { class: "vz-group", "data-vz-group": c.group }, h("legend", {}, c.group));
      groups.set(c.group, g);
      out.push(g);
    }
    g.append(render(c));
  }
  return out;
}

// numberAttrs are the attributes bind reads a number control's display from.
function numberAttrs(a: Attrs, c: Control): void {
  if (c.unit) a["data-vz-unit"] = c.unit;
  if (c.format) a["data-vz-format"] = c.format;
  if (c.log) a["data-vz-log"] = `${numText(c.min)} ${numText(c.max)} ${numText(c.step)}`;
}

/** render builds one control's markup, as web/page.templ does. */
function render(c: Control): HTMLElement {
  const label = c.label || c.name;
  const a: Attrs = { class: "vz-control", "data-vz-control": c.name, "data-vz-kind": String(c.kind) };
  const span = h("span", { class: "vz-label" }, label);
  const step = c.step > 0 ? numText(c.step) : "any";
  switch (c.kind) {
    case C_SLIDER:
      a.class += " vz-slider";
      numberAttrs(a, c);
      return h("label", a, span,
        h("input", c.log
          ? { type: "range", min: "0", max: String(LOG_STEPS), step: "1" }
          : { type: "range", min: numText(c.min), max: numText(c.max), step }),
        h("output", { class: "vz-value" }));
    case C_NUMBER: {
      const ia: Attrs = { type: "number", step };
      if (c.min < c.max) {
        ia.min = numText(c.min);
        ia.max = numText(c.max);
      }
      a.class += " vz-number";
      numberAttrs(a, c);
      const el = h("label", a, span, h("input", ia));
      if (c.unit) el.append(h("span", { class: "vz-unit" }, c.unit));
      return el;
    }
    case C_TOGGLE:
      a.class += " vz-toggle";
      return h("label", a, span, h("input", { type: "checkbox" }));
    case C_BUTTON: {
      a.class += " vz-button";
      if (c.key) a["data-vz-key"] = c.key;
      const b = h("button", { type: "button" }, label);
      if (c.key) b.append(" ", h("kbd", {}, keyText(c.key)));
      return h("div", a, b);
    }
    case C_SELECT:
      a.class += " vz-select";
      return h("label", a, span, h("select", {}, ...c.options.map((o) => h("option", { value: o }, o))));
  }
  a.class += " vz-text";
  return h("label", a, span, h("input", { type: "text", maxlength: String(MAX_TEXT_LEN) }));
}

/**
 * drawer makes the panel a drawer behind its button on narrow windows
 * (the stylesheet decides when: below 800 px it shows the button and
 * hides the panel unless the button's aria-expanded is "true"). The
 * button opens and closes it; Escape in the drawer closes it and gives
 * the focus back to the button.
 */
export function drawer(button: HTMLElement | null, panel: HTMLElement | null): void {
  if (!button || !panel) return;
  const set = (open: boolean) => button.setAttribute("aria-expanded", String(open));
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    set(open);
    if (open) {
      const first = panel.querySelector<HTMLElement>("input, select, button, textarea");
      // Focus only once the drawer is visible: a hidden element takes none.
      if (first) requestAnimationFrame(() => first.focus({ preventScroll: true }));
    }
  });
  panel.addEventListener("keydown", (e) => {
    if (e.key !== "Escape" || button.getAttribute("aria-expanded") !== "true") return;
    if (getComputedStyle(button).display === "none") return; // wide: no drawer
    e.stopPropagation();
    set(false);
    button.focus();
  });
}
