#!/usr/bin/env bash
# Install everything Corral needs to build, test and demo on Debian 12.
#
# Idempotent: when every package is already installed the apt step is skipped, so reruns take
# well under a second. Run as root. Do not run it while an integration container is up: the
# container sees the host's root through an overlay.
#
# Verified: with --no-install-recommends, r-cran-shiny's dependency closure alone serves
# shiny's examples/01_hello (the recommended R packages are not needed).
set -euo pipefail

packages=(
    # build
    build-essential meson ninja-build pkg-config
    libsystemd-dev libpam0g-dev libsqlite3-dev libyaml-dev libhttp-parser-dev
    libarchive-dev libjansson-dev libcurl4-openssl-dev libsodium-dev scdoc
    # system services corrald drives, and the integration container
    systemd systemd-container dbus libpam-modules passwd
    # harness tools: unshare/mount (util-linux, mount), ps/pkill (procps), ip (iproute2),
    # timeout (coreutils)
    util-linux mount procps iproute2 coreutils
    # tests and demo
    curl sqlite3 python3 python3-flask python3-waitress gunicorn
    # package installs: venvs and pip for python_restore, compilers and headers for R
    # packages built from source (r-base-dev)
    python3-venv python3-pip r-base-dev
    r-base-core r-cran-shiny r-cran-httpuv r-cran-rmarkdown r-cran-rsconnect pandoc valgrind
)

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    if [[ "$status" != ii* ]]; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

if ((EUID != 0)); then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root to install them" >&2
    exit 1
fi

echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends "${packages[@]}" </dev/null
echo "install-deps: done"
