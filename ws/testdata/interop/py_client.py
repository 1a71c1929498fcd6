"""Client for the interop tests of package ws, on Python's websockets.

Usage: py_client.py URL SIZES CODE REASON

For each size in SIZES (comma-separated byte counts) it sends a text
message of exactly that many bytes of UTF-8 (mixing 1- to 4-byte
characters), a binary message and one of random bytes (which deflate cannot
shrink), each followed by waiting for its echo and
checking it byte for byte and by type. Then it sends a fragmented text
message (split inside a character) and a fragmented binary message, pings
and waits for the pong, and closes with CODE and REASON. It offers
permessage-deflate, as websockets does by default. It prints a JSON line
for each step ({"event": "open", "extensions": E} with the extensions the
server accepted, {"event": "pong"}, {"event": "closed", "code": C,
"reason": R} with the close frame the server answered with) and exits
non-zero on the first mismatch.
"""
import asyncio
import json
import os
import sys

import websockets

UNITS = ["a", "é", "€", "😀"]


def emit(**fields):
    print(json.dumps(fields), flush=True)


class Mismatch(Exception):
    pass


def fail(msg):
    raise Mismatch(msg)


def text_of(n):
    """A str whose UTF-8 encoding is exactly n bytes, with characters of
    every length."""
    out, size, i = [], 0, 0
    while size < n:
        u = UNITS[i % len(UNITS)]
        if size + len(u.encode()) > n:
            u = "a"
        out.append(u)
        size += len(u.encode())
        i += 1
    return "".join(out)


def binary_of(n):
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


async def check_echo(ws, sent, what):
    got = await asyncio.wait_for(ws.recv(), timeout=30)
    if type(got) is not type(sent):
        fail(f"{what}: echo is {type(got).__name__}, sent {type(sent).__name__}")
    if got != sent:
        size = lambda m: len(m.encode()) if isinstance(m, str) else len(m)
        fail(f"{what}: echo of {size(sent)} bytes differs (got {size(got)} bytes)")


async def main():
    url, sizes, code, reason = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    sizes = [int(s) for s in sizes.split(",")]
    async with websockets.connect(url, max_size=16 << 20, ping_interval=None) as ws:
        emit(event="open", extensions=ws.response_headers.get("Sec-WebSocket-Extensions", ""))
        for n in sizes:
            await ws.send(text_of(n))
            await check_echo(ws, text_of(n), f"text {n}")
            await ws.send(binary_of(n))
            await check_echo(ws, binary_of(n), f"binary {n}")
            noise = os.urandom(n)  # incompressible
            await ws.send(noise)
            await check_echo(ws, noise, f"random binary {n}")

        # Fragmented text, cut one byte into a 4-byte character so that the
        # fragments are not valid UTF-8 on their own. send() would encode
        # each str fragment whole, so the frames are written directly where
        # this version of websockets allows it.
        text = text_of(70000)
        raw = text.encode()
        cut = raw.index("😀".encode()) + 1
        if hasattr(ws, "write_frame"):
            await ws.write_frame(False, 0x1, raw[:cut])
            await ws.write_frame(False, 0x0, raw[cut:40000])
            await ws.write_frame(True, 0x0, raw[40000:])
        else:
            await ws.send([text[:5], text[5:20000], text[20000:]])
        await check_echo(ws, text, "fragmented text")
        data = binary_of(300000)
        await ws.send([data[:1], data[1:150000], data[150000:]])
        await check_echo(ws, data, "fragmented binary")

        pong = await ws.ping(b"py-ping")
        await asyncio.wait_for(pong, timeout=30)
        emit(event="pong")

        await ws.close(code=code, reason=reason)
        emit(event="closed", code=ws.close_code, reason=ws.close_reason)


if __name__ == "__main__":
    try:
        asyncio.run(asyncio.wait_for(main(), timeout=120))
    except Mismatch as e:
        print(f"py_client: {e}", file=sys.stderr)
        sys.exit(1)
    except asyncio.TimeoutError:
        print("py_client: timed out", file=sys.stderr)
        sys.exit(3)
