// The viewer's interface around the scene: the connection indicator, the
// HUD, the error overlay and the controls panel. The page (web.Page) and
// the standalone SVG document (web.SceneSVG, where these live in a
// foreignObject) render the same elements with the same ids; the panel's
// markup here must match web/page.templ.

import {
  C_BUTTON, C_NUMBER, C_SELECT, C_SLIDER, C_TEXT, C_TOGGLE, MAX_TEXT_LEN, type Control, type Stats, type Value,
} from "./wire";
import { XHTML_NS } from "./scene";

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
  /** A value that arrived while the viewer was editing, shown afterwards. */
  held?: Value;
  active: boolean; // the viewer is dragging the slider
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
    for (const el of Array.from(form.children)) this.bind(el as HTMLElement);
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
    const sig = JSON.stringify(cs.map((c) => [c.kind, c.name, c.label, c.min, c.max, c.step, c.key, c.options]));
    if (sig !== this.sig) {
      this.sig = sig;
      this.views.clear();
      this.keys.clear();
      this.form.replaceChildren(...cs.map(render));
      for (const el of Array.from(this.form.children)) this.bind(el as HTMLElement);
    }
    for (const c of cs) this.setValue(c.name, c.value);
    if (this.box) this.box.hidden = cs.length === 0;
    if (this.toggle) this.toggle.hidden = cs.length === 0;
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

  private bind(el: HTMLElement): void {
    const name = el.getAttribute("data-vz-control");
    const input = el.querySelector("input,select,button") as ControlView["input"] | null;
    if (name === null || !input) return;
    const kind = Number(el.getAttribute("data-vz-kind"));
    const key = el.getAttribute("data-vz-key") || "";
    this.views.set(name, { name, kind, key, input, out: el.querySelector("output"), active: false });
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
    const v = Number((cv.input as HTMLInputElement).value);
    if (cv.out) cv.out.textContent = numText(v);
    this.queued.set(cv.name, v);
    this.wake();
  }

  private onChange(e: Event): void {
    const cv = this.viewOf(e.target);
    if (!cv) return;
    const input = cv.input as HTMLInputElement;
    switch (cv.kind) {
      case C_SLIDER:
        this.queued.set(cv.name, Number(input.value));
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

function show(cv: ControlView, v: Value): void {
  const input = cv.input as HTMLInputElement;
  switch (cv.kind) {
    case C_SLIDER:
    case C_NUMBER: {
      const n = Number(v);
      input.value = numText(n);
      if (cv.out) cv.out.textContent = numText(n);
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

/** render builds one control's markup, as web/controls.templ does. */
function render(c: Control): HTMLElement {
  const label = c.label || c.name;
  const a: Attrs = { class: "vz-control", "data-vz-control": c.name, "data-vz-kind": String(c.kind) };
  const span = h("span", { class: "vz-label" }, label);
  const step = c.step > 0 ? numText(c.step) : "any";
  switch (c.kind) {
    case C_SLIDER:
      a.class += " vz-slider";
      return h("label", a, span,
        h("input", { type: "range", min: numText(c.min), max: numText(c.max), step }),
        h("output", { class: "vz-value" }));
    case C_NUMBER: {
      const ia: Attrs = { type: "number", step };
      if (c.min < c.max) {
        ia.min = numText(c.min);
        ia.max = numText(c.max);
      }
      a.class += " vz-number";
      return h("label", a, span, h("input", ia));
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
