#!/usr/bin/env bash
# timeout: 400
# The walking skeleton end to end (issue 2): real Flask and Shiny content deployed through
# corralctl, served through corrald as transient units, sandboxed, reaped when idle, and bad
# input refused without harming what is deployed.
. "$(dirname "$0")/lib.sh"

CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
BASE=http://127.0.0.1:3939
config=$(corral_default_config "$CORRAL_TEST_TMP")
cat >>"$config" <<EOF
Scheduler:
  IdleTimeout: 2s
  InitTimeout: 30s
Python:
  Executable: [/usr/bin/python3]
SQLite:
  Dir: $CORRAL_TEST_TMP/db
EOF
mkdir -p /etc/corral
echo "secret" >/etc/corral/probe-secret

# --- bad config: refused with file, line and the closest key; corrald --check says so.
bad=$CORRAL_TEST_TMP/bad.yaml
printf 'Server:\n  Listen: 127.0.0.1:3939\nScheduler:\n  IdelTimeout: 5s\n' >"$bad"
out=$("$CORRAL_BUILD_DIR/orchestrator/corrald" --check --config "$bad" 2>&1) && fail "bad config accepted"
assert_contains "$out" "bad.yaml:4" "bad config message"
assert_contains "$out" "IdleTimeout" "bad config suggestion"
"$CORRAL_BUILD_DIR/orchestrator/corrald" --check --config "$config" >/dev/null || fail "good config refused"

corral_start "$config"

deploy() { "$CTL" deploy "$@" | tail -n 1; }
unit_of() {
    "$CTL" ps "$1" --json | python3 -c '
import json, sys
active = [p for p in json.load(sys.stdin) if p["state"] == "active"]
print(active[-1]["unit"] if active else "")'
}

# --- Flask example: deployed, served, its unit sandboxed as configured.
flask=$(deploy "$CORRAL_SOURCE_DIR/examples/flask-hello" --title "Flask hello")
[[ $flask =~ ^[0-9a-f-]{36}$ ]] || fail "deploy did not print a GUID last: '$flask'"
body=$(curl -fsS "$BASE/content/$flask/")
assert_contains "$body" "Hello from Flask, served by Corral" "flask body"
assert_contains "$body" '"user":"corral"' "flask runs as RunAs"
assert_contains "$body" "\"self_url\":\"/content/$flask/\"" "url_for under the content prefix"
unit=$(unit_of "$flask")
[[ $unit == corral-run_python_api-*.service ]] || fail "unexpected unit name '$unit'"
show=$(systemctl show "$unit" -p User -p BindPaths -p TemporaryFileSystem -p Slice -p Description)
assert_contains "$show" "User=corral" "unit User"
assert_contains "$show" "Slice=corral.slice" "unit slice"
assert_contains "$show" "Description=Corral run_python_api: Flask hello ($flask)" "unit description"
assert_contains "$show" ":/opt/corral/mnt/app" "unit BindPaths"
assert_contains "$show" "$CORRAL_TEST_TMP/data" "DataDir masked"
assert_contains "$show" "/etc/corral" "/etc/corral masked"
wait_for "journalctl -u '$unit' --no-pager | grep -c 'flask-hello: serving /'" 10 ||
    fail "journal of $unit lacks the app's own line"
wait_for "journalctl CORRAL_CONTENT_GUID=$flask --no-pager | grep -c 'starting WSGI app'" 10 ||
    fail "journal field CORRAL_CONTENT_GUID not set"

# --- the probe: what content sees from inside its unit.
probe=$(deploy "$CORRAL_SOURCE_DIR/tests/fixtures/probe" --title "Probe")
report=$(curl -fsS "$BASE/content/$probe/?paths=$CORRAL_TEST_TMP/data,$CORRAL_TEST_TMP/db,/etc/corral")
echo "$report" | python3 -c '
import json, sys
r = json.load(sys.stdin)
data, db = sys.argv[1] + "/data", sys.argv[1] + "/db"
def check(cond, what):
    if not cond:
        sys.exit("probe: " + what + ": " + json.dumps(r))
check(r["user"] == "corral" and r["uid"] != 0, "runs as corral")
for p in (data, db, "/etc/corral"):
    check(r["paths"][p].get("entries") == [], p + " looks empty")
