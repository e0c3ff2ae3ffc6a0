# email365: `make run` runs the main job, `make test` runs every test.
# Both install what a fresh machine lacks first (scripts/setup.sh, idempotent).

CARGO ?= cargo
PY := .venv/bin/python

.PHONY: all setup run test lint rust-test vectors bench soak python python-test wasm wasm-test c-test dist dist-test fuzz fuzz-smoke

all: test

setup:
	@bash scripts/setup.sh

run: setup python wasm
	@$(MAKE) -s -C bindings-c build/send
	$(CARGO) run -q --release -p email365-e2e

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p email365 --all-targets --all-features -- -D warnings

# One `cargo test --workspace` runs the core's tests with every feature the members ask
# for (cargo unifies them: smtp, http, cli, tokio, sandbox, wasm), so no second run of
# `-p email365` with a subset is needed; only `tracing` is off there and gets its own.
rust-test: setup
	$(CARGO) test --workspace
	$(CARGO) test -p email365 --features smtp,tracing --test smtp_tracing

# run_vectors.py runs every shared vector and every transport scenario (tests/vectors/smtp/,
# against its scripted SMTP server) through one driver; `python-test`, `wasm-test` and
# `c-test` run it with their own driver. It prints the cases a driver declared unsupported.
vectors: setup
	$(CARGO) build -q --release -p email365-conformance
	$(PY) tests/conformance/run_vectors.py --name rust-driver -- target/release/email365-conformance
	$(PY) tests/conformance/run_vectors.py --name rust-async-driver -- target/release/email365-conformance --async
	$(PY) scripts/compare_email_validator.py

# The Python package: built into .venv/ in development mode (only when its sources changed).
python: setup
	@bash scripts/setup-python.sh

python-test: python
	cd bindings-python && ../$(PY) -m pytest -q
	cd bindings-python && ../$(PY) -m mypy --strict examples tests benches
	cd bindings-python/python && ../../$(PY) -m mypy --strict -p email365
	cd bindings-python && ../$(PY) -m mypy.stubtest email365._native
	$(PY) tests/conformance/run_vectors.py --name python-driver -- .venv/bin/python -m email365.conformance
	$(PY) tests/conformance/run_vectors.py --name python-async-driver -- .venv/bin/python -m email365.conformance --async

# The WebAssembly package: scripts/build-wasm.sh installs its toolchain first
# (scripts/setup-wasm.sh, idempotent) and skips what is up to date.
wasm: setup
	bash scripts/build-wasm.sh

wasm-test: wasm
	cd bindings-wasm && node --test tests/
	$(PY) tests/conformance/run_vectors.py --name wasm-driver -- node bindings-wasm/conformance.mjs

# The C library: header drift check, the C suite plain, under valgrind and under
# ASan+UBSan, the examples, an install with pkg-config, and the vectors through the C driver.
c-test: setup
	@bash scripts/setup-c.sh
	$(MAKE) -C bindings-c all
	$(MAKE) -C bindings-c check-header
	$(MAKE) -C bindings-c test
	$(PY) tests/conformance/run_vectors.py --name c-driver -- bindings-c/build/e365-conformance
	$(CARGO) build -q --release -p email365-conformance
	$(PY) bindings-c/tests/compare_drivers.py target/release/email365-conformance bindings-c/build/e365-conformance

# The release artifacts in dist/ (scripts/dist.sh): the manylinux abi3 wheel, the sdist,
# the npm tarball and the relocatable C archive, all of the workspace version.
dist: setup python wasm
	@bash scripts/setup-c.sh
	bash scripts/dist.sh

# Each artifact installed and used outside the clone, in a fresh temporary folder with a
# minimal environment (scripts/dist-test.sh says how the clone is kept off every path).
dist-test: dist
	bash scripts/dist-test.sh

# The fuzz smoke (30 s per target, plus a cold build of about 6 minutes on a clean
# clone) runs in `make test` only with FUZZ_SMOKE=1: docs/SECURITY.md, "Fuzzing".
FUZZ_SMOKE ?= 0
test: lint rust-test vectors python-test wasm-test c-test dist-test $(if $(filter 1,$(FUZZ_SMOKE)),fuzz-smoke)
	$(PY) -m pytest -q tests/python

# Every benchmark of the project, ratios against the peers measured in the same run:
# target/bench/results.{md,json} (scripts/bench.py; about 15 minutes).
bench: setup python wasm
	@bash scripts/setup-c.sh
	$(PY) scripts/bench.py

# 10 000 messages through the pool to a faulty sink, checked against its log
# (tests/bench/src/soak.rs). The 300-message smoke runs in rust-test.
soak:
	$(CARGO) run -q --release -p email365-bench --bin soak

# Fuzzing (cargo-fuzz, nightly; docs/SECURITY.md "Fuzzing"): every target in turn, one
# job. `fuzz` runs each for FUZZ_SECONDS (10 minutes), `fuzz-smoke` for 30 seconds.
FUZZ_SECONDS ?= 600

fuzz:
	bash fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke:
	bash fuzz/run.sh 30
