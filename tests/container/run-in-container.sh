#!/usr/bin/env bash
# Boot systemd in a throwaway systemd-nspawn container over an overlay of the host's root and
# run ONE command inside it as a oneshot unit; return the command's exit status.
#
# usage: run-in-container.sh [--name NAME] [--timeout SECONDS] [--bind HOSTDIR[:DIR]]...
#                            [--keep] -- COMMAND [ARGS...]
#
# - The repository (this script's ../..) and every --bind are bound into the container at the
#   same path (or at DIR). The command runs in the caller's working directory, which must be
#   visible inside (under a bind or on the root filesystem).
# - The command's environment is clean apart from CI, CORRAL_*, HOME=/root, LANG=C.UTF-8.
# - Exit status: the command's own (0, 1, 77, ...); 255 on timeout, on a signal, or when the
#   harness had to stop the container itself. 2 on usage errors.
# - Runs of different NAMEs are independent (own overlay, cgroup, private network), so they
#   may run in parallel. A rerun with the same NAME cleans a stale run of that name first.
# - The overlay's upper layer is on disk under /var/tmp/corral-nspawn/NAME; it falls back to a
#   tmpfs where that fails (CORRAL_NSPAWN_UPPER=tmpfs forces it). --keep leaves the run dir.
# - Binds over system dirs (/tmp, /var, /etc, ...) are refused: the container's boot runs
#   systemd-tmpfiles, which would empty the host's copy.
# - Must run as root. Needs systemd-container and util-linux. Never apt-get install on the
#   host while a container runs: it sees the host's root through an overlay.
set -euo pipefail

readonly UNIT=corral-harness
readonly STATE_ROOT=/var/tmp/corral-nspawn
readonly KILL_GRACE=15     # seconds between SIGTERM to nspawn and killing the cgroup

