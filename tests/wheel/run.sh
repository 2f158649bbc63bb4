#!/usr/bin/env bash
# The Python package as a user gets it (issue 13): builds the wheel from this checkout
# (`make wheel`: maturin's dev-profile build, which reuses target/debug), installs it with the SDK
# into a FRESH virtual environment, and runs examples/test_amlite_example.py from a folder outside
# the repository, so the installed plugin (pytest11 entry point) and the wheel's own `amlite` on
# PATH are what run. Then the same file once more against a server started beforehand
# (AMLITE_URL reuse). Prints the wheel build, pip install and install-to-tests-passed times.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=../lib.sh
source "$REPO/tests/lib.sh"
ensure_venv "$REPO/.venv-wheel" "$HERE/requirements-build.txt"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

t0="$(now)"
# The other suites run $AMLITE_BIN while this one builds: it must exist throughout the wheel
# build (cargo, run by maturin, unlinks target/debug/amlite for about a second; the Makefile's
# suites binary is a copy only `make build` replaces, atomically). Watched every 5 ms.
suite_bin="${AMLITE_BIN:-$REPO/target/debug/amlite}"
make -C "$REPO" --no-print-directory wheel >/dev/null &
build_pid=$!
missing=0
while kill -0 "$build_pid" 2>/dev/null; do
  [[ -e "$suite_bin" ]] || missing=1
  sleep 0.005
done
wait "$build_pid"
if [[ "$missing" == 1 ]]; then
  echo "wheel: $suite_bin went missing during make wheel; suites running beside it could not start it" >&2
  exit 1
fi
wheel="$(ls -t "$REPO"/target/wheels/amlite-*.whl | head -1)"
t1="$(now)"

work="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
"${PYTHON:-python3}" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel" -r "$REPO/tests/sdk/requirements.txt"
t2="$(now)"

cp "$REPO/examples/test_amlite_example.py" "$work/"
cd "$work"
# Nothing from the checkout: the wheel's binary (beside the venv's python) and plugin only.
unset AMLITE_BIN AMLITE_URL AMLITE_ARGS
[[ "$(PATH="$work/venv/bin:$PATH" command -v amlite)" == "$work/venv/bin/amlite" ]] || { echo "wheel: amlite is not on the venv's PATH" >&2; exit 1; }
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider -W ignore test_amlite_example.py
t3="$(now)"

# Reuse mode: a server started by hand (under --auth strict, so the plugin needs real tokens),
# found through AMLITE_URL and its certificate.
serve_in_background "$work/venv/bin/amlite" "$work" --auth strict
url="$SERVER_URL"
AMLITE_URL="$url" REQUESTS_CA_BUNDLE="$work/data/cert.pem" \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider -W ignore test_amlite_example.py -k "fixture or throttle or vnet"

echo "wheel: build $(secs "$t0" "$t1") s, pip install into a fresh venv $(secs "$t1" "$t2") s, pip install to 4 example tests passed $(secs "$t1" "$t3") s"
