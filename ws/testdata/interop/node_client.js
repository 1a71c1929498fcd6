// Client for the interop tests of package ws, on Node's ws package.
//
// Usage: node node_client.js URL SIZES CODE REASON
//
// For each size in SIZES (comma-separated byte counts) it sends a text
// message of exactly that many bytes of UTF-8 (mixing 1- to 4-byte
// characters), a binary message and one of random bytes (which deflate
// cannot shrink), each followed by waiting for its echo
// and checking it byte for byte and by type. Then it sends a fragmented text
// message (split inside a character) and a fragmented binary message, pings
// and waits for the pong, and closes with CODE and REASON. It offers
// permessage-deflate, as ws does by default. It prints a JSON line for each
// step ({"event": "open", "extensions": E} with the extensions the server
// accepted, {"event": "pong"}, {"event": "closed", "code": C, "reason": R}
// with the close frame the server answered with) and exits non-zero on the
// first mismatch.
"use strict";
const crypto = require("crypto");
const WebSocket = require("ws");

const [url, sizesArg, codeArg, reason] = process.argv.slice(2);
const sizes = sizesArg.split(",").map(Number);
const code = Number(codeArg);

const emit = (fields) => process.stdout.write(JSON.stringify(fields) + "\n");
function fail(msg) {
  process.stderr.write("node_client: " + msg + "\n");
  process.exit(1);
}

const UNITS = ["a", "é", "€", "😀"];

// A Buffer of exactly n bytes of UTF-8, with characters of every length.
function textOf(n) {
  const parts = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    let u = UNITS[i % UNITS.length];
    if (size + Buffer.byteLength(u) > n) u = "a";
    parts.push(u);
    size += Buffer.byteLength(u);
  }
  return Buffer.from(parts.join(""), "utf8");
}

function binaryOf(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

const ws = new WebSocket(url, { maxPayload: 16 << 20 });
const inbox = [];
let waiting = null;
let closing = false;
ws.on("message", (data, isBinary) => {
  const m = { data, isBinary };
  if (waiting) {
    const w = waiting;
    waiting = null;
    w(m);
  } else {
    inbox.push(m);
  }
});
ws.on("error", (err) => fail("error: " + err));
ws.on("close", (c, r) => {
  if (!closing) fail(`closed early with ${c} ${r}`);
  emit({ event: "closed", code: c, reason: r.toString("utf8") });
  clearTimeout(guard);
});

const next = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => (waiting = resolve)));

async function checkEcho(sent, binary, what) {
  const m = await next();
  if (m.isBinary !== binary) fail(`${what}: echo has binary=${m.isBinary}`);
  if (!Buffer.from(m.data).equals(sent)) fail(`${what}: echo of ${sent.length} bytes differs (got ${m.data.length})`);
}

const send = (data, opts) =>
  new Promise((resolve, reject) => ws.send(data, opts, (err) => (err ? reject(err) : resolve())));

async function run() {
  await new Promise((resolve) => ws.once("open", resolve));
  emit({ event: "open", extensions: ws.extensions });
  for (const n of sizes) {
    const t = textOf(n);
    await send(t, { binary: false });
    await checkEcho(t, false, `text ${n}`);
    const b = binaryOf(n);
    await send(b, { binary: true });
    await checkEcho(b, true, `binary ${n}`);
    const r = crypto.randomBytes(n); // incompressible
    await send(r, { binary: true });
    await checkEcho(r, true, `random binary ${n}`);
  }

  // Fragmented text, cut one byte into a 4-byte character.
  const t = textOf(70000);
  const cut = t.indexOf(Buffer.from("😀")) + 1;
  await send(t.subarray(0, cut), { binary: false, fin: false });
  await send(t.subarray(cut, 40000), { binary: false, fin: false });
  await send(t.subarray(40000), { binary: false, fin: true });
  await checkEcho(t, false, "fragmented text");
  const b = binaryOf(300000);
  await send(b.subarray(0, 1), { binary: true, fin: false });
  await send(b.subarray(1, 150000), { binary: true, fin: false });
  await send(b.subarray(150000), { binary: true, fin: true });
  await checkEcho(b, true, "fragmented binary");

  await new Promise((resolve) => {
    ws.once("pong", (data) => {
      if (data.toString() !== "node-ping") fail(`pong carries ${data}`);
      resolve();
    });
    ws.ping("node-ping");
  });
  emit({ event: "pong" });

  closing = true;
  ws.close(code, reason);
}

const guard = setTimeout(() => fail("timed out"), 120000);
run().catch((err) => fail(String(err && err.stack ? err.stack : err)));
