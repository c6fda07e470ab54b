#!/usr/bin/env bash
# Run the demo: `bash tools/demo.sh`, as root, on Debian 12.
#
# Installs the dependencies (skip with CORRAL_SKIP_DEPS=1), builds into build/ (or
# $CORRAL_BUILD_DIR), then runs tests/demo/demo-inner.sh under systemd: directly when PID 1
# is systemd, else inside a throwaway systemd container (tests/container/run-in-container.sh).
# Arguments go to demo-inner.sh; its exit status is ours.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

inner=tests/demo/demo-inner.sh
if [[ ! -f $inner ]]; then
    echo "demo: $inner does not exist yet: nothing to run" >&2
    exit 1
fi

build=${CORRAL_BUILD_DIR:-$repo/build}
[[ $build == /* ]] || build=$repo/$build
export CORRAL_BUILD_DIR=$build

if [[ ${CORRAL_SKIP_DEPS:-0} != 1 ]]; then
    bash tools/install-deps.sh </dev/null
fi

if [[ -f $build/meson-private/coredata.dat ]]; then
    meson setup --reconfigure "$build" </dev/null
else
    rm -rf "$build"
    meson setup "$build" </dev/null
fi
ninja -C "$build" </dev/null

if [[ $(cat /proc/1/comm 2>/dev/null) == systemd && -d /run/systemd/system ]]; then
    exec bash "$inner" "$@"
fi
exec bash tests/container/run-in-container.sh --name corral-demo \
    --timeout "${CORRAL_DEMO_TIMEOUT:-1800}" -- bash "$inner" "$@"
