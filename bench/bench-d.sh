#!/usr/bin/env bash
# (d) scale-out: 20 concurrent clients against bench/apps/sleep (each request blocks 2 s;
# waitress serves 8 at a time per process), with
#   default - the default scheduler (MaxProcesses 3, MaxConnsPerProcess 20, LoadFactor 0.5)
#   scaled  - Scheduler: {MaxProcesses: 20, MaxConnsPerProcess: 1}
# For each: a cold round (no process running) then, at once, a warm round. Reports wall time of
# the 20 requests, statuses (503s), processes started (corralctl ps records), distinct backend pids.
. "$(dirname "$0")/lib.sh"
N=20
declare -A wall
for cfg in default scaled; do
    corral_stop
    systemctl stop 'corral-run_*' 2>/dev/null || true
    dir=$CORRAL_TEST_TMP/$cfg; mkdir -p "$dir"
    CONFIG=$(corral_default_config "$dir")
    printf 'Python:\n  Executable: [/usr/bin/python3]\nSQLite:\n  Dir: %s/db\n' "$dir" >>"$CONFIG"
    [[ $cfg == scaled ]] && printf 'Scheduler:\n  MaxProcesses: 20\n  MaxConnsPerProcess: 1\n' >>"$CONFIG"
    corral_start "$CONFIG"
    guid=$(deploy "$BENCH/apps/sleep" "bench sleep $cfg")
    say "--- $cfg: $(sed -n '/^Scheduler:/,$p' "$CONFIG" | tr '\n' ' ' | sed 's/Python:.*//')"
    for round in cold warm; do
        before=$("$CTL" ps "$guid" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
        res=$($PY "$BENCH/tools/burst.py" "$BASE/content/$guid/" $N)
        after=$("$CTL" ps "$guid" --json | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
        units=$(systemctl list-units 'corral-run_*' --all --no-legend --plain | grep -c . || true)
        read -r w st pids mx < <(echo "$res" | $PY -c '
import json, sys; r = json.load(sys.stdin)
print(r["wall"], ",".join(f"{k}:{v}" for k, v in sorted(r["status"].items())), r["backend_pids"], r["max"])')
        wall[$cfg-$round]=$w
        printf '  %-7s %-4s wall %6s s  statuses %-16s processes started %2s  backend pids serving %2s  corral-run_* units now %s\n' \
            "$cfg" "$round" "$w" "$st" "$((after - before))" "$pids" "$units"
    done
    "$CTL" ps "$guid" | sed 's/^/    /'
done
say ""
say "ratio wall default/scaled: cold $(ratio "${wall[default-cold]}" "${wall[scaled-cold]}"), warm $(ratio "${wall[default-warm]}" "${wall[scaled-warm]}")"
