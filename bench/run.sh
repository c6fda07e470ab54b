#!/usr/bin/env bash
# Corral benchmarks. usage: bash bench/run.sh [a|b|c|d]...   (default: all four)
#   a  keep-alive proxy throughput/latency: corrald vs nginx vs direct (wrk)
#   b  cold start: corrald vs the same command run directly vs bare systemd-run
#   c  10,000 idle WebSockets held through corrald: RSS, fds, survivors
#   d  scale-out: 20 concurrent 2-second requests, default scheduler vs MaxProcesses 20 / MaxConnsPerProcess 1
# Runs as root on the host: installs the benchmark packages (bench/install-deps.sh), builds if
# needed, then boots one throwaway systemd container per benchmark (tests/container/).
# Results are ratios measured side by side in one run; this machine is small and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
which=("$@")
((${#which[@]})) || which=(a b c d)
for w in "${which[@]}"; do
    [[ $w =~ ^[abcd]$ ]] || { echo "usage: bash bench/run.sh [a|b|c|d]..." >&2; exit 2; }
done
bash bench/install-deps.sh
# The benchmarks use the build in build/ as it is (other work shares it); build only if missing.
if [[ ! -x build/orchestrator/corrald || ! -x build/corralctl/corralctl ]]; then
    [[ -d build ]] || meson setup build >/dev/null
    ninja -C build >/dev/null
fi
echo "corrald: build/orchestrator/corrald of $(date -u -r build/orchestrator/corrald +%FT%TZ), tree at $(git log -1 --format=%h 2>/dev/null || echo '?')"
rc=0
for w in "${which[@]}"; do
    echo "=== benchmark $w ($(date -u +%FT%TZ), $(nproc) cores)"
    bash tests/container/run-in-container.sh --name "bench-$w" --timeout 1500 -- \
        bash bench/bench-$w.sh || rc=$?
done
exit "$rc"
