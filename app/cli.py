"""Flask CLI commands: init-db, reset-db, sync-lines (Flask-Migrate adds `flask db ...`)."""
from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from database.connection import MIGRATIONS_DIR, db
from database.functions import DROP_MARK_SENT_FUNCTION

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
        if connection.dialect.name == "postgresql":
            connection.execute(text(DROP_MARK_SENT_FUNCTION))


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

    register_job_commands(app)


def register_job_commands(app: Flask) -> None:
    """Worker and maintenance commands."""

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
    @click.option("--queue", "queues", type=click.Choice(["default", "bulk", "all"]), default="all",
                  show_default=True, help="default: webhooks and forwards; bulk: bulk sends.")
    def worker_command(burst: bool, queues: str):
        """Run an RQ worker (with scheduler) for background jobs; needs REDIS_URL."""
        from rq import SimpleWorker

        from app.extensions import redis_client
        from app.jobs.queue import BULK_QUEUE, QUEUE_NAME

        connection = redis_client.get()
        if connection is None:
            raise click.ClickException("REDIS_URL is not set: without Redis, jobs run inside the app process.")
        names = {"default": [QUEUE_NAME], "bulk": [BULK_QUEUE], "all": [QUEUE_NAME, BULK_QUEUE]}[queues]
        worker = SimpleWorker(names, connection=connection)
        worker.work(with_scheduler=True, burst=burst, logging_level=current_app.config["LOG_LEVEL"])

    webhooks = AppGroup("webhooks", help="Webhook maintenance.")
    app.cli.add_command(webhooks)

    @webhooks.command("retry-failed")
    @click.option("--min-age", default=60.0, show_default=True, help="Only events older than this (seconds).")
    def retry_failed_command(min_age: float):
        """Reprocess stored webhook events that are not processed yet."""
        from app.api.webhooks.deliveries import DeliveryService
        from app.api.webhooks.services import WebhookService

        retried = WebhookService().retry_failed(min_age)
        click.echo(f"reprocessed {len(retried)} event(s)")
        due = DeliveryService().resume_due(min_age)
        click.echo(f"re-queued {due} pending forward(s)")

    bulk = AppGroup("bulk", help="Bulk send maintenance.")
    app.cli.add_command(bulk)

    @bulk.command("sweep")
    @click.option("--min-age", default=600.0, show_default=True,
                  help="Seconds a recipient may stay 'sending' before its worker is presumed stopped.")
    def bulk_sweep_command(min_age: float):
        """Record recipients a stopped worker left 'sending' as delivery unknown; finish their jobs."""
        from app.api.messages.bulk_runner import sweep_stranded

        click.echo(f"settled {sweep_stranded(min_age)} stranded recipient(s)")

    @app.cli.command("cleanup")
    def cleanup_command():
        """Delete expired idempotency keys."""
        from app.api.messages.idempotency import IdempotencyService

        removed = IdempotencyService(db.session, current_app.config["IDEMPOTENCY_TTL_HOURS"]).cleanup()
        click.echo(f"removed {removed} expired idempotency key(s)")
