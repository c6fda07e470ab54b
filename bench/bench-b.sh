#!/usr/bin/env bash
# (b) cold start: time to the first response byte of a fresh bench/apps/fast process
#   corrald     - after its process was stopped (corralctl stop), one GET through corrald
#   direct      - the unit's own ExecStart command, run as the same user in the bundle dir,
#                 polled every 5 ms until it answers
#   systemd-run - the same command as a bare transient unit (User=, WorkingDirectory= only),
#                 polled the same way
# Interleaved, N (default 7) rounds; medians and ratios.
. "$(dirname "$0")/lib.sh"
N=${CORRAL_BENCH_ROUNDS:-7}
bench_corrald $'Scheduler:\n  IdleTimeout: 3600s\n  MaxProcesses: 1'
guid=$(deploy "$BENCH/apps/fast" "bench cold")
curl -fsS "$BASE/content/$guid/" >/dev/null
read -r _ unit < <(active_procs "$guid")
# The exact command corrald runs, and the bundle directory it binds to /opt/corral/mnt/app.
mapfile -t argv < <(systemctl show "$unit" -p ExecStart --value |
    sed -n 's/.*argv\[\]=\([^;]*\);.*/\1/p' | tr ' ' '\n' | sed '/^$/d')
bundle=$(systemctl show "$unit" -p BindPaths --value | tr ' ' '\n' | sed -n 's/^\(.*\):\/opt\/corral\/mnt\/app.*/\1/p' | head -n1)
[[ ${#argv[@]} -gt 0 && -d $bundle ]] || fail "cannot read the unit's command/bundle: ${argv[*]} / $bundle"
say "command: ${argv[*]}"
say "bundle:  $bundle (as user corral)"

stop_all() {
    local key u
    while read -r key u; do
        "$CTL" stop "$key" >/dev/null
        wait_for "! systemctl is-active --quiet '$u'" 30 || fail "$u did not stop"
    done < <(active_procs "$guid")
    sleep 0.3
}
with_port() {   # the command with its --port replaced
    local p=$1 i out=()
    for ((i = 0; i < ${#argv[@]}; i++)); do
        out+=("${argv[i]}")
        [[ ${argv[i]} == --port ]] && { out+=("$p"); i=$((i + 1)); }
    done
    printf '%s\n' "${out[@]}"
}

declare -A times
for ((i = 1; i <= N; i++)); do
    stop_all
    read -r t code < <($PY "$BENCH/tools/firstbyte.py" 3939 "/content/$guid/")
    times[corrald]+=" $t"; c1=$code

    port=$((20000 + i))
    mapfile -t cmd < <(with_port $port)
    pid=$(cd "$bundle" && $PY "$BENCH/tools/firstbyte.py" $port / -- setpriv --reuid corral --regid corral \
        --init-groups -- "${cmd[@]}" 2>&1 >"$CORRAL_TEST_TMP/t" | tail -n1)
    read -r t2 code < "$CORRAL_TEST_TMP/t"; times[direct]+=" $t2"; c2=$code
    kill "$pid"; wait_for "! kill -0 $pid" 10 || true

    port=$((21000 + i))
    mapfile -t cmd < <(with_port $port)
    read -r t3 code < <($PY "$BENCH/tools/firstbyte.py" $port / -- systemd-run --quiet --unit "bench-cold-$i" \
        -p User=corral -p WorkingDirectory="$bundle" -- "${cmd[@]}" 2>/dev/null)
    times[systemd-run]+=" $t3"; c3=$code
    systemctl stop "bench-cold-$i" 2>/dev/null || true
    printf '  round %s: corrald %s s (%s)  direct %s s (%s)  systemd-run %s s (%s)\n' "$i" "$t" "$c1" "$t2" "$c2" "$t3" "$c3"
done
say ""
say "| start | median s to first byte (n=$N) |"
say "|---|---|"
declare -A med
for k in corrald direct systemd-run; do
    med[$k]=$(echo ${times[$k]} | tr ' ' '\n' | median)
    say "| $k | ${med[$k]} |"
done
say ""
say "ratio corrald/direct = $(ratio "${med[corrald]}" "${med[direct]}"), corrald/systemd-run = $(ratio "${med[corrald]}" "${med[systemd-run]}"), systemd-run/direct = $(ratio "${med[systemd-run]}" "${med[direct]}")"
