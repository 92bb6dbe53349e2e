#!/usr/bin/env bash
# Command 2: install and start PostgreSQL and Redis (as local processes), then run every test.
# Extra arguments go to pytest, e.g. scripts/test.sh -k webhooks
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
eval "$(scripts/services.sh start)"
trap 'scripts/services.sh stop' EXIT
# The servers were just started: a test that needs one must fail, never skip.
export CI=true
export TEST_POSTGRES_URL="$TEST_DATABASE_URL"

status=0
echo "test: full suite on PostgreSQL and Redis" >&2
.venv/bin/python -m pytest -q "$@" || status=$?
if [ "$#" -eq 0 ]; then
  echo "test: integration suite again on SQLite, the embedded default" >&2
  TEST_DATABASE_URL="" .venv/bin/python -m pytest -q -p no:cacheprovider tests/integration || status=$?
fi
exit "$status"
