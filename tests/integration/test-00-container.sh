#!/usr/bin/env bash
# The container itself: systemd is PID 1, the bus works, units start as other users.
# Fails when the harness is broken, so every other test can rely on these facts.
# timeout: 60
. "$(dirname "$0")/lib.sh"

pid1=$(cat /proc/1/comm)
assert_eq "$pid1" systemd "PID 1"
echo "PID 1: $pid1 ($(systemctl --version | head -n1))"
echo "virtualization: $(systemd-detect-virt --container || true)"

state=$(systemctl is-system-running 2>&1 || true)
echo "system state: $state"
case $state in
    offline|unknown|"") fail "systemctl is-system-running says '$state'" ;;
    *Failed*|*failed\ to*) fail "systemctl cannot reach PID 1: $state" ;;
esac

# A transient unit as another user, through the bus, as corrald will start content.
nobody_uid=$(id -u nobody)
out=$(systemd-run --wait --pipe --quiet --collect -p User=nobody /usr/bin/id -u </dev/null) ||
    fail "systemd-run -p User=nobody failed"
assert_eq "$out" "$nobody_uid" "uid of a User=nobody unit"
echo "systemd-run -p User=nobody /usr/bin/id -u: $out"

# logind answers on the bus (PAM sessions need it).
busctl --system --quiet call org.freedesktop.login1 /org/freedesktop/login1 \
    org.freedesktop.login1.Manager ListSessions >/dev/null || fail "logind does not answer on the bus"

# The root is a throwaway overlay: writable, and /etc changes stay inside.
probe=/etc/corral-container-probe.$$
echo ok >"$probe" || fail "cannot write $probe"
rm -f "$probe"

# Loopback works inside the private network (corrald listens on 127.0.0.1).
ip -brief link show lo | grep -q UP || fail "loopback is down"

# The harness passes a clean environment: no host variables besides CI and CORRAL_*.
[[ -z ${SSH_AUTH_SOCK:-} && -z ${MAKEFLAGS:-} ]] || fail "host environment leaked into the test"

# The repository is bound read-write at its own path.
assert_eq "$PWD" "$CORRAL_SOURCE_DIR" "working directory"
touch "$CORRAL_TEST_TMP/x" || fail "cannot write the test's scratch dir"
echo "container OK"
