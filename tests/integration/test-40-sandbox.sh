#!/usr/bin/env bash
# timeout: 600
# The sandbox, RunAs, environment and supervisor (spec §4–§6, §8; issue 3), proven from inside
# real units by probe content in Python and in R.
. "$(dirname "$0")/lib.sh"

CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
BASE=http://127.0.0.1:3939
T=$CORRAL_TEST_TMP
config=$(corral_default_config "$T")
cat >>"$config" <<EOF
Scheduler:
  IdleTimeout: 1s
Python:
  Executable: [/usr/bin/python3]
SQLite:
  Dir: /var/lib/corral-test-db
EOF
on_exit "rm -rf /var/lib/corral-test-db"
mkdir -p /etc/corral
echo secret >/etc/corral/probe-secret

# alice is in corral's primary group, bob is not; both have homes.
# (Tests share one container: an earlier test may have made these accounts.)
id alice >/dev/null 2>&1 || useradd --create-home alice
id bob >/dev/null 2>&1 || useradd --create-home bob
usermod -G corral alice
usermod -G "" bob
echo "alice's file" >/home/alice/mine.txt
chown alice: /home/alice/mine.txt

deploy() { "$CTL" deploy "$@" | tail -n 1; }
unit_of() { "$CTL" ps "$1" --json | python3 -c '
import json, sys
a = [p for p in json.load(sys.stdin) if p["state"] == "active"]
print(a[-1]["unit"] if a else "")'; }
# check REPORT PYTHON-ASSERTIONS: runs the assertions with the JSON report as r
check() {
    python3 -c "
import json, sys
r = json.loads(sys.argv[1])
T = sys.argv[2]
def ok(cond, what):
    if not cond:
        sys.exit('probe: ' + what + ': ' + json.dumps({k: v for k, v in r.items() if k != 'env'}))
$2" "$1" "$T" || fail "probe assertions failed"
}

corral_start "$config"
py=$(deploy "$CORRAL_SOURCE_DIR/tests/fixtures/probe" --title "Python probe")
rp=$(deploy "$CORRAL_SOURCE_DIR/tests/fixtures/probe-r" --title "R probe")
paths="$T/data,/var/lib/corral-test-db,/etc/corral,/opt/corral/mnt/app,/opt/corral/mnt/packrat,/home"

# --- spec §5 masks and exposures, §6 environment, as seen by each probe (default RunAs).
for guid in "$py" "$rp"; do
    report=$(curl -fsS --max-time 60 "$BASE/content/$guid/?paths=$paths")
    check "$report" "
ok(r['user'] == 'corral' and r['uid'] != 0, 'runs as corral')
for p in (T + '/data', '/var/lib/corral-test-db', '/etc/corral'):
    ok(r['paths'][p].get('entries') == [], p + ' is masked (looks empty)')
ok(len(r['paths']['/opt/corral/mnt/app'].get('entries', [])) > 0, 'the bundle at /opt/corral/mnt/app')
ok(r['cwd'] == '/opt/corral/mnt/app', 'working directory')
tmp = r['env']['TMPDIR']
ok(tmp.startswith('/tmp/corral-workspaces/'), 'TMPDIR under TempDir/corral-workspaces')
ok(r['tmpdir_listing'].get('entries') == [tmp.rsplit('/', 1)[1]], 'only its own workspace visible')
ok(r['tmpdir_writable'], 'TMPDIR writable')
ok(r['env'].get('HOME'), 'HOME set')
for k, v in (('USER', 'corral'), ('LOGNAME', 'corral'), ('RSTUDIO_PRODUCT', 'CONNECT'), ('R_CONFIG_ACTIVE', 'rsconnect'),
             ('CONNECT_SERVER', 'http://127.0.0.1:3939/')):
    ok(r['env'].get(k) == v, k)
ok(r['env'].get('CONNECT_CONTENT_GUID') == r['env'].get('CORRAL_CONTENT_GUID'), 'content GUID')
ok(r['env'].get('CORRAL_JOB_KEY') and r['env'].get('CORRAL_PORT'), 'job key and port')
ok('bob' in r['paths']['/home'].get('entries', []), 'HomeMounting off: /home untouched')
"
done
report=$(curl -fsS "$BASE/content/$rp/?paths=/opt/corral/mnt/packrat")
pandoc_dir=$(dirname "$(command -v pandoc)")
check "$report" "
ok(r['paths']['/opt/corral/mnt/packrat'].get('entries') == [], 'R content sees the package cache')
ok(r['env'].get('RSTUDIO_PANDOC') == '$pandoc_dir', 'RSTUDIO_PANDOC for R content')"
report=$(curl -fsS "$BASE/content/$py/")
check "$report" "ok('RSTUDIO_PANDOC' not in r['env'], 'no RSTUDIO_PANDOC for Python content')"
write=$(curl -fsS "$BASE/content/$py/write?path=/opt/corral/mnt/app")
assert_contains "$write" '"writable": true' "apps may write to their app dir"

# --- two contents cannot see each other's TMPDIR.
tmp_py=$(curl -fsS "$BASE/content/$py/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["env"]["TMPDIR"])')
report=$(curl -fsS "$BASE/content/$rp/?paths=$tmp_py")
check "$report" "ok('error' in r['paths']['$tmp_py'], 'another content\\'s TMPDIR is invisible')"

# --- content environment variables: visible to the content, literal, never in systemctl show.
"$CTL" content env set "$py" 'SECRET_TOKEN=s3cr3t-value' 'LITERAL=a $HOME ${USER} b' >/dev/null
out=$("$CTL" content env set "$py" HOME=/tmp 2>&1) && fail "HOME accepted as a content variable"
assert_contains "$out" "'HOME'" "reserved name refused by name"
out=$("$CTL" content env set "$py" 'BAD-NAME=1' 2>&1) && fail "BAD-NAME accepted"
assert_contains "$out" "'BAD-NAME'" "invalid name refused by name"
list=$("$CTL" content env list "$py")
assert_eq "$list" $'LITERAL\nSECRET_TOKEN' "env list shows names"
[[ $list != *s3cr3t* ]] || fail "env list printed a value"
sleep 2  # the old process is reaped (IdleTimeout 1s); the next one gets the variables
report=$(curl -fsS "$BASE/content/$py/")
check "$report" "
ok(r['env'].get('SECRET_TOKEN') == 's3cr3t-value', 'content variable visible')
ok(r['env'].get('LITERAL') == 'a \$HOME \${USER} b', 'content variable passed literally')"
unit=$(unit_of "$py")
shown=$(systemctl show "$unit" -p Environment)
[[ $shown != *s3cr3t* ]] || fail "the secret is visible in systemctl show: $shown"
"$CTL" content env unset "$py" SECRET_TOKEN >/dev/null
assert_eq "$("$CTL" content env list "$py")" "LITERAL" "env unset"

# --- per-content RunAs: a group member is accepted; a non-member and root are refused by name.
out=$("$CTL" content set-runas "$py" bob 2>&1) && fail "bob (not in group corral) accepted"
assert_contains "$out" "'bob'" "refusal names the user"
assert_contains "$out" "'corral'" "refusal names the group"
out=$("$CTL" content set-runas "$py" root 2>&1) && fail "root accepted as RunAs"
assert_contains "$out" "uid 0" "root refused"
"$CTL" content set-runas "$py" alice >/dev/null || fail "alice refused"
sleep 2
report=$(curl -fsS "$BASE/content/$py/?paths=/home")
check "$report" "
ok(r['user'] == 'alice', 'runs as alice')
ok(r['env']['HOME'] == '/home/alice' and r['home_writable'], 'HOME is alice\\'s, writable')"
# checked again at launch: out of the group, alice's next process is refused, naming both.
gpasswd -d alice corral >/dev/null
sleep 2
code=$(curl -sS -o "$T/refused.html" -w '%{http_code}' "$BASE/content/$py/")
assert_eq "$code" "503" "launch as a user who left the group"
assert_contains "$(cat "$T/refused.html")" "alice" "launch refusal names the user"
assert_contains "$(cat "$T/refused.html")" "corral" "launch refusal names the group"
gpasswd -a alice corral >/dev/null

# --- HomeMounting: /home masked, only the RunAs user's home bound back.
corral_stop
sed -i 's/^Applications:$/Applications:\n  HomeMounting: true/' "$config"
corral_start "$config"
report=$(curl -fsS "$BASE/content/$py/?paths=/home,/home/alice")
check "$report" "
ok(r['paths']['/home'].get('entries') == ['alice'], 'only alice\\'s home under /home')
ok('mine.txt' in r['paths']['/home/alice'].get('entries', []), 'alice\\'s home content')
ok(r['env']['HOME'] == '/home/alice' and r['home_writable'], 'HOME writable with HomeMounting')"
report=$(curl -fsS "$BASE/content/$rp/?paths=/home")
check "$report" "
ok(r['paths']['/home'].get('entries') == [], 'no home: /home is empty')
ok(r['env']['HOME'] == r['env']['TMPDIR'], 'HOME falls back to the private TMPDIR')"

# --- resource limits: per-content overrides become unit properties.
"$CTL" content set "$rp" MemoryMax=256M CPUQuota=50% TasksMax=64 >/dev/null
sleep 2
curl -fsS -o /dev/null "$BASE/content/$rp/"
unit=$(unit_of "$rp")
props=$(systemctl show "$unit" -p MemoryMax -p CPUQuotaPerSecUSec -p TasksMax)
assert_contains "$props" "MemoryMax=268435456" "MemoryMax"
assert_contains "$props" "CPUQuotaPerSecUSec=500ms" "CPUQuota"
assert_contains "$props" "TasksMax=64" "TasksMax"

# --- supervisor: wraps the content command, inside the sandbox, as the content's user.
# (Not under $T: that is the config's own dir, which content cannot see.)
S=/usr/local/libexec/corral-test
mkdir -p "$S"
cat >"$S/supervisor-umask" <<'EOF'
#!/bin/sh
echo "supervisor: user=$(id -un) HOME=$HOME TMPDIR=$TMPDIR next=$1"
umask 077
exec "$@"
EOF
printf '#!/bin/sh\necho "supervisor: giving up"\nexit 3\n' >"$S/supervisor-exit3"
chmod 0755 "$S/supervisor-umask" "$S/supervisor-exit3"
cp "$S/supervisor-umask" "$T/supervisor-hidden"
sed -i "s|^Applications:\$|Applications:\n  Supervisor: $T/supervisor-hidden|" "$config"
kill -HUP "$CORRAL_PID"
sleep 2
code=$(curl -sS -o "$T/hidden.html" -w '%{http_code}' "$BASE/content/$py/")
assert_eq "$code" "503" "supervisor in a dir content cannot see"
assert_contains "$(cat "$T/hidden.html")" "cannot see" "hidden supervisor named"
sed -i "s|$T/supervisor-hidden|$S/supervisor-umask|" "$config"
kill -HUP "$CORRAL_PID"
wait_for "grep -q 'Reloaded' '$CORRAL_LOG'" 5 || fail "supervisor reload"
sleep 2
mode=$(curl -fsS "$BASE/content/$py/write?path=/opt/corral/mnt/app" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mode"])')
assert_eq "$mode" "0600" "file mode under the supervisor's umask 077"
unit=$(unit_of "$py")
wait_for "journalctl -u '$unit' --no-pager | grep -c 'supervisor: user=alice HOME=/home/alice TMPDIR=/tmp/corral-workspaces/'" 5 ||
    fail "supervisor did not run as alice with HOME and TMPDIR set"
sed -i "s|supervisor-umask|supervisor-exit3|" "$config"
kill -HUP "$CORRAL_PID"
sleep 2
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/content/$py/")
assert_eq "$code" "502" "content under a supervisor that exits 3"
exit_code=$("$CTL" ps "$py" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["exit_code"])')
assert_eq "$exit_code" "3" "exit code of the supervisor"
sed -i "s|$S/supervisor-exit3|/nonexistent/supervisor|" "$config"
kill -HUP "$CORRAL_PID"
sleep 3
code=$(curl -sS -o "$T/nosup.html" -w '%{http_code}' "$BASE/content/$rp/")
assert_eq "$code" "503" "missing supervisor"
assert_contains "$(cat "$T/nosup.html")" "Applications.Supervisor" "missing supervisor named"

# --- preflight: a RunAs account that does not exist stops corrald with the fix.
corral_stop
sed -i 's/RunAs: corral/RunAs: nosuchuser/' "$config"
out=$(timeout 20 "$CORRAL_BUILD_DIR/orchestrator/corrald" --config "$config" 2>&1) && fail "corrald started without its RunAs user"
assert_contains "$out" "nosuchuser" "preflight names the account"
assert_contains "$out" "useradd" "preflight names the fix"
echo "sandbox: all checks passed"
