"""Benchmark backend (c): a WebSocket echo server deployed as python-api content.

corrald starts python-api content as `python3 -u run-wsgi.py --port PORT --entry app:app`; the
WSGI runner (waitress) cannot speak WebSocket, so this module, when the runner imports it,
serves the port itself with a minimal asyncio WebSocket echo server and never returns. corrald
sees an ordinary content process (its unit, its sandbox, its readiness probe, its proxy and
WebSocket tunnel); only the server inside the process differs.
"""
import asyncio
import base64
import hashlib
import os
import resource
import sys

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def port_from_argv():
    argv = sys.argv
    for i, a in enumerate(argv):
        if a == "--port" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--port="):
            return int(a.split("=", 1)[1])
    return int(os.environ.get("CORRAL_PORT", "0"))


async def read_frame(reader):
    h = await reader.readexactly(2)
    op, ln = h[0] & 0x0F, h[1] & 0x7F
    masked = h[1] & 0x80
    if ln == 126:
        ln = int.from_bytes(await reader.readexactly(2), "big")
    elif ln == 127:
        ln = int.from_bytes(await reader.readexactly(8), "big")
    mask = await reader.readexactly(4) if masked else b"\0\0\0\0"
    data = bytearray(await reader.readexactly(ln))
    for i in range(ln):
        data[i] ^= mask[i & 3]
    return op, bytes(data)


def frame(op, data):
    n = len(data)
    if n < 126:
        head = bytes([0x80 | op, n])
    elif n < 65536:
        head = bytes([0x80 | op, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | op, 127]) + n.to_bytes(8, "big")
    return head + data


async def handle(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        key = headers.get("sec-websocket-key")
        if not key or "upgrade" not in headers.get("connection", "").lower():
            body = b"wsecho: websocket only\n"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
            await writer.drain()
            return
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        writer.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        await writer.drain()
        while True:
            op, data = await read_frame(reader)
            if op == 8:
                writer.write(frame(8, data[:2]))
                await writer.drain()
                return
            if op == 9:
                writer.write(frame(10, data))
            elif op in (1, 2):
                writer.write(frame(op, data))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    print(f"wsecho: listening on 127.0.0.1:{port}", flush=True)
    async with server:
        await server.serve_forever()


soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if __name__ != "__main__":
    asyncio.run(main(port_from_argv()))
    sys.exit(0)
