"""The SQLAlchemy and Flask-Migrate objects, and their binding to an app."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# expire_on_commit=False: a committed row stays readable without a new query (and, on SQLite,
# without opening a new write transaction while a Graph call is in flight).
db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION), session_options={"expire_on_commit": False})
migrate = Migrate(directory=MIGRATIONS_DIR, compare_type=True)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """Let SQLite serve concurrent threads: WAL, a busy timeout, and enforced foreign keys."""
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (needed for SAVEPOINTs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection) -> None:
    """Take SQLite's write lock up front: concurrent writers then queue instead of deadlocking."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_database(app: Flask) -> None:
    """Bind db and migrate to the app; make the SQLite file's folder if needed."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:///:memory:"):
        Path(uri[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    import database.models  # noqa: F401  (register the tables on db.metadata)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, compare_type=True)
