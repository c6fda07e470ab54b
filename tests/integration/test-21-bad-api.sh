#!/usr/bin/env bash
# timeout: 600
# Bad input to the JSON API and bad bundles: every call is refused with a status and a message
# naming the problem; deployed content keeps serving, corrald keeps running, nothing stored is
# lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/badlib.sh"

T=$CORRAL_TEST_TMP
config=$(corral_default_config "$T")
cat >>"$config" <<EOF
Scheduler:
  IdleTimeout: 30s
  InitTimeout: 30s
Python:
  Executable: [/usr/bin/python3]
EOF
corral_start "$config"

flask=$("$CTL" deploy "$CORRAL_SOURCE_DIR/examples/flask-hello" --title "Flask hello" | tail -n 1)
[[ $flask =~ ^[0-9a-f-]{36}$ ]] || fail "deploy did not print a GUID: '$flask'"
flask_id=$("$CTL" show "$flask" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
flask_bundle=$("$CTL" show "$flask" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundle_id"])')
healthy "the first deploy" "$flask"

# A second content without a bundle, for cross-content checks.
api POST /__api__/applications -H 'Content-Type: application/json' -d '{"name":"empty"}'
other_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$API_BODY")
other=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["guid"])' "$API_BODY")

# ---------------------------------------------------------------- API: bodies
P="POST /__api__/applications -H Content-Type:application/json"
expect_api "create: no body" 400 "JSON object" $P
expect_api "create: empty object" 400 "'name' or 'title' is required" $P -d '{}'
expect_api "create: malformed JSON" 400 "not a JSON object" $P -d '{"name": '
expect_api "create: JSON array" 400 "not an object" $P -d '["name"]'
expect_api "create: JSON string" 400 "not a JSON object" $P -d '"x"'
expect_api "create: trailing garbage" 400 "not a JSON object" $P -d '{"name":"a"} xyz'
expect_api "create: duplicate keys" 400 "duplicate" $P -d '{"name":"a","name":"b"}'
expect_api "create: name is a number" 400 "'name'" $P -d '{"name": 5}'
expect_api "create: name is an object" 400 "'name'" $P -d '{"name": {"a":1}}'
expect_api "create: title is null, no name" 400 "'name' or 'title' is required" $P -d '{"title": null}'
expect_api "create: empty name" 400 "'name'" $P -d '{"name": ""}'
expect_api "create: name with newline" 400 "printable" $P -d '{"name": "a\nb"}'
expect_api "create: name with NUL" 400 "" $P -d '{"name": "a\u0000b"}'
expect_api "create: 201-char name" 400 "200" $P -d "{\"name\": \"$(printf 'x%.0s' {1..201})\"}"
printf '{"name": "\xff\xfe"}' >"$T/nonutf8.json"
expect_api "create: non-UTF-8 name" 400 "not a JSON object" $P --data-binary "@$T/nonutf8.json"
python3 -c 'print("[" * 100000)' >"$T/deep.json"
expect_api "create: deeply nested JSON" 400 "not a JSON object" $P --data-binary "@$T/deep.json"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T/spaces.json"
expect_api "create: 2 MB of whitespace" 400 "" $P --data-binary "@$T/spaces.json"
healthy "bad create bodies" "$flask"

# A body larger than the API's limit: refused with 413 before it is read.
expect_api "huge declared body" 413 "too large" POST /__api__/applications -H 'Content-Length: 9999999999999' \
    -H 'Content-Type: application/json' --data-binary ''
# A body that is not as long as its Content-Length: the connection ends; corrald survives.
api_raw_short() {
    python3 - "$CORRAL_SOCKET" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /__api__/applications HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"name\":")
s.close()
PY
}
api_raw_short
healthy "a truncated API body" "$flask"

