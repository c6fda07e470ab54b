# Helpers shared by the bad-input tests (test-2*-bad-*.sh); source after lib.sh.
#
# Checks do not stop at the first failure: `bad MSG` records one and the test fails at exit, so a
# run shows every broken case. `known_bug MSG` prints 'KNOWN BUG: MSG' for a bug whose fix lies
# outside the bad-input tester's files; it does not fail the test.

CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
BASE=http://127.0.0.1:3939
_bad_count=0

bad() {
    echo "FAIL: $*" >&2
    _bad_count=$((_bad_count + 1))
}

known_bug() {
    echo "KNOWN BUG: $*"
}

ok() {
    echo "ok: $*"
}

bad_finish() {
    if ((_bad_count > 0)); then
        echo "$_bad_count check(s) failed" >&2
        exit 1
    fi
    echo "all bad-input checks passed"
}

# api METHOD PATH [CURL ARGS...]: call the API over the local socket; sets API_CODE and API_BODY.
api() {
    local method=$1 path=$2
    shift 2
    API_BODY=$(curl -sS --max-time 60 --unix-socket "$CORRAL_SOCKET" -X "$method" -o - -w '\n%{http_code}' \
        "$@" "http://localhost$path" 2>&1) || true
    API_CODE=${API_BODY##*$'\n'}
    API_BODY=${API_BODY%$'\n'*}
}

# expect_api WHAT STATUS NEEDLE METHOD PATH [CURL ARGS...]: the call answers STATUS with NEEDLE
# in its body (NEEDLE may be empty).
expect_api() {
    local what=$1 status=$2 needle=$3
    shift 3
    api "$@"
    if [[ $API_CODE != "$status" ]]; then
        bad "$what: expected status $status, got '$API_CODE': ${API_BODY:0:300}"
    elif [[ -n $needle && $API_BODY != *"$needle"* ]]; then
        bad "$what: '$needle' not in: ${API_BODY:0:300}"
    else
        ok "$what"
    fi
}

# http_status [CURL ARGS...] URL: prints the status of a request over TCP (000 when none).
http_status() {
    curl -sS --max-time 20 -o /dev/null -w '%{http_code}' "$@" 2>/dev/null || true
}

# raw_http BYTES: sends BYTES (printf format) over TCP and prints the reply (at most 10 s).
raw_http() {
    python3 - "$1" <<'PY'
import socket, sys
data = sys.argv[1].encode("latin-1").decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", 3939), timeout=10)
try:
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except (socket.timeout, ConnectionResetError, BrokenPipeError) as e:
    out += ("<" + type(e).__name__ + ">").encode()
sys.stdout.write(out.decode("latin-1"))
PY
}

# healthy WHAT GUID...: corrald runs, each GUID's content answers 200 through it, and
# `corralctl list` shows every GUID.
healthy() {
    local what=$1 g list
    shift
    if ! kill -0 "$CORRAL_PID" 2>/dev/null; then
        bad "corrald died after $what"
        _corral_log_tail
        bad_finish
    fi
    list=$("$CTL" list 2>&1) || bad "corralctl list failed after $what: $list"
    for g in "$@"; do
        [[ $list == *"$g"* ]] || bad "corralctl list lost $g after $what"
        [[ $(http_status "$BASE/content/$g/") == 200 ]] || bad "content $g does not serve after $what"
    done
}

# mktar OUT.tar.gz SPEC...: builds a gzip tar with python's tarfile. Each SPEC is
# 'file:NAME:CONTENT', 'dir:NAME', 'sym:NAME:TARGET', 'hard:NAME:TARGET', 'fifo:NAME',
# 'chr:NAME', 'zeros:NAME:SIZE' (SIZE bytes of zeros), 'hugehdr:NAME:SIZE' (only the header of
# a member claiming SIZE bytes: the archive ends inside it).
mktar() {
    python3 - "$@" <<'PY'
import io, sys, tarfile
out, specs = sys.argv[1], sys.argv[2:]
with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as t:
    for spec in specs:
        kind, name, *rest = spec.split(":", 2)
        info = tarfile.TarInfo(name)
        info.mode = 0o644
        if kind == "file":
            data = rest[0].encode().decode("unicode_escape").encode("latin-1")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        elif kind == "dir":
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            t.addfile(info)
        elif kind == "sym":
            info.type, info.linkname = tarfile.SYMTYPE, rest[0]
            t.addfile(info)
        elif kind == "hard":
            info.type, info.linkname = tarfile.LNKTYPE, rest[0]
            t.addfile(info)
        elif kind == "fifo":
            info.type = tarfile.FIFOTYPE
            t.addfile(info)
        elif kind == "chr":
            info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            t.addfile(info)
        elif kind == "hugehdr":
            info.size = int(rest[0])
            t.fileobj.write(info.tobuf(tarfile.GNU_FORMAT))
            t.offset += 512
        elif kind == "zeros":
            size = int(rest[0])
            info.size = size
            class Zeros(io.RawIOBase):
                def __init__(self): self.left = size
                def readinto(self, b):
                    n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
            t.addfile(info, io.BufferedReader(Zeros(), 1 << 20))
PY
}
