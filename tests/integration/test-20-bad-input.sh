#!/usr/bin/env bash
# timeout: 300
# Bad configuration: every bad corral.yaml is refused by `corrald --check` and by corrald itself
# with a message naming the file, the line and the problem, quickly and without a crash; a bad
# file given to a running corrald on SIGHUP is refused and corrald keeps serving with what it had.
# (test-21 covers the API, bundles and corralctl; test-22 the HTTP front.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/badlib.sh"

T=$CORRAL_TEST_TMP
CORRALD=$CORRAL_BUILD_DIR/orchestrator/corrald
mkdir -p "$T/cfg"

# check_refused NAME NEEDLE [NEEDLE2]: `corrald --check` on $T/cfg/NAME fails within 10 s with
# status 1, names the file and says NEEDLE (and NEEDLE2).
check_refused() {
    local name=$1 needle=$2 needle2=${3:-} file=$T/cfg/$1 out rc=0
    out=$(timeout 10 "$CORRALD" --check --config "$file" 2>&1) || rc=$?
    if ((rc == 0)); then
        bad "config $name: accepted"
    elif ((rc != 1)); then
        bad "config $name: exit $rc (crash or hang?): ${out:0:300}"
    elif [[ $out != *"$file"* ]]; then
        bad "config $name: the message does not name the file: ${out:0:300}"
    elif [[ $out != *"$needle"* || $out != *"$needle2"* ]]; then
        bad "config $name: '$needle' '$needle2' not in: ${out:0:300}"
    else
        ok "config $name: ${out:0:160}"
    fi
}

# cfg NAME PRINTF-FORMAT: writes $T/cfg/NAME.
cfg() {
    printf -- "$2" >"$T/cfg/$1"
}

cfg tabs 'Server:\n\tListen: 127.0.0.1:3939\n'
check_refused tabs ":2: YAML syntax error"
cfg list '- a\n- b\n'
check_refused list ":1:" "not a list"
cfg scalar 'hello\n'
check_refused scalar ":1:" "not a single value"
cfg secscalar 'Server: 5\n'
check_refused secscalar ":1: section 'Server' must be a mapping"
cfg seclist 'Server: [a]\n'
check_refused seclist ":1: section 'Server' must be a mapping"
cfg valmap 'Server:\n  Listen: {a: 1}\n'
check_refused valmap ":2: Server.Listen expects a single value, not a mapping"
cfg vallist 'Server:\n  Listen: [a]\n'
check_refused vallist ":2: Server.Listen expects a single value, not a list"
cfg alias 'Scheduler: &s\n  IdleTimeout: 5s\nServer: *s\n'
check_refused alias "IdleTimeout" "Scheduler"
cfg multidoc 'Server:\n  Listen: 127.0.0.1:3939\n---\nServer:\n  Listen: 127.0.0.1:4000\n'
check_refused multidoc ":3: more than one YAML document"
cfg dur-neg 'Scheduler:\n  IdleTimeout: -5s\n'
check_refused dur-neg ":2: invalid value '-5s' for Scheduler.IdleTimeout"
cfg dur-huge 'Scheduler:\n  IdleTimeout: 99999999999999999999h\n'
check_refused dur-huge "out of range"
cfg dur-dots 'Scheduler:\n  IdleTimeout: 1.5.5s\n'
check_refused dur-dots "invalid value '1.5.5s'"
cfg dur-empty 'Scheduler:\n  IdleTimeout: ""\n'
check_refused dur-empty "Scheduler.IdleTimeout needs a value"
cfg dur-null 'Scheduler:\n  IdleTimeout:\n'
check_refused dur-null "Scheduler.IdleTimeout needs a value"
cfg port 'Server:\n  Listen: 127.0.0.1:99999\n'
check_refused port "the port must be a number from 1 to 65535"
cfg ipv6 'Server:\n  Listen: "[::1"\n'
check_refused ipv6 "invalid value '[::1' for Server.Listen"
cfg nohost 'Server:\n  Listen: ":"\n'
check_refused nohost "invalid value ':' for Server.Listen"
cfg dupkey 'Server:\n  Listen: 127.0.0.1:3939\n  listen: 127.0.0.1:3940\n'
check_refused dupkey ":3: duplicate key 'listen'"
cfg dupsec 'Server:\n  Listen: 127.0.0.1:3939\nserver:\n  DataDir: /x\n'
check_refused dupsec ":3: duplicate section"
cfg root 'Applications:\n  RunAs: root\n'
check_refused root "must not run as root"
cfg runas-empty 'Applications:\n  RunAs: ""\n'
check_refused runas-empty "Applications.RunAs needs a value"
cfg relexec 'Python:\n  Executable: [python3]\n'
check_refused relexec "'python3' for Python.Executable: must be an absolute path"
cfg nul 'Server:\n  DataDir: "/a\\0b"\n'
check_refused nul "Server.DataDir contains a NUL byte"
cfg reldir 'Server:\n  DataDir: relative\n'
check_refused reldir "must be an absolute path"
cfg bool 'Applications:\n  HomeMounting: maybe\n'
check_refused bool "'maybe' for Applications.HomeMounting"
cfg size 'Applications:\n  MemoryMax: 12Q\n'
check_refused size "'12Q' for Applications.MemoryMax"
cfg cpu 'Applications:\n  CPUQuota: "500%%%%"\n'
check_refused cpu "Applications.CPUQuota"
cfg unknown 'Scheduler:\n  IdelTimeout: 5s\n'
check_refused unknown ":2:" "IdleTimeout"
cfg longkey "Server:\n  $(printf 'x%.0s' {1..500}): 1\n"
check_refused longkey ":2: unknown key"
cfg tag 'Server:\n  Listen: !!binary aGVsbG8=\n'
check_refused tag "Server.Listen"
cfg complexkey '? [a, b]\n: 1\n'
check_refused complexkey ":1: section names must be plain words"
cfg mergekey 'Server:\n  <<: {Listen: 127.0.0.1:3939}\n'
check_refused mergekey "unknown key '<<'"
printf 'Server:\n  DataDir: /\xff\xfe\n' >"$T/cfg/badutf8"
check_refused badutf8 "YAML syntax error"
head -c 3000 /dev/urandom >"$T/cfg/garbage"
printf '\0' >>"$T/cfg/garbage"
check_refused garbage "NUL byte"
printf 'Server:\n  Listen: 127.0.0.1:3939\n' >"$T/cfg/trailing-nul"
printf '\0' >>"$T/cfg/trailing-nul"
check_refused trailing-nul "NUL byte"
python3 -c 'print("a: " + "[" * 200000 + "]" * 200000)' >"$T/cfg/deep"
check_refused deep ":1:" "nested"
python3 -c '
print("Server:\n  a: &a [x,x,x,x,x,x,x,x,x]")
for i in range(1, 20):
    p, c = chr(96 + i), chr(97 + i)
    print("  %s: &%s [%s]" % (c, c, ",".join(["*" + p] * 9)))' >"$T/cfg/bomb"
