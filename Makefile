# Clearline: two commands matter.
#   make run   – install the build tools if missing, build, serve at http://127.0.0.1:3000
#   make test  – install what tests need, then fmt, clippy, all Rust tests on SQLite and
#                PostgreSQL, and the Playwright journeys in headless Chromium
# Nothing here downloads binaries from outside crates.io, npm and Debian's apt.

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
# cargo-leptos sets this for its builds; setting it for every build lets them share artifacts.
export LEPTOS_OUTPUT_NAME := clearline

CARGO_LEPTOS_VERSION := 0.3.10
# Must equal the `wasm-bindgen` crate pinned with `=` in Cargo.toml.
WASM_BINDGEN_VERSION := 0.2.130

.PHONY: run test tools test-tools site check rust-tests e2e clean-data

## Build tools: the wasm target, cargo-leptos (no downloads), the matching wasm-bindgen CLI.
tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q " $(CARGO_LEPTOS_VERSION)$$" \
	  || cargo install cargo-leptos@$(CARGO_LEPTOS_VERSION) --locked --features no_downloads
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$" \
	  || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

## The site: wasm front end, CSS, and the server binary (target/debug/clearline).
site: tools
	cargo leptos build

run: site
	@mkdir -p data
	LEPTOS_SITE_ROOT=target/site ./target/debug/clearline serve

## Test-only tools: Debian chromium, PostgreSQL server binaries, the end2end npm packages.
test-tools: tools
	@bash .ci/test-tools.sh

check:
	cargo fmt --all --check
	@! grep -rn --include='*.rs' 'allow(unsafe_code)' app server frontend crates end2end 2>/dev/null \
	  | grep -v '^crates/recon/src/prefetch.rs:' \
	  || { echo "unsafe code is allowed only in crates/recon/src/prefetch.rs"; exit 1; }
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

rust-tests:
	@bash .ci/rust-tests.sh

e2e: site
	cd end2end && npx playwright test

test: test-tools check rust-tests e2e
	@echo "All checks passed."

clean-data:
	rm -rf data
