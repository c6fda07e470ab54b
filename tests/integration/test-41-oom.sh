#!/usr/bin/env bash
# timeout: 120
# A process killed by the OOM killer under its MemoryMax is recorded with cause 'oom' (issue 3).
. "$(dirname "$0")/lib.sh"

grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null ||
    skip "no memory cgroup controller in this container (the host binds controllers to cgroup v1), so MemoryMax is not enforced; the property itself is checked in test-40-sandbox"

CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
config=$(corral_default_config "$CORRAL_TEST_TMP")
printf 'Python:\n  Executable: [/usr/bin/python3]\n' >>"$config"
corral_start "$config"
guid=$("$CTL" deploy "$CORRAL_SOURCE_DIR/tests/fixtures/probe" --title "Hog" | tail -n 1)
"$CTL" content set "$guid" MemoryMax=64M >/dev/null
curl -sS -o /dev/null --max-time 60 "http://127.0.0.1:3939/content/$guid/alloc" || true
wait_for "$CTL ps $guid --json | grep -c '\"cause\": \"oom\"'" 30 || fail "no process recorded with cause oom: $("$CTL" ps "$guid")"
echo "oom: recorded"
