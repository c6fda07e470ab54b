#!/usr/bin/env bash
# (c) 10,000 idle WebSockets held through corrald.
# Backend: bench/apps/wsecho, deployed as python-api content; its module serves a minimal asyncio
# WebSocket echo server on the port corrald gives it (the WSGI runner cannot do WebSocket), so
# every connection goes through corrald's real path: scheduler, unit, proxy, WebSocket tunnel.
# Scheduler: MaxProcesses 1, MaxConnsPerProcess 20000 (an open WebSocket is a connection, and
# the default 20 x 3 processes would refuse the 61st), IdleTimeout long.
# corrald is started with soft RLIMIT_NOFILE 1024 (what a service gets from systemd); it raises
# its soft limit to the hard one itself (older builds did not: then prlimit does it, and says so).
# Each tunnel costs corrald 2 fds (client + backend): N WebSockets need 2N + ~12 fds. On this
# workplace the hard limit is 20000 and cannot be raised (no CAP_SYS_RESOURCE), which caps
# corrald at ~9,990 tunnels.
# After the client closes everything: how long corrald takes to release them, and how long a
# plain GET waits meanwhile. CORRAL_BENCH_PERF=1 also samples corrald's stack (gdb) during that teardown.
. "$(dirname "$0")/lib.sh"
N=${CORRAL_BENCH_WS:-10000}
HOLD=${CORRAL_BENCH_HOLD:-30}
ulimit -Sn 1024
bench_corrald $'Scheduler:\n  IdleTimeout: 3600s\n  MaxProcesses: 1\n  MaxConnsPerProcess: 20000'
guid=$(deploy "$BENCH/apps/wsecho" "bench wsecho")
path=/content/$guid/ws
$PY "$BENCH/tools/wsclient.py" 127.0.0.1 3939 "$path" 1 0 >/dev/null   # starts the process
read -r _ unit < <(active_procs "$guid")
bpid=$(systemctl show "$unit" -p MainPID --value)
nofile() { awk '/open files/ {print $4 ":" $5}' "/proc/$1/limits"; }
say "backend $unit pid $bpid, nofile $(nofile "$bpid"); client nofile hard $(ulimit -Hn)"
lim=$(nofile "$CORRAL_PID")
if [[ ${lim%:*} != "${lim#*:}" ]]; then
    say "corrald nofile $lim: it did not raise its soft limit; raising it with prlimit to ${lim#*:}"
    prlimit --pid "$CORRAL_PID" --nofile="${lim#*:}:${lim#*:}"
fi
say "corrald pid $CORRAL_PID nofile $(nofile "$CORRAL_PID") (started with soft 1024); $N tunnels need $((2 * N + 12)) fds"
say ""
$PY "$BENCH/tools/wsclient.py" 127.0.0.1 3939 "$path" "$N" "$HOLD" "$CORRAL_PID" >"$CORRAL_TEST_TMP/ws" &
ws=$!
# Print the client's phase lines as they come; start the teardown watch at "closed all".
tail -f --pid=$ws "$CORRAL_TEST_TMP/ws" 2>/dev/null | sed -u '/^{/d' &
until grep -q '^after' "$CORRAL_TEST_TMP/ws" 2>/dev/null; do kill -0 $ws 2>/dev/null || break; sleep 0.2; done
t0=$(date +%s%N); cpu0=$(awk '{print $14 + $15}' /proc/$CORRAL_PID/stat)
if [[ ${CORRAL_BENCH_PERF:-0} == 1 ]]; then
    # poor man's profiler: a few stacks of corrald while it tears the tunnels down
    ( sleep 0.5; for i in 1 2 3 4 5; do
          gdb -p "$CORRAL_PID" -batch -ex bt 2>/dev/null | grep '^#' | head -n 6 | awk '{print $2 == "0x" ? $4 : $4}' | tr '\n' ' '
          echo; sleep 0.7; done >"$CORRAL_TEST_TMP/stacks"
      command -v strace >/dev/null && timeout 2 strace -c -f -p "$CORRAL_PID" 2>&1 | head -n 12 >"$CORRAL_TEST_TMP/strace" ) &
    perf_pid=$!
fi
# Plain GETs sent while the teardown runs: one at once, one ~1 s later.
get() {
    curl -sS -o /dev/null -w '%{http_code} %{time_total}' --max-time 300 "$BASE/content/$guid/" || echo "none"
}
get >"$CORRAL_TEST_TMP/get0" &
get0=$!
( sleep 1; get >"$CORRAL_TEST_TMP/get1" ) &
get1=$!
while (( $(ls /proc/$CORRAL_PID/fd | wc -l) > 20 )); do
    (( ($(date +%s%N) - t0) / 1000000000 < 300 )) || break
    sleep 0.05
done
t_fds=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $get0 $get1
say "a plain GET through corrald sent as the client began closing: status/seconds $(cat "$CORRAL_TEST_TMP/get0")"
say "a plain GET through corrald sent ~1 s after the client began closing: status/seconds $(cat "$CORRAL_TEST_TMP/get1")"
say "corrald back to $(ls /proc/$CORRAL_PID/fd | wc -l) fds $t_fds ms after the client began closing; CPU meanwhile $(( $(awk '{print $14 + $15}' /proc/$CORRAL_PID/stat) - cpu0 ))0 ms (user+system; now user $(awk '{print $14}' /proc/$CORRAL_PID/stat)0 ms, system $(awk '{print $15}' /proc/$CORRAL_PID/stat)0 ms in all)"
wait $ws
if [[ -n ${perf_pid:-} ]]; then
    wait "$perf_pid" || true
    sort "$CORRAL_TEST_TMP/stacks" | uniq -c | sort -rn | sed 's/^/    stack: /'
    sed 's/^/    strace: /' "$CORRAL_TEST_TMP/strace" 2>/dev/null || true
fi
say "corrald alive: $(kill -0 "$CORRAL_PID" 2>/dev/null && echo yes || echo NO)"
t0=$(date +%s%N); kill -TERM "$CORRAL_PID"
for ((i = 0; i < 300; i++)); do kill -0 "$CORRAL_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$CORRAL_PID" 2>/dev/null; then
    say "corrald still running 30 s after SIGTERM"
else
    say "corrald exited $(( ($(date +%s%N) - t0) / 1000000 )) ms after SIGTERM"
fi
CORRAL_PID=
say ""
$PY - "$CORRAL_TEST_TMP/ws" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
per = (r["rss_open_kib"] - r["rss_before_kib"]) / r["opened"] if r["opened"] else float("nan")
print("| WebSockets opened | still echoing after hold | corrald RSS before → all open (KiB) | KiB per WebSocket | corrald fds open |")
print("|---|---|---|---|---|")
print(f"| {r['opened']}/{r['n']} {r['failures'] or ''} | {r['alive_after_hold']} | {r['rss_before_kib']} → {r['rss_open_kib']} | {per:.2f} | {r['fds_open']} |")
PY
