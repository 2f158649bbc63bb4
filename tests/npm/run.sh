#!/usr/bin/env bash
# Runs the second official client (tests/npm): @azure/arm-machinelearning against amlite with
# `node --test`. Installs the locked dependencies (`npm ci`, or `npm install` when there is no
# package-lock.json), starts amlite on a fresh data folder and port 0, loads the exports amlite
# writes to <data-dir>/env.sh (NODE_EXTRA_CA_CERTS must be set before node starts, which is why
# this script and not the test starts amlite), runs the tests, and stops amlite.
# Binary: $AMLITE_BIN if set, else $REPO/target/debug/amlite. Extra arguments go to `node --test`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib.sh
source "$REPO/tests/lib.sh"
require_amlite_bin
command -v node >/dev/null || { echo "run.sh: node is not installed (Node 20+ needed)" >&2; exit 1; }

cd "$HERE"
stamp="node_modules/.amlite-lock.sha256"
want="$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
  echo "$want" >"$stamp"
fi

DATA="$(mktemp -d "${TMPDIR:-/tmp}/amlite-npm.XXXXXX")"
"$AMLITE_BIN" serve --port 0 --data-dir "$DATA" --provisioning-delay 0s >"$DATA/amlite.log" 2>&1 &
PID=$!
cleanup() {
  kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

for _ in $(seq 1 400); do  # up to 20 s
  [[ -s "$DATA/env.sh" ]] && grep -q AMLITE_URL "$DATA/env.sh" && break
  kill -0 "$PID" 2>/dev/null || { echo "run.sh: amlite exited:" >&2; cat "$DATA/amlite.log" >&2; exit 1; }
  sleep 0.05
done
[[ -s "$DATA/env.sh" ]] || { echo "run.sh: amlite wrote no env.sh:" >&2; cat "$DATA/amlite.log" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
source "$DATA/env.sh"
set +a
export NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-$DATA/cert.pem}"

status=0
node --test "$@" "$HERE"/*.test.mjs || status=$?
if [[ $status -ne 0 ]]; then
  echo "run.sh: amlite log (last 40 lines):" >&2
  tail -n 40 "$DATA/amlite.log" >&2
fi
exit $status
