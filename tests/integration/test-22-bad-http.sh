#!/usr/bin/env bash
# timeout: 400
# Bad HTTP at corrald's front: garbage and oversized requests get a 4xx naming the problem, odd
# /content/ paths a 404, abusive clients (pipelining, slowloris, many connections) do not block
# anyone else, and content that dies in the middle of a response costs only that response.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/badlib.sh"

T=$CORRAL_TEST_TMP
config=$(corral_default_config "$T")
cat >>"$config" <<EOF
Scheduler:
  IdleTimeout: 60s
  InitTimeout: 30s
Python:
  Executable: [/usr/bin/python3]
EOF
corral_start "$config"

flask=$("$CTL" deploy "$CORRAL_SOURCE_DIR/examples/flask-hello" --title "Flask hello" | tail -n 1)
[[ $flask =~ ^[0-9a-f-]{36}$ ]] || fail "deploy did not print a GUID: '$flask'"
mkdir -p "$T/wsgi"
cat >"$T/wsgi/app.py" <<'PY'
import os, sys, time

def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path.startswith("/crash"):
        start_response("200 OK", [("Content-Type", "text/plain")])
        def body():
            yield b"x" * 200000
            sys.stdout.flush()
            os._exit(1)
        return body()
    if path.startswith("/slow"):
        time.sleep(3)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok " + path.encode("latin-1") + b"\n"]
PY
wsgi=$("$CTL" deploy "$T/wsgi" --title "WSGI" | tail -n 1)
[[ $wsgi =~ ^[0-9a-f-]{36}$ ]] || fail "deploy of the WSGI app did not print a GUID: '$wsgi'"
healthy "the deploys" "$flask" "$wsgi"

# expect_raw WHAT STATUS BYTES: the raw request BYTES (printf-style escapes) is answered STATUS.
expect_raw() {
    local what=$1 status=$2 reply
    reply=$(raw_http "$3")
    if [[ $reply == "HTTP/1.1 $status "* ]]; then
        ok "$what: ${reply%%$'\r'*}"
    else
        bad "$what: expected $status, got: ${reply:0:200}"
    fi
}

# ---------------------------------------------------------------- garbage
expect_raw "garbage request line" 400 'HELLO\r\n\r\n'
expect_raw "binary garbage" 400 '\x00\x01\x02\xff\xfe\r\n\r\n'
expect_raw "HTTP/2 preface" 400 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
expect_raw "unknown method" 400 'FROB / HTTP/1.1\r\nHost: x\r\n\r\n'
expect_raw "no version (HTTP/0.9)" 505 'GET /\r\n\r\n'
expect_raw "HTTP/9.9" 505 'GET / HTTP/9.9\r\nHost: x\r\n\r\n'
expect_raw "CR in a header value" 400 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'
expect_raw "NUL in a header value" 400 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n'
expect_raw "header without a colon" 400 'GET / HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n'
expect_raw "space before the colon" 400 'GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n'
expect_raw "Content-Length and chunked" 400 'POST /__api__/applications HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
expect_raw "two Content-Lengths" 400 'POST /__api__/applications HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'
expect_raw "negative Content-Length" 400 'POST /__api__/applications HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n'
expect_raw "bad chunk size" 400 'POST /__api__/applications HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'
expect_raw "CONNECT" 405 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'
expect_raw "HTTP/2.0 request line" 505 'GET / HTTP/2.0\r\nHost: x\r\n\r\n'
expect_raw "tab in a header name" 400 'GET / HTTP/1.1\r\nHost: x\r\nX\tA: b\r\n\r\n'
expect_raw "unknown Expect" 417 'GET / HTTP/1.1\r\nHost: x\r\nExpect: magic\r\n\r\n'
expect_raw "body too large for /" 413 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n'
expect_raw "absolute-form target" 404 'GET http://evil.example/ HTTP/1.1\r\nHost: x\r\n\r\n'
expect_raw "asterisk target" 404 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n'
healthy "garbage requests" "$flask" "$wsgi"

# ---------------------------------------------------------------- size limits
big=$(head -c 70000 /dev/zero | tr '\0' a)
code=$(http_status -H "X-Big: $big" "$BASE/content/$flask/")
[[ $code == 431 ]] && ok "70 KB header: 431" || bad "70 KB header: got $code"
args=()
for i in $(seq 1 120); do args+=(-H "X-H$i: v"); done
code=$(http_status "${args[@]}" "$BASE/content/$flask/")
[[ $code == 431 ]] && ok "120 headers: 431" || bad "120 headers: got $code"
code=$(http_status "$BASE/content/$flask/$(head -c 100000 /dev/zero | tr '\0' a)")
[[ $code == 431 || $code == 414 ]] && ok "100 KB URL: $code" || bad "100 KB URL: got $code"
reply=$(raw_http "GET /x HTTP/1.1\r\nHost: x\r\nX-Big: $big\r\n\r\n")
[[ $reply == *"too large"* ]] && ok "431 names the problem" || bad "431 page does not say 'too large': ${reply:0:300}"
healthy "oversized requests" "$flask" "$wsgi"

# ---------------------------------------------------------------- odd /content/ paths
for p in "/content/" "/content//" "/content/../" "/content/%2e%2e/" "/content/%2E%2E/__api__/applications" \
    "/content/%00/" "/content/${flask^^}/" "/content/1/" "/content/$flask%00/" "/content/$flask%2f/" \
    "/content/'%20OR%201=1--/" "/content/$(head -c 300 /dev/zero | tr '\0' a)/" "/content/%ff%fe/" \
    "/content/..%2f..%2fetc%2fpasswd/"; do
    code=$(http_status --path-as-is "$BASE$p")
    [[ $code == 404 || $code == 400 ]] && ok "GET ${p:0:60}: $code" || bad "GET ${p:0:80}: got $code"
