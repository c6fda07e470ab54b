#!/usr/bin/env bash
# timeout: 900
# Reports (spec §10, issue 5): R Markdown documents and sites rendered as transient units with
# Debian's rmarkdown and pandoc, activation, failures, parameterized variants, retention, the
# render's sandbox, static and rmd-shiny content, schedules as timers, logs and jobs.
. "$(dirname "$0")/lib.sh"

CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
BASE=http://127.0.0.1:3939
T=$CORRAL_TEST_TMP
command -v Rscript >/dev/null || skip "no R"
Rscript -e 'library(rmarkdown)' >/dev/null 2>&1 || skip "no r-cran-rmarkdown"
command -v pandoc >/dev/null || skip "no pandoc"

config=$(corral_default_config "$T")
DATA=$T/data
corral_start "$config"

deploy() { "$CTL" deploy "$@" | tail -n 1; }
get() { curl -fsS --max-time 30 "$BASE/content/$1"; }
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$BASE/content/$1"; }
rendering_dirs() { find "$DATA/reports/v2/$1/$2" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*' | sort -V; }
content_id() { "$CTL" show "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
jobs_json() { "$CTL" jobs "$1" --json; }

# --- a document with a plot, parameters and probes of its own sandbox.
mkdir -p "$T/doc"
cat >"$T/doc/report.Rmd" <<'EOF'
---
title: "Corral report"
output: html_document
params:
  label: "plain"
  sleep: 0
  fail: false
  probe: ""
---

```{r, echo = FALSE}
before <- sort(list.files(".", all.files = TRUE, no.. = TRUE))
writeLines(Sys.getenv("CORRAL_JOB_KEY"), "mine.txt")
Sys.sleep(as.numeric(params$sleep))
after <- sort(list.files(".", all.files = TRUE, no.. = TRUE))
same <- identical(setdiff(after, "mine.txt"), setdiff(before, "mine.txt")) &&
        identical(readLines("mine.txt"), Sys.getenv("CORRAL_JOB_KEY"))
if (isTRUE(params$fail)) stop("boom: this render fails on purpose")
```

LABEL: `r params$label`

ISOLATION: `r if (same) "OK" else "DISTURBED"`

CWD: `r getwd()`

PROBE-ENTRIES: `r if (nzchar(params$probe)) length(list.files(params$probe, all.files = TRUE, no.. = TRUE)) else -1`

```{r plot, echo = FALSE}
plot(1:10, main = "a plot")
```
EOF
doc=$(deploy "$T/doc" --title "Report")
[[ -n $doc ]] || fail "deploy of the report failed"
page=$(get "$doc/")
assert_contains "$page" "LABEL: plain" "the rendered report"
assert_contains "$page" '<img src="data:image/png;base64' "the plot in the report"
assert_contains "$page" "CWD: /opt/corral/mnt/app" "a document renders in its source copy"
"$CTL" ps "$doc" | grep -q build_report || fail "no build_report record in ps"
cid=$(content_id "$doc")
vdef=$("$CTL" variant list "$doc" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
echo "PASS document with a plot rendered and served (content $cid)"

# --- the render's unit masks DataDir like every other process (spec §5).
"$CTL" variant set "$doc" default "probe=\"$DATA\"" >/dev/null
"$CTL" render "$doc" >/dev/null || fail "probe render failed"
assert_contains "$(get "$doc/")" "PROBE-ENTRIES: 0" "DataDir masked in the render"
echo "PASS the render's unit masks DataDir"

# --- a second render while the first runs does not disturb it (private source copies).
"$CTL" variant set "$doc" default sleep=8 label=first >/dev/null
"$CTL" render "$doc" >"$T/first.out" 2>&1 &
first_pid=$!
wait_for "jobs_json $doc | python3 -c 'import json,sys; sys.exit(0 if any(j[\"status\"] == \"running\" for j in json.load(sys.stdin)) else 1)'" 30 ||
    fail "the first render never ran"
sleep 2
"$CTL" variant set "$doc" default sleep=0 label=second >/dev/null
"$CTL" render "$doc" >/dev/null || fail "the second render failed"
assert_contains "$(get "$doc/")" "LABEL: second" "the second render is live while the first runs"
assert_contains "$(get "$doc/")" "ISOLATION: OK" "the second render saw only its own files"
wait "$first_pid" || { cat "$T/first.out"; fail "the first render failed"; }
assert_contains "$(get "$doc/")" "LABEL: first" "the first render, finished last, is live"
assert_contains "$(get "$doc/")" "ISOLATION: OK" "the first render was not disturbed"
[[ -z $(find "$DATA/reports/v2/$cid" -maxdepth 2 -name 'temp.render.*') ]] || fail "source copies left behind"
echo "PASS two simultaneous renders do not see each other's files"

# --- a failing render leaves the previous output live; the job failed with its exit code.
"$CTL" variant set "$doc" default fail=true label=broken >/dev/null
if "$CTL" render "$doc" >"$T/fail.out" 2>&1; then fail "a failing render succeeded"; fi
assert_contains "$(cat "$T/fail.out")" "boom" "the failed render's last lines from corralctl render"
assert_contains "$(get "$doc/")" "LABEL: first" "the previous output stays live"
jobs=$("$CTL" jobs "$doc")
echo "$jobs" | grep -E '^[0-9a-f]{16} +default +[0-9]+ +failed +exit 1 ' >/dev/null || fail "no failed job with exit 1: $jobs"
assert_contains "$jobs" "boom: this render fails on purpose" "the failed render's last lines in jobs"
failed_key=$(jobs_json "$doc" | python3 -c 'import json,sys; print([j for j in json.load(sys.stdin) if j["status"] == "failed"][0]["key"])')
assert_contains "$("$CTL" logs "$failed_key")" "boom" "corralctl logs JOB"
assert_contains "$("$CTL" logs "$doc")" "corral: rendering document" "corralctl logs GUID"
"$CTL" variant set "$doc" default fail=false label=fixed >/dev/null
echo "PASS a failed render changes nothing viewers see; jobs and logs show it"

# --- --no-activate: the rendering exists, viewers keep the active one.
"$CTL" render "$doc" --no-activate >/dev/null || fail "render --no-activate failed"
assert_contains "$(get "$doc/")" "LABEL: first" "--no-activate keeps the active rendering"
rid=$(jobs_json "$doc" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["rendering"])')
assert_contains "$(get "$doc/__rendering__/$rid/")" "LABEL: fixed" "the non-activated rendering by its id"
echo "PASS render --no-activate"

# --- parameterized report: two variants, two URLs.
"$CTL" variant create "$doc" alpha label=Alpha >/dev/null
"$CTL" variant create "$doc" beta label=Beta >/dev/null
"$CTL" render "$doc" --variant alpha >/dev/null || fail "render of alpha failed"
"$CTL" render "$doc" --variant beta >/dev/null || fail "render of beta failed"
assert_contains "$(get "$doc/__variant__/alpha/")" "LABEL: Alpha" "variant alpha"
assert_contains "$(get "$doc/__variant__/beta/")" "LABEL: Beta" "variant beta"
assert_contains "$(get "$doc/")" "LABEL: first" "the default variant is unchanged"
echo "PASS two variants with different parameters, each at its own URL"

# --- retention: RenderingRetention (default 10) deletes the 11th oldest rendering's dir.
mkdir -p "$T/tiny"
printf -- '---\ntitle: tiny\noutput: html_document\n---\n\nTINY `r Sys.getenv("CORRAL_JOB_KEY")`\n' >"$T/tiny/index.Rmd"
tiny=$(deploy "$T/tiny" --title "Tiny")
tid=$(content_id "$tiny")
tv=$("$CTL" variant list "$tiny" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
oldest=$(rendering_dirs "$tid" "$tv" | head -n1)
[[ -d $oldest ]] || fail "no first rendering dir"
for i in $(seq 2 10); do "$CTL" render "$tiny" >/dev/null || fail "tiny render $i failed"; done
[[ -d $oldest ]] || fail "retention deleted a rendering before the 11th"
assert_eq "$(rendering_dirs "$tid" "$tv" | wc -l)" 10 "rendering dirs after 10 renders"
"$CTL" render "$tiny" >/dev/null || fail "tiny render 11 failed"
[[ ! -e $oldest ]] || fail "retention kept the oldest rendering's dir $oldest"
assert_eq "$(rendering_dirs "$tid" "$tv" | wc -l)" 10 "rendering dirs after 11 renders"
echo "PASS retention removes the 11th oldest rendering's dir"

# --- a site: _site output moved to the root, sources not served.
mkdir -p "$T/site"
printf 'name: "corral-site"\nnavbar:\n  title: "Corral site"\n  left:\n    - text: "About"\n      href: about.html\n' >"$T/site/_site.yml"
printf -- '---\ntitle: "Home"\n---\n\nSITE-HOME `r 1 + 1`\n' >"$T/site/index.Rmd"
printf -- '---\ntitle: "About"\n---\n\nSITE-ABOUT\n' >"$T/site/about.Rmd"
site=$(deploy "$T/site" --title "Site")
assert_contains "$(get "$site/")" "SITE-HOME 2" "the site's index"
assert_contains "$(get "$site/about.html")" "SITE-ABOUT" "another page of the site"
assert_eq "$(code "$site/index.Rmd")" 404 "a site's .Rmd source"
assert_eq "$(code "$site/_site.yml")" 404 "a site's _site.yml"
assert_eq "$(code "$site/_site/index.html")" 404 "the _site dir itself"
"$CTL" ps "$site" | grep -q build_site || fail "no build_site record"
echo "PASS a site renders; _site content at the root, sources not served"

# --- an in-place site (output_dir: "."): source and output both served.
mkdir -p "$T/inplace"
printf 'name: "inplace"\noutput_dir: "."\n' >"$T/inplace/_site.yml"
printf -- '---\ntitle: "In place"\n---\n\nINPLACE-HOME\n' >"$T/inplace/index.Rmd"
inplace=$(deploy "$T/inplace" --title "In place")
assert_contains "$(get "$inplace/")" "INPLACE-HOME" "the in-place site's index"
assert_contains "$(get "$inplace/index.Rmd")" "title: \"In place\"" "the in-place site's source"
echo "PASS an in-place site serves source and output"

# --- static content: HTML served as it is, no process.
mkdir -p "$T/static/sub"
echo '<html><body>STATIC-INDEX</body></html>' >"$T/static/index.html"
echo 'STATIC-SUB' >"$T/static/sub/page.html"
static=$(deploy "$T/static" --title "Static")
assert_contains "$(get "$static/")" "STATIC-INDEX" "static index"
assert_contains "$(get "$static/sub/page.html")" "STATIC-SUB" "static sub page"
assert_eq "$(code "$static/sub")" 301 "a dir without its slash"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$BASE/content/$static/../../../../etc/passwd")" 404 \
    "a path leaving the bundle"
[[ -z $("$CTL" ps "$static" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)) or "")') ]] ||
    fail "static content started a process"
echo "PASS static content served by corrald, no process"

# --- rmd-shiny: R Markdown with runtime: shiny runs as an app.
mkdir -p "$T/rshiny"
cat >"$T/rshiny/index.Rmd" <<'EOF'
---
title: "Interactive"
runtime: shiny
output: html_document
---

RMD-SHINY-PAGE

```{r, echo = FALSE}
sliderInput("n", "N", 1, 10, 5)
renderText(input$n * 2)
```
EOF
rshiny=$("$CTL" deploy "$T/rshiny" --title "Rmd Shiny")
assert_contains "$rshiny" "Bundle mode: rmd-shiny" "rmd-shiny inferred from runtime: shiny"
rshiny=$(echo "$rshiny" | tail -n1)
# rmarkdown::run answers with its loader page; the document itself comes over the Shiny session.
assert_contains "$(curl -fsS --max-time 120 "$BASE/content/$rshiny/")" "rmd_loader" "the rmd-shiny page"
"$CTL" ps "$rshiny" | grep -q run_app || fail "rmd-shiny did not run as run_app"
echo "PASS rmd-shiny runs as an app"

# --- a deploy whose first render fails fails the task.
mkdir -p "$T/broken"
printf -- '---\ntitle: broken\n---\n\n```{r}\nstop("first render breaks")\n```\n' >"$T/broken/index.Rmd"
if "$CTL" deploy "$T/broken" --title "Broken" >"$T/broken.out" 2>&1; then fail "a deploy with a failing first render succeeded"; fi
assert_contains "$(cat "$T/broken.out")" "first render breaks" "the deploy log streams the render"
echo "PASS a failed first render fails the deploy task"

# --- schedules: a transient .timer per variant, refused with systemd's reason when invalid.
if "$CTL" variant schedule "$doc" alpha "not a calendar" >"$T/sched.out" 2>&1; then fail "an invalid schedule was accepted"; fi
assert_contains "$(cat "$T/sched.out")" "systemd refused the schedule" "systemd's reason"
n_alpha=$(jobs_json "$doc" | python3 -c 'import json,sys; print(sum(1 for j in json.load(sys.stdin) if j["variant"] == "alpha"))')
"$CTL" variant schedule "$doc" alpha '*:*:0/15' >/dev/null || fail "a valid schedule was refused"
systemctl list-timers --all --no-pager | grep -q 'corral-schedule-' || fail "no corral timer in systemctl list-timers"
wait_for "[[ \$(jobs_json $doc | python3 -c 'import json,sys; print(sum(1 for j in json.load(sys.stdin) if j[\"variant\"] == \"alpha\"))') -gt $n_alpha ]]" 60 ||
    fail "the timer never rendered alpha"
corral_stop
systemctl stop 'corral-schedule-*.timer'
corral_start "$config"
wait_for "systemctl list-timers --all --no-pager | grep -q corral-schedule-" 20 || fail "the schedule was not re-created at start"
"$CTL" variant schedule "$doc" alpha --none >/dev/null || fail "removing the schedule failed"
wait_for "! systemctl list-timers --all --no-pager | grep -q corral-schedule-" 20 || fail "the timer outlived its schedule"
echo "PASS schedules as transient timers, re-created at start, invalid ones refused"
