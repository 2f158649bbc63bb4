#!/usr/bin/env bash
# The README's other install path (issue 13): `cargo install --path . --locked` into a temporary
# root, then the installed binary starts on port 0 and answers /health. It builds with `--debug`
# so it reuses target/debug, which `make test` has already built: the same manifest, lock file,
# bin target and install step as the README's release install, without a second (8-minute on 2
# cores) release compile in CI. The release variant was measured by hand (README, Performance).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib.sh
source "$REPO/tests/lib.sh"
work="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

t0="$(date +%s.%N)"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}" \
  cargo install --quiet --path "$REPO" --locked --debug --root "$work/root"
bin="$work/root/bin/amlite"
[[ -x "$bin" ]] || { echo "cargo install: no amlite in $work/root/bin" >&2; exit 1; }

serve_in_background "$bin" "$work"
url="$SERVER_URL"
health="$(curl -sf --cacert "$work/data/cert.pem" "$url/health")"
t1="$(date +%s.%N)"
echo "cargo install: installed amlite serves /health ($health) in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s from cargo install"