# ---------------------------------------------------------------- API: ids
for id in 999999 0 -1 abc "1%20OR%201=1" "1'%20OR%20'1'='1" "%27;DROP%20TABLE%20content;--" \
    "..%2F..%2Fetc%2Fpasswd" "%2e%2e" "00000000-0000-0000-0000-000000000000" "1e3" "%201" "%00" \
    "99999999999999999999999"; do
    expect_api "GET applications/$id" 404 "not found" GET "/__api__/applications/$id"
    expect_api "upload to $id" 404 "not found" POST "/__api__/applications/$id/upload" --data-binary x
    expect_api "deploy to $id" 404 "not found" POST "/__api__/applications/$id/deploy" -d '{"bundle":1}'
    expect_api "task $id" 404 "not found" GET "/__api__/tasks/$id"
    expect_api "stop process $id" 404 "not found" POST "/__api__/processes/$id/stop"
done
expect_api "traversal in the API path" 404 "no API endpoint" GET "/__api__/applications/../../etc/passwd" --path-as-is
expect_api "unknown endpoint" 404 "no API endpoint" GET "/__api__/nope"
expect_api "wrong method" 404 "no API endpoint" PUT "/__api__/applications/$flask"
expect_api "processes filter with injection" 404 "content not found" GET "/__api__/processes?content=x'%20OR%20'1'='1"
expect_api "task with bad first_status" 404 "not found" GET "/__api__/tasks/nope?first_status=abc"
healthy "bad ids" "$flask"

# ---------------------------------------------------------------- API: deploy
D="POST /__api__/applications/$flask_id/deploy -H Content-Type:application/json"
expect_api "deploy: no bundle" 400 "'bundle'" $D -d '{}'
expect_api "deploy: bundle is null" 400 "'bundle'" $D -d '{"bundle": null}'
expect_api "deploy: bundle is an object" 400 "'bundle'" $D -d '{"bundle": {}}'
expect_api "deploy: bundle is a float" 400 "'bundle'" $D -d '{"bundle": 1.5}'
expect_api "deploy: bundle is not a number" 400 "'bundle'" $D -d '{"bundle": "abc"}'
expect_api "deploy: bundle is a number and garbage" 400 "'bundle'" $D -d '{"bundle": "1abc"}'
expect_api "deploy: unknown app_mode" 400 "unknown app_mode 'nope'" $D -d "{\"bundle\": $flask_bundle, \"app_mode\": \"nope\"}"
expect_api "deploy: app_mode not a string" 400 "app_mode" $D -d "{\"bundle\": $flask_bundle, \"app_mode\": 5}"

# A deploy whose bundle does not exist, or belongs to other content, is a failed task, and the
# content keeps its bundle.
task_result() {
    local task=$1 i
    for ((i = 0; i < 100; i++)); do
        api GET "/__api__/tasks/$task"
        [[ $API_BODY == *'"finished": true'* || $API_BODY == *'"finished":true'* ]] && return 0
        sleep 0.1
    done
    return 1
}
for b in 999999 -5 0; do
    api $D -d "{\"bundle\": $b}"
    if [[ $API_CODE == 200 ]]; then
        task=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["task_id"])' "$API_BODY")
        task_result "$task" || bad "deploy of bundle $b: task never finished"
        [[ $API_BODY == *"no such bundle"* ]] && ok "deploy of bundle $b fails: no such bundle" ||
            bad "deploy of bundle $b: task does not say 'no such bundle': $API_BODY"
    elif [[ $API_CODE == 400 || $API_CODE == 404 ]] && [[ $API_BODY == *"bundle"* ]]; then
        ok "deploy of bundle $b refused: $API_BODY"
    else
        bad "deploy of bundle $b: $API_CODE $API_BODY"
    fi
done
api POST "/__api__/applications/$other_id/deploy" -d "{\"bundle\": $flask_bundle}"
if [[ $API_CODE == 200 ]]; then
    task=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["task_id"])' "$API_BODY")
    task_result "$task" || bad "cross-content deploy: task never finished"
    assert_contains "$API_BODY" "no such bundle" "cross-content deploy task"
    ok "deploy of another content's bundle fails"
else
    [[ $API_CODE == 404 || $API_CODE == 400 ]] || bad "cross-content deploy: $API_CODE $API_BODY"
