#!/usr/bin/env bash
# timeout: 600
# Package installs and interpreter choice (spec §2, §11; issue 6), offline: a local CRAN-like
# repository built here from two small packages (one depending on the other, one with a
# configure script), a local wheel dir, two R executables (the second a wrapper reporting 4.3.1).
. "$(dirname "$0")/lib.sh"

CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
BASE=http://127.0.0.1:3939
T=$CORRAL_TEST_TMP
DATA=$T/data
# Repositories and the second R live outside T: content never sees the dir of corrald's config.
P=/srv/corral-test-packages
rm -rf "$P"
mkdir -p "$P"
on_exit "rm -rf '$P'"
command -v R >/dev/null || skip "R is not installed"
/usr/bin/python3 -c 'import venv' 2>/dev/null || skip "python3 has no venv module (python3-venv)"

# --- a CRAN-like repository: src/contrib with PACKAGES, from two packages made here.
mkpkg() { # NAME VERSION IMPORTS BODY
    local d=$P/src/$1
    mkdir -p "$d/R"
    {
        echo "Package: $1"
        echo "Version: $2"
        echo "Title: Corral Test Package $1"
        echo "Description: A package for Corral's integration test."
        echo "License: MIT"
        echo "Authors@R: person('Corral', 'Test', email = 'test@example.invalid', role = c('aut', 'cre'))"
        [[ -z $3 ]] || echo "Imports: $3"
    } >"$d/DESCRIPTION"
    echo "$4" >"$d/R/$1.R"
    sed -n 's/^\([a-z_]*\) <- function.*/export(\1)/p' "$d/R/$1.R" >"$d/NAMESPACE"
}
mkpkg corralbase 0.1.0 "" 'base_hello <- function() paste("hello from corralbase", configured_by)'
cat >"$P/src/corralbase/configure" <<'EOF'
#!/bin/sh
echo "corralbase: configure ran"
echo 'configured_by <- "(configured)"' > R/configured.R
EOF
chmod 0755 "$P/src/corralbase/configure"
mkpkg corraldep 0.2.0 corralbase 'dep_hello <- function() paste(corralbase::base_hello(), "via corraldep")'
mkdir -p "$P/cran/src/contrib"
(cd "$P/cran/src/contrib" && R CMD build --no-build-vignettes --no-manual "$P/src/corralbase" >/dev/null &&
    R CMD build --no-build-vignettes --no-manual "$P/src/corraldep" >/dev/null) || fail "R CMD build failed"
Rscript -e "tools::write_PACKAGES('$P/cran/src/contrib', type = 'source')" || fail "write_PACKAGES failed"
[[ -s $P/cran/src/contrib/PACKAGES ]] || fail "no PACKAGES file"

