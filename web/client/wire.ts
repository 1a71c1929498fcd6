// Protocol v1 (docs/protocol.md): decoding of server→browser batches and
// encoding of browser→server events. The Go package scene/wire is the
// reference; the checks and error texts here follow its decoder, so that a
// message one side refuses the other refuses too.

export const SUBPROTOCOL = "vizserve.v1";

/** The longest text box value an event carries, in UTF-16 units (wire.MaxTextLen). */
export const MAX_TEXT_LEN = 4000;

// Op codes.
export const OP_KEYFRAME = 0x01;
export const OP_CREATE = 0x02;
export const OP_REMOVE = 0x03;
export const OP_MOVE = 0x04;
export const OP_SET_ATTR = 0x05;
export const OP_DEL_ATTR = 0x06;
export const OP_SET_NUM = 0x07;
export const OP_SET_XY = 0x08;
export const OP_SET_TEXT = 0x09;
export const OP_LISTEN = 0x0a;
export const OP_SET_POSE = 0x0b;
export const OP_SET_POSE_SCALED = 0x0c;
export const OP_APPEND_POINTS = 0x0d;
export const OP_TRIM_POINTS = 0x0e;
export const OP_OVERLAY = 0x20;
export const OP_ASSET = 0x21;
export const OP_STATS = 0x22;
export const OP_CONTROLS = 0x23;
export const OP_CONTROL_VALUE = 0x24;
export const OP_NOTICE = 0x25;

// Event kinds (browser→server).
export const EV_DOWN = 0x01;
export const EV_MOVE = 0x02;
export const EV_UP = 0x03;
export const EV_CLICK = 0x04;
export const EV_DBLCLICK = 0x05;
export const EV_WHEEL = 0x06;
export const EV_KEYDOWN = 0x07;
export const EV_KEYUP = 0x08;
export const EV_ENTER = 0x09;
export const EV_LEAVE = 0x0a;
export const EV_CONTROL = 0x0b;
export const EV_RUN = 0x0c;
export const EV_ACK = 0x10;

// Run commands (the cmd byte of EV_RUN).
export const RUN_PLAY = 1;
export const RUN_PAUSE = 2;
export const RUN_STEP = 3;
export const RUN_SPEED = 4;
export const RUN_RESET = 5;

// Bits of a stats op's run byte.
const RUN_PAUSED = 1;
const RUN_CAN_RESET = 2;
const RUN_HALTED = 4;

// Event mask bits: which events an element wants.
export const M_CLICK = 1;
export const M_DBLCLICK = 2;
export const M_DOWN = 4;
export const M_MOVE = 8;
export const M_UP = 16;
export const M_WHEEL = 32;
export const M_KEYDOWN = 64;
export const M_KEYUP = 128;
export const M_HOVER = 256;
export const M_CAPTURE = 512;

// Control kinds.
export const C_SLIDER = 1;
export const C_NUMBER = 2;
export const C_TOGGLE = 3;
export const C_BUTTON = 4;
export const C_SELECT = 5;
export const C_TEXT = 6;

// The static attribute table: key k on the wire is ATTR[k] (1..38).
export const ATTR = [
  "", "x", "y", "cx", "cy", "r", "rx", "ry", "width", "height",
  "x1", "y1", "x2", "y2", "d", "points", "transform", "style",
  "fill", "stroke", "stroke-width", "opacity", "fill-opacity", "stroke-opacity",
  "class", "href", "xlink:href", "font-size", "font-family", "text-anchor",
  "visibility", "display", "viewBox", "stroke-dasharray", "font-weight",
  "dominant-baseline", "preserveAspectRatio", "offset", "stop-color",
];

// The attribute pairs of set-xy, by pair number; 7 is translate(x,y).
export const PAIRS: readonly (readonly [string, string])[] = [
  ["", ""], ["x", "y"], ["cx", "cy"], ["x1", "y1"], ["x2", "y2"],
  ["width", "height"], ["rx", "ry"], ["transform", ""],
];
export const PAIR_TRANSLATE = 7;

