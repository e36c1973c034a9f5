#!/usr/bin/env bash
# Interop peer on librdkafka through Debian's kcat. Contract shared by every peer (see ../README.md):
#   --bootstrap H:P --topic T --count N [--mode all|produce|consume] [--idempotence true|false]
#   [--replication-factor R] [--timeout-ms MS]
# Prints exactly one JSON summary line on stdout; exits 1 on any error or a wrong count.
#
# What kcat can and cannot do, and how this script works around it:
# - No admin API: the topic is created by the producer's Metadata request (librdkafka producers allow auto
#   topic creation), so it gets the broker's default partition count and replication factor.
# - Transactions: with -X transactional.id, kcat wraps everything read from stdin in one transaction and commits
#   it at end of input. It has no way to abort. The aborted transaction here is a crashed producer: a kcat
#   that has written records inside a transaction is killed, and the next kcat with the same transactional.id
#   fences it (InitProducerId bumps the epoch and the coordinator aborts the open transaction).
# - kcat reads stdin in blocks of about 32 KiB, so the doomed transaction is padded with more aborted records
#   until its records are seen by a read_uncommitted reader.
set -uo pipefail

peer=kcat
started_ms=$(date +%s%3N)
bootstrap='' topic='' count='' mode=all idempotence=true timeout_ms=60000
work=$(mktemp -d)
kcat_pid=''
trap '[ -n "$kcat_pid" ] && kill -KILL "$kcat_pid" 2>/dev/null; rm -rf "$work"' EXIT

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/ }
  s=${s//$'\r'/ }
  s=${s//$'\t'/ }
  printf '"%s"' "$s"
}

client_version() {
  # "Version 1.7.1 (JSON, ..., librdkafka 2.0.2 builtin.features=...)" -> "kcat 1.7.1 librdkafka 2.0.2"
  kcat -V 2>/dev/null | sed -n 's/^Version \([^ ]*\) .*librdkafka \([^ ]*\) .*/kcat \1 librdkafka \2/p' | head -n1
}

fields=()
field() { fields+=("$(json_string "$1"):$2"); }

emit() {
  local ok=$1 error=${2:-}
  field ok "$ok"
  [ -n "$error" ] && field error "$(json_string "$error")"
  field client "$(json_string "$(client_version)")"
  field elapsedMs "$(( $(date +%s%3N) - started_ms ))"
  local IFS=,
  printf '{%s}\n' "${fields[*]}"
}

fail() {
  emit false "$1"
  exit 1
}

remaining_s() {
  local left=$(( (started_ms + timeout_ms - $(date +%s%3N)) / 1000 ))
  [ "$left" -lt 1 ] && left=1
  echo "$left"
}

# Runs kcat with the time left; on failure, reports kcat's last line of stderr.
run_kcat() {
  local what=$1
  shift
  if ! timeout -s KILL "$(remaining_s)" kcat "$@" 2>"$work/stderr"; then
    fail "$what: $(grep -v '^%[0-9]|' "$work/stderr" | tail -n1)"
  fi
}

values() { # kind count
  local i
  for (( i = 0; i < $2; i++ )); do echo "$peer-$1-$i"; done
}

common=()
produce_plain() { # kind idempotence
  values "$1" "$count" | run_kcat "produce" -P -b "$bootstrap" -t "$topic" "${common[@]}" \
    -X "enable.idempotence=$2" -X acks=all -X message.timeout.ms=30000
  # kcat exits 0 even when it gave up: it stops when its only broker connection drops ("terminating") and only
  # reports failed deliveries on stderr. Either means records may be missing.
  if grep -qE 'Delivery failed|terminating' "$work/stderr"; then
    fail "produce: $(grep -E 'Delivery failed|terminating' "$work/stderr" | tail -n1)"
  fi
}

read_topic() { # isolation file
  run_kcat "consume" -C -b "$bootstrap" -t "$topic" -o beginning -e -q -X "isolation.level=$1" -f '%s\n' >"$2"
}

abort_by_fencing() {
  mkfifo "$work/in"
  kcat -P -b "$bootstrap" -t "$topic" -X "transactional.id=$peer-$topic" -X acks=all \
    <"$work/in" >/dev/null 2>"$work/doomed.stderr" &
  kcat_pid=$!
  exec 3>"$work/in"
  values abort "$count" >&3
  local i
  for (( i = 0; i < 3000; i++ )); do echo "$peer-abort-pad-$i"; done >&3
  local seen=0
  while [ "$seen" -lt "$count" ]; do
    if ! kill -0 "$kcat_pid" 2>/dev/null; then fail "transactional kcat exited early: $(tail -n1 "$work/doomed.stderr")"; fi
    [ "$(remaining_s)" -le 1 ] && fail "aborted records never reached the log"
    sleep 0.1
    read_topic read_uncommitted "$work/uncommitted"
    seen=$(grep -c -- "^$peer-abort-[0-9]" "$work/uncommitted")
  done
  # The producer dies with its transaction open; stdin is closed only afterwards so it cannot commit.
  kill -KILL "$kcat_pid"
  wait "$kcat_pid" 2>/dev/null
  kcat_pid=''
  exec 3>&-
}

commit_transaction() {
  values commit "$count" | run_kcat "transaction" -P -b "$bootstrap" -t "$topic" \
    -X "transactional.id=$peer-$topic" -X acks=all -X message.timeout.ms=30000
}

while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { field peer '"kcat"'; fail "bad argument $1"; }
  case $1 in
    --bootstrap) bootstrap=$2 ;;
    --topic) topic=$2 ;;
    --count) count=$2 ;;
    --mode) mode=$2 ;;
    --idempotence) idempotence=$2 ;;
    --replication-factor) ;; # kcat cannot create topics; the broker's default applies
    --timeout-ms) timeout_ms=$2 ;;
    *) field peer '"kcat"'; fail "unknown argument $1" ;;
  esac
  shift 2
