#!/usr/bin/env bash
# amlite benchmarks (issue 6): the single entry point.
#   bench/run.sh           full run: installs its tools, builds the release binary, measures
#                          amlite, moto and Azurite, prints the table, writes bench/RESULTS.md
#   bench/run.sh --smoke   tiny counts against the debug binary ($AMLITE_BIN or target/debug/amlite),
#                          no installs beyond the repo's .venv; fails on harness errors and when a
#                          ratio of the regression gate (bench/harness/gate.py, margins in
#                          bench/METHOD.md) passes its margin, never on an absolute time.
#                          AMLITE_BENCH_INJECT=get_over_health=4 multiplies a ratio (gate wiring test).
# Extra arguments go to bench/harness/main.py (e.g. --only startup,control).
# Tools (full mode) live in bench/.tools (git-ignored): wrk from Debian, a venv with
# bench/requirements.txt (moto[server], boto3), Azurite from npm, and (unless $AMLITE_TEST_PYTHON
# or the repo's .venv-runtime already has it) bench/.tools/runtime-venv with
# tests/sdk/runtime-requirements.txt for the python runtime row. Scratch data goes to bench/out.
# The smoke pass measures the python runtime only when such an interpreter exists, and never
# fails on it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
TOOLS="$HERE/.tools"
OUT="$HERE/out"
VENV="$REPO/.venv"
AZURITE_VERSION="3.37.0"

smoke=0
args=()
for a in "$@"; do
  if [[ "$a" == "--smoke" ]]; then smoke=1; else args+=("$a"); fi
done

# The harness runs in the repo venv (it drives azure-ai-ml for the SDK flow); tests/sdk/run.sh
# creates it and installs tests/sdk/requirements.txt.
ensure_repo_venv() {
  if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import importlib.util as u, sys; sys.exit(u.find_spec('azure.ai.ml') is None)" 2>/dev/null; then
    echo "bench: preparing $VENV" >&2
    [[ -x "$VENV/bin/python" ]] || "${PYTHON:-python3}" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REPO/tests/sdk/requirements.txt"
  fi
}

install_tools() {
  mkdir -p "$TOOLS"
  if ! command -v wrk >/dev/null; then
    echo "bench: installing wrk (Debian)" >&2
    if [[ $(id -u) -eq 0 ]]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
  fi
  local want have
  want="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
  have="$(cat "$TOOLS/venv/.requirements.sha256" 2>/dev/null || true)"
  if [[ "$want" != "$have" ]]; then
    echo "bench: installing bench/requirements.txt into $TOOLS/venv" >&2
    [[ -x "$TOOLS/venv/bin/python" ]] || "${PYTHON:-python3}" -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$want" >"$TOOLS/venv/.requirements.sha256"
  fi
  # The python runtime's interpreter (SPEC 7): reuse the SDK suite's, else make our own.
  if [[ -z "${AMLITE_TEST_PYTHON:-}" ]] && ! "$REPO/.venv-runtime/bin/python" -c "import azureml_inference_server_http" 2>/dev/null \
     && ! "$TOOLS/runtime-venv/bin/python" -c "import azureml_inference_server_http" 2>/dev/null; then
    echo "bench: installing tests/sdk/runtime-requirements.txt into $TOOLS/runtime-venv" >&2
    [[ -x "$TOOLS/runtime-venv/bin/python" ]] || "${PYTHON:-python3}" -m venv "$TOOLS/runtime-venv"
    "$TOOLS/runtime-venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REPO/tests/sdk/runtime-requirements.txt"
  fi
  if [[ ! -x "$TOOLS/node_modules/.bin/azurite-blob" ]]; then
    echo "bench: installing azurite@$AZURITE_VERSION (npm) into $TOOLS" >&2
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "azurite@$AZURITE_VERSION" >/dev/null
  fi
}

ensure_repo_venv
mkdir -p "$OUT"
if [[ $smoke -eq 1 ]]; then
  BIN="${AMLITE_BIN:-$REPO/target/debug/amlite}"
  [[ "$BIN" == /* ]] || BIN="$PWD/$BIN"
  if [[ ! -x "$BIN" ]]; then
    echo "bench: amlite binary not found at $BIN (cargo build, or set AMLITE_BIN)" >&2
    exit 1
  fi
  # Bounded: the smoke pass must never hang `make test`.
  exec timeout 170 "$VENV/bin/python" "$HERE/harness/main.py" --smoke --binary "$BIN" --out "$OUT/smoke" "${args[@]}"
fi

install_tools
(cd "$REPO" && cargo build --release --quiet)
exec "$VENV/bin/python" "$HERE/harness/main.py" --binary "$REPO/target/release/amlite" --out "$OUT/full" \
  --results "$HERE/RESULTS.md" "${args[@]}"