fi
api GET "/__api__/applications/$other"
[[ $API_BODY == *'"bundle_id": null'* || $API_BODY == *'"bundle_id":null'* ||
   $API_BODY == *'"bundle_id":0'* || $API_BODY == *'"bundle_id": 0'* ]] ||
    bad "other content got a bundle from a cross-content deploy: $API_BODY"
[[ $(http_status "$BASE/content/$other/") == 404 ]] || bad "content without a bundle does not answer 404"
api GET "/__api__/applications/$flask"
[[ $API_BODY == *"\"bundle_id\":$flask_bundle"* || $API_BODY == *"\"bundle_id\": $flask_bundle"* ]] ||
    bad "flask lost its bundle after failed deploys: $API_BODY"
healthy "bad deploys" "$flask"

# ---------------------------------------------------------------- bundles
# upload BUNDLE_FILE NEEDLE WHAT: an upload of the file to the 'other' content is refused with
# 400 and NEEDLE in the error, and leaves no bundle dir behind.
count_bundles() { find "$T/data/apps" -mindepth 2 -maxdepth 2 | wc -l; }
upload_refused() {
    local file=$1 needle=$2 what=$3 before
    before=$(count_bundles)
    expect_api "upload: $what" 400 "$needle" POST "/__api__/applications/$other_id/upload" \
        -H 'Content-Type: application/x-gzip' --data-binary "@$file"
    [[ $(count_bundles) == "$before" ]] || bad "upload: $what left files under $T/data/apps"
}

: >"$T/zero.tar.gz"
upload_refused "$T/zero.tar.gz" "bundle is empty" "zero bytes"
head -c 5000 /dev/urandom >"$T/garbage.tar.gz"
upload_refused "$T/garbage.tar.gz" "not a valid .tar.gz" "random bytes"
echo "hello" | gzip >"$T/notar.tar.gz"
upload_refused "$T/notar.tar.gz" "bad bundle" "gzip of text"
python3 - "$T/good.tar.gz" <<'PY'
import io, os, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    for name, data in (("app.py", b"x\n"), ("random.bin", os.urandom(200000))):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
head -c $(($(stat -c %s "$T/good.tar.gz") / 2)) "$T/good.tar.gz" >"$T/trunc.tar.gz"
upload_refused "$T/trunc.tar.gz" "bad bundle" "truncated gzip"
gzip -c </dev/null >"$T/emptygz.tar.gz"
upload_refused "$T/emptygz.tar.gz" "bad bundle" "gzip of nothing"
mktar "$T/empty.tar.gz"
upload_refused "$T/empty.tar.gz" "empty" "tar without members"
mktar "$T/abs.tar.gz" "file:app.py:x" "file:/etc/corral-evil:x"
upload_refused "$T/abs.tar.gz" "'/etc/corral-evil'" "absolute member"
[[ ! -e /etc/corral-evil ]] || bad "absolute member was written"
mktar "$T/dotdot.tar.gz" "file:app.py:x" "file:a/../../evil:x"
upload_refused "$T/dotdot.tar.gz" "'a/../../evil'" "member with .."
mktar "$T/symabs.tar.gz" "file:app.py:x" "sym:passwd:/etc/passwd"
upload_refused "$T/symabs.tar.gz" "'passwd' is a link leading out" "symlink to an absolute path"
mktar "$T/symup.tar.gz" "file:app.py:x" "sym:sub/up:../../x"
upload_refused "$T/symup.tar.gz" "'sub/up' is a link leading out" "symlink climbing out"
mktar "$T/symdot.tar.gz" "file:app.py:x" "sym:./././up:.."
upload_refused "$T/symdot.tar.gz" "is a link leading out" "symlink under ./././ climbing out"
mktar "$T/symdot2.tar.gz" "file:app.py:x" "dir:a" "sym:a/./././up:../.."
upload_refused "$T/symdot2.tar.gz" "is a link leading out" "symlink under a/./././ climbing out"
mktar "$T/symthrough.tar.gz" "file:app.py:x" "sym:d:." "file:d/../../evil:x"
upload_refused "$T/symthrough.tar.gz" "'d/../../evil'" "member through a symlink"
mktar "$T/symdir.tar.gz" "file:app.py:x" "dir:sub" "sym:sub/link:.." "file:sub/link/evil2:x"
api POST "/__api__/applications/$other_id/upload" --data-binary "@$T/symdir.tar.gz"
[[ $API_CODE == 400 || $API_CODE == 200 ]] || bad "write through an inner symlink: $API_CODE $API_BODY"
[[ ! -e $T/data/apps/evil2 ]] || bad "a member was written through a symlink out of its bundle dir"
mktar "$T/hard.tar.gz" "file:app.py:x" "hard:h:/etc/shadow"
upload_refused "$T/hard.tar.gz" "'h' is a hard link" "hard link to /etc/shadow"
mktar "$T/hard2.tar.gz" "file:app.py:x" "hard:h:app.py"
upload_refused "$T/hard2.tar.gz" "'h' is a hard link" "hard link inside"
mktar "$T/fifo.tar.gz" "file:app.py:x" "fifo:f"
upload_refused "$T/fifo.tar.gz" "'f' is not a file, directory or link" "fifo member"
mktar "$T/chr.tar.gz" "file:app.py:x" "chr:null"
upload_refused "$T/chr.tar.gz" "'null' is not a file, directory or link" "device member"
mktar "$T/huge.tar.gz" "file:app.py:x" "hugehdr:big:$((5 * 1024 * 1024 * 1024))"
upload_refused "$T/huge.tar.gz" "unpacks to more than" "member claiming 5 GiB"
long=$(printf 'd%.0s' {1..300})
mktar "$T/longname.tar.gz" "file:app.py:x" "file:$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/f:x"
api POST "/__api__/applications/$other_id/upload" --data-binary "@$T/longname.tar.gz"
[[ $API_CODE == 400 || $API_CODE == 200 ]] || bad "4 KB member name: $API_CODE $API_BODY"
ok "4 KB member name: $API_CODE ${API_BODY:0:200}"
python3 - "$T/many.tar.gz" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w:gz") as t:
    for i in range(100001):
        t.addfile(tarfile.TarInfo("f%06d" % i), io.BytesIO(b""))
