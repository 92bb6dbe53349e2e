"""WSGI entry point: `python entrypoint.py`, `flask --app entrypoint ...`, or `gunicorn entrypoint:app`."""
import os
import sys

from app import create_app
from config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"configuration error: {exc}", file=sys.stderr)
    sys.exit(2)

if __name__ == "__main__":
    # No reloader: it would restart the process, and the embedded emulator with it, mid-conversation.
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "5000")), threaded=True,
            use_reloader=False, use_debugger=False)
