#!/usr/bin/env bash
# (a) keep-alive proxy throughput and latency: corrald vs nginx vs direct, one backend process.
# The backend is bench/apps/fast (Flask) deployed as python-api content, i.e. the waitress
# process corrald itself started (8 threads); nginx and wrk's direct run target that same
# process's port. Scheduler: MaxProcesses 1 so corrald also uses only that one process, and a
# long IdleTimeout so it is not reaped while the other two runs bypass corrald.
. "$(dirname "$0")/lib.sh"
DUR=${CORRAL_BENCH_DURATION:-10s}
CONNS=${CORRAL_BENCH_CONNS:-16}
bench_corrald $'Scheduler:\n  IdleTimeout: 3600s\n  MaxProcesses: 1'
guid=$(deploy "$BENCH/apps/fast" "bench fast")
curl -fsS "$BASE/content/$guid/" >/dev/null
read -r _ unit < <(active_procs "$guid")
port=$(port_of "$unit")
[[ $port =~ ^[0-9]+$ ]] || fail "no port for $unit"

# nginx, one worker, HTTP/1.1 keep-alive to the backend; a second server block closes the
# upstream connection after each request, which is what corrald does today.
ngx=$CORRAL_TEST_TMP/nginx
mkdir -p "$ngx/logs"
cat >"$ngx/nginx.conf" <<NGX
worker_processes 1;
worker_rlimit_nofile 8192;
daemon off;
pid $ngx/nginx.pid;
error_log $ngx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    upstream backend { server 127.0.0.1:$port; keepalive 32; }
    upstream backend_close { server 127.0.0.1:$port; }
    server {
        listen 127.0.0.1:8080;
        location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
    server {
        listen 127.0.0.1:8081;
        location / { proxy_pass http://backend_close; }
    }
}
NGX
nginx -p "$ngx" -c "$ngx/nginx.conf" &
ngx_pid=$!
on_exit "kill $ngx_pid 2>/dev/null; wait $ngx_pid 2>/dev/null"
wait_for "curl -fsS http://127.0.0.1:8080/" 10 || fail "nginx did not answer"

declare -A url=(
    [corrald]="$BASE/content/$guid/"
    [nginx]="http://127.0.0.1:8080/"
    [nginx-close]="http://127.0.0.1:8081/"
    [direct]="http://127.0.0.1:$port/"
)
order=(corrald nginx direct nginx-close)
say "backend: $unit on 127.0.0.1:$port (waitress, 8 threads); wrk -t1 -c$CONNS -d$DUR --latency, each target twice, interleaved"
for t in "${order[@]}"; do wrk -t1 -c"$CONNS" -d2s "${url[$t]}" >/dev/null; done   # warm-up
declare -A rps p50 p99 err
for round in 1 2; do
    for t in "${order[@]}"; do
        read -r r a b e < <(wrk -t1 -c"$CONNS" -d"$DUR" --latency "${url[$t]}" | $PY "$BENCH/tools/wrkparse.py")
        printf '  round %s %-12s %9s req/s  p50 %7s ms  p99 %7s ms  errors %s\n' "$round" "$t" "$r" "$a" "$b" "$e"
        rps[$t]="${rps[$t]:-} $r"; p50[$t]="${p50[$t]:-} $a"; p99[$t]="${p99[$t]:-} $b"
        err[$t]=$(( ${err[$t]:-0} + e ))
    done
done
mean() { echo "$*" | tr ' ' '\n' | awk 'NF {s+=$1; n++} END {printf "%.2f", s/n}'; }
say ""
say "| target | req/s | p50 ms | p99 ms | errors |"
say "|---|---|---|---|---|"
for t in "${order[@]}"; do
    say "| $t | $(mean ${rps[$t]}) | $(mean ${p50[$t]}) | $(mean ${p99[$t]}) | ${err[$t]} |"
done
c=$(mean ${rps[corrald]}); d=$(mean ${rps[direct]}); n=$(mean ${rps[nginx]}); nc=$(mean ${rps[nginx-close]})
say ""
say "ratio req/s corrald/direct = $(ratio "$c" "$d"), corrald/nginx = $(ratio "$c" "$n"), corrald/nginx-close = $(ratio "$c" "$nc"), nginx/direct = $(ratio "$n" "$d")"
say "ratio p99 corrald/direct = $(ratio "$(mean ${p99[corrald]})" "$(mean ${p99[direct]})"), corrald/nginx = $(ratio "$(mean ${p99[corrald]})" "$(mean ${p99[nginx]})")"
n_procs=$(active_procs "$guid" | wc -l)
say "processes of the content after the runs: $n_procs (expected 1); corrald alive: $(kill -0 "$CORRAL_PID" 2>/dev/null && echo yes || echo NO)"
