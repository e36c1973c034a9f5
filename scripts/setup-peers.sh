#!/usr/bin/env bash
# Installs the reference Apache Kafka and the interop peer programs (test/reference, test/peers) on a fresh
# machine, and does next to nothing when they are already there. Everything the project builds goes under
# .cache/ (git-ignored); downloads are cached by the ordinary tools (~/.m2, Go's module and build caches, apt).
#   bash scripts/setup-peers.sh
# Environment: SETUP_M2_REPO=<dir> uses another Maven local repository (e.g. to measure a cold install).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

kafka_version=4.4.0 # keep in step with test/reference/layout.ts and test/reference/pom.xml
cache=$root/.cache
libs=$cache/kafka-$kafka_version/libs
# chromium (+ a font): the web console test drives it headless through playwright-core (no browser download).
apt_packages=(kcat python3-confluent-kafka python3-venv chromium fonts-liberation)

total_started=$(date +%s%N)
step_started=0
step() {
  step_started=$(date +%s%N)
  printf '== setup-peers: %s ... ' "$1"
}
done_step() {
  printf '%s (%d ms)\n' "$1" "$(( ($(date +%s%N) - step_started) / 1000000 ))"
}
die() {
  echo
  echo "setup-peers: $*" >&2
  exit 1
}

# A stamp file holds a hash of a step's inputs; the step is skipped while the hash is unchanged.
inputs_hash() { cat "$@" | sha256sum | cut -c1-64; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

mkdir -p "$cache/bin"

step "Debian packages (${apt_packages[*]}, and a JDK/Maven if missing)"
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "need root to install: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  done_step "installed ${missing[*]}"
else
  done_step "present"
fi

step "tool versions"
# Go lives in /usr/local/go on these machines; a non-login shell may not have it on PATH.
command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || die "Go is not on PATH (franz-go peer needs Go >= 1.26)"
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${java_major:-0}" -ge 17 ] || die "Kafka $kafka_version needs Java 17 or newer, found ${java_major:-none}"
done_step "java $java_major, $(go env GOVERSION), $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*/kcat \1/p')"

step "reference Kafka $kafka_version jars (Maven Central -> ${libs#"$root"/})"
want=$(inputs_hash test/reference/pom.xml)
if stamp_ok "$libs/.stamp" "$want" && [ -f "$libs/kafka_2.13-$kafka_version.jar" ]; then
  done_step "cached"
else
  rm -rf "$libs"
  mvn_args=(-B -q -Dstyle.color=never -f test/reference/pom.xml dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$libs")
  [ -n "${SETUP_M2_REPO:-}" ] && mvn_args+=("-Dmaven.repo.local=$SETUP_M2_REPO")
  mkdir -p "$cache/logs"
  mvn "${mvn_args[@]}" >"$cache/logs/maven.log" 2>&1 || { cat "$cache/logs/maven.log" >&2; die "Maven could not resolve Kafka $kafka_version"; }
  echo "$want" >"$libs/.stamp"
  done_step "$(find "$libs" -name '*.jar' | wc -l) jars"
fi

step "Java peer (kafka-clients $kafka_version)"
classes=$cache/peers/java
want=$(inputs_hash test/peers/java/Peer.java "$libs/.stamp")
if stamp_ok "$classes/.stamp" "$want"; then
  done_step "cached"
else
  rm -rf "$classes"
  mkdir -p "$classes"
  javac -Xlint:all -Werror -d "$classes" -cp "$libs/*" test/peers/java/Peer.java
  echo "$want" >"$classes/.stamp"
  done_step "compiled"
fi

step "franz-go peer (Go module test/peers/go -> .cache/bin/franz-peer)"
want=$(inputs_hash test/peers/go/go.mod test/peers/go/go.sum test/peers/go/main.go <(go env GOVERSION))
if stamp_ok "$cache/bin/franz-peer.stamp" "$want" && [ -x "$cache/bin/franz-peer" ]; then
  done_step "cached"
else
  # Never fetch a Go toolchain; modules come from the module proxy, pinned by go.sum.
  (cd test/peers/go && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -o "$cache/bin/franz-peer" .)
  echo "$want" >"$cache/bin/franz-peer.stamp"
  done_step "built"
fi

step "confluent-kafka from PyPI (venv .cache/venv)"
venv=$cache/venv
want=$(inputs_hash test/peers/python/requirements.txt <(/usr/bin/python3 --version))
if stamp_ok "$venv/.stamp" "$want" && [ -x "$venv/bin/python" ]; then
  done_step "cached"
else
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r test/peers/python/requirements.txt
  echo "$want" >"$venv/.stamp"
  done_step "$("$venv/bin/python" -c 'import confluent_kafka as c; print("confluent-kafka", c.version() if isinstance(c.version(), str) else c.version()[0])')"
fi

step "Node peers (kafkajs, @platformatic/kafka from npm ci)"
node -e "for (const p of ['kafkajs', '@platformatic/kafka']) require.resolve(p)" 2>/dev/null ||
  die "kafkajs or @platformatic/kafka missing from node_modules: run npm ci first"
done_step "present"

step "smoke check of the peer commands"
/usr/bin/python3 -c 'import confluent_kafka' || die "Debian's python3-confluent-kafka does not import"
# Each peer answers a bad command line with its one-line JSON summary (and a non-zero exit).
[[ $("$cache/bin/franz-peer" --bogus x 2>/dev/null) == *'"ok":false'* ]] || die "franz-peer does not run"
[[ $(java -cp "$classes:$libs/*" Peer --bogus x 2>/dev/null) == *'"ok":false'* ]] || die "the Java peer does not run"
done_step "ok"

printf '== setup-peers: done in %d ms\n' "$(( ($(date +%s%N) - total_started) / 1000000 ))"
