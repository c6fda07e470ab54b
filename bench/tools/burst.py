"""usage: burst.py URL N — N concurrent GETs at once (threads); prints wall time, status counts
and the distinct 'pid N' bodies as JSON."""
import json
import sys
import threading
import time
import urllib.error
import urllib.request

url, n = sys.argv[1], int(sys.argv[2])
results = [None] * n
barrier = threading.Barrier(n)


def one(i):
    barrier.wait()
    t = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=300) as r:
            results[i] = (r.status, r.read().decode().strip(), time.monotonic() - t)
    except urllib.error.HTTPError as e:
        results[i] = (e.code, "", time.monotonic() - t)
    except Exception as e:  # noqa: BLE001
        results[i] = (type(e).__name__, "", time.monotonic() - t)


threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.monotonic() - t0
status = {}
for s, _, _ in results:
    status[str(s)] = status.get(str(s), 0) + 1
pids = sorted({b for s, b, _ in results if s == 200})
lat = sorted(x for _, _, x in results)
print(json.dumps({"wall": round(wall, 2), "status": status, "backend_pids": len(pids),
                  "min": round(lat[0], 2), "max": round(lat[-1], 2)}))
