"""download log: why the server cut an answer short (a grant revoked while its bytes were on their way)

Revision ID: 5d0a11e1ca5e
Revises: 7c1d2e3f4a5b
Create Date: 2026-12-07 02:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '5d0a11e1ca5e'
down_revision = '7c1d2e3f4a5b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('download_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stopped', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('download_log', schema=None) as batch_op:
        batch_op.drop_column('stopped')
