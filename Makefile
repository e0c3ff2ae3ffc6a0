# email365: `make run` runs the main job, `make test` runs every test.
# Both install what a fresh machine lacks first (scripts/setup.sh, idempotent).

CARGO ?= cargo
PY := .venv/bin/python

.PHONY: all setup run test lint rust-test vectors bench

all: test

setup:
	@bash scripts/setup.sh

run: setup
	$(CARGO) run -q --release -p email365-e2e

lint: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p email365 --all-targets --all-features -- -D warnings

rust-test: setup
	$(CARGO) test --workspace
	$(CARGO) test -p email365 --features smtp,http

vectors: setup
	$(CARGO) build -q --release -p email365-conformance
	$(PY) tests/conformance/run_vectors.py --name rust-driver -- target/release/email365-conformance
	$(PY) scripts/compare_email_validator.py

test: lint rust-test vectors
	$(PY) -m pytest -q tests/python

bench: setup
	$(CARGO) bench -p email365
