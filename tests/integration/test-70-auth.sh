#!/usr/bin/env bash
# timeout: 600
# Users, PAM logins, API keys, content access, current-user execution, PAM sessions and the
# forwarded-password cache (issue 7), with real pam_unix accounts.
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
EOF
sed -i 's/^Applications:$/Applications:\n  RunAsCurrentUser: true/' "$config"
# Corral's own PAM services (meson install puts them in /etc/pam.d).
cp "$CORRAL_SOURCE_DIR"/pam/corral* /etc/pam.d/

# alice and bob are in corral's primary group; carol is not.
# (Tests share one container: an earlier test may have made some of these accounts.)
for u in alice bob carol; do
    id "$u" >/dev/null 2>&1 || useradd --create-home "$u"
    echo "$u:pw-of-$u-Zq9" | chpasswd
done
usermod -G corral alice
usermod -G corral bob
usermod -G "" carol

login() { # login USER PASSWORD COOKIEJAR → HTTP status; the jar gets the session cookie
    curl -sS -o "$T/login.out" -D "$T/login.headers" -c "$3" -w '%{http_code}' -H 'Content-Type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$2\"}" "$BASE/__login__"
}
probe_user() { curl -fsS -b "$2" "$BASE/content/$1/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user"])'; }
units_of() { systemctl list-units --plain --no-legend "corral-run_*-${1:0:8}-*" | awk '{print $1}'; }

corral_start "$config"
db=$T/data/db/corral.db

# --- login: right password → 200 and a session cookie with its flags; wrong → 401, no cookie.
code=$(login alice wrong-password "$T/bad.jar")
assert_eq "$code" "401" "wrong password"
! grep -qi '^set-cookie' "$T/login.headers" || fail "a failed login set a cookie"
code=$(login alice pw-of-alice-Zq9 "$T/alice.jar")
assert_eq "$code" "200" "right password"
cookie=$(grep -i '^set-cookie' "$T/login.headers")
for flag in "corral_session=" "HttpOnly" "SameSite=Lax" "Path=/" "Max-Age="; do
    assert_contains "$cookie" "$flag" "session cookie"
