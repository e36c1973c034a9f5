#!/usr/bin/env bash
# Runs the unit and component suites on the other Node.js majors the README supports (22 and 24; CI's own `node`
# runs every suite). The official Node binaries are published on the npm registry as `node-<platform>-<arch>`
# packages (what the `node` package installs), so they come through npm like every other dependency; each is
# cached under .cache/node/<major> and checked to really be that major before the suites run on it.
#   bash scripts/test-node-versions.sh            Node 22 and 24
#   NODE_MAJORS="24" bash scripts/test-node-versions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
read -r -a majors <<<"${NODE_MAJORS:-22 24}"
cache=${NODE_VERSIONS_DIR:-$root/.cache/node}
package="node-$(node -p process.platform)-$(node -p process.arch)"

for major in "${majors[@]}"; do
  prefix=$cache/$major
  bin=$prefix/node_modules/$package/bin/node
  if [ ! -x "$bin" ] || ! "$bin" --version | grep -q "^v$major\."; then
    echo "== installing $package@$major from the npm registry"
    rm -rf "$prefix"
    mkdir -p "$prefix"
    (cd "$prefix" && npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts "$package@$major" >/dev/null)
  fi
  version=$("$bin" --version)
  case $version in
    "v$major".*) ;;
    *) echo "test-node-versions: $bin is $version, not Node $major" >&2; exit 1 ;;
  esac
  echo "== node $version: unit and component suites"
  # The suites run on this binary (run-tests.mjs spawns process.execPath) and child processes find it first on PATH.
  PATH="$(dirname "$bin"):$PATH" "$bin" scripts/run-tests.mjs unit component
done
