// vizserve browser client: the entry point. The same bundle runs in the
// HTML page (web.Page) and inside the standalone SVG document
// (web.SceneSVG): both hold an element #vz-view (an <svg>) that wraps the
// scene and names the websocket path in data-vz-ws. See docs/client.md.

import { Client } from "./client";
import { drawer } from "./ui";
import { parseTransform } from "./canvas";
import { decodeBatch } from "./wire";

/** wsURL derives the websocket URL from the document's URL and the path. */
export function wsURL(docURL: string, path: string): string {
  const u = new URL(path || "/ws", docURL);
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new Error(`vizserve: open this document from its server (it was loaded from ${u.protocol})`);
  }
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  // A page opened with an access token passes it on to the upgrade.
  const tok = new URL(docURL).searchParams.get("token");
  if (tok !== null && !u.searchParams.has("token")) u.searchParams.set("token", tok);
  u.hash = "";
  return u.href;
}

function boot(): void {
  const g = globalThis as { vizserve?: unknown };
  if (g.vizserve) return; // loaded twice
  const view = document.getElementById("vz-view");
  if (!view || view.localName !== "svg") return;
  const byId = (id: string) => document.getElementById(id) as HTMLElement | null;
  let url: string;
  try {
    url = wsURL(document.URL, view.getAttribute("data-vz-ws") || "/ws");
  } catch (err) {
    const s = byId("vz-status");
    if (s) {
      s.hidden = false;
      s.setAttribute("data-state", "offline");
      s.textContent = (err as Error).message;
    }
    return;
  }
  const c = new Client(url, {
    view: view as unknown as SVGSVGElement,
    status: byId("vz-status"),
    hud: byId("vz-hud"),
    overlay: byId("vz-overlay"),
    run: byId("vz-run"),
    panel: byId("vz-panel"),
    drawer: byId("vz-drawer"),
    controls: byId("vz-controls"),
  });
  drawer(byId("vz-drawer"), byId("vz-panel"));
  // A handle for the console (and the tests): read-only state and a few
  // actions, not an API.
  g.vizserve = Object.freeze({
    get state() { return c.state; },
    get seq() { return c.seq; },
    get queued() { return c.queued; },
    get connects() { return c.connects; },
    get retries() { return c.retries.slice(); },
    get view() { return c.view.state(); },
    get canvas() { return c.scene.canvas.stats(); },
    parseTransform,
    /** The decoder's verdict on a message: "" if it decodes, else the error (for its fuzz test). */
    decode: (bytes: number[]) => {
      try {
        decodeBatch(new Uint8Array(bytes));
        return "";
      } catch (err) {
        return (err as Error).message;
      }
    },
    plotDomain: (id: string) => c.readouts.domain(id),
    plotCSV: (id: string) => c.readouts.csv(id),
    get lastPlotCSV() { return c.readouts.lastCSV; },
    resetPlot: (id: string) => c.readouts.reset(id),
    resetView: () => c.view.reset(),
    toggleHUD: () => c.toggleHUD(),
    /** The page serves a recording whose control is at url (player.ts). */
    replay: (url: string) => c.replay(url),
  });
  c.start();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