done
token=$(sed -n 's/.*corral_session=\([0-9a-f]*\);.*/\1/p' <<<"$cookie")
[[ ${#token} == 64 ]] || fail "session id is not 256 bits: '$token'"
! grep -qa "$token" "$db" "$db-wal" 2>/dev/null || fail "the session id is stored in clear"
# a form login works too
code=$(curl -sS -o /dev/null -w '%{http_code}' --data-urlencode username=bob --data-urlencode 'password=pw-of-bob-Zq9' \
    -c "$T/bob.jar" "$BASE/__login__")
assert_eq "$code" "200" "form login"
login carol pw-of-carol-Zq9 "$T/carol.jar" >/dev/null
assert_eq "$(curl -sS -b "$T/alice.jar" "$BASE/__api__/users/current" | python3 -c 'import json,sys; print(json.load(sys.stdin)["username"])')" \
    "alice" "users/current with the cookie"

# --- API keys: shown once, stored hashed, authenticate.
out=$("$CTL" key create laptop alice 2>&1) && fail "a key for a viewer was made"
assert_contains "$out" "publishers" "keys need the publisher role"
"$CTL" user set-role alice publisher >/dev/null
key=$("$CTL" key create laptop alice)
[[ ${#key} == 64 ]] || fail "unexpected key '$key'"
! grep -qa "$key" "$db" "$db-wal" 2>/dev/null || fail "the API key is stored in clear"
n=$(sqlite3 "$db" "SELECT count(*) FROM api_keys WHERE key_hash != '' AND key_hash != '$key'")
assert_eq "$n" "1" "hashed key row"
who=$(curl -fsS -H "Authorization: Key $key" "$BASE/__api__/users/current" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user_role"])')
assert_eq "$who" "publisher" "key authenticates alice"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Key ${key%?}x" "$BASE/__api__/applications")
assert_eq "$code" "401" "a wrong key"
# a publisher's new content is private to them
mine=$(CORRAL_API_KEY=$key "$CTL" --server "$BASE" deploy "$CORRAL_SOURCE_DIR/tests/fixtures/probe" --title "Alice's" | tail -n 1)
code=$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/content/$mine/")
assert_eq "$code" "401" "anonymous on a publisher's private content"
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$T/bob.jar" "$BASE/content/$mine/")
assert_eq "$code" "403" "another user on private content"
assert_eq "$(probe_user "$mine" "$T/alice.jar")" "corral" "the owner sees it (as RunAs)"
CORRAL_API_KEY=$key "$CTL" --server "$BASE" content acl "$mine" bob viewer
assert_eq "$(probe_user "$mine" "$T/bob.jar")" "corral" "a viewer on the ACL sees it"
out=$(curl -sS -b "$T/bob.jar" -X PATCH -d '{"title":"x"}' "$BASE/__api__/applications/$mine")
assert_contains "$out" "owner, a collaborator or an administrator" "a viewer may not change it"

# --- current-user execution: each visitor runs as themselves; anonymous as RunAs; outsiders 403.
cu=$("$CTL" deploy "$CORRAL_SOURCE_DIR/tests/fixtures/probe" --title "Current user" | tail -n 1)
out=$(CORRAL_API_KEY=$key "$CTL" --server "$BASE" content set "$cu" RunAsCurrentUser=true 2>&1) &&
    fail "a publisher enabled RunAsCurrentUser"
"$CTL" content set "$cu" RunAsCurrentUser=true IdleTimeout=60s >/dev/null
assert_eq "$(probe_user "$cu" "$T/alice.jar")" "alice" "alice's process"
assert_eq "$(probe_user "$cu" "$T/bob.jar")" "bob" "bob's process"
assert_eq "$(probe_user "$cu" /dev/null)" "corral" "anonymous visitor"
users=$(for u in $(units_of "$cu"); do systemctl show -P User "$u"; done | sort | tr '\n' ' ')
assert_eq "$users" "alice bob corral " "one unit per visitor, each with its User="
for u in alice bob; do
    unit=$(for x in $(units_of "$cu"); do if [[ $(systemctl show -P User "$x") == "$u" ]]; then echo "$x"; fi; done)
    ws=$(systemctl show -P Environment "$unit" | tr ' ' '\n' | sed -n 's/^TMPDIR=//p')
    assert_eq "$(stat -c %U "$ws")" "$u" "workspace of $u's process"
done
write=$(curl -fsS -b "$T/alice.jar" "$BASE/content/$cu/write?path=/opt/corral/mnt/app")
assert_contains "$write" '"writable": true' "a current user may write the shared app dir"
code=$(curl -sS -o "$T/carol.html" -w '%{http_code}' -b "$T/carol.jar" "$BASE/content/$cu/")
assert_eq "$code" "403" "a user outside corral's group"
assert_contains "$(cat "$T/carol.html")" "carol" "403 names the user"
cred=$(curl -fsS -b "$T/bob.jar" "$BASE/content/$cu/" | python3 -c '
import json, sys
h = json.load(sys.stdin)["headers"]
print(h.get("HTTP_RSTUDIO_CONNECT_CREDENTIALS", ""), "cookie" if "corral_session" in h.get("HTTP_COOKIE", "") else "")')
assert_contains "$cred" '"user":"bob"' "credentials header"
assert_contains "$cred" '"corral"' "credentials header groups"
[[ $cred != *cookie ]] || fail "Corral's session cookie reached the content"
spoof=$(curl -fsS -H 'RStudio-Connect-Credentials: {"user":"root"}' "$BASE/content/$cu/" | python3 -c '
import json, sys; print(json.load(sys.stdin)["headers"].get("HTTP_RSTUDIO_CONNECT_CREDENTIALS"))')
assert_contains "$spoof" '"user":""' "a client cannot forge the credentials header"

# A restarted corrald puts each visitor's running process back in that visitor's pool.
unit_of_user() { for x in $(units_of "$cu"); do if [[ $(systemctl show -P User "$x") == "$1" ]]; then echo "$x"; fi; done; }
alice_unit=$(unit_of_user alice)
kill -9 "$CORRAL_PID"
wait "$CORRAL_PID" 2>/dev/null || true
CORRAL_PID=
corral_start "$config"
assert_eq "$(probe_user "$cu" "$T/alice.jar")" "alice" "alice after corrald's restart"
assert_eq "$(probe_user "$cu" /dev/null)" "corral" "anonymous after corrald's restart"
assert_eq "$(unit_of_user alice)" "$alice_unit" "alice's adopted unit serves her"
"$CTL" content set "$cu" IdleTimeout=1s >/dev/null

# --- logout ends the session.
curl -fsS -b "$T/bob.jar" -c "$T/bob.jar" "$BASE/__logout__" >/dev/null
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "$T/bob.jar" "$BASE/__api__/users/current")
assert_eq "$code" "401" "after logout"

# --- PAM.UseSession with Corral's default service keeps the process in its unit.
corral_stop
sed -i 's/^Applications:$/PAM:\n  UseSession: true\nApplications:/' "$config"
corral_start "$config"
# processes from before the change (adopted by the new corrald) go idle first
wait_for "[[ -z \$(units_of $cu) ]]" 20 || fail "earlier processes not reaped"
curl -fsS -o /dev/null "$BASE/content/$cu/"
unit=$(units_of "$cu" | head -n 1)
assert_eq "$(systemctl show -P PAMName "$unit")" "corral-session" "PAMName"
main=$(systemctl show -P MainPID "$unit")
assert_contains "$(cat "/proc/$main/cgroup")" "$unit" "the process stays in its unit's cgroup"
wait_for "journalctl -u '$unit' --no-pager | grep -c 'starting WSGI app'" 10 || fail "output not under journalctl -u"

# --- with su (pam_systemd moves it to a session scope) the app works and reaping leaves nothing.
corral_stop
sed -i 's/^  UseSession: true$/  UseSession: true\n  SessionService: su/' "$config"
corral_start "$config"
# processes from before the change (adopted by the new corrald) go idle first
wait_for "[[ -z \$(units_of $cu) ]]" 20 || fail "earlier processes not reaped"
assert_eq "$(probe_user "$cu" /dev/null)" "corral" "content under su"
unit=$(units_of "$cu" | head -n 1)
main=$(systemctl show -P MainPID "$unit")
[[ $main != 0 ]] || fail "no main pid under su"
wait_for "[[ -z \$(units_of $cu) ]]" 15 || fail "not reaped under su"
wait_for "! kill -0 $main" 10 || fail "process $main of the reaped unit still runs under su"

# --- a session service that denies: recorded with 70 and the PAM reason, named on the page.
printf 'account required pam_permit.so\nsession required pam_deny.so\n' >/etc/pam.d/corral-deny
corral_stop
sed -i 's/SessionService: su/SessionService: corral-deny/' "$config"
corral_start "$config"
# processes from before the change (adopted by the new corrald) go idle first
wait_for "[[ -z \$(units_of $cu) ]]" 20 || fail "earlier processes not reaped"
code=$(curl -sS -o "$T/deny.html" -w '%{http_code}' "$BASE/content/$cu/")
assert_eq "$code" "502" "PAM session denied"
assert_contains "$(cat "$T/deny.html")" "PAM" "the page names PAM"
assert_contains "$(cat "$T/deny.html")" "corral-deny" "the page names the service"
rec=$("$CTL" ps "$cu" --json | python3 -c '
import json, sys
p = json.load(sys.stdin)[-1]
print(p["exit_code"], p["cause"])')
assert_eq "$rec" "70 pam" "record of a denied PAM session"
wait_for "[[ -n \$(sqlite3 '$db' \"SELECT detail FROM processes WHERE cause = 'pam' AND detail IS NOT NULL\") ]]" 5 ||
    fail "no PAM reason recorded; page: $(cat "$T/deny.html")"
detail=$(sqlite3 "$db" "SELECT detail FROM processes WHERE cause = 'pam' LIMIT 1")
assert_contains "$detail" "PAM" "PAM reason recorded"
assert_contains "$(cat "$T/deny.html")" "$detail" "the page names the PAM reason"

# --- ForwardPassword: the password reaches PAM, never disk, journal or environ; it expires.
cat >/usr/local/bin/corral-test-digest <<'EOF'
#!/bin/sh
# pam_exec expose_authtok: the password arrives on stdin
sha256sum | cut -d' ' -f1 >"/var/tmp/digest-$PAM_USER"
EOF
chmod 0755 /usr/local/bin/corral-test-digest
cat >/etc/pam.d/corral-auth-test <<'EOF'
auth required pam_exec.so expose_authtok quiet /usr/local/bin/corral-test-digest
auth required pam_unix.so
account required pam_unix.so
session required pam_unix.so
EOF
corral_stop
sed -i 's/^  SessionService: corral-deny$/  SessionService: corral-session\n  ForwardPassword: true\n  PasswordLifetime: 4s\n  AuthenticatedSessionService: corral-auth-test/' "$config"
corral_start "$config"
login alice pw-of-alice-Zq9 "$T/alice.jar" >/dev/null
assert_eq "$(probe_user "$cu" "$T/alice.jar")" "alice" "alice's process with a forwarded password"
assert_eq "$(cat /var/tmp/digest-alice)" "$(printf '%s' pw-of-alice-Zq9 | sha256sum | cut -d' ' -f1)" \
    "the forwarded password reached PAM"
! grep -qa "pw-of-alice" "$db" "$db-wal" 2>/dev/null || fail "the password is in the database"
! journalctl --no-pager -o export | grep -qa "pw-of-alice" || fail "the password is in the journal"
! grep -qa "pw-of-alice" "/proc/$CORRAL_PID/environ" || fail "the password is in corrald's environment"
sleep 5  # PasswordLifetime 4s passes; the process is reaped (IdleTimeout 1s)
code=$(curl -sS -o "$T/expired.html" -w '%{http_code}' -b "$T/alice.jar" "$BASE/content/$cu/")
assert_eq "$code" "401" "current-user start after the password expired"
assert_contains "$(cat "$T/expired.html")" "log in again" "expired page asks for a login"
echo "auth: all checks passed"
