#!/usr/bin/env bash
# The test command: `bash tests/run-tests.sh`, as root, on Debian 12.
#
#  1. tools/install-deps.sh (skip with CORRAL_SKIP_DEPS=1)
#  2. meson setup (or reconfigure) build && ninja -C build
#  3. meson test --suite unit
#  4. the integration suite (tests/integration/run-all.sh) inside a throwaway systemd
#     container (tests/container/run-in-container.sh), or directly when PID 1 is systemd
#
# Ends with exactly one line `N passed, N failed` (`, N skipped` when any); a failed setup or
# build counts as one failure. Exit status 0 only when nothing failed.
#
# Environment: CORRAL_SKIP_DEPS=1, CORRAL_BUILD_DIR (default: build),
# CORRAL_INTEGRATION_TIMEOUT (whole integration suite, default 3600 s),
# CORRAL_CONTAINER_NAME (default: corral-tests). Arguments are passed to run-all.sh (a subset
# of integration tests).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

build=${CORRAL_BUILD_DIR:-$repo/build}
[[ $build == /* ]] || build=$repo/$build
export CORRAL_BUILD_DIR=$build

passed=0
failed=0
skipped=0

summary() {
    local line="$passed passed, $failed failed"
    ((skipped == 0)) || line+=", $skipped skipped"
    echo "$line"
}

# Setup or build failed: count it as one failure and stop.
abort() {
    echo "run-tests: $*" >&2
    failed=$((failed + 1))
    summary
    exit 1
}

step() { printf '\n==> %s\n' "$*"; }

# ---- dependencies ---------------------------------------------------------------------
if [[ ${CORRAL_SKIP_DEPS:-0} != 1 ]]; then
    step "installing dependencies"
    bash tools/install-deps.sh </dev/null || abort "tools/install-deps.sh failed"
fi

# ---- build -----------------------------------------------------------------------------
step "building in $build"
if [[ -f $build/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$build" </dev/null || abort "meson setup --reconfigure failed"
else
    rm -rf "$build"
    meson setup "$build" </dev/null || abort "meson setup failed"
fi
ninja -C "$build" </dev/null || abort "build failed"

# ---- unit tests -----------------------------------------------------------------------
step "unit tests"
testlog=$build/meson-logs/testlog.json
rm -f "$testlog"
meson test -C "$build" --suite unit --print-errorlogs </dev/null
unit_rc=$?
if [[ -f $testlog ]]; then
    # one JSON object a line; OK/EXPECTEDFAIL pass, SKIP skips, everything else fails
    read -r u_pass u_fail u_skip < <(python3 - "$testlog" <<'EOF'
import json, sys
counts = {"pass": 0, "fail": 0, "skip": 0}
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        result = json.loads(line).get("result", "")
        if result in ("OK", "EXPECTEDFAIL"):
            counts["pass"] += 1
        elif result == "SKIP":
            counts["skip"] += 1
        else:
            counts["fail"] += 1
print(counts["pass"], counts["fail"], counts["skip"])
EOF
    ) || { u_pass=0; u_fail=1; u_skip=0; echo "run-tests: cannot parse $testlog" >&2; }
else
    u_pass=0 u_fail=0 u_skip=0
fi
if ((unit_rc != 0 && u_fail == 0)); then
    echo "run-tests: meson test failed (exit $unit_rc) without a failing test: counting one failure" >&2
    u_fail=1
fi
echo "unit: $u_pass passed, $u_fail failed, $u_skip skipped"
passed=$((passed + u_pass))
failed=$((failed + u_fail))
skipped=$((skipped + u_skip))

# ---- integration tests ---------------------------------------------------------------
step "integration tests"
export CORRAL_RESULTS=$build/integration-results.txt
rm -f "$CORRAL_RESULTS"
if [[ $(cat /proc/1/comm 2>/dev/null) == systemd && -d /run/systemd/system ]]; then
    echo "PID 1 is systemd: running the integration tests directly"
    bash tests/integration/run-all.sh "$@" </dev/null
    it_rc=$?
else
    bash tests/container/run-in-container.sh --name "${CORRAL_CONTAINER_NAME:-corral-tests}" \
        --timeout "${CORRAL_INTEGRATION_TIMEOUT:-3600}" \
        -- bash tests/integration/run-all.sh "$@" </dev/null
    it_rc=$?
fi
if [[ -f $CORRAL_RESULTS ]]; then
    i_pass=$(awk '$1 == "pass" { print $2 }' "$CORRAL_RESULTS")
    i_fail=$(awk '$1 == "fail" { print $2 }' "$CORRAL_RESULTS")
    i_skip=$(awk '$1 == "skip" { print $2 }' "$CORRAL_RESULTS")
    passed=$((passed + ${i_pass:-0}))
    failed=$((failed + ${i_fail:-0}))
    skipped=$((skipped + ${i_skip:-0}))
    if ((it_rc != 0 && ${i_fail:-0} == 0)); then
        echo "run-tests: integration run failed (exit $it_rc) without a failing test: counting one failure" >&2
        failed=$((failed + 1))
    fi
else
    echo "run-tests: the integration run wrote no results (exit $it_rc): counting one failure" >&2
    failed=$((failed + 1))
fi

echo
summary
((failed == 0))
