#!/usr/bin/env bash
# Try the production shape on this machine, then stop everything:
#   - the three-node JetStream cluster of deploy/nats/cluster-node-{1,2,3}.conf, with the users
#     and permissions of deploy/nats/accounts.conf, on loopback with free ports and a temp store;
#   - every service as its own process (`perche service NAME`) under its own NATS user, with
#     PERCHE_REPLICAS=3, two registration instances (queue group), and the web app;
#   - loads the demo events, creates an organiser, registers over the JSON API, checks /healthz
#     and that every stream and KV bucket has three replicas;
#   - stops one NATS node, and checks that /healthz is still 200 and a registration still works.
#
# Usage: deploy/try-cluster.sh   (uses .venv/bin, or the directory in PERCHE_BIN, for perche,
# python and nats-server). Keeps the temp dir (logs) when a step fails: KEEP=1 keeps it always.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${PERCHE_BIN:-$ROOT/.venv/bin}"
for tool in perche python nats-server; do
    [[ -x "$BIN/$tool" ]] || { echo "error: $BIN/$tool not found: run \`make install\` or set PERCHE_BIN" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "error: curl is needed" >&2; exit 2; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/perche-cluster.XXXXXX")"
PIDS=()
OK=0

stop_all() {
    # Services first (newest first), then the NATS nodes; only the processes started here.
    local pid
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        pid="${PIDS[i]}"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

cleanup() {
    stop_all
    if [[ $OK == 1 && -z "${KEEP:-}" ]]; then
        rm -rf "$TMP"
    else
        echo "logs and stores kept in $TMP"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; tail -n 20 "$TMP"/logs/*.log >&2 || true; exit 1; }

free_port() { "$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds="$1" what="$2"; shift 2
    for _ in $(seq $((seconds * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    fail "$what"
}

json() {  # json EXPRESSION: evaluate a Python expression on the JSON read from stdin (as `d`)
    "$BIN/python" -c "import json, sys; d = json.load(sys.stdin); print($1)"
}

mkdir -p "$TMP/logs"
echo "temp dir: $TMP"

# --- passwords: random, exported for nats-server (accounts.conf reads them from its environment)
USERS=(catalog registration teams schedule judging publishing qa notify web admin sys)
for user in "${USERS[@]}"; do
    export "PERCHE_NATS_${user^^}_PASSWORD=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(16))')"
done
password_of() { local var="PERCHE_NATS_${1^^}_PASSWORD"; echo "${!var}"; }

# --- the three nodes: the real config files, with loopback addresses, free ports and a temp store
CLIENT=() ROUTE=() MONITOR=()
for n in 1 2 3; do CLIENT[n]=$(free_port); ROUTE[n]=$(free_port); MONITOR[n]=$(free_port); done
for n in 1 2 3; do
    dir="$TMP/nats-$n"
    mkdir -p "$dir/store"
    cp "$ROOT/deploy/nats/accounts.conf" "$dir/"
    sed -e "s|listen: 0.0.0.0:4222|listen: 127.0.0.1:${CLIENT[n]}|" \
        -e "s|listen: 0.0.0.0:6222|listen: 127.0.0.1:${ROUTE[n]}|" \
        -e "s|http: 127.0.0.1:8222|http: 127.0.0.1:${MONITOR[n]}|" \
        -e "s|store_dir: /var/lib/perche/nats|store_dir: \"$dir/store\"|" \
        -e "s|nats-route://nats-1:6222|nats-route://127.0.0.1:${ROUTE[1]}|" \
        -e "s|nats-route://nats-2:6222|nats-route://127.0.0.1:${ROUTE[2]}|" \
        -e "s|nats-route://nats-3:6222|nats-route://127.0.0.1:${ROUTE[3]}|" \
        "$ROOT/deploy/nats/cluster-node-$n.conf" >"$dir/nats.conf"
    grep -q "nats-route://nats-\|0.0.0.0\|/var/lib" "$dir/nats.conf" && fail "node $n: a line of cluster-node-$n.conf was not rewritten"
    "$BIN/nats-server" -c "$dir/nats.conf" -t >/dev/null 2>&1 || fail "node $n: config test"
done

step "starting the NATS cluster (client ports ${CLIENT[1]}, ${CLIENT[2]}, ${CLIENT[3]})"
NODE_PID=()
for n in 1 2 3; do
    "$BIN/nats-server" -c "$TMP/nats-$n/nats.conf" >"$TMP/logs/nats-$n.log" 2>&1 &
    NODE_PID[n]=$!
    PIDS+=("$!")
done
for n in 1 2 3; do
    # /healthz answers 200 once the node's JetStream is up and a meta leader is elected.
    wait_for 30 "nats-$n healthy" curl -fsS "http://127.0.0.1:${MONITOR[n]}/healthz"
    echo "nats-$n: $(curl -fsS "http://127.0.0.1:${MONITOR[n]}/healthz")"
done
routes=$(curl -fsS "http://127.0.0.1:${MONITOR[1]}/routez" | json 'sorted({r.get("remote_name", r["remote_id"]) for r in d["routes"]})')
echo "nats-1 routes to: $routes"

url_for() {  # the three nodes, with this user's credentials
    local user="$1" pw; pw="$(password_of "$1")"
    echo "nats://$user:$pw@127.0.0.1:${CLIENT[1]},nats://$user:$pw@127.0.0.1:${CLIENT[2]},nats://$user:$pw@127.0.0.1:${CLIENT[3]}"
}

step "starting every service as its own process, each as its own NATS user, PERCHE_REPLICAS=3"
export PERCHE_REPLICAS=3 PERCHE_DATA_DIR="$TMP/data" PERCHE_RATE_LIMIT=0
# Without PERCHE_SMTP_HOST, notify writes mails to the Maildir PERCHE_DATA_DIR/maildir.
mkdir -p "$PERCHE_DATA_DIR"
WEB_PORT=$(free_port)
start_service() {  # start_service NAME LOG [ARGS...]
    # A service that exits during start-up is started again, up to three times, as systemd's
    # Restart=on-failure does in production; each restart is reported.
    local name="$1" log="$2" pid attempt; shift 2
    : >"$TMP/logs/$log.log"
    for attempt in 1 2 3; do
        PERCHE_NATS_URL="$(url_for "$name")" "$BIN/perche" service "$name" "$@" >>"$TMP/logs/$log.log" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        for _ in $(seq 300); do
            if grep -q "running on" "$TMP/logs/$log.log"; then echo "$log: pid $pid"; return 0; fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && fail "service $log did not start within 30 s"
        echo "$log: exited during start-up (attempt $attempt): $(grep -E '^[a-zA-Z.]+(Error|Exception)' "$TMP/logs/$log.log" | tail -n 1)"
        sleep 1
    done
    fail "service $log could not start (see $TMP/logs/$log.log)"
}
# catalog first: registration and schedule follow its stream (they may not create it).
start_service catalog catalog
for name in registration teams schedule judging publishing qa notify; do start_service "$name" "$name"; done
start_service registration registration-2
start_service web web --port "$WEB_PORT"
WEB="http://127.0.0.1:$WEB_PORT"

step "GET $WEB/healthz"
wait_for 20 "web /healthz 200" curl -fsS "$WEB/healthz"
curl -sS "$WEB/healthz"; echo

step "two registration instances answer \$SRV.PING (one queue group)"
ADMIN_URL="$(url_for admin)"
"$BIN/python" - "$ADMIN_URL" <<'PY'
import asyncio, json, sys
import nats

async def main() -> None:
    nc = await nats.connect(servers=sys.argv[1].split(","))
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    await nc.publish("$SRV.PING.registration", b"", reply=inbox)
    ids = set()
    try:
        while True:
            msg = await sub.next_msg(timeout=1.0)
            ids.add(json.loads(msg.data)["id"])
    except nats.errors.TimeoutError:
        pass
    print(f"registration instances answering: {len(ids)}")
    await nc.close()

asyncio.run(main())
PY

step "perche load events/*.toml (as the admin user)"
"$BIN/perche" load "$ROOT"/events/*.toml --nats-url "$ADMIN_URL" || fail "perche load"

step "perche organiser create"
ORGANISER_PASSWORD="$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(12))')"
"$BIN/perche" organiser create ops@perche.test --password "$ORGANISER_PASSWORD" --nats-url "$ADMIN_URL" || fail "organiser create"

EVENT=table-ronde-numerique-education-2027
step "GET /e/$EVENT/calendar.ics (web asks the schedule service)"
wait_for 20 "the event's calendar feed" curl -fsS -o "$TMP/calendar.ics" "$WEB/e/$EVENT/calendar.ics"
echo "$(head -n 1 "$TMP/calendar.ics" | tr -d '\r'), $(grep -c '^BEGIN:VEVENT' "$TMP/calendar.ics") VEVENTs"

register() {  # register KEY NAME: POST a registration, print "status id"
    curl -fsS -X POST "$WEB/api/v1/events/$EVENT/registrations" \
        -H 'Content-Type: application/json' -H "Idempotency-Key: $1" \
        -d "{\"name\": \"$2\", \"email\": \"$1@example.org\", \"consent\": true}" | json 'd["status"], d["id"]'
}

step "POST /api/v1/events/$EVENT/registrations"
register try-cluster-first "Camille Essai" || fail "registration"
echo -n "same Idempotency-Key again: "; register try-cluster-first "Camille Essai" || fail "repeated registration"

step "replicas of every stream and KV bucket (nats-1 /jsz)"
curl -fsS -o "$TMP/jsz.json" "http://127.0.0.1:${MONITOR[1]}/jsz?accounts=true&streams=true&config=true"
"$BIN/python" - "$TMP/jsz.json" <<'PY'
import json, sys

for account in json.load(open(sys.argv[1])).get("account_details", []):
    for s in account.get("stream_detail", []):
        cluster = s.get("cluster", {})
        others = cluster.get("replicas", [])  # the replicas other than the one on nats-1
        peers = sorted({"nats-1", *(r["name"] for r in others)})
        print(
            f"{s['name']}: {s['config']['num_replicas']} replicas on {', '.join(peers)},"
            f" leader {cluster.get('leader')}, {s['state']['messages']} messages"
        )
PY

step "stopping nats-1 (SIGTERM): the cluster keeps a majority"
kill -TERM "${NODE_PID[1]}"
wait "${NODE_PID[1]}" 2>/dev/null || true
wait_for 30 "web /healthz 200 with two nodes" curl -fsS "$WEB/healthz"
echo "healthz: $(curl -sS "$WEB/healthz")"
register try-cluster-second "Dominique Essai" || fail "registration with two nodes"
TOKEN=$(curl -fsS -X POST "$WEB/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"email\": \"ops@perche.test\", \"password\": \"$ORGANISER_PASSWORD\"}" | json 'd["token"]')
listed() { curl -fsS "$WEB/api/v1/events/$EVENT/registrations" -H "Authorization: Bearer $TOKEN" | json 'len(d)'; }
echo "registrations listed by the organiser API, asked at once: $(listed)"
# Queries go to either registration instance; one that followed its stream through the lost
# node may answer a few seconds behind. Wait until ten answers in a row list both.
start=$SECONDS in_a_row=0
while ((in_a_row < 10)); do
    if [[ "$(listed)" == 2 ]]; then in_a_row=$((in_a_row + 1)); else in_a_row=0; fi
    ((SECONDS - start < 30)) || fail "the registrations were not listed by every instance within 30 s"
    sleep 0.2
done
echo "both listed by ten answers in a row, $((SECONDS - start)) s later"

step "teams, jury standings and results (teams, judging and publishing follow other streams)"
api() { curl -fsS "$WEB/api/v1/events/$EVENT/$1" -H "Authorization: Bearer $TOKEN"; }
echo "teams: $(api teams | json 'len(d["teams"])'), participants without a team: $(api teams | json 'len(d["unplaced"])')"
echo "standings: $(api standings | json '(d["closed"], len(d["standings"]))')"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$WEB/api/v1/events/$EVENT/results")
[[ "$status" == 404 ]] || fail "results before any publication answered $status, not 404"
echo "results: 404 until published"

step "confirmation mails (notify, from its durable consumer on the registration stream)"
mails() { find "$PERCHE_DATA_DIR/maildir/new" "$PERCHE_DATA_DIR/maildir/cur" -type f 2>/dev/null | wc -l; }
two_mails() { (($(mails) >= 2)); }
wait_for 30 "two confirmation mails in $PERCHE_DATA_DIR/maildir" two_mails
echo "$(mails) mails in the Maildir"

step "permission violations in the NATS logs"
violations=$(grep -hiE "permissions violation|publish violation|subscription violation" "$TMP"/logs/*.log | sort | uniq -c || true)
if [[ -n "$violations" ]]; then echo "$violations"; fail "a service was refused something by accounts.conf"; fi
echo "none"

step "stopping everything"
stop_all
OK=1
echo "try-cluster: OK"
