#!/usr/bin/env bash
# timeout: 600
# The scheduler (spec §7, issue 4) against real units: load-factor spawn points, refusal when
# full, idle races, MinProcesses after a kill, reaping of forked children and of a process that
# ignores SIGTERM, start back-off, settings validation, ReadTimeout on a WebSocket, SIGHUP
# reload, and adoption of running units by a restarted corrald.
. "$(dirname "$0")/lib.sh"

CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
BASE=http://127.0.0.1:3939
APP=$CORRAL_SOURCE_DIR/tests/fixtures/sched-app
config=$(corral_default_config "$CORRAL_TEST_TMP")
cat >>"$config" <<EOF
Scheduler:
  IdleTimeout: 60s
Python:
  Executable: [/usr/bin/python3]
EOF
corral_start "$config"

deploy() { "$CTL" deploy "$@" | tail -n 1; }
# units GUID: the number of loaded (starting or running) units of a content item
units() { systemctl list-units --plain --no-legend "corral-run_*-${1:0:8}-*" | grep -c -E 'activating|active' || true; }
active_units() { systemctl list-units --plain --no-legend "corral-run_*-${1:0:8}-*" | awk '$3 == "active" {print $1}'; }
app_dir() { "$CTL" show "$1" --json | python3 -c '
import json, sys
c = json.load(sys.stdin)
print(sys.argv[1] + "/data/apps/%d/%d" % (c["id"], c["bundle_id"]))' "$CORRAL_TEST_TMP"; }

# --- validation: refused naming the rule; nothing changes.
a=$(deploy "$APP" --title "Load factor")
out=$("$CTL" content set "$a" MaxProcesses=21 2>&1) && fail "MaxProcesses above the limit accepted"
assert_contains "$out" "MaxProcessesLimit" "limit error"
out=$("$CTL" content set "$a" MinProcesses=3 MaxProcesses=2 2>&1) && fail "Min > Max accepted"
assert_contains "$out" "MinProcesses 3 is above MaxProcesses 2" "min/max error"
out=$("$CTL" content set "$a" LoadFactor=2 2>&1) && fail "LoadFactor 2 accepted"
assert_contains "$out" "LoadFactor" "load factor error"

# --- load factor: MaxConnsPerProcess 4, LoadFactor 0.5, MaxProcesses 3 → starts at connections 1, 3, 5;
# the 13th concurrent connection is refused at once.
"$CTL" content set "$a" MaxConnsPerProcess=4 LoadFactor=0.5 MaxProcesses=3 >/dev/null
dir=$(app_dir "$a")
expected=(0 1 1 2 2 3 3 3 3 3 3 3 3)
pids=()
for k in $(seq 1 12); do
    curl -fsS -o /dev/null "$BASE/content/$a/hold?id=$k&s=120" &
    pids+=($!)
    wait_for "[[ -e '$dir/arrived-$k' ]]" 30 || fail "connection $k never reached a process"
    sleep 0.2
    n=$(units "$a")
    [[ $n == "${expected[k]}" ]] || fail "after connection $k: $n units, expected ${expected[k]}"
done
start=$(date +%s%N)
code=$(curl -sS -o "$CORRAL_TEST_TMP/full.html" -w '%{http_code}' "$BASE/content/$a/hold?id=13&s=1")
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_eq "$code" "503" "13th connection"
((elapsed_ms < 2000)) || fail "the refusal took ${elapsed_ms} ms"
assert_contains "$(cat "$CORRAL_TEST_TMP/full.html")" "MaxProcesses" "refusal page"
kill "${pids[@]}" 2>/dev/null || true
"$CTL" content set "$a" IdleTimeout=1s >/dev/null

# --- idle race: requests spaced around IdleTimeout (1 s) are all served, never reset.
b=$(deploy "$APP" --title "Idle race")
"$CTL" content set "$b" IdleTimeout=1s >/dev/null
for i in $(seq 1 16); do
    code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/content/$b/pid") || fail "request $i was reset"
    assert_eq "$code" "200" "request $i around the idle stop"
    sleep "$(python3 -c "import random; print(0.95 + random.random() * 0.15)")"
done

# --- MinProcesses 2 restored after a kill.
c=$(deploy "$APP" --title "Warm pool")
"$CTL" content set "$c" MinProcesses=2 >/dev/null
wait_for "[[ \$(active_units $c | wc -l) == 2 ]]" 30 || fail "MinProcesses 2 not started"
victim=$(active_units "$c" | head -n 1)
systemctl kill -s KILL "$victim"
wait_for "! active_units $c | grep -qx '$victim' && [[ \$(active_units $c | wc -l) == 2 ]]" 30 ||
    fail "MinProcesses not restored after killing $victim"
sig=$("$CTL" ps "$c" --json | python3 -c '
import json, sys
print([p["signal"] for p in json.load(sys.stdin) if p["unit"] == sys.argv[1]][0])' "$victim")
assert_eq "$sig" "9" "recorded signal of the killed process"

# --- reaping takes the whole unit: a forked `sleep 1000` dies with it.
d=$(deploy "$APP" --title "Forker")
"$CTL" content set "$d" IdleTimeout=1s >/dev/null
child=$(curl -fsS "$BASE/content/$d/fork")
kill -0 "$child" 2>/dev/null || fail "forked child $child not running"
wait_for "[[ \$(units $d) == 0 ]]" 15 || fail "forker not reaped"
wait_for "! kill -0 $child" 5 || fail "forked child $child survived reaping"

# --- a process ignoring SIGTERM is killed after the stop timeout (10 s) and recorded so.
e=$(deploy "$APP" --title "Stubborn")
"$CTL" content set "$e" IdleTimeout=1s >/dev/null
curl -fsS -o /dev/null "$BASE/content/$e/ignore-term"
stubborn=$(active_units "$e")
wait_for "[[ \$(units $e) == 0 ]]" 30 || fail "stubborn process never stopped"
rec=$("$CTL" ps "$e" --json | python3 -c '
import json, sys
p = [p for p in json.load(sys.stdin) if p["unit"] == sys.argv[1]][0]
print(p["signal"], p["cause"])' "$stubborn")
assert_eq "$rec" "9 idle" "stubborn process record"

# --- back-off: a content that crashes at start is not restarted in a tight loop.
mkdir -p "$CORRAL_TEST_TMP/crash"
printf 'import sys\nsys.exit(4)\n' >"$CORRAL_TEST_TMP/crash/app.py"
f=$(deploy "$CORRAL_TEST_TMP/crash" --title "Crasher")
for i in 1 2; do
    code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/content/$f/")
    assert_eq "$code" "502" "crash $i"
done
code=$(curl -sS -o "$CORRAL_TEST_TMP/backoff.html" -w '%{http_code}' "$BASE/content/$f/")
assert_eq "$code" "503" "request during back-off"
assert_contains "$(cat "$CORRAL_TEST_TMP/backoff.html")" "failed to start 2 times" "back-off page"
assert_contains "$("$CTL" ps "$f")" "back-off after 2 failed starts" "back-off in corralctl ps"
n=$("$CTL" ps "$f" --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
assert_eq "$n" "2" "processes started for the crasher"

# --- ReadTimeout closes a silent WebSocket.
hello=$(Rscript -e 'cat(system.file("examples/01_hello", package="shiny"))')
g=$(deploy "$hello" --title "Silent socket")
"$CTL" content set "$g" ReadTimeout=10s >/dev/null
curl -fsS --max-time 60 -o /dev/null "$BASE/content/$g/"
out=$(timeout 60 python3 "$CORRAL_SOURCE_DIR/tests/fixtures/wsclient.py" 127.0.0.1 3939 "/content/$g/websocket/" --idle)
secs=$(sed -n 's/^closed after \([0-9.]*\) s$/\1/p' <<<"$out")
[[ -n $secs ]] || fail "websocket: $out"
python3 -c "import sys; sys.exit(0 if 8.5 <= $secs <= 13 else 1)" || fail "silent websocket closed after $secs s, not ~10 s"

# --- SIGHUP reloads the scheduler settings and keeps serving.
sed -i 's/IdleTimeout: 60s/IdleTimeout: 2s/' "$config"
kill -HUP "$CORRAL_PID"
wait_for "grep -q 'Reloaded the reloadable settings' '$CORRAL_LOG'" 5 || fail "no reload after SIGHUP"
kill -0 "$CORRAL_PID" || fail "corrald died on SIGHUP"
curl -fsS -o /dev/null "$BASE/content/$b/pid" || fail "serving after SIGHUP"

# --- adoption: kill -9 corrald; the next corrald serves from the same unit and pid.
h=$(deploy "$APP" --title "Survivor")
"$CTL" content set "$h" IdleTimeout=5m >/dev/null
pid_before=$(curl -fsS "$BASE/content/$h/pid")
unit_before=$(active_units "$h")
kill -9 "$CORRAL_PID"
wait "$CORRAL_PID" 2>/dev/null || true
CORRAL_PID=
kill -0 "$pid_before" || fail "content died with corrald"
corral_start "$config"
pid_after=$(curl -fsS "$BASE/content/$h/pid")
assert_eq "$pid_after" "$pid_before" "pid serving after kill -9 of corrald"
assert_eq "$(active_units "$h")" "$unit_before" "unit after kill -9 of corrald"
n=$("$CTL" ps "$h" --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
assert_eq "$n" "1" "process records of the survivor"

# --- adoption across `systemctl restart` of corrald run as a unit.
corral_stop
systemd-run --unit=corrald-under-test -p Type=simple "$CORRAL_BUILD_DIR/orchestrator/corrald" --config "$config"
on_exit "systemctl stop corrald-under-test 2>/dev/null"
wait_for "[[ -S /run/corral/corral.sock ]] && curl -fsS -o /dev/null $BASE/" 20 || fail "corrald unit did not start"
pid_before=$(curl -fsS "$BASE/content/$h/pid")
systemctl restart corrald-under-test
wait_for "curl -fsS -o /dev/null $BASE/" 20 || fail "corrald unit did not come back"
assert_eq "$(curl -fsS "$BASE/content/$h/pid")" "$pid_before" "pid serving after systemctl restart"
dups=$(systemctl list-units --plain --no-legend "corral-run_*-${h:0:8}-*" | wc -l)
assert_eq "$dups" "1" "units of the survivor after restart"
echo "scheduler: all checks passed"
