# amlite: the one entry point (ARCHITECTURE.md habit 10).
#   make run    - start amlite on https://127.0.0.1:8443 with ./.amlite as data folder
#                 (flags: make run ARGS="--port 9443 --provisioning-delay 2s")
#   make test   - everything CI runs: lint, Rust tests, SDK tests, Azure CLI tests, management-SDK
#                 tests, contract tests, replay of recorded Azure traffic, npm client, azure-ai-ml
#                 version matrix, wheel, bench smoke
#   make wheel  - the Python package (binary + pytest plugin) as target/wheels/amlite-*.whl:
#                 a dev-profile maturin build reusing target/debug (release: make wheel PROFILE=release)
#   make bench  - release benchmarks, writes bench/RESULTS.md
CARGO ?= cargo
# The binary the client suites run: a copy that only `make build` replaces, atomically and only
# when cargo produced a different one. `make wheel` runs cargo (through maturin) while the suites
# run, and cargo unlinks and relinks target/debug/amlite for about a second even when nothing is
# rebuilt; a server started in that second found no binary (CI stop 26, stop 27's local run).
SUITE_BIN := $(CURDIR)/target/suites/amlite
AMLITE_BIN ?= $(SUITE_BIN)
export AMLITE_BIN

.PHONY: run build test suites lint rust-test sdk-test cli-test mgmt-test contract-test replay-test npm-test matrix-test wheel wheel-test bench bench-smoke clean
PROFILE ?= dev

run:
	$(CARGO) run --release -- serve $(ARGS)

build:
	$(CARGO) build
	@mkdir -p $(dir $(SUITE_BIN))
	@cmp -s target/debug/amlite $(SUITE_BIN) || { cp target/debug/amlite $(SUITE_BIN).tmp && mv -f $(SUITE_BIN).tmp $(SUITE_BIN); }

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

rust-test:
	$(CARGO) test

sdk-test: build
	bash tests/sdk/run.sh

# The real Azure CLI and the Python management SDKs, each in its own venv cached outside the work
# tree ($AMLITE_VENV_CACHE, default ~/.cache/amlite; made from scratch when absent).
cli-test: build
	bash tests/cli/run.sh

mgmt-test: build
	bash tests/mgmt/run.sh

contract-test: build
	@if [ -f tests/contract/run.sh ]; then bash tests/contract/run.sh; else echo "contract tests: not present"; fi

replay-test: build
	bash tests/replay/run.sh

# --strip changes cargo's fingerprint, so a dev-profile build with it recompiles and relinks
# target/debug/amlite (and `cargo build` then builds it back): only the release wheel is stripped;
# the dev wheel reuses the binary as built.
WHEEL_STRIP := $(if $(filter release,$(PROFILE)),--strip,)

wheel: build
	@bash -c 'source tests/lib.sh && REPO=$(CURDIR) ensure_venv $(CURDIR)/.venv-wheel tests/wheel/requirements-build.txt'
	$(CURDIR)/.venv-wheel/bin/maturin build --profile $(PROFILE) $(WHEEL_STRIP) --out target/wheels

wheel-test: build
	bash tests/wheel/run.sh
	bash tests/wheel/cargo_install.sh

npm-test: build
	@if [ -f tests/npm/run.sh ]; then bash tests/npm/run.sh; else echo "npm client tests: not present"; fi

matrix-test: build
	bash tests/matrix/run.sh

bench-smoke:
	@if [ -f bench/run.sh ]; then bash bench/run.sh --smoke; else echo "bench: not present"; fi

# The client suites are independent (each starts its own amlite servers on port 0 with fresh data
# folders; shared venvs install under a lock, tests/lib.sh): they run SUITE_JOBS at a time
# (default: the machine's cores), longest first, each suite's output printed whole when it ends.
# The bench smoke pass measures ratios and runs alone, last.
SUITE_JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SUITES := sdk-test contract-test cli-test matrix-test replay-test wheel-test npm-test mgmt-test

test: lint rust-test
	$(MAKE) --no-print-directory -j$(SUITE_JOBS) --output-sync=target suites
	$(MAKE) --no-print-directory bench-smoke

suites: $(SUITES)

bench:
	bash bench/run.sh

clean:
	$(CARGO) clean
	rm -rf .venv .venv-wheel .amlite