done
code=$(http_status --path-as-is "$BASE/content/$flask")
[[ $code == 301 ]] && ok "content without a slash: 301" || bad "content without a slash: $code"
# The redirect must not let a query inject headers.
hdrs=$(curl -sS --max-time 10 -o /dev/null -D - --path-as-is "$BASE/content/$flask?a=1%0d%0aSet-Cookie:%20x=1")
[[ $hdrs != *$'\nSet-Cookie'* ]] && ok "no header injection through the redirect" ||
    bad "header injection through the redirect: $hdrs"
reply=$(raw_http "GET /content/$flask?a=1\r\nSet-Cookie: x HTTP/1.1\r\nHost: x\r\n\r\n")
[[ $reply != *$'\r\nSet-Cookie: x'* ]] && ok "no header injection through a raw CR/LF target" ||
    bad "header injection through a raw target: ${reply:0:300}"
healthy "odd content paths" "$flask" "$wsgi"

# ---------------------------------------------------------------- pipelining
n=$(python3 - "$flask" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", 3939), timeout=30)
req = ("GET /content/%s/ HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[1]).encode()
s.sendall(req * 50 + b"GET /content/%s/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % sys.argv[1].encode())
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except socket.timeout:
    pass
print(out.count(b"HTTP/1.1 200 "))
PY
)
[[ $n == 51 ]] && ok "51 pipelined requests: 51 answers" || bad "51 pipelined requests: $n answers"
n=$(python3 <<'PY'
import socket
s = socket.create_connection(("127.0.0.1", 3939), timeout=30)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except socket.timeout:
    out += b"<timeout>"
print(out.count(b"HTTP/1.1 200 "), out.count(b"HTTP/1.1 400 "), b"<timeout>" in out)
PY
)
[[ $n == "1 1 False" ]] && ok "pipelined garbage: one 200, one 400, closed" || bad "pipelined garbage: $n"
healthy "pipelining" "$flask" "$wsgi"

# ---------------------------------------------------------------- slowloris and many connections
python3 - <<'PY' &
import socket, time
conns = []
for i in range(200):
    s = socket.create_connection(("127.0.0.1", 3939))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    conns.append(s)
for _ in range(20):
    for s in conns:
        try:
            s.sendall(b"X-A: b\r\n")
        except OSError:
            pass
    time.sleep(1)
PY
slow=$!
sleep 2
start=$SECONDS
healthy "200 slowloris connections" "$flask" "$wsgi"
((SECONDS - start < 10)) && ok "content serves beside 200 slow clients" || bad "slow clients delayed others ($((SECONDS - start)) s)"
kill "$slow" 2>/dev/null
wait "$slow" 2>/dev/null || true

# A head that never ends is cut off after the head timeout (30 s).
reply=$(timeout 60 python3 <<'PY'
import socket, time
s = socket.create_connection(("127.0.0.1", 3939))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
start = time.time()
s.settimeout(50)
out = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        out += b
        s.sendall(b"X-A: b\r\n")
except OSError:
    pass
print(int(time.time() - start), out[:40])
PY
) || true
secs=${reply%% *}
[[ -n $secs ]] && ((secs >= 25 && secs <= 45)) && ok "unfinished head cut off after ${secs}s: $reply" ||
    bad "unfinished head: $reply"

python3 - <<'PY' &
import socket, time, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
conns = []
for i in range(3000):
    try:
        conns.append(socket.create_connection(("127.0.0.1", 3939)))
    except OSError:
        break
time.sleep(15)
PY
many=$!
sleep 5
start=$SECONDS
code=$(http_status --max-time 10 "$BASE/content/$flask/")
if [[ $code == 200 ]]; then
    ok "content serves beside 3000 idle connections"
else
    bad "content does not serve beside 3000 idle connections (got '$code'); corrald's log: $(grep -i 'accept\|too many' "$CORRAL_LOG" | tail -n 2)"
fi
kill "$many" 2>/dev/null
wait "$many" 2>/dev/null || true
healthy "3000 idle connections" "$flask" "$wsgi"

# ---------------------------------------------------------------- content dying mid-response
rc=0
out=$(curl -sS --max-time 30 -o "$T/crash.out" -w '%{http_code}' "$BASE/content/$wsgi/crash" 2>&1) || rc=$?
size=$(stat -c %s "$T/crash.out" 2>/dev/null || echo 0)
if ((rc == 28)); then
    bad "response cut by a crash: curl timed out (corrald did not end the response)"
elif ((rc == 0)) && ((size >= 200000)); then
    bad "response cut by a crash looked complete ($size bytes)"
else
    ok "response cut by a crash ends with an error (curl $rc, $size bytes, $out)"
fi
wait_for "[[ \$(curl -sS --max-time 10 '$BASE/content/$wsgi/after') == 'ok /after' ]]" 30 &&
    ok "content answers again after dying mid-response" || bad "content does not recover after dying mid-response"
# A client that goes away while the content is still working.
curl -sS --max-time 1 "$BASE/content/$wsgi/slow" >/dev/null 2>&1 || true
sleep 3
healthy "content dying mid-response and a client leaving early" "$flask" "$wsgi"
bad_finish
