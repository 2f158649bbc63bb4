# Shared by the test runners (tests/sdk/run.sh, tests/contract/run.sh, tests/npm/run.sh,
# tests/cli/run.sh, tests/mgmt/run.sh): source it.
# Needs REPO set to the repository root.

# ensure_venv VENV REQUIREMENTS [uv]: creates the venv on first use and (re)installs the pinned
# requirements only when the file changed (a stamp per requirements file, so several suites can
# share one venv). With `uv` it installs with uv (the file's `uv==` line, bootstrapped with pip):
# many times faster than pip for big sets such as the python runtime's (mlflow, scikit-learn);
# uv's cache is then $UV_CACHE_DIR.
# `make test` runs suites side by side and some share a venv (.venv: sdk, contract, replay): one
# caller at a time checks and installs, under a lock file beside the venv.
ensure_venv() {
  local venv="$1" req="$2" tool="${3:-pip}"
  local stamp="$venv/.amlite-$(basename "$(dirname "$req")")-$(basename "$req" .txt).sha256"
  local lock
  mkdir -p "$(dirname "$venv")"
  exec {lock}>"$venv.lock"
  flock "$lock"
  if [[ ! -x "$venv/bin/python" ]]; then
    echo "run.sh: creating $venv" >&2
    "${PYTHON:-python3}" -m venv "$venv"
  fi
  local want
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [[ "$want" != "$(cat "$stamp" 2>/dev/null || true)" ]]; then
    echo "run.sh: installing $req ($tool)" >&2
    local started=$SECONDS
    if [[ "$tool" == uv ]]; then
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$(grep -E '^uv==' "$req")"
      "$venv/bin/uv" pip install --quiet --compile-bytecode --python "$venv/bin/python" -r "$req"
    else
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    fi
    echo "run.sh: installed $req in $((SECONDS - started))s" >&2
    echo "$want" >"$stamp"
  fi
  exec {lock}>&-
}

# require_amlite_bin: exports AMLITE_BIN ($AMLITE_BIN or target/debug/amlite) as an absolute
# path and fails when it is not built.
require_amlite_bin() {
  AMLITE_BIN="${AMLITE_BIN:-$REPO/target/debug/amlite}"
  [[ "$AMLITE_BIN" == /* ]] || AMLITE_BIN="$PWD/$AMLITE_BIN"
  export AMLITE_BIN
  if [[ ! -x "$AMLITE_BIN" ]]; then
    echo "run.sh: amlite binary not found at $AMLITE_BIN (build it with 'cargo build' or set AMLITE_BIN)" >&2
    exit 1
  fi
}

# venv_cache_dir: where suites keep venvs that outlive a work tree (CI clones afresh on the same
# machine): $AMLITE_VENV_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/amlite. Created if absent.
venv_cache_dir() {
  local dir="${AMLITE_VENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/amlite}"
  mkdir -p "$dir"
  echo "$dir"
}

# serve_in_background BIN WORK [ARGS...]: starts `BIN serve --port 0 --data-dir WORK/data ARGS`
# with its output in WORK/serve.{out,err}, waits (bounded, 15 s) for the printed exports and sets
# SERVER_PID and SERVER_URL. The caller's EXIT trap stops SERVER_PID.
serve_in_background() {
  local bin="$1" work="$2"
  shift 2
  "$bin" serve --port 0 --data-dir "$work/data" "$@" >"$work/serve.out" 2>"$work/serve.err" &
  SERVER_PID=$!
  for _ in $(seq 1 300); do grep -q "^export AMLITE_URL=" "$work/serve.out" 2>/dev/null && break; sleep 0.05; done
  SERVER_URL="$(sed -n "s/^export AMLITE_URL='\(.*\)'$/\1/p" "$work/serve.out")"
  [[ -n "$SERVER_URL" ]] || { echo "amlite serve did not start: $(cat "$work/serve.err")" >&2; return 1; }
}