PY
upload_refused "$T/many.tar.gz" "more than 100000 members" "100001 members"
# A chunked body that never ends: refused with 413 once it passes the API's 1 GiB limit.
out=$(timeout 120 python3 - "$CORRAL_SOCKET" "$other_id" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST /__api__/applications/%s/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          % sys.argv[2].encode())
chunk = b"100000\r\n" + b"\0" * 0x100000 + b"\r\n"
sent = 0
try:
    while sent < (1 << 30) + (64 << 20):
        s.sendall(chunk)
        sent += 0x100000
except (BrokenPipeError, ConnectionResetError):
    pass
s.settimeout(10)
try:
    print(s.recv(4096).decode("latin-1").split("\r\n")[0], "after", sent >> 20, "MiB")
except Exception as e:
    print("no answer:", e, "after", sent >> 20, "MiB")
PY
) || true
[[ $out == "HTTP/1.1 413"* ]] && ok "endless chunked upload: $out" || bad "endless chunked upload: $out"
healthy "bad bundles" "$flask"

# ---------------------------------------------------------------- manifests
# deploy_refused NEEDLE WHAT SPEC...: a bundle made of SPECs uploads, and its deploy fails with
# NEEDLE in the task's error; the flask content is untouched.
deploy_refused() {
    local needle=$1 what=$2 bundle task
    shift 2
    mktar "$T/m.tar.gz" "$@"
    api POST "/__api__/applications/$victim_id/upload" --data-binary "@$T/m.tar.gz"
    if [[ $API_CODE != 200 ]]; then
        if [[ $API_CODE == 400 && $API_BODY == *"$needle"* ]]; then
            ok "manifest: $what (refused at upload)"
        else
            bad "manifest: $what: upload answered $API_CODE: $API_BODY"
        fi
        return
    fi
    bundle=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$API_BODY")
    api POST "/__api__/applications/$victim_id/deploy" -d "{\"bundle\": $bundle}"
    [[ $API_CODE == 200 ]] || { bad "manifest: $what: deploy answered $API_CODE: $API_BODY"; return; }
    task=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["task_id"])' "$API_BODY")
    task_result "$task" || { bad "manifest: $what: task never finished"; return; }
    if [[ $API_BODY == *'"code":0'* || $API_BODY == *'"code": 0'* ]]; then
        bad "manifest: $what: deployed: $API_BODY"
        return
    fi
    [[ $API_BODY == *"$needle"* ]] && ok "manifest: $what" ||
        bad "manifest: $what: '$needle' not in the task: $API_BODY"
    api GET "/__api__/applications/$victim"
    [[ $API_BODY == *"\"bundle_id\":$victim_bundle"* || $API_BODY == *"\"bundle_id\": $victim_bundle"* ]] ||
        bad "manifest: $what: the content lost its bundle: $API_BODY"
}
victim=$("$CTL" deploy "$CORRAL_SOURCE_DIR/examples/flask-hello" --title "Victim" | tail -n 1)
victim_id=$("$CTL" show "$victim" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
victim_bundle=$("$CTL" show "$victim" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundle_id"])')
APP="file:app.py:from flask import Flask\napp = Flask(__name__)\n"
deploy_refused "manifest.json line" "not JSON" "$APP" "file:manifest.json:{nope"
deploy_refused "manifest.json line" "empty" "$APP" "file:manifest.json:"
deploy_refused "'metadata' must be an object" "metadata is a list" "$APP" 'file:manifest.json:{"metadata": []}'
deploy_refused "'metadata.appmode' must be a string" "appmode is a number" "$APP" 'file:manifest.json:{"metadata": {"appmode": 3}}'
deploy_refused "unknown app mode 'nope'" "unknown appmode" "$APP" 'file:manifest.json:{"metadata": {"appmode": "nope"}}'
deploy_refused "'metadata.entrypoint' must be a string" "entrypoint is a number" "$APP" \
    'file:manifest.json:{"metadata": {"appmode": "python-api", "entrypoint": 7}}'
deploy_refused "'title' must be a string" "title is a list" "$APP" 'file:manifest.json:{"title": [1]}'
deploy_refused "'../../../../../../etc/passwd'" "shiny entrypoint climbing out" "file:app.R:x" \
    'file:manifest.json:{"metadata": {"appmode": "shiny", "entrypoint": "../../../../../../etc/passwd"}}'
deploy_refused "'/etc/passwd'" "shiny entrypoint absolute" "file:app.R:x" \
    'file:manifest.json:{"metadata": {"appmode": "shiny", "entrypoint": "/etc/passwd"}}'
deploy_refused "os.py" "python entrypoint os:system" "$APP" \
    'file:manifest.json:{"metadata": {"appmode": "python-api", "entrypoint": "os:system"}}'
deploy_refused "'..:app'" "python entrypoint ..:app" "$APP" \
    'file:manifest.json:{"metadata": {"appmode": "python-api", "entrypoint": "..:app"}}'
deploy_refused "'.:app'" "python entrypoint .:app" "$APP" \
    'file:manifest.json:{"metadata": {"appmode": "python-api", "entrypoint": ".:app"}}'
deploy_refused "'../../etc/passwd'" "python entrypoint a path" "$APP" \
    'file:manifest.json:{"metadata": {"appmode": "python-api", "entrypoint": "../../etc/passwd"}}'
deploy_refused "'a..b:app'" "python entrypoint a..b:app" "$APP" \
    'file:manifest.json:{"metadata": {"appmode": "python-api", "entrypoint": "a..b:app"}}'
deploy_refused "'1app:app'" "python entrypoint 1app:app" "$APP" \
    'file:manifest.json:{"metadata": {"appmode": "python-api", "entrypoint": "1app:app"}}'
deploy_refused "'metadata.primary_rmd' must be a string" "primary_rmd is a list" "file:app.R:x" \
    'file:manifest.json:{"metadata": {"appmode": "shiny", "primary_rmd": [1]}}'
deploy_refused "no index.html" "static mode without a page" "file:README:x" 'file:manifest.json:{"metadata": {"appmode": "static"}}'
deploy_refused "no entry point" "nothing to run" "file:README:x"
healthy "bad manifests" "$flask" "$victim"

# ---------------------------------------------------------------- corralctl
expect_ctl() {
    local what=$1 needle=$2 out rc=0
    shift 2
    out=$(timeout 60 "$CTL" "$@" 2>&1) || rc=$?
    if ((rc == 0)); then
        bad "corralctl $what: succeeded: $out"
    elif ((rc >= 124)); then
        bad "corralctl $what: hung or crashed (exit $rc): $out"
    elif [[ $out != *"$needle"* ]]; then
        bad "corralctl $what: '$needle' not in: $out"
    else
        ok "corralctl $what"
    fi
}
expect_ctl "no verb" "" 
expect_ctl "unknown verb" "nope" nope
expect_ctl "deploy without a path" "deploy" deploy
expect_ctl "deploy of a missing dir" "$T/missing" deploy "$T/missing"
expect_ctl "deploy of a fifo" "neither a directory nor a .tar.gz" deploy "$(mkfifo "$T/fifo" && echo "$T/fifo")"
expect_ctl "deploy of /dev/null" "neither a directory nor a .tar.gz" deploy /dev/null
echo "not gzip" >"$T/plain.tar.gz"
expect_ctl "deploy of a non-gzip file" "not a gzip-compressed tar" deploy "$T/plain.tar.gz"
expect_ctl "deploy of garbage gzip" "not a valid .tar.gz" deploy "$T/notar.tar.gz"
expect_ctl "deploy to unknown content" "not found" deploy "$CORRAL_SOURCE_DIR/examples/flask-hello" --content 00000000-0000-0000-0000-000000000000
expect_ctl "deploy with unknown mode" "nope" deploy "$CORRAL_SOURCE_DIR/examples/flask-hello" --mode nope
expect_ctl "deploy with empty title" "title" deploy "$CORRAL_SOURCE_DIR/examples/flask-hello" --title ""
expect_ctl "deploy with a title holding a newline" "title" deploy "$CORRAL_SOURCE_DIR/examples/flask-hello" --title $'a\nb'
expect_ctl "show of unknown content" "not found" show 00000000-0000-0000-0000-000000000000
expect_ctl "show without GUID" "show" show
expect_ctl "ps of unknown content" "not found" ps "a b"
expect_ctl "ps of unknown content" "not found" ps 00000000-0000-0000-0000-000000000000
expect_ctl "stop of unknown process" "not found" stop nope
expect_ctl "unknown option" "--bogus" list --bogus
mkdir -p "$T/withfifo"
cp "$CORRAL_SOURCE_DIR/examples/flask-hello/app.py" "$T/withfifo/"
mkfifo "$T/withfifo/pipe"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/withfifo/sock"
out=$(timeout 60 "$CTL" deploy "$T/withfifo" --title "with fifo" 2>&1) || bad "deploy of a dir with a fifo and a socket failed: $out"
fifo_guid=$(tail -n 1 <<<"$out")
[[ $fifo_guid =~ ^[0-9a-f-]{36}$ ]] && ok "dir with a fifo and a socket deploys (they are skipped)"
mkdir -p "$T/loop"
cp "$CORRAL_SOURCE_DIR/examples/flask-hello/app.py" "$T/loop/"
ln -s /etc/passwd "$T/loop/passwd"
expect_ctl "deploy of a dir with a link out" "leads out of the directory" deploy "$T/loop"
rm "$T/loop/passwd"
ln -s self "$T/loop/self"
expect_ctl "deploy of a dir with a link loop" "'self'" deploy "$T/loop"
rm "$T/loop/self"
mkdir -p "$T/unreadable"
cp "$CORRAL_SOURCE_DIR/examples/flask-hello/app.py" "$T/unreadable/"
healthy "bad corralctl calls" "$flask"

if [[ $fifo_guid =~ ^[0-9a-f-]{36}$ ]]; then
    healthy "everything" "$flask" "$victim" "$fifo_guid"
fi
bad_finish