/** A control value: none (null), a number, a bool or a string. */
export type Value = null | number | boolean | string;

export interface Control {
  kind: number;
  name: string;
  label: string;
  min: number;
  max: number;
  step: number;
  key: string;
  options: string[];
  value: Value;
  // Control extras (docs/protocol.md): "" and false when absent.
  group: string;
  unit: string;
  format: string;
  log: boolean;
}

/** The kind byte's bit that says control extras follow the value. */
const CONTROL_EXTRAS = 0x80;
const CONTROL_LOG = 1;

export interface Stats {
  viewers: number;
  tickHz: number;
  speed: number;
  simTime: number;
  paused: boolean;
  canReset: boolean; // the scene can restart from its initial state
  halted: boolean; // a panic paused the sim
  lag: number;
}

export interface Entry {
  h: number;
  id: string;
  mask: number;
}

export type Op =
  | { c: typeof OP_KEYFRAME; markup: string; table: Entry[] }
  | {
    c: typeof OP_CREATE; h: number; parent: number; before: number; tag: string;
    id: string; mask: number; attrs: string[]; text: string;
  }
  | { c: typeof OP_REMOVE; h: number }
  | { c: typeof OP_MOVE; h: number; parent: number; before: number }
  | { c: typeof OP_SET_ATTR; h: number; name: string; value: string }
  | { c: typeof OP_DEL_ATTR; h: number; name: string }
  | { c: typeof OP_SET_NUM; h: number; name: string; v: number }
  | { c: typeof OP_SET_XY; h: number; pair: number; x: number; y: number }
  | { c: typeof OP_SET_TEXT; h: number; text: string }
  | { c: typeof OP_LISTEN; h: number; mask: number }
  | { c: typeof OP_SET_POSE | typeof OP_SET_POSE_SCALED; h: number; x: number; y: number; a: number; s: number }
  | { c: typeof OP_APPEND_POINTS; h: number; name: string; drop: number; xy: Float32Array }
  | { c: typeof OP_TRIM_POINTS; h: number; name: string; keep: number }
  | { c: typeof OP_OVERLAY; text: string }
  | { c: typeof OP_ASSET; kind: string; name: string; url: string }
  | { c: typeof OP_STATS; stats: Stats }
  | { c: typeof OP_CONTROLS; controls: Control[] }
  | { c: typeof OP_CONTROL_VALUE; name: string; value: Value }
  | { c: typeof OP_NOTICE; text: string };

/** One server→browser message. */
export interface Batch {
  seq: number;
  ops: Op[];
}

const OP_NAMES: Record<number, string> = {
  1: "keyframe", 2: "create", 3: "remove", 4: "move", 5: "set-attr", 6: "del-attr",
  7: "set-num", 8: "set-xy", 9: "set-text", 10: "listen", 11: "set-pose", 12: "set-pose-scaled",
  13: "append-points", 14: "trim-points",
  32: "overlay", 33: "asset",
  34: "stats", 35: "controls", 36: "control-value", 37: "notice",
};

/** A message that does not decode; the connection must close (1007). */
export class DecodeError extends Error {
  constructor(offset: number, op: number, msg: string) {
    super(`wire: offset ${offset}: ${op ? OP_NAMES[op] + " op: " : ""}${msg}`);
  }
}

// XML names as the Go side checks them, byte by byte on the UTF-8 form:
// every non-ASCII character encodes to bytes >= 0x80, which are allowed.
const XML_NAME = /^[A-Za-z_:\u0080-\uffff][A-Za-z0-9_:.\-\u0080-\uffff]*$/;

/** Whether s is a tag or attribute name the protocol allows as an XML name. */
export function isXMLName(s: string): boolean {
  return XML_NAME.test(s);
}

