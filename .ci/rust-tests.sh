#!/usr/bin/env bash
# All Rust tests, on SQLite and on a throwaway PostgreSQL cluster that is stopped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
pgdir=$(mktemp -d /tmp/clearline-pg.XXXXXX)

url=$(.ci/postgres.sh start "$pgdir")
trap '.ci/postgres.sh stop "$pgdir"' EXIT
echo "PostgreSQL for tests: $url"
CLEARLINE_TEST_POSTGRES_URL="$url" CLEARLINE_TEST_REQUIRE_POSTGRES=1 cargo test --no-fail-fast
