"""Flask CLI commands: init-db, reset-db, sync-lines (Flask-Migrate adds `flask db ...`)."""
from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from database.connection import MIGRATIONS_DIR, db

log = logging.getLogger(__name__)


def sync_lines() -> dict[str, int]:
    """Copy configured lines into messaging_lines (idempotent; counters untouched)."""
    from app.api.lines.services import LineService

    lines = current_app.extensions["service_config"].MESSAGING_LINES
    try:
        return LineService().sync(lines)
    except IntegrityError:
        # Another process synced the same new line at the same moment; its row is as good as ours.
        db.session.rollback()
        return LineService().sync(lines)


def sync_lines_on_start(app: Flask) -> None:
    """Sync lines at start-up when the schema exists; never stop the process over it."""
    with app.app_context():
        try:
            if not inspect(db.engine).has_table("messaging_lines"):
                log.warning("database has no tables yet; run `flask --app entrypoint init-db`")
                return
            result = sync_lines()
            log.info("messaging lines synced from configuration: %s", result)
        except OperationalError as exc:
            log.warning("could not sync messaging lines at start-up (database unavailable: %s)", type(exc).__name__)
        finally:
            db.session.remove()


def _drop_everything() -> None:
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def register_commands(app: Flask) -> None:
    """Attach the service's commands to app.cli."""

    @app.cli.command("init-db")
    def init_db_command():
        """Create or upgrade the schema with the migrations, then sync lines."""
        upgrade(directory=MIGRATIONS_DIR)
        click.echo(f"database ready; lines: {sync_lines()}")

    @app.cli.command("reset-db")
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def reset_db_command(yes: bool):
        """Drop every table and rebuild the schema (asks unless --yes)."""
        if not yes:
            click.confirm("This deletes every message, contact and event. Continue?", abort=True)
        _drop_everything()
        upgrade(directory=MIGRATIONS_DIR)
        click.echo(f"database reset; lines: {sync_lines()}")

    @app.cli.command("sync-lines")
    def sync_lines_command():
        """Copy MESSAGING_LINES / LINE_<N>_* configuration into the database."""
        click.echo(f"lines synced: {sync_lines()}")
