#!/usr/bin/env bash
# Packages the benchmarks need on the HOST (the container sees the host's root through an
# overlay). Run before booting a container, never while one runs. Debian 12.
set -euo pipefail
pkgs=(wrk nginx-light python3-aiohttp python3-websockets procps curl)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
# nginx-light's package enables and starts nginx on the host where systemd runs; we start our
# own instances with our own config, so make sure no default one holds port 80 inside the
# container's boot.
systemctl disable nginx 2>/dev/null || true
