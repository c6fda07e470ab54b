# Helpers for integration tests: source it first thing in a tests/integration/test-*.sh.
#
#   . "$(dirname "$0")/lib.sh"
#
# Tests run as root inside the systemd container (tests/container/run-in-container.sh), one
# at a time, from the repository root, started by run-all.sh. Exit 0 = pass, 77 = skip (the
# last output line says why), anything else = fail.
#
# Environment (set by run-all.sh, defaults for running a test by hand):
#   CORRAL_SOURCE_DIR  the repository
#   CORRAL_BUILD_DIR   the meson build dir (corrald is $CORRAL_BUILD_DIR/orchestrator/corrald)
#   CORRAL_TEST_TMP    a scratch dir of this test (0755, removed afterwards)
#
# Use on_exit CMD instead of `trap ... EXIT`: lib.sh owns the EXIT trap.

set -euo pipefail

CORRAL_SOURCE_DIR=${CORRAL_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CORRAL_BUILD_DIR=${CORRAL_BUILD_DIR:-$CORRAL_SOURCE_DIR/build}
if [[ -z ${CORRAL_TEST_TMP:-} ]]; then
    CORRAL_TEST_TMP=$(mktemp -d /tmp/corral-test.XXXXXX)
    _lib_own_tmp=1
fi
chmod 0755 "$CORRAL_TEST_TMP"
export CORRAL_SOURCE_DIR CORRAL_BUILD_DIR CORRAL_TEST_TMP

_lib_exit_cmds=()

# on_exit CMD: run CMD (a string, eval'd) when the test exits, last registered first.
on_exit() {
    _lib_exit_cmds+=("$1")
}

_lib_exit() {
    local rc=$? i
    set +e
    for ((i = ${#_lib_exit_cmds[@]} - 1; i >= 0; i--)); do
        eval "${_lib_exit_cmds[i]}"
    done
    if [[ -n ${_lib_own_tmp:-} ]]; then
        rm -rf "$CORRAL_TEST_TMP"
    fi
    exit "$rc"
}
trap _lib_exit EXIT

# fail MSG: the test fails.
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# skip REASON: the test is skipped; REASON is its last output line.
skip() {
    echo "$*"
    exit 77
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
    [[ $1 == "$2" ]] || fail "${3:-value}: expected '$2', got '$1'"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
    [[ $1 == *"$2"* ]] || fail "${3:-output}: '$2' not found in: $1"
}

# wait_for CMD TIMEOUT: evaluate CMD (a string) every 0.1 s until it succeeds (return 0) or
# TIMEOUT seconds (decimals allowed) pass (return 1). CMD's output is discarded.
wait_for() {
    local cmd=$1 timeout=${2:-10} deadline now
    deadline=$(( $(date +%s%N) / 1000000 + ${timeout%.*} * 1000 ))
    if [[ $timeout == *.* ]]; then
        local frac=${timeout#*.}000
        deadline=$((deadline + 10#${frac:0:3}))
    fi
    while :; do
        if (eval "$cmd") >/dev/null 2>&1; then
            return 0
        fi
        now=$(( $(date +%s%N) / 1000000 ))
        ((now < deadline)) || return 1
        sleep 0.1
    done
}

# corral_default_config DIR: write DIR/corral.yaml for a test (DataDir DIR/data, listening on
# 127.0.0.1:3939, content running as 'corral'), create the 'corral' system user if missing,
# and print the config's path.
corral_default_config() {
    local dir=$1
    mkdir -p "$dir/data"
    chmod 0755 "$dir"
    if ! getent passwd corral >/dev/null; then
        useradd --system --user-group --home-dir /nonexistent corral
    fi
    (
        umask 077
        cat >"$dir/corral.yaml" <<EOF
Server:
  Listen: 127.0.0.1:3939
  DataDir: $dir/data
Applications:
  RunAs: corral
EOF
    )
    echo "$dir/corral.yaml"
}

# The socket corrald will create for CONFIG: Server.SocketPath if the config sets one.
_corral_socket_path() {
    local p
    p=$(sed -n 's/^[[:space:]]*[Ss][Oo][Cc][Kk][Ee][Tt][Pp][Aa][Tt][Hh]:[[:space:]]*//p' "$1" |
        head -n1 | sed 's/[[:space:]]*$//; s/^"\(.*\)"$/\1/')
    echo "${p:-/run/corral/corral.sock}"
}

CORRAL_PID=
CORRAL_LOG=${CORRAL_LOG:-}
CORRAL_SOCKET=

# corral_start CONFIG: start corrald with CONFIG in the background (output to $CORRAL_LOG,
# default <test log>.corrald.log under run-all.sh, else $CORRAL_TEST_TMP/corrald.log), wait until its socket exists (at most
# $CORRAL_START_TIMEOUT, default 30 s) and stop it when the test exits. Fails the test if
# corrald exits or never creates its socket.
corral_start() {
    local config=$1 bin=$CORRAL_BUILD_DIR/orchestrator/corrald
    [[ -x $bin ]] || fail "corrald not built: $bin"
    [[ -z $CORRAL_PID ]] || fail "corral_start: corrald already running (pid $CORRAL_PID)"
    if [[ -z $CORRAL_LOG ]]; then
        # next to the test's log when run by run-all.sh, so it outlives the scratch dir
        if [[ -n ${CORRAL_TEST_LOG:-} ]]; then
            CORRAL_LOG=${CORRAL_TEST_LOG%.log}.corrald.log
        else
            CORRAL_LOG=$CORRAL_TEST_TMP/corrald.log
        fi
        : >"$CORRAL_LOG"
    fi
    CORRAL_SOCKET=$(_corral_socket_path "$config")
    rm -f "$CORRAL_SOCKET"
    # CORRAL_WRAPPER (e.g. "valgrind --log-file=/tmp/vg.%p") runs corrald under a checker.
    ${CORRAL_WRAPPER:-} "$bin" --config "$config" >>"$CORRAL_LOG" 2>&1 </dev/null &
    CORRAL_PID=$!
    on_exit corral_stop
    local deadline=$((SECONDS + ${CORRAL_START_TIMEOUT:-30}))
    until [[ -S $CORRAL_SOCKET ]]; do
        if ! kill -0 "$CORRAL_PID" 2>/dev/null; then
            local rc=0
            wait "$CORRAL_PID" || rc=$?
            CORRAL_PID=
            _corral_log_tail
            fail "corrald exited (status $rc) before creating $CORRAL_SOCKET"
        fi
        if ((SECONDS >= deadline)); then
            _corral_log_tail
            fail "corrald did not create $CORRAL_SOCKET within ${CORRAL_START_TIMEOUT:-30}s"
        fi
        sleep 0.05
    done
}

# corral_stop: stop corrald (SIGTERM, then SIGKILL after 10 s). Safe to call twice.
corral_stop() {
    [[ -n $CORRAL_PID ]] || return 0
    local pid=$CORRAL_PID i
    CORRAL_PID=
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "corral_stop: corrald ignored SIGTERM, killing it" >&2
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

_corral_log_tail() {
    [[ -s ${CORRAL_LOG:-} ]] || return 0
    echo "--- last lines of $CORRAL_LOG:" >&2
    tail -n 30 "$CORRAL_LOG" >&2
    echo "---" >&2
}