tmp = r["env"]["TMPDIR"]
check(r["tmpdir_writable"], "TMPDIR writable")
check(r["tmpdir_listing"].get("entries") == [tmp.rsplit("/", 1)[1]], "TMPDIR private")
check(r["env"].get("HOME"), "HOME set")
check(r["cwd"] == "/opt/corral/mnt/app", "working dir")
for k in ("USER", "LOGNAME", "CORRAL_PORT", "CONNECT_SERVER", "CONNECT_CONTENT_GUID", "RSTUDIO_PRODUCT",
          "R_CONFIG_ACTIVE"):
    check(k in r["env"], k + " set")
guid = r["env"]["CONNECT_CONTENT_GUID"]
check(r["headers"].get("HTTP_RSTUDIO_CONNECT_APP_BASE_URL", "").endswith("/content/" + guid + "/"),
      "base URL header")
' "$CORRAL_TEST_TMP" || fail "probe report wrong"

# --- Shiny 01_hello from Debian's r-cran-shiny, with a WebSocket session.
hello=$(Rscript -e 'cat(system.file("examples/01_hello", package="shiny"))')
[[ -d $hello ]] || fail "r-cran-shiny's 01_hello example is not installed"
shiny=$(deploy "$hello" --title "Shiny hello")
page=$(curl -fsS --max-time 60 "$BASE/content/$shiny/")
assert_contains "$page" "Hello Shiny!" "shiny page"
init='{"method":"init","data":{"bins":30,".clientdata_output_distPlot_width":400,".clientdata_output_distPlot_height":400}}'
ws=$(timeout 30 python3 "$CORRAL_SOURCE_DIR/tests/fixtures/wsclient.py" 127.0.0.1 3939 \
    "/content/$shiny/websocket/" "$init") || fail "websocket session failed: $ws"
assert_contains "$ws" "101" "websocket upgrade"
assert_contains "$ws" "config" "shiny's first websocket message"

# --- idle reaping: after IdleTimeout the unit is gone and recorded 'idle'; the next request works.
curl -fsS -o /dev/null "$BASE/content/$flask/"
unit=$(unit_of "$flask")
[[ -n $unit ]] || fail "no active process of the flask content"
wait_for "! systemctl is-active --quiet '$unit'" 8 || fail "$unit still running after IdleTimeout"
sleep 0.5
cause=$("$CTL" ps "$flask" --json | python3 -c '
import json, sys
print([p["cause"] for p in json.load(sys.stdin) if p["unit"] == sys.argv[1]][0])' "$unit")
assert_eq "$cause" "idle" "cause of the reaped process"
assert_contains "$(curl -fsS "$BASE/content/$flask/")" "Hello from Flask" "request after reaping"

# --- bad bundles are refused with their reason; deployed content keeps working.
mkdir -p "$CORRAL_TEST_TMP/empty"
echo "# nothing" >"$CORRAL_TEST_TMP/empty/README.md"
before=$("$CTL" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
out=$("$CTL" deploy "$CORRAL_TEST_TMP/empty" 2>&1) && fail "bundle without entry point deployed"
assert_contains "$out" "no entry point" "no-entry-point error"
after=$("$CTL" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
assert_eq "$after" "$before" "a refused deploy of new content leaves no empty content behind"
python3 - "$CORRAL_TEST_TMP/evil.tar.gz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    data = b"print('x')\n"
    for name in ("app.py", "../escape.py"):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
out=$("$CTL" deploy "$CORRAL_TEST_TMP/evil.tar.gz" 2>&1) && fail "bundle with ../ member deployed"
assert_contains "$out" "'../escape.py'" "../ member error"
[[ ! -e $CORRAL_TEST_TMP/data/apps/escape.py ]] || fail "../ member was written"

# --- content that exits at once: 502 naming the cause, long before InitTimeout (30 s).
mkdir -p "$CORRAL_TEST_TMP/crash"
printf 'import sys\nprint("crash: giving up", flush=True)\nsys.exit(3)\n' >"$CORRAL_TEST_TMP/crash/app.py"
crash=$(deploy "$CORRAL_TEST_TMP/crash" --title "Crash")
start=$SECONDS
code=$(curl -sS -o "$CORRAL_TEST_TMP/crash.html" -w '%{http_code}' "$BASE/content/$crash/")
assert_eq "$code" "502" "status of content that exits at once"
((SECONDS - start < 10)) || fail "exit before ready took $((SECONDS - start))s to report"
assert_contains "$(cat "$CORRAL_TEST_TMP/crash.html")" "exited with code 3" "502 page names the exit"

assert_contains "$(curl -fsS "$BASE/content/$flask/")" "Hello from Flask" "flask after bad input"
assert_contains "$(curl -fsS "$BASE/content/$shiny/")" "Hello Shiny" "shiny after bad input"
echo "skeleton: all checks passed"
