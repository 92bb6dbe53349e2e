"""send path: wamsvc_mark_sent() on PostgreSQL

Revision ID: 5b1e7c2d9a10
Revises: afedb3e0e4d6
Create Date: 2026-12-04 02:25:00

"""
from alembic import op

from database.functions import DROP_MARK_SENT_FUNCTION, MARK_SENT_FUNCTION

# revision identifiers, used by Alembic.
revision = '5b1e7c2d9a10'
down_revision = 'afedb3e0e4d6'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(MARK_SENT_FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_MARK_SENT_FUNCTION)
