// The replay player: when the page serves a recording (vizserve replay),
// the run bar becomes a player of it: play/pause, a frame back and on,
// ¼× to 8×, loop, and a timeline to seek, with the time and the duration.
// vizserve replay's page loads /replay.js, which calls vizserve.replay;
// the player then talks to the recording's control, /replay
// (record.Player.ServeHTTP): a POST changes it and returns its state, a
// GET says where it is. A live page never asks.

import { h } from "./ui";
import { SPEEDS, button, setLabel, speedText } from "./runctl";

/** The state /replay returns; times in nanoseconds. */
export interface ReplayState {
  t: number;
  duration: number;
  playing: boolean;
  speed: number;
  loop: boolean;
}

/** detectReplay asks url (the page's /replay) where the recording is:
 * null if it does not answer as a replay's control. */
export async function detectReplay(url: string): Promise<ReplayState | null> {
  try {
    const r = await fetch(url, { cache: "no-store" });
    if (!r.ok || !(r.headers.get("Content-Type") || "").startsWith("application/json")) return null;
    const st = (await r.json()) as ReplayState;
    return typeof st.duration === "number" && typeof st.t === "number" ? st : null;
  } catch {
    return null;
  }
}

const NS = 1e9;

/** "m:ss.cc" for t seconds. */
export function clock(t: number): string {
  const cs = Math.max(0, Math.round(t * 100));
  const m = Math.floor(cs / 6000);
  const s = (cs % 6000) / 100;
  return `${m}:${s.toFixed(2).padStart(5, "0")}`;
}

export class ReplayPlayer {
  private st: ReplayState;
  private at = performance.now(); // when st came
  private readonly play: HTMLButtonElement;
  private readonly loop: HTMLButtonElement;
  private readonly speedEl: HTMLElement;
  private readonly range: HTMLInputElement;
  private readonly time: HTMLElement;
  private dragging = false;
  private busy = false;
  private queued: string | null = null; // the control to send once busy ends
  private poll = 0;
  private raf = 0;

  constructor(private readonly bar: HTMLElement, private readonly url: string, st: ReplayState) {
    this.st = st;
    bar.setAttribute("aria-label", "Replay controls");
    bar.dataset.replay = "";
    this.play = button("pause", "Pause (Space)", () => this.post(this.st.playing ? "pause" : "play"));
    this.play.dataset.run = "play";
    const back = button("back", "A frame back (,)", () => this.post("step=-1"));
    back.dataset.run = "back";
    const step = button("step", "A frame on (.)", () => this.post("step=1"));
    step.dataset.run = "step";
    const slower = button("−", "Slower ([)", () => this.faster(-1));
    slower.dataset.run = "slower";
    this.speedEl = h("span");
    this.speedEl.className = "vz-run-speed";
    this.speedEl.dataset.run = "speed";
    const faster = button("+", "Faster (])", () => this.faster(1));
    faster.dataset.run = "faster";
    this.loop = button("loop", "Loop", () => this.post(`loop=${this.st.loop ? 0 : 1}`));
    this.loop.dataset.run = "loop";
    this.range = h("input") as HTMLInputElement;
    this.range.type = "range";
    this.range.className = "vz-run-timeline";
    this.range.setAttribute("aria-label", "timeline");
    this.range.min = "0";
    this.range.step = "any";
    this.range.dataset.run = "timeline";
    // Keys on the timeline move it (arrows, Home, End), not the scene.
    this.range.addEventListener("keydown", (e) => e.stopPropagation());
    this.range.addEventListener("pointerdown", () => (this.dragging = true));
    this.range.addEventListener("pointerup", () => (this.dragging = false));
    this.range.addEventListener("input", () => this.seekTo(+this.range.value));
    this.range.addEventListener("change", () => {
      this.dragging = false;
      this.seekTo(+this.range.value);
    });
    this.time = h("span");
    this.time.className = "vz-run-time";
    this.time.dataset.run = "time";
    bar.replaceChildren(this.play, back, step, slower, this.speedEl, faster, this.loop, this.range, this.time);
    bar.hidden = false;
    bar.removeAttribute("data-vz-idle");
    this.show();
    this.schedule();
  }

  /** The time shown, in seconds: the last state's, run on while playing. */
  now(): number {
    let t = this.st.t;
    if (this.st.playing) t += (performance.now() - this.at) * 1e6 * this.st.speed;
    return Math.min(t, this.st.duration) / NS;
  }

  private set(st: ReplayState): void {
    this.st = st;
    this.at = performance.now();
    this.show();
  }

  private show(): void {
    const st = this.st;
    this.bar.dataset.paused = String(!st.playing);
    if (this.play.dataset.shows !== String(!st.playing)) {
      this.play.dataset.shows = String(!st.playing);
      setLabel(this.play, st.playing ? "pause" : "play");
    }
    this.play.title = st.playing ? "Pause (Space)" : "Play (Space)";
    this.play.setAttribute("aria-label", st.playing ? "Pause" : "Play");
    this.loop.setAttribute("aria-pressed", String(st.loop));
    this.speedEl.textContent = speedText(st.speed);
    this.range.max = String(st.duration / NS);
    this.tick();
  }

  /** Moves the timeline and the time to now(). */
  private tick(): void {
    const t = this.now();
    if (!this.dragging) this.range.value = String(t);
    this.time.textContent = `${clock(t)} / ${clock(this.st.duration / NS)}`;
    cancelAnimationFrame(this.raf);
    if (this.st.playing) this.raf = requestAnimationFrame(() => this.tick());
  }

  /** Asks /replay where it is: often while it plays, for the end and a
   * loop, seldom while paused, for another page's controls. */
  private schedule(): void {
    clearTimeout(this.poll);
    this.poll = window.setTimeout(() => void this.refresh(), this.st.playing ? 250 : 1000);
  }

  private async refresh(): Promise<void> {
    if (!this.busy) {
      try {
        const r = await fetch(this.url, { cache: "no-store" });
        if (r.ok && !this.busy) this.set((await r.json()) as ReplayState);
      } catch {
        // The server is gone; the page's badge says so.
      }
    }
    this.schedule();
  }

  /** Sends a control (the query of a POST /replay), one at a time; a
   * control sent while another is on its way waits, and a newer one
   * replaces it (a drag of the timeline sends its latest time). */
  post(q: string): void {
    if (this.busy) {
      this.queued = q;
      return;
    }
    this.busy = true;
    void (async () => {
      try {
        const r = await fetch(`${this.url}?${q}`, { method: "POST", cache: "no-store" });
        if (r.ok) this.set((await r.json()) as ReplayState);
      } catch {
        // As refresh.
      }
      this.busy = false;
      const next = this.queued;
      this.queued = null;
      if (next !== null) this.post(next);
      else this.schedule();
    })();
  }

  private seekTo(seconds: number): void {
    this.post(`seek=${seconds.toFixed(6)}`);
  }

  private faster(dir: number): void {
    const cur = this.st.speed;
    const next = dir > 0 ? SPEEDS.find((v) => v > cur + 1e-6) : [...SPEEDS].reverse().find((v) => v < cur - 1e-6);
    if (next !== undefined) this.post(`speed=${next}`);
  }

  /** Handles a player key: "," and "." a frame back and on, "[" and "]"
   * slower and faster; reports whether it was one. */
  key(key: string): boolean {
    switch (key) {
      case ",":
        this.post("step=-1");
        return true;
      case ".":
        this.post("step=1");
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

  /** A tap of Space: play/pause. */
  spaceTap(): boolean {
    this.post(this.st.playing ? "pause" : "play");
    return true;
  }
}
