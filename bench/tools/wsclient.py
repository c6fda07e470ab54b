"""Open N idle WebSockets through an HTTP front, hold them, then check each one still echoes.

usage: wsclient.py HOST PORT PATH N HOLD_SECONDS [RSS_PID]
Prints one line per phase; the last line is a JSON summary.
"""
import asyncio
import base64
import json
import os
import resource
import sys
import time


def rss_kib(pid):
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def mframe(data):
    mask = os.urandom(4)
    payload = bytes(b ^ mask[i & 3] for i, b in enumerate(data))
    return bytes([0x81, 0x80 | len(data)]) + mask + payload


async def open_one(host, port, path, sem, stats):
    async with sem:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
            key = base64.b64encode(os.urandom(16)).decode()
            writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n").encode())
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
            status = head.split(b" ", 2)[1].decode()
            if status != "101":
                stats.setdefault("status_" + status, 0)
                stats["status_" + status] += 1
                writer.close()
                return None
            return reader, writer
        except Exception as e:  # noqa: BLE001 - count every kind of failure
            k = "error_" + type(e).__name__
            stats[k] = stats.get(k, 0) + 1
            return None


async def echo(conn, i):
    reader, writer = conn
    msg = f"ping-{i}".encode()
    try:
        writer.write(mframe(msg))
        await writer.drain()
        h = await asyncio.wait_for(reader.readexactly(2), 60)
        data = await asyncio.wait_for(reader.readexactly(h[1] & 0x7F), 60)
        return data == msg
    except Exception:  # noqa: BLE001
        return False


async def main():
    host, port, path, n, hold = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    pid = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    out = {"n": n, "client_nofile": hard}
    out["rss_before_kib"], out["fds_before"] = rss_kib(pid), fds(pid)
    print(f"corrald RSS before: {out['rss_before_kib']} KiB, fds {out['fds_before']}", flush=True)
    stats = {}
    sem = asyncio.Semaphore(256)
    t0 = time.monotonic()
    conns = await asyncio.gather(*(open_one(host, port, path, sem, stats) for _ in range(n)))
    live = [c for c in conns if c]
    out["opened"] = len(live)
    out["open_seconds"] = round(time.monotonic() - t0, 2)
    out["failures"] = stats
    out["rss_open_kib"], out["fds_open"] = rss_kib(pid), fds(pid)
    print(f"opened {len(live)}/{n} in {out['open_seconds']} s, failures {stats}; corrald RSS "
          f"{out['rss_open_kib']} KiB, fds {out['fds_open']}", flush=True)
    await asyncio.sleep(hold)
    ok = await asyncio.gather(*(echo(c, i) for i, c in enumerate(live)))
    out["alive_after_hold"] = sum(ok)
    out["rss_after_hold_kib"], out["fds_after_hold"] = rss_kib(pid), fds(pid)
    print(f"after {hold:.0f} s idle: {sum(ok)}/{len(live)} still echo; corrald RSS "
          f"{out['rss_after_hold_kib']} KiB", flush=True)
    for c in live:
        c[1].close()
    await asyncio.sleep(3)
    out["rss_closed_kib"], out["fds_closed"] = rss_kib(pid), fds(pid)
    print(f"closed all: corrald RSS {out['rss_closed_kib']} KiB, fds {out['fds_closed']}", flush=True)
    print(json.dumps(out), flush=True)


asyncio.run(main())