/** Why an attribute name may not travel on the wire, or "" if it may. */
export function attrNameProblem(name: string): string {
  if (name === "") return "empty attribute name";
  if (!XML_NAME.test(name)) return `attribute name ${JSON.stringify(name)} is not an XML name`;
  if (name === "id") return "attribute id cannot be set: ids are fixed when an element is created";
  if (/^on/i.test(name)) return `attribute ${JSON.stringify(name)} is an event handler; vizserve never sends code`;
  return "";
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Reader {
  off = 0;
  op = 0;
  private readonly dv: DataView;

  constructor(private readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  fail(msg: string): never {
    throw new DecodeError(this.off, this.op, msg);
  }

  left(): number {
    return this.b.length - this.off;
  }

  u8(what: string): number {
    if (this.off >= this.b.length) this.fail(`truncated: missing ${what}`);
    return this.b[this.off++]!;
  }

  // An unsigned LEB128 varint, at most 10 bytes, minimally encoded.
  // Values above 2^53 lose precision; no handle or sequence number gets
  // there.
  uv(what: string): number {
    const b = this.b;
    let v = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      const p = this.off + i;
      if (p >= b.length) this.fail(`truncated: missing ${what}`);
      if (i === 10) this.fail(`${what}: varint overflows 64 bits`);
      const c = b[p]!;
      if (c < 0x80) {
        if (i === 9 && c > 1) this.fail(`${what}: varint overflows 64 bits`);
        if (i > 0 && c === 0) this.fail(`${what}: varint is not minimally encoded`);
        this.off = p + 1;
        return v + c * mul;
      }
      v += (c & 0x7f) * mul;
      mul *= 128;
    }
  }

  // A count of items that take at least min bytes each.
  count(what: string, min: number): number {
    const v = this.uv(what);
    if (v > Math.floor(this.left() / min)) {
      this.fail(`${what} ${v} exceeds what the remaining ${this.left()} bytes can hold`);
    }
    return v;
  }

  str(what: string): string {
    const n = this.uv(what + " length");
    if (n > this.left()) this.fail(`${what} length ${n} exceeds the remaining ${this.left()} bytes`);
    const start = this.off;
    let s: string;
    try {
      s = utf8.decode(this.b.subarray(start, start + n));
    } catch {
      return this.fail(`${what} is not valid UTF-8`);
    }
    this.off = start + n;
    return s;
  }

  f32(what: string): number {
    if (this.left() < 4) this.fail(`truncated: missing ${what} (float32)`);
    const v = this.dv.getFloat32(this.off, true);
    this.off += 4;
    return v;
  }

  f64(what: string): number {
    if (this.left() < 8) this.fail(`truncated: missing ${what} (float64)`);
    const v = this.dv.getFloat64(this.off, true);
    this.off += 8;
    return v;
  }

  bool(what: string): boolean {
    const c = this.u8(what);
    if (c > 1) this.fail(`${what}: bool byte ${c} is not 0 or 1`);
    return c === 1;
  }

  mask(): number {
    const v = this.uv("event mask");
    if (v > 0xffffffff) this.fail(`event mask ${v} exceeds 32 bits`);
    return v;
  }

  attrKey(): string {
    const k = this.uv("attribute key");
    if (k === 0) {
      const name = this.str("attribute name");
      const p = attrNameProblem(name);
      if (p) this.fail(p);
      return name;
    }
    if (k >= ATTR.length) this.fail(`attribute key ${k} is not in the static table (1..${ATTR.length - 1})`);
    return ATTR[k]!;
  }

  value(): Value {
    const k = this.u8("value kind");
    switch (k) {
      case 0:
        return null;
      case 1:
        return this.f64("number value");
      case 2:
        return this.bool("bool value");
      case 3:
        return this.str("string value");
    }
    return this.fail(`unknown value kind ${k}`);
  }

  op1(c: number): Op {
    switch (c) {
      case OP_KEYFRAME: {
        const markup = this.str("markup");
        const n = this.count("table entry count", 3);
        const table: Entry[] = new Array<Entry>(n);
        for (let i = 0; i < n; i++) {
          const e = { h: this.uv("handle"), id: this.str("id"), mask: this.mask() };
          if (e.h === 0 || e.id === "") this.fail(`table entry ${i}: handle 0 or empty id`);
          table[i] = e;
        }
        return { c, markup, table };
      }
      case OP_CREATE: {
        const h = this.uv("handle");
        const parent = this.uv("parent");
        const before = this.uv("before");
        const tag = this.str("tag");
        const id = this.str("id");
        const mask = this.mask();
        const n = this.count("attribute count", 2);
        const attrs: string[] = new Array<string>(2 * n);
        for (let i = 0; i < 2 * n; i += 2) {
          attrs[i] = this.attrKey();
          attrs[i + 1] = this.str("attribute value");
        }
        const text = this.str("text");
        if (h === 0 || parent === 0) this.fail("handle and parent must not be 0");
        if (!XML_NAME.test(tag)) this.fail(`tag ${JSON.stringify(tag)} is not an XML name`);
        if (id === "") this.fail("empty id");
        return { c, h, parent, before, tag, id, mask, attrs, text };
      }
      case OP_REMOVE:
        return { c, h: this.uv("handle") };
      case OP_MOVE:
        return { c, h: this.uv("handle"), parent: this.uv("parent"), before: this.uv("before") };
      case OP_SET_ATTR:
        return { c, h: this.uv("handle"), name: this.attrKey(), value: this.str("value") };
      case OP_DEL_ATTR:
        return { c, h: this.uv("handle"), name: this.attrKey() };
      case OP_SET_NUM:
        return { c, h: this.uv("handle"), name: this.attrKey(), v: this.f32("value") };
      case OP_SET_XY: {
        const h = this.uv("handle");
        const pair = this.u8("pair");
        if (pair === 0 || pair > PAIR_TRANSLATE) this.fail(`unknown attribute pair ${pair}`);
        return { c, h, pair, x: this.f32("x"), y: this.f32("y") };
      }
      case OP_SET_TEXT:
        return { c, h: this.uv("handle"), text: this.str("text") };
      case OP_LISTEN:
        return { c, h: this.uv("handle"), mask: this.mask() };
      case OP_SET_POSE:
      case OP_SET_POSE_SCALED: {
        const h = this.uv("handle");
        const x = this.f32("x");
        const y = this.f32("y");
        const a = this.f32("angle");
        return { c, h, x, y, a, s: c === OP_SET_POSE_SCALED ? this.f32("scale") : 1 };
      }
      case OP_APPEND_POINTS:
      case OP_TRIM_POINTS: {
        const h = this.uv("handle");
        const name = this.attrKey();
        const count = this.uv("count");
        if (count > MAX_POINT_COUNT) this.fail(`count ${count} exceeds ${MAX_POINT_COUNT}`);
        if (c === OP_TRIM_POINTS) return { c, h, name, keep: count };
        const n = this.count("point count", 8);
        const xy = new Float32Array(2 * n);
        for (let i = 0; i < 2 * n; i++) xy[i] = this.f32("coordinate");
        return { c, h, name, drop: count, xy };
      }
      case OP_OVERLAY:
      case OP_NOTICE:
        return { c, text: this.str("text") };
      case OP_ASSET:
        return { c, kind: this.str("kind"), name: this.str("name"), url: this.str("url") };
      case OP_STATS: {
        const viewers = this.uv("viewers");
        const tickHz = this.f32("tick rate");
        const speed = this.f32("speed");
        const simTime = this.f64("sim time");
        const run = this.u8("run flags");
        if (run > (RUN_PAUSED | RUN_CAN_RESET | RUN_HALTED)) {
          this.off--;
          this.fail(`run flags 0x${run.toString(16).padStart(2, "0")} have unknown bits`);
        }
        return {
          c,
          stats: {
            viewers, tickHz, speed, simTime,
            paused: (run & RUN_PAUSED) !== 0,
            canReset: (run & RUN_CAN_RESET) !== 0,
            halted: (run & RUN_HALTED) !== 0,
            lag: this.uv("lag"),
          },
        };
      }
      case OP_CONTROLS: {
        const n = this.count("control count", 30);
        const controls: Control[] = new Array<Control>(n);
        for (let i = 0; i < n; i++) {
          const k = this.u8("control kind");
          const kind = k & ~CONTROL_EXTRAS;
          if (kind === 0 || kind > C_TEXT) this.fail(`unknown control kind ${kind}`);
          const name = this.str("control name");
          const label = this.str("label");
          const min = this.f64("min");
          const max = this.f64("max");
          const step = this.f64("step");
          const key = this.str("key");
          const m = this.count("option count", 1);
          const options: string[] = new Array<string>(m);
          for (let j = 0; j < m; j++) options[j] = this.str("option");
          const value = this.value();
          let group = "", unit = "", format = "", log = false;
          if (k & CONTROL_EXTRAS) {
            const flags = this.u8("control flags");
            if (flags & ~CONTROL_LOG) this.fail(`unknown control flags 0x${flags.toString(16).padStart(2, "0")}`);
            log = (flags & CONTROL_LOG) !== 0;
            group = this.str("group");
            unit = this.str("unit");
            format = this.str("format");
          }
          controls[i] = { kind, name, label, min, max, step, key, options, value, group, unit, format, log };
        }
        return { c, controls };
      }
      case OP_CONTROL_VALUE:
        return { c, name: this.str("control name"), value: this.value() };
    }
    this.off--;
    this.op = 0;
    return this.fail(`unknown op code 0x${c.toString(16).padStart(2, "0")}`);
  }
}

/** decodeBatch decodes one server→browser message; it throws DecodeError. */
export function decodeBatch(data: Uint8Array): Batch {
  if (data.length === 0) throw new Error("wire: empty message");
  const r = new Reader(data);
  const seq = r.uv("sequence number");
  const ops: Op[] = [];
  while (r.left() > 0) {
    const c = r.u8("op code");
    r.op = c;
    ops.push(r.op1(c));
  }
  return { seq, ops };
}

const utf8enc = new TextEncoder();

/** Encoder writes one browser→server message. */
export class Encoder {
  private b: Uint8Array<ArrayBuffer> = new Uint8Array(64);
  private dv = new DataView(this.b.buffer);
  private n = 0;

  private room(k: number): void {
    if (this.n + k <= this.b.length) return;
    const b = new Uint8Array(Math.max(2 * this.b.length, this.n + k));
    b.set(this.b.subarray(0, this.n));
    this.b = b;
    this.dv = new DataView(b.buffer);
  }

  start(kind: number): this {
    this.n = 0;
    return this.u8(kind);
  }

  u8(v: number): this {
    this.room(1);
    this.b[this.n++] = v & 0xff;
    return this;
  }

  uv(v: number): this {
    this.room(10);
    v = Math.max(0, Math.floor(v));
    while (v >= 0x80) {
      this.b[this.n++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.b[this.n++] = v;
    return this;
  }

  f32(v: number): this {
    this.room(4);
    this.dv.setFloat32(this.n, v, true);
    this.n += 4;
    return this;
  }

  f64(v: number): this {
    this.room(8);
    this.dv.setFloat64(this.n, v, true);
    this.n += 8;
    return this;
  }

  str(s: string): this {
    const u = utf8enc.encode(s);
    this.uv(u.length);
    this.room(u.length);
    this.b.set(u, this.n);
    this.n += u.length;
    return this;
  }

  value(v: Value): this {
    if (typeof v === "number") return this.u8(1).f64(v);
    if (typeof v === "boolean") return this.u8(2).u8(v ? 1 : 0);
    if (typeof v === "string") return this.u8(3).str(v);
    return this.u8(0);
  }

  /** The message written since start, as a copy. */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.b.slice(0, this.n);
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * fmtNum formats a float32 the way the Go side does (wire.FormatNum,
 * strconv's 'f' format with the shortest precision for 32 bits): the
 * shortest decimal that reads back as the same float32, the closest one
 * (ties to even) if several do, without an exponent, 0 for ±0.
 *
 * It runs for every number written to the DOM, so it looks for the
 * shortest precision where float32 values are: 24 bits need 7 to 9
 * digits (8 for most), and 9 always read back. It starts at 7 and goes
 * up, or down while fewer digits still read back; toPrecision rounds the
 * exact value, as strconv does, but ties away from zero.
 */
export function fmtNum(v: number): string {
  if (v === 0) return "0";
  const a = v < 0 ? -v : v;
  // Integers below 2^24 are exact and every digit counts.
  if (a < 16777216 && Math.floor(a) === a) return "" + v;
  if (a !== a) return "NaN";
  if (a === Infinity) return v < 0 ? "-Inf" : "+Inf";
  f32[0] = a;
  // A power of two has a closer neighbour below than above: the nearest
  // decimal may miss while a farther one above reads back.
  if ((u32[0]! & 0x7fffff) === 0) return pow2(v);
  let p = 7;
  let s = v.toPrecision(7);
  if (Math.fround(+s) === v) {
    for (; p > 1; p--) {
      const t = v.toPrecision(p - 1);
      if (Math.fround(+t) !== v) break;
      s = t;
    }
  } else {
    p = 8;
    s = v.toPrecision(8);
    if (Math.fround(+s) !== v) {
      p = 9;
      s = v.toPrecision(9);
    }
  }
  // toPrecision rounds an exact tie away from zero, strconv to even:
  // a tie is an exact value of p+1 digits ending in 5.
  const e = s.indexOf("e");
  if (((e < 0 ? s.charCodeAt(s.length - 1) : s.charCodeAt(e - 1)) & 1) === 1) {
    const t = v.toPrecision(p + 1);
    const te = t.indexOf("e");
    const last = te < 0 ? t.length - 1 : te - 1;
    if (t.charCodeAt(last) === 53 && +t === v) { // "5", and t is v exactly
      s = t.slice(0, last) + t.slice(last + 1);
      if (te < 0 && s.charCodeAt(s.length - 1) === 46) s = s.slice(0, -1); // "."
    }
  }
  // The shortest digits end in a nonzero digit, so without an exponent s
  // is already what strconv writes.
  return s.indexOf("e") < 0 ? s : expandExp(s);
}

/** fmtNum for ±2^k: at each precision, the nearest decimal and the one above. */
function pow2(v: number): string {
  const a = v < 0 ? -v : v;
  const sign = v < 0 ? "-" : "";
  for (let p = 1; p < 9; p++) {
    const s = a.toExponential(p - 1);
    if (Math.fround(+s) === a) return sign + expandExp(trimExp(s));
    if (+s < a) {
      const e = s.indexOf("e");
      const m = +s.slice(0, e).replace(".", "") + 1;
      const up = trimExp(m === 10 ** p ? `1e${+s.slice(e + 1) + 1}` : `${m}e${+s.slice(e + 1) - (p - 1)}`);
      if (Math.fround(+up) === a) return sign + expandExp(up);
    }
  }
  return sign + expandExp(trimExp(a.toExponential(8)));
}

/** Drops the trailing zeros of the digits of m e x or m.mmm e x forms. */
function trimExp(s: string): string {
  const e = s.indexOf("e");
  let m = s.slice(0, e);
  let x = +s.slice(e + 1);
  const dot = m.indexOf(".");
  let digits = dot < 0 ? m : m.slice(0, dot) + m.slice(dot + 1);
  // Make the exponent the one of the digits' first: d.ddd × 10^x.
  x += (dot < 0 ? m.length : dot) - 1;
  while (digits.length > 1 && digits.charCodeAt(digits.length - 1) === 48) digits = digits.slice(0, -1);
  m = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
  return `${m}e${x}`;
}

/** Writes the d.ddde±x form without the exponent. */
function expandExp(s: string): string {
  const neg = s.charCodeAt(0) === 45; // "-"
  if (neg) s = s.slice(1);
  const i = s.indexOf("e");
  if (i < 0) return neg ? "-" + s : s;
  const digits = s.slice(0, i).replace(".", "");
  const point = +s.slice(i + 1) + 1; // digits before the decimal point
  let out: string;
  if (point <= 0) out = "0." + "0".repeat(-point) + digits;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = digits.slice(0, point) + "." + digits.slice(point);
  return neg ? "-" + out : out;
}

/** The largest drop or keep of a point-list op (wire.MaxPointCount). */
const MAX_POINT_COUNT = 2147483647;

/**
 * appendPoints is the text of a point list (items separated by single
 * spaces) after an append-points op (wire.AppendPointsText): its last
 * drop items removed, then "X,Y" per point, "LX,Y" in a path's d ("MX,Y"
 * for a point that becomes the first item).
 */
export function appendPoints(v: string, name: string, drop: number, xy: ArrayLike<number>): string {
  for (; drop > 0 && v.length > 0; drop--) {
    const i = v.lastIndexOf(" ");
    v = i < 0 ? "" : v.slice(0, i);
  }
  const d = name === "d";
  let s = "";
  for (let i = 0; i + 1 < xy.length; i += 2) {
    const p = fmtNum(xy[i]!) + "," + fmtNum(xy[i + 1]!);
    if (v.length === 0 && s.length === 0) s = d ? "M" + p : p;
    else s += d ? " L" + p : " " + p;
  }
  return v + s;
}

/** countPoints is the number of items of a point list's text. */
export function countPoints(v: string): number {
  if (v.length === 0) return 0;
  let n = 1;
  for (let i = v.indexOf(" "); i >= 0; i = v.indexOf(" ", i + 1)) n++;
  return n;
}

/**
 * trimPoints is the text of a point list after a trim-points op
 * (wire.TrimPointsText): its last keep items; in d, when items were
 * removed, the first one's L reads M. count, when known, is v's number of
 * items (countPoints), which makes it scan only the items it drops.
 */
export function trimPoints(v: string, name: string, keep: number, count = -1): string {
  if (keep <= 0) return "";
  let i = v.length;
  if (count >= 0) {
    // The number of items known: drop the first ones, scanning only them.
    if (keep >= count) return v;
    i = -1;
    for (let k = count - keep; k > 0; k--) i = v.indexOf(" ", i + 1);
    const r = v.slice(i + 1);
    return name === "d" && r.charCodeAt(0) === 76 ? "M" + r.slice(1) : r; // "L"
  }
  for (let k = 0; k < keep; k++) {
    i = i > 0 ? v.lastIndexOf(" ", i - 1) : -1;
    if (i < 0) return v;
  }
  const r = v.slice(i + 1);
  return name === "d" && r.charCodeAt(0) === 76 ? "M" + r.slice(1) : r; // "L"
}

/**
 * fmtPose is the transform a set-pose (scaled: set-pose-scaled) op sets,
 * as the Go side writes it (wire.FormatPose, wire.FormatPoseScaled).
 */
export function fmtPose(x: number, y: number, a: number, s: number, scaled: boolean): string {
  const t = `translate(${fmtNum(x)},${fmtNum(y)}) rotate(${fmtNum(a)})`;
  return scaled ? `${t} scale(${fmtNum(s)})` : t;
}