check_refused bomb "unknown key"
head -c 100M /dev/zero | tr '\0' '#' >"$T/cfg/big"
check_refused big "file too large"
rm -f "$T/cfg/big"
mkdir -p "$T/cfg/dir"
check_refused dir "Is a directory"
mkfifo "$T/cfg/fifo"
check_refused fifo "not a regular file"
check_refused missing "No such file or directory"
out=$(timeout 10 "$CORRALD" --check --config /dev/zero 2>&1) && bad "config /dev/zero accepted" ||
    { [[ $out == *"/dev/zero"*"not a regular file"* ]] && ok "config /dev/zero" || bad "config /dev/zero: $out"; }
cfg unreadable 'Server:\n  Listen: 127.0.0.1:3939\n'
chmod 0000 "$T/cfg/unreadable"
out=$(timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$CORRALD" --check \
    --config "$T/cfg/unreadable" 2>&1) && bad "unreadable config accepted" ||
    { [[ $out == *"unreadable"*"Permission denied"* ]] && ok "config unreadable" || bad "config unreadable: $out"; }
out=$(timeout 10 "$CORRALD" --check --config "" 2>&1) && bad "empty --config accepted" || ok "empty --config: $out"

# corrald itself refuses to start on a bad file, with the same message.
out=$(timeout 10 "$CORRALD" --config "$T/cfg/tabs" 2>&1) && bad "corrald started with a bad config" ||
    { [[ $out == *"tabs:2: YAML syntax error"* ]] && ok "corrald refuses a bad config" || bad "corrald on a bad config: $out"; }

# --- SIGHUP with a bad file: corrald keeps running and serving with what it had.
config=$(corral_default_config "$T")
cat >>"$config" <<EOF
Scheduler:
  IdleTimeout: 30s
Python:
  Executable: [/usr/bin/python3]
EOF
cp "$config" "$T/good.yaml"
corral_start "$config"
flask=$("$CTL" deploy "$CORRAL_SOURCE_DIR/examples/flask-hello" --title "Flask hello" | tail -n 1)
healthy "deploy" "$flask"
for bad_file in tabs list deep garbage bomb; do
    cp "$T/cfg/$bad_file" "$config"
    n=$(grep -c "Not reloading: .*$config" "$CORRAL_LOG" || true)
    kill -HUP "$CORRAL_PID"
    wait_for "(( \$(grep -c 'Not reloading: .*$config' '$CORRAL_LOG') > $n ))" 10 &&
        ok "SIGHUP with config $bad_file refused" ||
        bad "SIGHUP with config $bad_file: no 'Not reloading' naming the file in the log"
    healthy "SIGHUP with config $bad_file" "$flask"
done
rm -f "$config"
mkfifo "$config"
kill -HUP "$CORRAL_PID"
wait_for "grep -q 'Not reloading: .*not a regular file' '$CORRAL_LOG'" 10 && ok "SIGHUP with a FIFO config refused" ||
    bad "SIGHUP with a FIFO as config: corrald did not refuse it"
healthy "SIGHUP with a FIFO config" "$flask"
rm -f "$config"
cp "$T/good.yaml" "$config"
bad_finish
