#!/usr/bin/env bash
# All Rust tests, on SQLite and on a throwaway PostgreSQL cluster that is stopped afterwards.
# The tests' SQLite files and keys go to a scratch TMPDIR that is removed afterwards too, so
# repeated runs do not fill the disk.
set -euo pipefail
cd "$(dirname "$0")/.."
pgdir=$(mktemp -d /tmp/clearline-pg.XXXXXX)
scratch=$(mktemp -d /tmp/clearline-scratch.XXXXXX)

url=$(.ci/postgres.sh start "$pgdir")
trap '.ci/postgres.sh stop "$pgdir"; rm -rf "$scratch"' EXIT
echo "PostgreSQL for tests: $url"
TMPDIR="$scratch" CLEARLINE_TEST_POSTGRES_URL="$url" CLEARLINE_TEST_REQUIRE_POSTGRES=1 \
  cargo test --no-fail-fast
