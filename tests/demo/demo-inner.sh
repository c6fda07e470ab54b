#!/usr/bin/env bash
# The demo, run under systemd by tools/demo.sh: corrald (from the build dir, its own SQLite)
# deploys the bundled example content — Debian's r-cran-shiny example 01_hello and the Flask
# app in examples/flask-hello — and fetches both through corrald, printing the URLs and what
# came back. Leaves nothing running: content units and corrald are stopped at the end.
#
# Environment: CORRAL_BUILD_DIR (default ./build), CORRAL_DEMO_DIR (default
# /var/tmp/corral-demo: config, data and database of the demo), CORRAL_DEMO_PORT (3939).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${CORRAL_BUILD_DIR:-$repo/build}
dir=${CORRAL_DEMO_DIR:-/var/tmp/corral-demo}
port=${CORRAL_DEMO_PORT:-3939}
socket=/run/corral-demo/corral.sock
corrald=$build/orchestrator/corrald
ctl() { "$build/corralctl/corralctl" --socket "$socket" "$@"; }

say() { printf '\n== %s\n' "$*"; }
# deploy DIR TITLE: prints the deploy log; the GUID (its last line) goes into $guid.
deploy() {
    local out
    out=$(ctl deploy "$1" --title "$2")
    echo "$out"
    guid=$(tail -n 1 <<<"$out")
}

[[ $(id -u) == 0 ]] || { echo "demo: run as root (corrald starts units as other users)" >&2; exit 1; }
[[ -x $corrald ]] || { echo "demo: $corrald is not built; run tools/demo.sh" >&2; exit 1; }

if ! getent passwd corral >/dev/null; then
    say "Creating the system account 'corral' that content runs as"
    useradd --system --user-group --home-dir /nonexistent --shell /usr/sbin/nologin corral
fi

mkdir -p "$dir"
chmod 0755 "$dir"
(
    umask 077
    cat >"$dir/corral.yaml" <<EOF
# The demo's corral.yaml: see corral.yaml(5).
Server:
  Listen: 127.0.0.1:$port
  Address: http://127.0.0.1:$port/
  DataDir: $dir/data
  SocketPath: $socket
Applications:
  RunAs: corral
Scheduler:
  IdleTimeout: 30s
Python:
  Executable: [/usr/bin/python3]
EOF
)

say "Starting corrald with $dir/corral.yaml"
rm -f "$socket"
"$corrald" --config "$dir/corral.yaml" >"$dir/corrald.log" 2>&1 </dev/null &
pid=$!
cleanup() {
    set +e
    if kill -0 "$pid" 2>/dev/null; then
        # Content keeps running across a corrald restart by design: stop the demo's own units.
        for unit in $(systemctl list-units --plain --no-legend 'corral-run_*' | awk '{print $1}'); do
            systemctl stop "$unit"
        done
        kill "$pid"
        wait "$pid"
    fi
}
trap cleanup EXIT
for _ in $(seq 300); do
    [[ -S $socket ]] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/corrald.log"; echo "demo: corrald exited" >&2; exit 1; }
    sleep 0.1
done
[[ -S $socket ]] || { cat "$dir/corrald.log"; echo "demo: corrald did not start" >&2; exit 1; }

say "Deploying examples/flask-hello"
deploy "$repo/examples/flask-hello" "Flask hello"
flask=$guid

hello=$(Rscript -e 'cat(system.file("examples/01_hello", package="shiny"))')
say "Deploying Debian's r-cran-shiny example 01_hello ($hello)"
deploy "$hello" "Shiny 01_hello"
shiny=$guid

say "Fetching the Flask app through corrald (its process starts on this first request)"
url=http://127.0.0.1:$port/content/$flask/
echo "GET $url"
curl -fsS "$url"
echo

say "Fetching the Shiny app through corrald"
url=http://127.0.0.1:$port/content/$shiny/
echo "GET $url"
curl -fsS --max-time 60 "$url" | grep -E '<title>|<h2>' | sed 's/^ *//'

say "Content processes, each a transient unit in corral.slice"
ctl ps
echo
systemctl list-units --plain --no-legend 'corral-run_*' | awk '{ $2 = $3 = $4 = ""; print }' | tr -s ' ' 

say "corrald's own log"
tail -n 20 "$dir/corrald.log"

say "Done: both apps answered through corrald; the demo now stops them and corrald"
