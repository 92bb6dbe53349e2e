"""Alembic environment: the Flask app supplies the engine and the models' metadata."""
import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from database.types import UTCDateTime

config = context.config
if config.config_file_name is not None:
    # Keep the application's loggers (and their request-id filter) alive.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def render_item(type_, obj, autogen_context):
    """Write our UTC timestamp type as the plain timezone-aware DateTime it stores as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty_autogenerate(ctx, revision, directives):
    """Write no revision file when autogenerate finds no change."""
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def configure_args(connection=None, url=None) -> dict:
    args = dict(migrate_ext.configure_args)
    args.setdefault("process_revision_directives", skip_empty_autogenerate)
    args.update(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=render_item,
        render_as_batch=True,  # SQLite needs batch mode for ALTER TABLE
    )
    if connection is not None:
        args["connection"] = connection
    else:
        args.update(url=url, literal_binds=True)
    return args


def run_offline() -> None:
    context.configure(**configure_args(url=migrate_ext.db.engine.url))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine: sa.Engine = migrate_ext.db.engine
    with engine.connect() as connection:
        context.configure(**configure_args(connection=connection))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
