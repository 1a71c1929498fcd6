// The client: one websocket at a time to the server, reconnecting with
// backoff; batches decoded as they arrive and applied once per animation
// frame; events out; acks of what was applied.

import {
  type Batch, Encoder, EV_ACK, EV_CONTROL, EV_RUN, EV_WHEEL, OP_ASSET, OP_CONTROL_VALUE, OP_CONTROLS,
  OP_KEYFRAME, OP_NOTICE, OP_OVERLAY, OP_STATS, type Stats, SUBPROTOCOL, type Value, decodeBatch,
} from "./wire";
import { ApplyError, type Node, Scene } from "./scene";
import { View } from "./view";
import { Input, type Sink } from "./input";
import { HUD, Notices, Overlay, Panel, PanelPlots, type State, Status } from "./ui";
import { RunControls } from "./runctl";
import { ReplayPlayer, detectReplay } from "./player";
import { Plots } from "./plot";

/** Reconnect delays: the first within 100 ms, doubling, at most 2 s. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2000;

/** Close codes the client sends. Browsers may only send 1000 and 3000–4999,
 * so the protocol's 1002/1003/1007 go out as 4002/4003/4007. */
const CLOSE_PROTOCOL = 4002;
const CLOSE_UNSUPPORTED = 4003;
const CLOSE_INVALID = 4007;
/** The server closed for a policy (an access token that expired): retrying cannot help. */
const CLOSE_POLICY = 1008;

interface Conn {
  ws: WebSocket;
  dead: boolean; // we closed it; ignore what still arrives
}

interface Pending {
  conn: Conn;
  b: Batch;
}

export interface Elements {
  view: SVGSVGElement;
  status: HTMLElement | null;
  hud: HTMLElement | null;
  overlay: HTMLElement | null;
  run: HTMLElement | null;
  panel: HTMLElement | null; // the panel's box, hidden without controls
  drawer: HTMLElement | null; // the button that opens the panel on narrow windows
  controls: HTMLElement | null; // the form holding the controls
}

/** Truncates a close reason to the 123 bytes a close frame allows. */
function reason(s: string): string {
  const enc = new TextEncoder();
  while (enc.encode(s).length > 123) s = s.slice(0, -1);
  return s;
}

export class Client implements Sink {
  readonly scene: Scene;
  readonly view: View;
  readonly input: Input;
  /** Reading values in plots: readout, zoom, CSV (plot.ts). */
  readonly readouts: Plots;
  private readonly status: Status;
  private readonly hud: HUD;
  private readonly overlay: Overlay;
  private readonly notices: Notices;
  readonly panel: Panel;
  private readonly plots: PanelPlots;
  readonly run: RunControls;
  /** The replay player, when the page serves a recording (player.ts). */
  player: ReplayPlayer | null = null;
  private readonly runBar: HTMLElement | null;
  private readonly enc = new Encoder();

  private conn: Conn | null = null;
  private live = false;
  state: State = "connecting";
  /** Failed attempts since the last keyframe; sets the next delay. */
  private attempts = 0;
  /** Number of connections opened, and the delays of the retries, for tests and the console. */
  connects = 0;
  retries: number[] = [];
  private retryAt = 0;
  private countdown = 0;

  private pending: Pending[] = [];
  private frameQueued = false;
  private raf = 0;
  private fallback = 0;
  /** Last applied and last acked sequence numbers on this connection. */
  seq = -1;
  private acked = -1;

  // HUD figures over the last second.
  private frames = 0;
  private msgs = 0;
  private bytes = 0;
  private since = performance.now();
  private stats: Stats | null = null;
  private fps = 0;
  private batchRate = 0;
  private byteRate = 0;

