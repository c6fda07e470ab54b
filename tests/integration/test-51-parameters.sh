#!/usr/bin/env bash
# timeout: 300
# configure_report (spec §1, §10; issue 5): a parameterized document's parameter form runs as an
# on-demand process under the scheduler, at /content/<guid>/__parameters__/.
. "$(dirname "$0")/lib.sh"

CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
BASE=http://127.0.0.1:3939
T=$CORRAL_TEST_TMP
config=$(corral_default_config "$T")
printf 'Scheduler:\n  IdleTimeout: 2s\n' >>"$config"
corral_start "$config"

mkdir -p "$T/params"
cat >"$T/params/report.Rmd" <<'EOF2'
---
title: "Parameterized"
output: html_document
params:
  region: "north"
  year: 2024
---

REGION: `r params$region`, YEAR: `r params$year`
EOF2
guid=$("$CTL" deploy "$T/params" --title "Parameterized" | tail -n 1)
assert_contains "$(curl -fsS "$BASE/content/$guid/")" "REGION: north" "the default rendering"

code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/content/$guid/__parameters__")
assert_eq "$code" "301" "the form's URL without its slash"
form=$(curl -fsS --max-time 60 "$BASE/content/$guid/__parameters__/")
assert_contains "$form" "region" "the form offers the 'region' parameter"
assert_contains "$form" "year" "the form offers the 'year' parameter"
assert_contains "$form" "Save" "the form's save button"
unit=$(systemctl list-units --plain --no-legend "corral-configure_report-${guid:0:8}-*" | awk '{print $1}')
[[ -n $unit ]] || fail "no configure_report unit"
assert_eq "$(systemctl show -P WorkingDirectory "$unit")" "/opt/corral/mnt/app" "the form's working directory"
"$CTL" ps "$guid" | grep -c configure_report >/dev/null || fail "no configure_report record"
wait_for "[[ -z \$(systemctl list-units --plain --no-legend 'corral-configure_report-${guid:0:8}-*') ]]" 15 ||
    fail "the form's process was not reaped when idle"
# the report itself is still served by corrald, without a process
assert_contains "$(curl -fsS "$BASE/content/$guid/")" "REGION: north" "the rendering after the form"

# --- deleting the content also ends its schedules (no timer left rendering nothing).
vid=$("$CTL" variant list "$guid" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$CTL" variant schedule "$guid" "$vid" '*-*-* 03:00:00' >/dev/null || fail "schedule refused"
wait_for "systemctl list-timers --all --no-pager | grep -c 'corral-schedule-${guid:0:8}'" 10 || fail "no timer"
curl -fsS --unix-socket /run/corral/corral.sock -X DELETE "http://localhost/__api__/applications/$guid" >/dev/null
wait_for "! systemctl list-timers --all --no-pager | grep -c 'corral-schedule-${guid:0:8}'" 10 ||
    fail "the deleted content's timer is still there"

# --- source copies an earlier corrald's renders left behind are removed at start.
corral_stop
stale=$T/data/reports/v2/99/1/temp.render.00112233445566ff
mkdir -p "$stale" && echo x >"$stale/report.Rmd"
corral_start "$config"
[[ ! -e $stale ]] || fail "a stale render source copy survived corrald's start"
echo "parameters: all checks passed"
