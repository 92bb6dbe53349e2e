#!/usr/bin/env bash
# The fault suite: prints a table of faults, what was sent, recorded, lost (must be 0), duplicated (must be 0).
# Starts its own PostgreSQL and Redis (they are killed and restarted), so it never touches the test servers.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python bench/reliability.py "$@"
