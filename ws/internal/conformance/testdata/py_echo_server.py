"""Echo server on Python's websockets with its default permessage-deflate
(server_max_window_bits=12, client_max_window_bits=12, context takeover),
for the conformance suite's interop test.

Usage: py_echo_server.py

It listens on a free loopback port, prints "listening PORT", and echoes
every message with its type until it is killed.
"""
import asyncio

import websockets


async def echo(ws, path=None):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main():
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.Future()


asyncio.run(main())