done

field peer '"kcat"'
field mode "$(json_string "$mode")"
field topic "$(json_string "$topic")"
command -v kcat >/dev/null || fail "kcat is not installed (scripts/setup-peers.sh installs it)"
[ -n "$bootstrap" ] && [ -n "$topic" ] && [[ $count =~ ^[0-9]+$ ]] || fail "--bootstrap, --topic and --count are required"
case $mode in all | produce | consume) ;; *) fail "unknown --mode $mode" ;; esac

idempotent=false
{ [ "$mode" = all ] || { [ "$mode" = produce ] && [ "$idempotence" = true ]; }; } && idempotent=true
field idempotent "$idempotent"
field transactions "$([ "$mode" = all ] && echo true || echo false)"

if [ "$mode" != consume ]; then
  produce_plain "$([ "$idempotent" = true ] && echo idem || echo plain)" "$idempotent"
  field produced "$count"
fi
if [ "$mode" = all ]; then
  abort_by_fencing
  field aborted "$count"
  commit_transaction
  field committed "$count"
fi
if [ "$mode" != produce ]; then
  expected=$count
  [ "$mode" = all ] && expected=$(( 2 * count ))
  read_topic read_committed "$work/committed"
  consumed=$(wc -l <"$work/committed")
  field consumed "$consumed"
  field expected "$expected"
  aborted_read=$(grep -m1 -- '-abort-' "$work/committed")
  [ -n "$aborted_read" ] && fail "read an aborted record: $aborted_read"
  duplicate=$(sort "$work/committed" | uniq -d | head -n1)
  [ -n "$duplicate" ] && fail "duplicate record: $duplicate"
  [ "$consumed" -eq "$expected" ] || fail "expected $expected records, read $consumed"
  if [ "$mode" = all ]; then
    { values idem "$count"; values commit "$count"; } | cmp -s - "$work/committed" || fail "records out of order or unexpected"
  fi
fi
emit true
