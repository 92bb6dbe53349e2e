#!/usr/bin/env bash
# Command 1: run the service on the embedded default (SQLite, no Redis, the bundled Graph emulator).
# Nothing but Python 3.11+ is needed. Settings come from the environment or .env.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
export FLASK_ENV="${FLASK_ENV:-development}"
export PORT="${PORT:-5000}"
.venv/bin/flask --app entrypoint init-db
echo "serve: http://127.0.0.1:$PORT/docs  (development API key: ${VALID_API_KEYS:-dev-api-key})" >&2
exec .venv/bin/python entrypoint.py
