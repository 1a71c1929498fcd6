// Run controls: play/pause, step, speed and reset in a bar over the scene
// and on keys, the sim time from the stats, and resume/reset on a panic's
// overlay. They send run events; the scene's next stats say what happened.

import { h } from "./ui";
import { RUN_PAUSE, RUN_PLAY, RUN_RESET, RUN_SPEED, RUN_STEP, type Stats } from "./wire";

/** The speeds the buttons and keys step through: ¼× to 8×. */
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8];

export type SendRun = (cmd: number, speed: number) => void;

// Icons as SVG paths on a 16×16 grid: glyphs such as ⏭ are missing from
// many fonts.
export const ICONS = {
  play: "M4 2.5v11l9-5.5z",
  pause: "M4 2.5h3v11H4zM9 2.5h3v11H9z",
  step: "M3 2.5v11l7.5-5.5zM11 2.5h2v11h-2z",
  back: "M13 2.5v11L5.5 8zM3 2.5h2v11H3z",
  loop: "M11.5 1.5 14 4l-2.5 2.5z|M13 4H5.5A3.5 3.5 0 0 0 2 7.5M4.5 14.5 2 12l2.5-2.5|M3 12h7.5A3.5 3.5 0 0 0 14 8.5",
  reset: "M8 .8 12 3.5 8 6.2z|M12.6 8.5A4.8 4.8 0 1 1 8 3.5",
};

export function icon(d: string): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "vz-icon");
  // d is a filled path, then optionally "|" and a stroked one.
  d.split("|").forEach((part, i) => {
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", part);
    if (i > 0) p.setAttribute("class", "vz-icon-stroke");
    svg.append(p);
  });
  return svg;
}

/** A button showing text, or an icon when label is one of ICONS. */
export function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = h("button") as HTMLButtonElement;
  b.type = "button";
  setLabel(b, label);
  b.title = title;
  b.setAttribute("aria-label", title.replace(/ \(.*\)$/, ""));
  b.addEventListener("click", onClick);
  return b;
}

export function setLabel(b: HTMLButtonElement, label: string): void {
  const d = (ICONS as Record<string, string>)[label];
  if (d) b.replaceChildren(icon(d));
  else b.textContent = label;
}

export function speedText(v: number): string {
  return v === 0.25 ? "¼×" : v === 0.5 ? "½×" : `${+v.toFixed(3)}×`;
}

export class RunControls {
  private readonly bar: HTMLElement;
  private readonly play: HTMLButtonElement;
  private readonly reset: HTMLButtonElement;
  private readonly speedEl: HTMLElement;
  private readonly time: HTMLElement;
  private readonly actions: HTMLElement;
  private stats: Stats | null = null;

  /** bar is the page's (empty) run bar, hidden until the scene's first stats. */
  constructor(bar: HTMLElement | null, private readonly overlay: HTMLElement | null, private readonly send: SendRun) {
    this.bar = bar ?? h("div");
    this.play = button("pause", "Pause (Space)", () => this.toggle());
    this.play.dataset.run = "play";
    const step = button("step", "Step one tick (.)", () => this.send(RUN_STEP, 0));
    step.dataset.run = "step";
    const slower = button("−", "Slower ([)", () => this.faster(-1));
    slower.dataset.run = "slower";
    this.speedEl = h("span");
    this.speedEl.className = "vz-run-speed";
    this.speedEl.dataset.run = "speed";
    const faster = button("+", "Faster (])", () => this.faster(1));
    faster.dataset.run = "faster";
    this.reset = button("reset", "Reset to the initial state", () => this.send(RUN_RESET, 0));
    this.reset.dataset.run = "reset";
    this.time = h("span");
    this.time.className = "vz-run-time";
    this.time.dataset.run = "time";
    this.bar.replaceChildren(this.play, step, slower, this.speedEl, faster, this.reset, this.time);

    this.actions = h("div");
    this.actions.className = "vz-overlay-actions";
    const resume = button("Resume", "Resume the simulation", () => this.send(RUN_PLAY, 0));
    resume.dataset.run = "resume";
    const reset = button("Reset", "Restart from the initial state", () => this.send(RUN_RESET, 0));
    reset.dataset.run = "overlay-reset";
    this.actions.append(resume, reset);
  }

  /** Shows the scene's latest stats. */
  update(s: Stats): void {
    this.stats = s;
    this.bar.hidden = false;
    this.bar.removeAttribute("data-vz-idle");
    this.bar.dataset.paused = String(s.paused);
    if (this.play.dataset.shows !== String(s.paused)) {
      this.play.dataset.shows = String(s.paused);
      setLabel(this.play, s.paused ? "play" : "pause");
    }
    this.play.title = s.paused ? "Play (Space)" : "Pause (Space)";
    this.play.setAttribute("aria-label", s.paused ? "Play" : "Pause");
    this.speedEl.textContent = speedText(s.speed);
    this.time.textContent = `t ${s.simTime.toFixed(2)} s`;
    this.reset.hidden = !s.canReset;
    this.overlayChanged();
  }

  /** Puts resume and reset on the overlay while a panic halts the sim;
   * call it after the overlay's text changes (which drops them). */
  overlayChanged(): void {
    const o = this.overlay;
    if (!o) return;
    const want = !!this.stats?.halted && !o.hidden;
    if (want) {
      (this.actions.lastChild as HTMLElement).hidden = !this.stats?.canReset;
      if (o.firstChild !== this.actions) o.prepend(this.actions);
    } else if (this.actions.parentNode) {
      this.actions.remove();
    }
  }

  private toggle(): void {
    this.send(this.stats && !this.stats.paused ? RUN_PAUSE : RUN_PLAY, 0);
  }

  private faster(dir: number): void {
    const cur = this.stats ? this.stats.speed : 1;
    // The next listed speed above or below the current one (which may be
    // any speed the scene set itself).
    const next = dir > 0 ? SPEEDS.find((v) => v > cur + 1e-6) : [...SPEEDS].reverse().find((v) => v < cur - 1e-6);
    if (next !== undefined) this.send(RUN_SPEED, next);
  }

  /** Handles a run key (Space is handled by the caller, see spaceTap);
   * reports whether it was one. Only once the scene has sent stats. */
  key(key: string): boolean {
    if (!this.stats) return false;
    switch (key) {
      case ".":
        this.send(RUN_STEP, 0);
        return true;
      case "[":
        this.faster(-1);
        return true;
      case "]":
        this.faster(1);
        return true;
    }
    return false;
  }

  /** A tap of Space (pressed and released without panning): play/pause. */
  spaceTap(): boolean {
    if (!this.stats) return false;
    this.toggle();
    return true;
  }
}
