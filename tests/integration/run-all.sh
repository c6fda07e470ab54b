#!/usr/bin/env bash
# Run the integration tests. Runs INSIDE the systemd container, as root:
#
#   bash tests/container/run-in-container.sh -- bash tests/integration/run-all.sh [TEST...]
#
# Runs every tests/integration/test-*.sh (sorted), or only the TESTs named (test-10-foo,
# test-10-foo.sh, 10-foo, or a unique prefix such as 10), each from the repository root with
# a timeout (300 s, or the test's own `# timeout: N` line), its output captured to a log.
# Prints `PASS name`, `FAIL name (exit N)` followed by the last 40 lines of its log, or
# `SKIP name: reason` (exit 77; the reason is the test's last output line).
#
# Environment:
#   CORRAL_BUILD_DIR  meson build dir (default: <repo>/build)
#   CORRAL_RESULTS    summary file to write: lines `pass N`, `fail N`, `skip N`
#                     (default: $CORRAL_BUILD_DIR/integration-results.txt)
#   CORRAL_TEST_LOGS  where the logs go (default: $CORRAL_BUILD_DIR/integration-logs)
# Exit status: 0 when nothing failed, 1 otherwise.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 1

export CORRAL_SOURCE_DIR=$repo
export CORRAL_BUILD_DIR=${CORRAL_BUILD_DIR:-$repo/build}
results=${CORRAL_RESULTS:-$CORRAL_BUILD_DIR/integration-results.txt}
logs=${CORRAL_TEST_LOGS:-$CORRAL_BUILD_DIR/integration-logs}
readonly DEFAULT_TIMEOUT=300

if [[ $(cat /proc/1/comm 2>/dev/null) != systemd ]]; then
    echo "run-all: warning: PID 1 is not systemd; run me through tests/container/run-in-container.sh" >&2
fi

mkdir -p "$logs" "$(dirname "$results")"

tests=()
missing=()
if (($#)); then
    for arg in "$@"; do
        n=${arg##*/}
        n=${n%.sh}
        [[ $n == test-* ]] || n=test-$n
        matches=("$here/$n"*.sh)
        if [[ -f $here/$n.sh ]]; then
            tests+=("$here/$n.sh")
        elif ((${#matches[@]} == 1)) && [[ -f ${matches[0]} ]]; then
            tests+=("${matches[0]}")    # a unique prefix: test-40 for test-40-foo
        else
            missing+=("$n")
        fi
    done
else
    while IFS= read -r f; do
        tests+=("$f")
    done < <(find "$here" -maxdepth 1 -name 'test-*.sh' -type f | LC_ALL=C sort)
fi

pass=0 fail=0 skip=0

for n in "${missing[@]}"; do
    echo "FAIL $n (no such test: tests/integration/$n.sh)"
    fail=$((fail + 1))
done

for t in "${tests[@]}"; do
    name=$(basename "$t" .sh)
    log=$logs/$name.log
    limit=$(sed -n 's/^#[[:space:]]*timeout:[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$/\1/p' "$t" | head -n1)
    limit=${limit:-$DEFAULT_TIMEOUT}
    tmp=$(mktemp -d "/tmp/corral-$name.XXXXXX")
    chmod 0755 "$tmp"

    start=$SECONDS
    CORRAL_TEST_TMP=$tmp CORRAL_TEST_NAME=$name CORRAL_TEST_LOG=$log \
        timeout --kill-after=10 "$limit" bash "$t" </dev/null >"$log" 2>&1
    rc=$?
    elapsed=$((SECONDS - start))
    rm -rf "$tmp"

    case $rc in
        0)
            echo "PASS $name"
            pass=$((pass + 1))
            ;;
        77)
            reason=$(grep -v '^[[:space:]]*$' "$log" | tail -n1)
            echo "SKIP $name: ${reason:-no reason given}"
            skip=$((skip + 1))
            ;;
        *)
            if ((rc == 124 || rc == 137)) && ((elapsed >= limit)); then
                echo "FAIL $name (exit $rc: timed out after ${limit}s)"
            else
                echo "FAIL $name (exit $rc)"
            fi
            tail -n 40 "$log" | sed 's/^/    /'
            fail=$((fail + 1))
            ;;
    esac
done

printf 'pass %d\nfail %d\nskip %d\n' "$pass" "$fail" "$skip" >"$results"
echo "integration: $pass passed, $fail failed, $skip skipped (logs in $logs)"
((fail == 0))