# --- a wheel dir: one pure-Python wheel, written by hand (no network, no build backend).
mkdir -p "$P/wheels"
/usr/bin/python3 - "$P/wheels" <<'EOF'
import base64, hashlib, sys, zipfile
files = {
    "corralwheel/__init__.py": "def hello():\n    return 'hello from corralwheel'\n",
    "corralwheel-0.1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: corralwheel\nVersion: 0.1.0\n",
    "corralwheel-0.1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: corral-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
with zipfile.ZipFile(sys.argv[1] + "/corralwheel-0.1.0-py3-none-any.whl", "w") as z:
    for name, text in files.items():
        data = text.encode()
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
    record.append("corralwheel-0.1.0.dist-info/RECORD,,")
    z.writestr("corralwheel-0.1.0.dist-info/RECORD", "\n".join(record) + "\n")
EOF

# --- a second R: a wrapper around the real one that reports 4.3.1.
mkdir -p "$P/R-4.3/bin"
for exe in R Rscript; do
    cat >"$P/R-4.3/bin/$exe" <<EOF
#!/bin/sh
[ "\$1" = "--version" ] && { echo "R version 4.3.1 (2023-06-16) -- \"Beagle Scouts\" (Corral test wrapper)"; exit 0; }
exec /usr/bin/$exe "\$@"
EOF
    chmod 0755 "$P/R-4.3/bin/$exe"
done
real_r=$(R --version | sed -n 's/^R version \([0-9.]*\).*/\1/p')

write_config() { # MATCHING [TEMPDIR]
    config=$(corral_default_config "$T")
    cat >>"$config" <<EOF
Scheduler:
  IdleTimeout: 2s
R:
  Executable: [/usr/bin/R, $P/R-4.3/bin/R]
  VersionMatching: $1
  Repositories:
    CRAN: file://$P/cran
Python:
  Executable: [/usr/bin/python3]
  PackageIndex: $P/wheels
EOF
    if [[ -n ${2:-} ]]; then
        sed -i "s|^  DataDir: .*|&\n  TempDir: $2|" "$config"
    fi
}

# app DIR PLATFORM [EXTRA-PACKAGE-JSON]: a Shiny app whose page shows corraldep's greeting.
app() {
    mkdir -p "$1"
    cat >"$1/app.R" <<'EOF'
library(shiny)
ui <- fluidPage(p(corraldep::dep_hello()), p(paste("libs:", Sys.getenv("R_LIBS"))))
shinyApp(ui, function(input, output) NULL)
EOF
    cat >"$1/manifest.json" <<EOF
{"version": 1, "platform": "$2", "metadata": {"appmode": "shiny", "entrypoint": "app.R"},
 "packages": {
  "corraldep": {"Source": "CRAN", "Repository": "https://cran.example.invalid",
                "description": {"Package": "corraldep", "Version": "0.2.0", "Imports": "corralbase"}},
  "corralbase": {"Source": "CRAN", "Repository": "https://cran.example.invalid",
                 "description": {"Package": "corralbase", "Version": "0.1.0"}}${3:-}
 }}
EOF
}

deploy_log() { "$CTL" deploy "$@" 2>&1; }
guid_of() { tail -n 1 <<<"$1"; }
job_of() { sed -n 's/.*Started \(packrat_restore\|python_restore\) job \([0-9a-f]*\) .*/\2/p' <<<"$1" | tail -n 1; }

write_config nearest
corral_start "$config"
grep -q "R installations: $real_r (/usr/bin/R), 4.3.1 ($P/R-4.3/bin/R)" "$CORRAL_LOG" ||
    fail "corrald did not list both R installations with their versions: $(grep 'R installations' "$CORRAL_LOG")"

# --- 1. install as Applications.RunAs; the installer's lines stream into the deploy; the app uses them.
app "$T/app1" "$real_r"
out=$(deploy_log "$T/app1" --title "Packages") || fail "deploy failed: $out"
guid=$(guid_of "$out")
assert_contains "$out" "Using R $real_r (/usr/bin/R)" "exact R version chosen"
assert_contains "$out" "corralbase: configure ran" "the configure script's output in the deploy log"
assert_contains "$out" "corralbase 0.1.0: building from source" "corralbase built"
assert_contains "$out" "corraldep 0.2.0: building from source" "corraldep built"
assert_contains "$out" "downloaded file://$P/cran/src/contrib/corralbase_0.1.0.tar.gz" "R.Repositories overrides the manifest's URL"
[[ $out == *"corralbase 0.1.0: building"*"corraldep 0.2.0: building"* ]] || fail "dependency order: $out"
assert_contains "$out" "packages installed: 2 built, 0 reused"
job=$(job_of "$out")
[[ -n $job ]] || fail "no install job in: $out"
uid=$(journalctl --no-pager -o json CORRAL_JOB_KEY="$job" | python3 -c '
import json, sys
print(sorted({json.loads(l).get("_UID") for l in sys.stdin}))')
assert_eq "$uid" "['$(id -u corral)']" "the install job's processes ran as corral"
run_as=$("$CTL" ps "$guid" --json | python3 -c '
import json, sys
print([p["run_as"] for p in json.load(sys.stdin) if p["tag"] == "packrat_restore"])')
assert_eq "$run_as" "['corral']" "the install job's record"
page=$(curl -fsS --max-time 60 "$BASE/content/$guid/") || fail "the app did not answer"
assert_contains "$page" "hello from corralbase (configured) via corraldep" "the app uses the installed packages"
assert_contains "$page" "libs: /opt/corral/mnt/packrat/bundles/" "R_LIBS points into the read-only cache"
[[ -d $DATA/packrat/$real_r/v2/library/corralbase/0.1.0/corralbase ]] || fail "corralbase is not in the cache"
[[ ! -e $DATA/R/$real_r/build-$job ]] || fail "the build dir was left behind"

# --- 2. a second bundle reuses the cache (nothing rebuilt); the install runs as corral even when
# the content has its own RunAs.
useradd --groups corral pkgowner
on_exit "userdel pkgowner"
"$CTL" content set-runas "$guid" pkgowner >/dev/null || fail "set-runas pkgowner"
sed -i 's/fluidPage(/fluidPage(p("bundle two"), /' "$T/app1/app.R"
out=$(deploy_log "$T/app1" --content "$guid") || fail "second deploy failed: $out"
assert_contains "$out" "corralbase 0.1.0: already in the cache, reused"
assert_contains "$out" "corraldep 0.2.0: already in the cache, reused"
[[ $out != *"building from source"* ]] || fail "the second bundle rebuilt packages: $out"
job=$(job_of "$out")
uid=$(journalctl --no-pager -o json CORRAL_JOB_KEY="$job" | python3 -c '
import json, sys
print(sorted({json.loads(l).get("_UID") for l in sys.stdin}))')
assert_eq "$uid" "['$(id -u corral)']" "installs run as Applications.RunAs, not the content's RunAs"
wait_for "curl -fsS '$BASE/content/$guid/' | grep -q 'bundle two'" 60 || fail "bundle two is not served"

# --- 3. a package missing from the repository fails the deploy with the installer's error; the
# old bundle keeps serving.
app "$T/app3" "$real_r" ', "corralmissing": {"Source": "CRAN", "Repository": "https://cran.example.invalid",
  "description": {"Package": "corralmissing", "Version": "1.0.0"}}'
if out=$(deploy_log "$T/app3" --content "$guid"); then
    fail "a deploy needing a missing package succeeded: $out"
fi
assert_contains "$out" "package 'corralmissing' version 1.0.0 is not in repository 'CRAN'" "the installer's error"
assert_contains "$out" "Deploy failed: ERROR: package 'corralmissing'" "the task's error is the installer's"
assert_contains "$out" "the previous bundle stays live"
page=$(curl -fsS --max-time 60 "$BASE/content/$guid/")
assert_contains "$page" "bundle two" "the old bundle keeps serving"

# --- 4. R version matching, nearest: same major.minor, else the newest.
app "$T/app4" 4.3.0
out=$(deploy_log "$T/app4" --title "R 4.3.0") || fail "deploy for R 4.3.0 failed: $out"
assert_contains "$out" "Using R 4.3.1 ($P/R-4.3/bin/R) for the bundle's 4.3.0" "nearest: same major.minor"
g4=$(guid_of "$out")
curl -fsS --max-time 60 "$BASE/content/$g4/" | grep -q "via corraldep" || fail "the app on the 4.3 wrapper"
unit=$("$CTL" ps "$g4" --json | python3 -c '
import json, sys
print([p["unit"] for p in json.load(sys.stdin) if p["tag"] == "run_app" and p["state"] == "active"][-1])')
systemctl show "$unit" -p ExecStart | grep -q "$P/R-4.3/bin/Rscript" || fail "the app does not run with the chosen R"
app "$T/app5" 4.1.0
out=$(deploy_log "$T/app5" --title "R 4.1.0") || fail "deploy for R 4.1.0 failed: $out"
assert_contains "$out" "Using R 4.3.1 ($P/R-4.3/bin/R) for the bundle's 4.1.0" "nearest: the newest"

# --- 5. Python: a venv per bundle with the wheel dir as the index, read-only to the app.
mkdir -p "$T/py"
cat >"$T/py/app.py" <<'EOF'
import sys
import corralwheel
from flask import Flask
app = Flask(__name__)

@app.route("/")
def index():
    return corralwheel.hello() + " on " + sys.prefix
EOF
echo "corralwheel==0.1.0" >"$T/py/requirements.txt"
pyver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
cat >"$T/py/manifest.json" <<EOF
{"version": 1, "metadata": {"appmode": "python-api", "entrypoint": "app:app"},
 "python": {"version": "$pyver.99", "package_manager": {"name": "pip", "package_file": "requirements.txt"}}}
EOF
out=$(deploy_log "$T/py" --title "Python packages") || fail "python deploy failed: $out"
gp=$(guid_of "$out")
assert_contains "$out" "Using Python" "python chosen by major.minor"
assert_contains "$out" "--no-index --find-links $P/wheels" "PackageIndex as a wheel dir"
assert_contains "$out" "Successfully installed corralwheel-0.1.0" "pip's own lines in the deploy log"
page=$(curl -fsS --max-time 60 "$BASE/content/$gp/") || fail "the Python app did not answer"
assert_eq "$page" "hello from corralwheel on /opt/corral/mnt/python" "the app runs in its venv"
venv_dirs=("$DATA"/python/*/*)
[[ -x ${venv_dirs[0]}/bin/python ]] || fail "no venv under DataDir/python/C/B"
assert_eq "$(stat -c %U "${venv_dirs[0]}")" corral "the venv belongs to Applications.RunAs"

# --- 6. refusals: no matching R with exact, no Python of the same major.minor; a noexec TMPDIR.
corral_stop
mkdir -p "$P/noexec"
mount -t tmpfs -o noexec,mode=1777 tmpfs "$P/noexec"
on_exit "umount '$P/noexec'"
write_config exact "$P/noexec"
corral_start "$config"
grep -q "TempDir '$P/noexec' is mounted noexec" "$CORRAL_LOG" || fail "corrald did not warn about the noexec TempDir"
if out=$(deploy_log "$T/app5" --title "R 4.1.0 exact"); then
    fail "exact matching accepted R 4.1.0: $out"
fi
assert_contains "$out" "the bundle needs R 4.1.0 and no R installation matches it with R.VersionMatching 'exact'; available: $real_r (/usr/bin/R), 4.3.1 ($P/R-4.3/bin/R)"
sed -i "s/\"version\": \"$pyver.99\"/\"version\": \"2.7.18\"/" "$T/py/manifest.json"
if out=$(deploy_log "$T/py" --title "Python 2"); then
    fail "Python 2.7 was accepted: $out"
fi
assert_contains "$out" "the bundle needs Python 2.7.18 and no Python of the same major.minor version is configured; available:"
# A package with a configure script, not yet in the cache, on a noexec TMPDIR.
rm -rf "$DATA/packrat/$real_r"
if out=$(deploy_log "$T/app1" --title "noexec"); then
    fail "a configure script ran from a noexec TMPDIR: $out"
fi
assert_contains "$out" "does not allow running programs (mounted noexec)" "the install log warns"
assert_contains "$out" "the configure step of 'corralbase' could not run: TMPDIR" "the failure names the cause"
echo "packages: ok"
