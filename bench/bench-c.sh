#!/usr/bin/env bash
# (c) 10,000 idle WebSockets held through corrald.
# Backend: bench/apps/wsecho, deployed as python-api content; its module serves a minimal asyncio
# WebSocket echo server on the port corrald gives it (the WSGI runner cannot do WebSocket), so
# every connection goes through corrald's real path: scheduler, unit, proxy, WebSocket tunnel.
# Scheduler: MaxProcesses 1, MaxConnsPerProcess 20000 (an open WebSocket is a connection, and
# the default 20 x 3 processes would refuse the 61st), IdleTimeout long.
# Phase 1 runs with the fd limit corrald inherits (as a service would: soft 1024); phase 2 raises
# corrald's soft RLIMIT_NOFILE to its hard limit from outside with prlimit (corrald does not
# raise it itself) and repeats. Each tunnel costs corrald 2 fds (client + backend), so N
# WebSockets need 2N + ~12 fds: on this workplace the hard limit is 20000 and cannot be raised
# (no CAP_SYS_RESOURCE), which caps corrald at ~9,990 tunnels; the script says so.
. "$(dirname "$0")/lib.sh"
N=${CORRAL_BENCH_WS:-10000}
HOLD=${CORRAL_BENCH_HOLD:-30}
ulimit -Sn 1024   # what a service gets from systemd by default (LimitNOFILE=1024:524288)
bench_corrald $'Scheduler:\n  IdleTimeout: 3600s\n  MaxProcesses: 1\n  MaxConnsPerProcess: 20000'
guid=$(deploy "$BENCH/apps/wsecho" "bench wsecho")
path=/content/$guid/ws
$PY "$BENCH/tools/wsclient.py" 127.0.0.1 3939 "$path" 1 0 >/dev/null   # starts the process
read -r _ unit < <(active_procs "$guid")
bpid=$(systemctl show "$unit" -p MainPID --value)
say "backend $unit pid $bpid, nofile $(awk '/open files/ {print $4 ":" $5}' /proc/$bpid/limits)"
say "client nofile hard $(ulimit -Hn); corrald nofile $(awk '/open files/ {print $4 ":" $5}' /proc/$CORRAL_PID/limits)"

say ""
say "--- phase 1: corrald with its inherited RLIMIT_NOFILE"
$PY "$BENCH/tools/wsclient.py" 127.0.0.1 3939 "$path" "$N" 5 "$CORRAL_PID" | tee "$CORRAL_TEST_TMP/p1" | sed '$d'
say "corrald alive after phase 1: $(kill -0 "$CORRAL_PID" 2>/dev/null && echo yes || echo NO); a plain GET now: $(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/content/$guid/" || echo none)"
say "corrald log lines naming EMFILE / too many open files: $(grep -ci "too many open files\|EMFILE" "$CORRAL_LOG" || true)"; grep -i "too many open files" "$CORRAL_LOG" | sort | uniq -c | sort -rn | head -n 3 || true

say ""
hard=$(awk '/open files/ {print $5}' /proc/$CORRAL_PID/limits)
say "--- phase 2: prlimit --nofile=$hard:$hard on corrald (its hard limit; $N tunnels need $((2 * N + 12))), $N WebSockets held ${HOLD}s"
prlimit --pid "$CORRAL_PID" --nofile="$hard:$hard"
sleep 2
$PY "$BENCH/tools/wsclient.py" 127.0.0.1 3939 "$path" "$N" "$HOLD" "$CORRAL_PID" | tee "$CORRAL_TEST_TMP/p2" | sed '$d'
say "corrald alive after phase 2: $(kill -0 "$CORRAL_PID" 2>/dev/null && echo yes || echo NO)"
# After the client closed every socket: how long until corrald's fds are back, and its CPU.
t0=$SECONDS; cpu0=$(awk '{print $14 + $15}' /proc/$CORRAL_PID/stat)
while (( $(ls /proc/$CORRAL_PID/fd | wc -l) > 20 && SECONDS - t0 < 60 )); do sleep 1; done
say "corrald fds $(ls /proc/$CORRAL_PID/fd | wc -l) at $((SECONDS - t0 + 3)) s after the client closed (CPU $(( $(awk '{print $14 + $15}' /proc/$CORRAL_PID/stat) - cpu0 )) ticks meanwhile); CLOSE_WAIT sockets: $(ss -tan state close-wait | tail -n +2 | wc -l)"
t0=$(date +%s%N); kill -TERM "$CORRAL_PID"
for ((i = 0; i < 300; i++)); do kill -0 "$CORRAL_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$CORRAL_PID" 2>/dev/null; then
    say "corrald still running 30 s after SIGTERM: state $(awk '{print $3}' /proc/$CORRAL_PID/stat), fds $(ls /proc/$CORRAL_PID/fd | wc -l), wchan $(cat /proc/$CORRAL_PID/wchan)"
else
    say "corrald exited $(( ($(date +%s%N) - t0) / 1000000 )) ms after SIGTERM"
fi
say ""
tail -n1 "$CORRAL_TEST_TMP/p1" "$CORRAL_TEST_TMP/p2" >/dev/null
$PY - "$CORRAL_TEST_TMP/p1" "$CORRAL_TEST_TMP/p2" <<'PY'
import json, sys
print("| phase | opened | still echoing after hold | corrald RSS before → open (KiB) | KiB/conn | fds open | RSS after close (KiB) |")
print("|---|---|---|---|---|---|---|")
for name, f in zip(("inherited limit", "soft = hard limit"), sys.argv[1:]):
    r = json.loads(open(f).read().strip().splitlines()[-1])
    per = (r["rss_open_kib"] - r["rss_before_kib"]) / r["opened"] if r["opened"] else float("nan")
    print(f"| {name} | {r['opened']}/{r['n']} {r['failures'] or ''} | {r['alive_after_hold']} | "
          f"{r['rss_before_kib']} → {r['rss_open_kib']} | {per:.2f} | {r['fds_open']} | {r['rss_closed_kib']} |")
PY