  constructor(private readonly url: string, els: Elements) {
    const first = Array.from(els.view.children).find((c) => c.localName === "svg") || null;
    this.view = new View(els.view, first);
    this.scene = new Scene(els.view, first, (root) => {
      this.plots.reset();
      this.plots.sync(root);
      this.view.setRoot(root);
      this.input.reset();
      this.readouts.adopt();
    });
    this.readouts = new Plots(this.scene, [els.view, els.panel]);
    this.input = new Input(this.scene, this.view, this);
    this.status = new Status(els.status);
    this.hud = new HUD(els.hud);
    this.overlay = new Overlay(els.overlay);
    this.notices = new Notices(els.overlay?.parentElement ?? null);
    this.run = new RunControls(els.run, els.overlay, (cmd, speed) => this.runCmd(cmd, speed));
    this.runBar = els.run;
    this.panel = new Panel(els.controls, els.panel, els.drawer, (name, v) => this.control(name, v), () => this.wake());
    this.plots = new PanelPlots(els.panel, (n) => this.panel.setPlots(n));
    if (first) this.plots.sync(first);
  }

  start(): void {
    this.connect();
  }

  /** Makes the run bar a player of the recording the page serves, whose
   * control is at url (vizserve replay's /replay.js calls it). */
  replay(url: string): void {
    const bar = this.runBar;
    if (!bar || this.player) return;
    const u = new URL(url, document.URL);
    void detectReplay(u.href).then((st) => {
      if (!st || this.player) return;
      this.player = new ReplayPlayer(bar, u.href, st);
      if (this.state === "live") this.setState("live", "replay");
    });
  }

  private setState(s: State, text: string, title = ""): void {
    this.state = s;
    this.status.set(s, text, title);
  }

