# Helpers for the benchmarks; sourced by bench/bench-*.sh INSIDE the container (run.sh boots it).
CORRAL_SOURCE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CORRAL_SOURCE_DIR
. "$CORRAL_SOURCE_DIR/tests/integration/lib.sh"
BENCH=$CORRAL_SOURCE_DIR/bench
CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
PY=/usr/bin/python3
BASE=http://127.0.0.1:3939

# bench_corrald YAML_EXTRA: write a config (defaults of corral_default_config + YAML_EXTRA) and
# start corrald with it. Sets CONFIG.
bench_corrald() {
    CONFIG=$(corral_default_config "$CORRAL_TEST_TMP")
    printf '%s\nPython:\n  Executable: [/usr/bin/python3]\nSQLite:\n  Dir: %s/db\n' \
        "$1" "$CORRAL_TEST_TMP" >>"$CONFIG"
    corral_start "$CONFIG"
}

deploy() { "$CTL" deploy "$1" --title "$2" | tail -n 1; }

# Active processes of GUID as "key unit" lines.
active_procs() {
    "$CTL" ps "$1" --json | $PY -c '
import json, sys
for p in json.load(sys.stdin):
    if p["state"] == "active":
        print(p["key"], p["unit"])'
}

# port_of UNIT: the --port its ExecStart got from corrald.
port_of() {
    systemctl show "$1" -p ExecStart --value | grep -o -- '--port [0-9]*' | head -n1 | cut -d' ' -f2
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 == 0) print "n/a"; else printf "%.2f", a/b }'; }

say() { printf '%s\n' "$*"; }
