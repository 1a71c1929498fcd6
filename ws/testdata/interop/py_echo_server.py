"""Echo server for the interop tests of package ws, on Python's websockets.

It listens on 127.0.0.1 on a free port and prints {"event": "listening",
"port": N} as a JSON line. It serves one connection: every message is sent
back unchanged, with its type (str for text, bytes for binary). When the
client closes, it prints {"event": "closed", "code": C, "reason": R} with
the close code and reason it received, and exits. permessage-deflate is
accepted when the client offers it, as websockets does by default.
"""
import asyncio
import json
import sys

import websockets


def emit(**fields):
    print(json.dumps(fields), flush=True)


async def main():
    done = asyncio.get_running_loop().create_future()

    async def echo(ws, *_path):  # websockets before 10.1 also passes a path
        try:
            async for msg in ws:
                await ws.send(msg)
        except websockets.ConnectionClosed:
            # Raised for any code but 1000 and 1001, even after a clean
            # closing handshake; an abnormal end shows as code 1006.
            pass
        await ws.wait_closed()
        emit(event="closed", code=ws.close_code, reason=ws.close_reason)
        if not done.done():
            done.set_result(None)

    async with websockets.serve(echo, "127.0.0.1", 0, max_size=16 << 20, ping_interval=None) as server:
        emit(event="listening", port=server.sockets[0].getsockname()[1])
        await asyncio.wait_for(done, timeout=120)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except asyncio.TimeoutError:
        print("py_echo_server: no connection closed within 120 s", file=sys.stderr)
        sys.exit(3)
