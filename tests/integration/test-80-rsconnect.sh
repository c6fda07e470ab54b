#!/usr/bin/env bash
# timeout: 300
# The seed product's own publishing client, Debian's r-cran-rsconnect, deploys to Corral
# unchanged (spec §13): server_settings, users/current with an API key, the applications list
# with filters, create, upload, deploy, task polling, config; a second deploy updates the same
# content.
. "$(dirname "$0")/lib.sh"

Rscript -e 'library(rsconnect)' >/dev/null 2>&1 || skip "r-cran-rsconnect is not installed"
CTL=$CORRAL_BUILD_DIR/corralctl/corralctl
config=$(corral_default_config "$CORRAL_TEST_TMP")
corral_start "$config"
"$CTL" user add rsc-publisher publisher >/dev/null
KEY=$("$CTL" key create rsconnect rsc-publisher)
APPDIR=$CORRAL_TEST_TMP/app
mkdir -p "$APPDIR"
cp "$(Rscript -e 'cat(system.file("examples/01_hello/app.R", package="shiny"))')" "$APPDIR/app.R"
chmod -R a+rX "$CORRAL_TEST_TMP"
export KEY APPDIR

deploy_with_rsconnect() {
    Rscript -e '
suppressMessages(library(rsconnect))
if (!"corral" %in% servers()$name) addServer("http://127.0.0.1:3939/__api__", name = "corral")
connectApiUser(account = "rsc-publisher", server = "corral", apiKey = Sys.getenv("KEY"))
deployApp(Sys.getenv("APPDIR"), server = "corral", account = "rsc-publisher", appName = "hello",
          launch.browser = FALSE, forceUpdate = TRUE)' 2>&1
}

out=$(deploy_with_rsconnect) || fail "rsconnect::deployApp failed: $out"
assert_contains "$out" "is live at" "rsconnect streams the deploy task's log"
guid=$("$CTL" list --json | python3 -c '
import json, sys
print([c["guid"] for c in json.load(sys.stdin) if c["name"] == "hello"][0])')
code=$(curl -sS -o /dev/null -w "%{http_code}" "http://127.0.0.1:3939/content/$guid/")
assert_eq "$code" "401" "a publisher's new content is private to anonymous visitors"
assert_contains "$(curl -fsS --max-time 60 -H "Authorization: Key $KEY" "http://127.0.0.1:3939/content/$guid/")" "Hello Shiny!" \
    "the deployed app, seen by its owner"
assert_eq "$("$CTL" show "$guid" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["owner"])')" \
    "rsc-publisher" "owner of the deployed content"

# A second deploy finds the content by name and gives it a new bundle.
echo "# touched" >>"$APPDIR/app.R"
out=$(deploy_with_rsconnect) || fail "second rsconnect::deployApp failed: $out"
n=$("$CTL" list --json | python3 -c 'import json,sys; print(len([c for c in json.load(sys.stdin) if c["name"] == "hello"]))')
assert_eq "$n" "1" "content items named hello after two deploys"
assert_eq "$("$CTL" show "$guid" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["bundle_id"])')" "2" \
    "the second deploy's bundle is active"
echo "rsconnect: all checks passed"