prog=${0##*/}
say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { say "$*"; exit 2; }

usage() {
    sed -n '5,6p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(cd "$script_dir/../.." && pwd)

name=corral-test
timeout=3000
keep=0
binds=()
while (($#)); do
    case $1 in
        --name) (($# >= 2)) || usage; name=$2; shift 2 ;;
        --name=*) name=${1#*=}; shift ;;
        --timeout) (($# >= 2)) || usage; timeout=$2; shift 2 ;;
        --timeout=*) timeout=${1#*=}; shift ;;
        --bind) (($# >= 2)) || usage; binds+=("$2"); shift 2 ;;
        --bind=*) binds+=("${1#*=}"); shift ;;
        --keep) keep=1; shift ;;   # debugging: leave the run dir (upper layer, logs) behind
        -h|--help) usage ;;
        --) shift; break ;;
        *) usage ;;
    esac
done
(($# >= 1)) || usage
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9-]{0,49}$ ]] || die "invalid --name '$name' (letters, digits, '-')"
[[ $timeout =~ ^[0-9]+$ ]] && ((timeout >= 10)) || die "invalid --timeout '$timeout' (seconds, >= 10)"
# The container's boot runs systemd-tmpfiles, which empties /tmp (Debian's `D /tmp`) and
# sweeps other system dirs: a bind over such a dir would wipe the HOST's copy. Only binds of
# project dirs are allowed; a subdirectory of /tmp is fine (tmpfiles does not cross mounts).
for b in "${binds[@]}"; do
    src=${b%%:*}
    dst=${b#*:}
    [[ $b == *:* ]] || dst=$src
    [[ $src == /* && $dst == /* ]] || die "--bind '$b': paths must be absolute"
    [[ -e $src ]] || die "--bind source '$src' does not exist"
    dst_norm=$(realpath -m -- "$dst")
    case $dst_norm in
        /|/bin|/boot|/dev|/etc|/home|/lib|/lib32|/lib64|/media|/mnt|/opt|/proc|/root|/run|\
        /sbin|/srv|/sys|/tmp|/usr|/usr/*|/var|/var/tmp|/var/lib|/var/log|/var/cache|/var/spool|\
        /run/*|/proc/*|/sys/*|/dev/*|/etc/*)
            die "--bind '$b': refusing to bind over system directory '$dst_norm'" ;;
    esac
done
((EUID == 0)) || die "must run as root"
command -v systemd-nspawn >/dev/null || die "systemd-nspawn not found (install systemd-container)"

# Everything below happens in a private mount namespace: our mounts vanish with us, whatever
# way we die. unshare execs in place, so $$ stays ours and marks that the re-exec happened.
if [[ ${_CORRAL_NSPAWN_NS:-} != "$$" ]]; then
    export _CORRAL_NSPAWN_NS=$$
    exec unshare --mount --propagation private -- bash "$0" --name "$name" --timeout "$timeout" \
        $( ((keep)) && echo --keep) "${binds[@]/#/--bind=}" -- "$@"
fi
unset _CORRAL_NSPAWN_NS

run_dir=$STATE_ROOT/$name
root=$run_dir/root
io=$run_dir/io

# ---- cgroups -----------------------------------------------------------------------------
# nspawn must start in a cgroup of its own, else it creates payload/ and supervisor/ at the
# root of the hierarchy, shared by every run and left behind.
cgroup_dirs=()
cg_unified=
if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
    cg_unified=/sys/fs/cgroup/corral-nspawn-$name
    cgroup_dirs=("$cg_unified")
else
    if [[ -d /sys/fs/cgroup/unified && $(stat -fc %T /sys/fs/cgroup/unified) == cgroup2fs ]]; then
        cg_unified=/sys/fs/cgroup/unified/corral-nspawn-$name
        cgroup_dirs+=("$cg_unified")
    fi
    if [[ -d /sys/fs/cgroup/systemd ]]; then
        cgroup_dirs+=("/sys/fs/cgroup/systemd/corral-nspawn-$name")
    fi
fi

# Kill every process left in the run's cgroups and wait until they are gone.
cgroup_kill() {
    local d pids i
    for d in "${cgroup_dirs[@]}"; do
        [[ -d $d ]] || continue
        if [[ -e $d/cgroup.kill ]]; then
            echo 1 >"$d/cgroup.kill" 2>/dev/null || true
        fi
        for ((i = 0; i < 100; i++)); do
            pids=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null || true)
            [[ -z $pids ]] && break
            # shellcheck disable=SC2086  # one pid a word
            kill -KILL $pids 2>/dev/null || true
            sleep 0.1
        done
        [[ -z $pids ]] || say "warning: processes left in $d: $pids"
    done
}

# Remove the run's cgroups, deepest first.
cgroup_remove() {
    local d
    for d in "${cgroup_dirs[@]}"; do
        [[ -d $d ]] || continue
        find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [[ -d $d ]] && say "warning: could not remove cgroup $d"
    done
    return 0
}

# ---- stale runs ------------------------------------------------------------------------
if [[ -e $run_dir/owner.pid ]]; then
    owner=$(<"$run_dir/owner.pid")
    if [[ $owner =~ ^[0-9]+$ ]] && [[ -r /proc/$owner/cmdline ]] &&
            tr '\0' ' ' <"/proc/$owner/cmdline" | grep -q "run-in-container"; then
        die "a run named '$name' is active (pid $owner); pick another --name"
    fi
fi
if [[ -e $run_dir ]] || [[ -n $cg_unified && -d $cg_unified ]]; then
    say "cleaning a stale run of '$name'"
    cgroup_kill
    cgroup_remove
    umount -R "$root" 2>/dev/null || true
    rm -rf --one-file-system "$run_dir"
fi

# ---- teardown ----------------------------------------------------------------------------
nspawn_pid=
filter_pid=
watchdog_pid=
overlay_mounted=0
teardown() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [[ -n $watchdog_pid ]]; then
        kill "$watchdog_pid" 2>/dev/null || true
        wait "$watchdog_pid" 2>/dev/null || true
    fi
    if [[ -n $nspawn_pid ]] && kill -0 "$nspawn_pid" 2>/dev/null; then
        kill -KILL "$nspawn_pid" 2>/dev/null || true
    fi
    cgroup_kill
    if [[ -n $filter_pid ]]; then
        # the filter ends at EOF once nspawn is gone; do not let it hang teardown
        for ((i = 0; i < 50; i++)); do kill -0 "$filter_pid" 2>/dev/null || break; sleep 0.1; done
        kill "$filter_pid" 2>/dev/null || true
        wait "$filter_pid" 2>/dev/null || true
    fi
    if ((overlay_mounted)); then
        umount "$root" 2>/dev/null || umount -l "$root" 2>/dev/null || say "warning: cannot unmount $root"
        if mountpoint -q "$run_dir/layers"; then
            umount "$run_dir/layers" 2>/dev/null || umount -l "$run_dir/layers" 2>/dev/null || true
        fi
    fi
    umount /run/systemd/nspawn 2>/dev/null || true
    cgroup_remove
    if ((keep)); then
        say "kept $run_dir"
        rm -f "$run_dir/owner.pid"
    else
        rm -rf --one-file-system "$run_dir"
    fi
    exit "$rc"
}
trap teardown EXIT
trap 'exit 255' INT TERM HUP

# ---- the root --------------------------------------------------------------------------
mkdir -p "$run_dir"/{upper,work,root,io}
echo $$ >"$run_dir/owner.pid"

# On these machines /run is not a tmpfs and nspawn complains; this tmpfs is ours alone.
mkdir -p /run/systemd/nspawn
mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn

# The upper layer lives on disk next to the run. Where the host's own root cannot hold an
# upper layer (it is itself an overlay, as in a Docker CI runner), fall back to a tmpfs.
layers=$run_dir
if [[ ${CORRAL_NSPAWN_UPPER:-} == tmpfs ]] ||
        ! mount -t overlay overlay -o "lowerdir=/,upperdir=$layers/upper,workdir=$layers/work" \
            "$root" 2>/dev/null; then
    say "upper layer on disk not possible here: using a tmpfs"
    layers=$run_dir/layers
    mkdir -p "$layers"
    mount -t tmpfs -o mode=0755 tmpfs "$layers"
    mkdir "$layers/upper" "$layers/work"
    mount -t overlay overlay -o "lowerdir=/,upperdir=$layers/upper,workdir=$layers/work" "$root"
fi
overlay_mounted=1

systemd-id128 new >"$root/etc/machine-id"

# Belt and braces for the binds (see above): no boot-time emptying of /tmp, no periodic
# cleanup of old files in whatever is bound.
mkdir -p "$root/etc/tmpfiles.d"
printf 'd /tmp 1777 root root -\n' >"$root/etc/tmpfiles.d/tmp.conf"
ln -sf /dev/null "$root/etc/systemd/system/systemd-tmpfiles-clean.timer"

# The command, its arguments and the environment it gets, sourced by the entry script inside.
{
    echo "# generated by $prog"
    while IFS= read -r var; do
        case $var in
            CI|CORRAL_*) printf 'export %s=%q\n' "$var" "${!var}" ;;
        esac
    done < <(compgen -e)
    printf 'export HOME=/root LANG=C.UTF-8\n'
    printf 'harness_cwd=%q\n' "$PWD"
    printf 'harness_cmd=('
    printf ' %q' "$@"
    printf ' )\n'
} >"$io/env.sh"

cat >"$io/entry.sh" <<EOF
#!/bin/bash
# generated by $prog: runs the harness command in a clean environment
date +%s.%N >$io/started
. $io/env.sh
if cd -- "\$harness_cwd"; then
    "\${harness_cmd[@]}"
    rc=\$?
else
    echo "$prog: cannot enter '\$harness_cwd' inside the container" >&2
    rc=1
fi
echo "\$rc" >$io/exit-status
exit "\$rc"
EOF
chmod 0755 "$io/entry.sh"

# The unit's own limit ends a hung command first, leaving time to shut down cleanly.
margin=$((timeout / 20)); ((margin < 2)) && margin=2; ((margin > 30)) && margin=30

# Wants=, not Requires=: a failed dependency would leave a job that never runs, no
# FailureAction would fire, and the run would hang.
cat >"$root/etc/systemd/system/$UNIT.service" <<EOF
[Unit]
Description=Corral integration harness ($name)
Wants=basic.target dbus.socket dbus.service systemd-logind.service systemd-user-sessions.service
After=basic.target dbus.service systemd-logind.service systemd-user-sessions.service
SuccessAction=exit
FailureAction=exit

[Service]
Type=oneshot
ExecStart=/bin/bash $io/entry.sh
StandardInput=null
StandardOutput=journal+console
StandardError=inherit
SyslogIdentifier=$UNIT
LogRateLimitIntervalSec=0
TimeoutStartSec=$((timeout - margin))
EOF

nspawn_args=(
    -D "$root" -b --register=no --keep-unit --machine="$name"
    --link-journal=no --private-network --console=read-only --quiet
    --setenv=SYSTEMD_COLORS=0
    --bind="$repo_dir" --bind="$io"
)
for b in "${binds[@]}"; do
    nspawn_args+=(--bind="$b")
done
# PID 1 logs to the journal, as on a real host: corrald reads systemd's own messages about its
# units there (the reason a PAM session could not open). Before journald runs, and if it dies,
# systemd falls back to the console, so boot failures still show.
nspawn_args+=(
    -- "systemd.unit=$UNIT.service" systemd.show_status=0 systemd.log_level=warning
    systemd.log_target=journal-or-kmsg
)

harness_pid=$$

# ---- run ---------------------------------------------------------------------------------
# Output: strip the journal's "corral-harness[PID]: " prefix and the console's \r, line by
# line, so the caller sees the command's own lines live.
mkfifo "$run_dir/out"
sed -u -e 's/\r$//' -e "s/^$UNIT\\[[0-9]*\\]: //" <"$run_dir/out" &
filter_pid=$!

t_start=$(date +%s.%N)
(
    for d in "${cgroup_dirs[@]}"; do
        mkdir -p "$d"
        echo "$BASHPID" >"$d/cgroup.procs" || say "warning: cannot enter cgroup $d"
    done
    SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 exec systemd-nspawn "${nspawn_args[@]}"
) </dev/null >"$run_dir/out" 2>&1 &
nspawn_pid=$!

# The watchdog stops a container that outlives --timeout (the unit's own TimeoutStartSec
# should have ended it first), and kills its cgroup if it ignores SIGTERM.
(
    # sleep in the background: a trap runs at once during `wait`, not after a foreground sleep
    trap 'kill "$nap" 2>/dev/null; exit 0' TERM
    deadline=$((SECONDS + timeout + 10))
    while ((SECONDS < deadline)); do
        kill -0 "$harness_pid" 2>/dev/null || exit 0    # the harness was SIGKILLed
        sleep 1 &
        nap=$!
        wait "$nap"
    done
    say "timeout: container '$name' still running after ${timeout}s, stopping it"
    : >"$run_dir/harness-stopped"
    kill -TERM "$nspawn_pid" 2>/dev/null || true
    deadline=$((SECONDS + KILL_GRACE))
    while ((SECONDS < deadline)); do kill -0 "$nspawn_pid" 2>/dev/null || exit 0; sleep 1; done
    say "container '$name' ignored SIGTERM, killing it"
    kill -KILL "$nspawn_pid" 2>/dev/null || true
) &
watchdog_pid=$!

on_signal() {
    say "received $1, stopping container '$name'"
    : >"$run_dir/harness-stopped"
    if [[ -e $run_dir/term-sent ]]; then
        kill -KILL "$nspawn_pid" 2>/dev/null || true
    else
        : >"$run_dir/term-sent"
        kill -TERM "$nspawn_pid" 2>/dev/null || true
    fi
}
trap 'on_signal SIGINT' INT
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGHUP' HUP

rc=0
while :; do
    wait "$nspawn_pid" 2>/dev/null && rc=0 || rc=$?   # 2>: no "Killed" job notice
    kill -0 "$nspawn_pid" 2>/dev/null || break    # else a trapped signal interrupted wait
done
t_end=$(date +%s.%N)

# nspawn passes the command's exit status through; anything else (nspawn killed or stopped
# by a signal, which can even return 0; the unit's own timeout) is a failure of the run.
if [[ -e $run_dir/harness-stopped ]]; then
    say "the harness stopped the container (nspawn exit $rc): reporting failure"
    rc=255
elif [[ ! -e $io/exit-status ]]; then
    if ((rc != 255)); then
        say "the command did not finish (nspawn exit $rc): reporting failure"
        rc=255
    fi
elif [[ $(<"$io/exit-status") != "$rc" ]]; then
    say "the command exited $(<"$io/exit-status") but nspawn $rc: reporting failure"
    rc=255
fi
if [[ -e $io/started ]]; then
    boot=$(awk -v a="$t_start" -v b="$(<"$io/started")" 'BEGIN { printf "%.2f", b - a }')
else
    boot="(never started)"
fi
total=$(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.2f", b - a }')
say "container '$name': boot to command ${boot}s, total ${total}s, exit $rc"
exit "$rc"