  private connect(): void {
    clearInterval(this.countdown);
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, SUBPROTOCOL);
    } catch (err) {
      this.setState("offline", "cannot connect", String(err));
      return;
    }
    ws.binaryType = "arraybuffer";
    const c: Conn = { ws, dead: false };
    this.conn = c;
    this.live = false;
    this.connects++;
    if (this.state !== "reconnecting") this.setState("connecting", "connecting");
    ws.onopen = () => {
      if (c !== this.conn) return;
      if (ws.protocol !== SUBPROTOCOL) {
        // Not a vizserve.v1 server: talking would be guesswork.
        c.dead = true;
        ws.close(CLOSE_PROTOCOL, "vizserve.v1 was not selected");
        this.setState("incompatible", "this page needs a vizserve.v1 server");
        return;
      }
      // The server starts with a keyframe; anything still queued from the
      // last connection is superseded by it.
      this.pending = [];
      this.seq = -1;
      this.acked = -1;
      this.scene.reset();
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (c !== this.conn || c.dead) return;
      if (!(ev.data instanceof ArrayBuffer)) {
        this.fail(c, CLOSE_UNSUPPORTED, "text messages are not part of vizserve.v1");
        return;
      }
      let b: Batch;
      try {
        b = decodeBatch(new Uint8Array(ev.data));
      } catch (err) {
        this.fail(c, CLOSE_INVALID, (err as Error).message);
        return;
      }
      this.msgs++;
      this.bytes += ev.data.byteLength;
      this.pending.push({ conn: c, b });
      this.wake();
    };
    ws.onclose = (ev: CloseEvent) => {
      if (c !== this.conn) return;
      this.conn = null;
      this.live = false;
      if (ev.code === CLOSE_POLICY) {
        this.setState("refused", ev.reason || "refused by the server", "open the page with a new link to connect again");
        return;
      }
      if (this.state !== "incompatible") this.retry();
    };
  }

  private retry(): void {
    const base = Math.min(FIRST_RETRY_MS * 2 ** this.attempts, MAX_RETRY_MS);
    // Jitter spreads the reconnects of many viewers after a restart.
    const delay = Math.round(base * (0.5 + 0.5 * Math.random()));
    this.attempts++;
    this.retries.push(delay);
    if (this.retries.length > 32) this.retries.shift();
    this.retryAt = performance.now() + delay;
    window.setTimeout(() => this.connect(), delay);
    this.tick();
    clearInterval(this.countdown);
    if (delay >= 1000) this.countdown = window.setInterval(() => this.tick(), 250);
  }

  private tick(): void {
    const s = Math.ceil((this.retryAt - performance.now()) / 1000);
    this.setState("reconnecting", s >= 1 ? `reconnecting in ${s} s` : "reconnecting");
  }

  /** Closes a connection whose server broke the protocol. */
  private fail(c: Conn, code: number, why: string): void {
    if (c.dead) return;
    c.dead = true;
    console.warn("vizserve: " + why);
    this.pending = this.pending.filter((p) => p.conn !== c);
    c.ws.close(code, reason(why));
  }

  /** Asks for a frame: rAF, or a timer while the page is hidden and rAF sleeps. */
  wake(): void {
    if (this.frameQueued) return;
    this.frameQueued = true;
    this.raf = requestAnimationFrame((t) => this.frame(t, true));
    this.fallback = window.setTimeout(() => this.frame(performance.now(), false), 1000);
  }

  private frame(t: number, painted: boolean): void {
    this.frameQueued = false;
    cancelAnimationFrame(this.raf);
    clearTimeout(this.fallback);
    this.input.flush();
    this.panel.flush();
    const c = this.conn;
    let applied = false;
    // Several batches since the last frame (a busy page, or a backlog after
    // a stall): set each value once, to its latest.
    const merge = this.pending.length > 1;
    try {
      if (merge) this.scene.beginMerge();
      for (const p of this.pending) {
        if (p.conn !== c || c.dead) continue;
        this.applyBatch(p.b);
        applied = true;
      }
      if (merge) this.scene.endMerge();
      const root = this.scene.rootNode()?.el;
      if (applied && root) this.plots.sync(root);
    } catch (err) {
      // An invalid keyframe or create (ApplyError), or an element or
      // attribute name the DOM refuses: the batch cannot be applied.
      this.scene.dropMerge();
      this.pending = [];
      const why = err instanceof ApplyError ? err.message : `wire: cannot apply batch: ${String(err)}`;
      if (c) this.fail(c, CLOSE_INVALID, why);
      return;
    }
    this.pending = [];
    if (applied) this.readouts.refresh(); // a readout shown follows the data
    if (applied && this.seq !== this.acked && this.live) {
      this.acked = this.seq;
      this.sendMsg(this.enc.start(EV_ACK).uv(this.seq).bytes());
    }
    if (painted) this.frames++;
    const dt = t - this.since;
    if (dt >= 500) {
      this.fps = (this.frames * 1000) / dt;
      this.batchRate = (this.msgs * 1000) / dt;
      this.byteRate = (this.bytes * 1000) / dt;
      this.frames = this.msgs = this.bytes = 0;
      this.since = t;
      if (this.hud.visible) this.showHUD();
    }
    // While batches come, the next frame is asked for at once, not when
    // the next batch arrives: the browser then runs this frame's
    // rendering and the next batch's decoding side by side instead of one
    // after the other. A frame that applies nothing ends the run.
    if (applied || this.hud.visible) this.wake(); // the HUD keeps counting frames
  }

  /** Batches received and waiting for the next frame. */
  get queued(): number {
    return this.pending.length;
  }

  private applyBatch(b: Batch): void {
    for (const op of b.ops) {
      switch (op.c) {
        case OP_OVERLAY:
          this.overlay.set(op.text);
          this.run.overlayChanged();
          break;
        case OP_NOTICE:
          this.notices.show(op.text);
          break;
        case OP_ASSET:
          this.asset(op.kind, op.name, op.url);
          break;
        case OP_STATS:
          this.stats = op.stats;
          if (!this.player) this.run.update(op.stats); // a recording's stats are the sim's, not the player's
          if (this.hud.visible) this.showHUD();
          break;
        case OP_CONTROLS:
          this.panel.setControls(op.controls);
          break;
        case OP_CONTROL_VALUE:
          this.panel.setValue(op.name, op.value);
          break;
        default:
          if (!this.scene.ready && op.c !== OP_KEYFRAME) break; // nothing to apply it to yet
          this.scene.apply(op);
          if (op.c === OP_KEYFRAME && !this.live) {
            this.live = true;
            this.attempts = 0;
            this.setState("live", this.player ? "replay" : "live");
          }
      }
    }
    if (b.seq > this.seq) this.seq = b.seq;
  }

  private asset(kind: string, name: string, url: string): void {
    let u: URL;
    try {
      u = new URL(url, document.baseURI);
    } catch {
      return;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return;
    if (kind === "js") {
      location.reload(); // the view is kept in sessionStorage
      return;
    }
    if (kind !== "css") return;
    for (const el of Array.from(document.querySelectorAll("[data-vz-asset]"))) {
      if (el.getAttribute("data-vz-asset") !== name) continue;
      // Canvas layers read the page's CSS once per class: again once it loaded.
      el.addEventListener("load", () => this.scene.canvas.restyle(), { once: true });
      if (el.localName === "link") el.setAttribute("href", u.href);
      else if (el.localName === "style") el.textContent = `@import url(${JSON.stringify(u.href)});`;
    }
  }

  private showHUD(): void {
    this.hud.show({ fps: this.fps, batches: this.batchRate, bytes: this.byteRate, stats: this.stats });
  }

  toggleHUD(): void {
    this.hud.toggle();
    if (this.hud.visible) {
      this.frames = this.msgs = this.bytes = 0;
      this.since = performance.now();
      this.showHUD();
      this.wake();
    }
  }

  private sendMsg(m: Uint8Array<ArrayBuffer>): void {
    const c = this.conn;
    if (c && !c.dead && c.ws.readyState === WebSocket.OPEN) c.ws.send(m);
  }

  // --- Sink: events from Input ---

  private toScene(cx: number, cy: number): DOMPoint {
    const m = (this.scene.root as SVGGraphicsElement | null)?.getScreenCTM();
    const p = new DOMPoint(cx, cy);
    return m ? p.matrixTransform(m.inverse()) : p;
  }

  pointer(kind: number, n: Node, cx: number, cy: number, button: number, buttons: number, mods: number, id: number): void {
    if (!this.live) return;
    const p = this.toScene(cx, cy);
    this.sendMsg(this.enc.start(kind).uv(n.h).f32(p.x).f32(p.y).u8(button).u8(buttons).u8(mods).uv(id).bytes());
  }

  wheel(n: Node, cx: number, cy: number, dx: number, dy: number, mods: number): void {
    if (!this.live) return;
    const p = this.toScene(cx, cy);
    this.sendMsg(this.enc.start(EV_WHEEL).uv(n.h).f32(p.x).f32(p.y).f32(dx).f32(dy).u8(mods).bytes());
  }

  key(kind: number, n: Node, key: string, code: string, mods: number, repeat: boolean): void {
    if (!this.live) return;
    this.sendMsg(this.enc.start(kind).uv(n.h).str(key).str(code).u8(mods).u8(repeat ? 1 : 0).bytes());
  }

  pressKey(key: string): boolean {
    return this.panel.press(key);
  }

  runKey(key: string): boolean {
    if (this.player) return this.player.key(key);
    return this.live && this.run.key(key);
  }

  spaceTap(): boolean {
    if (this.player) return this.player.spaceTap();
    return this.live && this.run.spaceTap();
  }

  private runCmd(cmd: number, speed: number): void {
    if (!this.live) return;
    this.sendMsg(this.enc.start(EV_RUN).u8(cmd).f32(speed).bytes());
  }

  private control(name: string, v: Value): void {
    if (!this.live) return;
    this.sendMsg(this.enc.start(EV_CONTROL).str(name).value(v).bytes());
  }
}
