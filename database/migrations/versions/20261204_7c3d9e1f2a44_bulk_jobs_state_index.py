"""bulk_jobs.state index for the stranded-recipient sweep

Revision ID: 7c3d9e1f2a44
Revises: 5b1e7c2d9a10
Create Date: 2026-12-04 03:55:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c3d9e1f2a44'
down_revision = '5b1e7c2d9a10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_bulk_jobs_state', 'bulk_jobs', ['state'], unique=False)


def downgrade():
    op.drop_index('ix_bulk_jobs_state', table_name='bulk_jobs')
