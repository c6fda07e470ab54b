"""Cold start timer. usage: firstbyte.py PORT PATH [--] [COMMAND...]

Without COMMAND: one GET to 127.0.0.1:PORT/PATH, prints seconds to the first response byte.
With COMMAND: starts it, then polls GET every 5 ms until an HTTP response arrives, prints the
seconds from launch to that first byte, and leaves the command running (its pid on stderr).
"""
import socket
import subprocess
import sys
import time


def try_get(port, path, timeout):
    s = socket.socket()
    s.settimeout(timeout)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        b = s.recv(16)
        return b if b.startswith(b"HTTP/") else None
    except OSError:
        return None
    finally:
        s.close()


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    cmd = [a for a in sys.argv[3:] if a != "--"]
    t0 = time.monotonic()
    if not cmd:
        b = try_get(port, path, 120)
        if not b:
            sys.exit("no response")
        print(f"{time.monotonic() - t0:.4f} {b[9:12].decode()}")
        return
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(p.pid, file=sys.stderr)
    while time.monotonic() - t0 < 120:
        b = try_get(port, path, 5)
        if b:
            print(f"{time.monotonic() - t0:.4f} {b[9:12].decode()}")
            return
        time.sleep(0.005)
    sys.exit("timeout")


main()
