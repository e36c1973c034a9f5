#!/usr/bin/env bash
# Runs the README's first commands literally, as a new user would, on a fresh clone of this repository: the first
# command of the README's first `sh` block (`npm ci && npx seqlog verify`), then `npm start` with no data/
# directory, then a produce and a read back with kcat against the broker it started on 127.0.0.1:9092.
#   bash scripts/readme-commands.sh
# Needs git, kcat (installed by `npm run setup`) and a free 127.0.0.1:9092. The clone is of the committed HEAD.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
host=127.0.0.1
port=9092

fail() {
  echo "readme-commands: $*" >&2
  exit 1
}

command -v kcat >/dev/null || fail "kcat is not on PATH (run \`npm run setup\`)"
# npm start binds 127.0.0.1:9092: a leftover broker there would answer in its place.
if ! node -e "const s=require('net').createServer();s.once('error',()=>process.exit(1));s.listen($port,'$host',()=>s.close())"; then
  fail "$host:$port is already in use; stop whatever listens there (the README's \`npm start\` needs it)"
fi

# The first line of the README's first sh block, without its comment.
first_command=$(awk '/^```sh$/{inside=1; next} inside{print; exit}' README.md | sed 's/[[:space:]]*#.*$//')
[[ $first_command == *"npx seqlog verify"* ]] || fail "the README's first command is no longer \`... npx seqlog verify\`: '$first_command'; update this script"

work=$(mktemp -d "${TMPDIR:-/tmp}/seqlog-readme-XXXXXX")
server_pid=
cleanup() {
  # The whole process group of npm start (npm, its shell, the broker), even when npm itself has already exited.
  if [ -n "$server_pid" ]; then
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pgrep -g "$server_pid" >/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== readme-commands: fresh clone of $(git rev-parse --short HEAD)"
git clone --quiet --no-hardlinks "$root" "$work/seqlog"
cd "$work/seqlog"
[ ! -e data ] || fail "the fresh clone has a data/ directory"

echo "== readme-commands: $first_command"
started=$(date +%s)
timeout 900 bash -c "$first_command" || fail "\`$first_command\` failed (exit $?)"
echo "== readme-commands: took $(( $(date +%s) - started )) s"

echo "== readme-commands: npm start (no data/ yet)"
# In a process group of its own (job control puts a background job in one, its id the job's pid), so that
# cleanup can stop everything npm start runs.
set -m
npm start >"$work/server.log" 2>&1 &
server_pid=$!
set +m
for _ in $(seq 1 300); do
  grep -q 'seqlog broker ready' "$work/server.log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; fail "npm start exited before the broker was ready"; }
  sleep 0.2
done
grep -q 'seqlog broker ready' "$work/server.log" || { cat "$work/server.log" >&2; fail "npm start: no 'seqlog broker ready' within 60 s"; }
[ -d data ] || fail "npm start did not create data/"

echo "== readme-commands: produce and read back with kcat"
topic=readme-check
message="hello from the README $(date +%s%N)"
printf '%s\n' "$message" | timeout 60 kcat -P -b "$host:$port" -t "$topic" || fail "kcat could not produce to $host:$port"
received=$(timeout 60 kcat -C -b "$host:$port" -t "$topic" -o beginning -c 1 -e -q) || fail "kcat could not consume from $host:$port"
[ "$received" = "$message" ] || fail "read back '$received', expected '$message'"

# SIGTERM to the broker alone, as a process manager would send it (npm and its shell are not the broker).
broker_pid=$(pgrep -g "$server_pid" -f '^[^ ]*node [^ ]*dist/cli/main\.js serve' | head -1) || fail "no broker process under npm start"
kill -TERM "$broker_pid"
for _ in $(seq 1 100); do
  kill -0 "$broker_pid" 2>/dev/null || break
  sleep 0.2
done
grep -q 'stopped cleanly' "$work/server.log" || { cat "$work/server.log" >&2; fail "the broker did not stop cleanly on SIGTERM"; }
wait "$server_pid" 2>/dev/null || true
echo "== readme-commands: ok"
